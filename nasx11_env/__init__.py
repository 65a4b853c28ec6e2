"""nasx11-env: NAS-Bench-x11 learning-curve surrogates as Gymnasium environments."""

from __future__ import annotations

from nasx11_env.errors import DataError, InvalidArchitectureError, Nasx11Error
from nasx11_env.spaces import SPACE_NAMES, get_space

__version__ = "0.1.0"

__all__ = [
    "SPACE_NAMES",
    "DataError",
    "InvalidArchitectureError",
    "Nasx11Error",
    "__version__",
    "get_space",
]
