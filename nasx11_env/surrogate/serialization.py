"""Saving and loading fitted surrogates without pickle.

A saved surrogate is a directory:

* ``model.json.gz``: format name and version, the estimator's parameters, the search space,
  per-metric settings, and every LightGBM booster as its text model (gzip-compressed JSON);
* ``arrays.npz``: SVD bases, noise-model arrays and scalers (loaded with ``allow_pickle=False``);
* ``manifest.json``: format and version, the SHA-256 of both files (checked at load) and the
  model card (source, licence, attribution, fidelity, build command).

Nothing executable is deserialised, so a saved model is safe to load, and a corrupt, truncated or
wrong-version file fails with a ``SurrogateFileError`` that names the file and the problem.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from nasx11_env.data.dataset import Metric
from nasx11_env.errors import DataError
from nasx11_env.spaces import get_space
from nasx11_env.surrogate.compression import compression_from_arrays
from nasx11_env.surrogate.model import LearningCurveSurrogate, MetricHead
from nasx11_env.surrogate.noise import noise_from_saved
from nasx11_env.surrogate.regressors import LightGBMRegressor, MLPRegressorModel
from nasx11_env.surrogate.resnet import ResNetRegressor

FORMAT = "nasx11-learning-curve-surrogate"
FORMAT_VERSION = 1
MODEL_FILE = "model.json.gz"
ARRAYS_FILE = "arrays.npz"
MANIFEST_FILE = "manifest.json"
PARAMS = (
    "metrics",
    "encoding",
    "extra_features",
    "first_epochs",
    "first_epochs_metric",
    "compression",
    "n_components",
    "center",
    "scale_epochs",
    "final_epoch_weight",
    "regressor",
    "regressor_params",
    "noise",
    "transforms",
    "model_runtime",
    "seed",
)


class SurrogateFileError(DataError):
    """A saved surrogate is missing, corrupt, truncated or of an unsupported version."""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_surrogate(
    model: LearningCurveSurrogate, path: str | os.PathLike[str], card: dict[str, Any] | None
) -> None:
    """Write ``model`` (fitted) to the directory ``path``, creating it."""
    model._check_fitted()
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {"epochs": model.epochs_}
    heads = {}
    for name, head in model.heads_.items():
        texts: dict[str, list[str]] = {}
        _put(arrays, f"{name}/compression/", head.compression.to_arrays())
        if isinstance(head.regressor, LightGBMRegressor):
            texts["regressor"] = head.regressor.to_text()
        _put(arrays, f"{name}/regressor/", head.regressor.to_arrays())
        _put(arrays, f"{name}/noise/", head.noise.to_arrays())
        if hasattr(head.noise, "to_text"):
            texts["noise"] = head.noise.to_text()
        heads[name] = {
            "metric": vars(head.metric),
            "transform": head.transform,
            "compression": head.compression.kind,
            "regressor": head.regressor.kind,
            "noise": head.noise.kind,
            "bounds": [_finite_or_none(head.lower), _finite_or_none(head.upper)],
            "boosters": texts,
        }
    runtime = None
    if model.runtime_ is not None:
        runtime = model.runtime_.to_text()
        _put(arrays, "runtime/", model.runtime_.to_arrays())
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "params": {key: getattr(model, key) for key in PARAMS},
        "space": model.space_.name,
        "encoding": model.encoding_,
        "first_epochs_metric": model.first_epochs_metric_,
        "n_features": model.n_features_,
        "heads": heads,
        "runtime_boosters": runtime,
    }
    with gzip.GzipFile(folder / MODEL_FILE, "wb", mtime=0) as stream:
        stream.write(json.dumps(document, default=_jsonable).encode())
    with open(folder / ARRAYS_FILE, "wb") as stream:
        np.savez_compressed(stream, **arrays)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "files": {name: sha256(folder / name) for name in (MODEL_FILE, ARRAYS_FILE)},
        "card": card or {},
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, default=_jsonable) + "\n")


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a saved surrogate, its format and version checked."""
    file = Path(path) / MANIFEST_FILE
    if not file.is_file():
        raise SurrogateFileError(str(file), "missing: not a saved surrogate directory")
    try:
        manifest = json.loads(file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SurrogateFileError(str(file), f"corrupt JSON ({error})") from None
    _check_format(manifest, file)
    return manifest


def load_surrogate(path: str | os.PathLike[str]) -> LearningCurveSurrogate:
    """Read a surrogate written by ``save_surrogate``; verifies checksums first."""
    folder = Path(path)
    manifest = read_manifest(folder)
    for name, digest in manifest.get("files", {}).items():
        file = folder / name
        if not file.is_file():
            raise SurrogateFileError(str(file), "missing file listed in the manifest")
        if sha256(file) != digest:
            raise SurrogateFileError(str(file), "checksum mismatch: the file is corrupt or changed")
    try:
        with gzip.open(folder / MODEL_FILE, "rb") as stream:
            document = json.loads(stream.read())
    except (OSError, EOFError, ValueError, zlib.error) as error:
        raise SurrogateFileError(str(folder / MODEL_FILE), f"unreadable ({error})") from None
    try:
        with np.load(folder / ARRAYS_FILE, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error) as error:
        raise SurrogateFileError(str(folder / ARRAYS_FILE), f"unreadable ({error})") from None
    _check_format(document, folder / MODEL_FILE)
    return _rebuild(document, arrays)


def _rebuild(document: dict[str, Any], arrays: dict[str, np.ndarray]) -> LearningCurveSurrogate:
    model = LearningCurveSurrogate(**document["params"])
    model.space_ = get_space(document["space"])
    model.encoding_ = document["encoding"]
    model.first_epochs_metric_ = document["first_epochs_metric"]
    model.n_features_ = int(document["n_features"])
    model.epochs_ = arrays["epochs"]
    model.heads_ = {}
    for name, spec in document["heads"].items():
        regressor_arrays = _get(arrays, f"{name}/regressor/")
        if spec["regressor"] == "mlp":
            regressor = MLPRegressorModel.from_arrays(regressor_arrays)
        elif spec["regressor"] == "resnet":
            regressor = ResNetRegressor.from_arrays(regressor_arrays)
        else:
            regressor = LightGBMRegressor.from_saved(
                spec["boosters"]["regressor"], regressor_arrays
            )
        lower, upper = spec["bounds"]
        model.heads_[name] = MetricHead(
            metric=Metric(**spec["metric"]),
            transform=spec["transform"],
            compression=compression_from_arrays(
                spec["compression"], _get(arrays, f"{name}/compression/")
            ),
            regressor=regressor,
            noise=noise_from_saved(
                spec["noise"], _get(arrays, f"{name}/noise/"), spec["boosters"].get("noise", [])
            ),
            lower=-np.inf if lower is None else lower,
            upper=np.inf if upper is None else upper,
        )
    model.runtime_ = None
    if document["runtime_boosters"] is not None:
        model.runtime_ = LightGBMRegressor.from_saved(
            document["runtime_boosters"], _get(arrays, "runtime/")
        )
    return model


def _check_format(document: Any, file: Path) -> None:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SurrogateFileError(str(file), f"not a {FORMAT} file")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise SurrogateFileError(
            str(file),
            f"format version {version} is not supported by this nasx11_env (reads version "
            f"{FORMAT_VERSION}); rebuild it with `nasx11 build` or upgrade nasx11-env",
        )


def _put(arrays: dict[str, np.ndarray], prefix: str, values: dict[str, np.ndarray]) -> None:
    arrays.update({prefix + key: np.asarray(value) for key, value in values.items()})


def _get(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, np.ndarray)):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} in a surrogate file")
