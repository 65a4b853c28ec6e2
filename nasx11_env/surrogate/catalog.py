"""Shipped and user-built surrogate artifacts, resolved by benchmark name.

An artifact is a saved ``LearningCurveSurrogate`` directory named ``<benchmark>-v<N>`` whose
manifest card also says how to turn it into a benchmark (score metric, normalisation, pool).
Search order: ``$NASX11_ARTIFACTS/<name>`` (user builds, e.g. NB111), then the artifacts that ship
inside the package (``nasx11_env/artifacts``).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from nasx11_env.curves import ScoreInfo
from nasx11_env.errors import Nasx11Error
from nasx11_env.surrogate.serialization import load_surrogate, read_manifest
from nasx11_env.surrogate.source import SurrogateCurveSource

ARTIFACT_VERSIONS = {"nb311": "nb311-v2", "nlp11": "nlp11-v1", "nb111": "nb111-v1"}
PACKAGE_ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
BUILD_HINTS = {
    "nb311": "nasx11 build nb311 [--data PATH_TO_SHARED_DATA]",
    "nlp11": "nasx11 build nlp11 [--data PATH_TO_SHARED_DATA]",
    "nb111": "nasx11 build nb111 --data PATH_TO_NB101_FILES --out DIR",
}


class ArtifactNotFoundError(Nasx11Error, FileNotFoundError):
    """No surrogate artifact of a benchmark is installed or built."""


def artifact_dirs() -> list[Path]:
    """Where artifacts are looked for, in order."""
    user = os.environ.get("NASX11_ARTIFACTS")
    return ([Path(user)] if user else []) + [PACKAGE_ARTIFACTS]


def find_artifact(benchmark: str) -> Path:
    """The directory of ``benchmark``'s artifact, or an error saying how to build it."""
    name = ARTIFACT_VERSIONS.get(benchmark.lower())
    if name is None:
        raise ValueError(f"no surrogate artifact is defined for benchmark {benchmark!r}")
    for root in artifact_dirs():
        if (root / name / "manifest.json").is_file():
            return root / name
    searched = ", ".join(str(p) for p in artifact_dirs())
    raise ArtifactNotFoundError(
        f"the {benchmark.upper()} surrogate artifact {name!r} was not found (searched {searched}). "
        f"Build it with `{BUILD_HINTS[benchmark.lower()]}` and point NASX11_ARTIFACTS at the "
        f"output directory, or pass any CurveSource: gym.make(..., source=my_source)."
    )


def source_from_artifact(path: str | os.PathLike[str]) -> SurrogateCurveSource:
    """A curve source from a saved surrogate whose card has a ``benchmark`` section."""
    manifest = read_manifest(path)
    spec: dict[str, Any] = manifest["card"].get("benchmark") or {}
    if "metric" not in spec or "score" not in spec:
        raise ValueError(f"{path}: the model card has no 'benchmark' section (metric, score)")
    model = load_surrogate(path)
    pool = [model.space_.from_str(text) for text in spec.get("pool", [])] or None
    real = spec.get("pool_means")
    return SurrogateCurveSource(
        model,
        metric=spec["metric"],
        score=ScoreInfo(**spec["score"]),
        negate_from=spec.get("negate_from"),
        pool=pool,
        pool_means=None if real is None else np.asarray(real, dtype=np.float64),
        pool_runtime=spec.get("pool_runtime"),
        name=manifest["card"].get("name", Path(path).name),
    )


@lru_cache(maxsize=8)
def load_benchmark_source(benchmark: str) -> SurrogateCurveSource:
    """The curve source of a benchmark's artifact (loaded once per process)."""
    return source_from_artifact(find_artifact(benchmark))
