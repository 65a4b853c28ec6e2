"""Where the real data lives: an argument, else ``$NASX11_DATA``, else ``../shared/data``.

Data is never copied into the repository; loaders read it from this folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from nasx11_env.errors import DataError

ENV_VAR = "NASX11_DATA"
DEFAULT_RELATIVE = Path("..") / "shared" / "data"


def find_data_dir(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The data folder to use, or ``None`` when none is given and the default is absent."""
    if path is not None:
        return Path(path)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    default = Path.cwd() / DEFAULT_RELATIVE
    return default if default.is_dir() else None


def data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Like :func:`find_data_dir` but raises ``DataError`` if the folder does not exist."""
    found = find_data_dir(path)
    if found is None:
        raise DataError(
            DEFAULT_RELATIVE,
            f"no data folder: pass a path or set {ENV_VAR} (the default ../shared/data is absent)",
        )
    if not found.is_dir():
        raise DataError(found, "data folder does not exist")
    return found


def data_file(relative: str, root: str | os.PathLike[str] | None = None) -> Path:
    """A file under the data folder; raises ``DataError`` naming it when it is missing."""
    path = data_dir(root) / relative
    if not path.exists():
        raise DataError(path, "file not found")
    return path
