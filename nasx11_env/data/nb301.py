"""Loader of the NAS-Bench-301 learning-curve files (``nb_301_v13_lc_iclr_final``).

Layout: ``<root>/<optimizer>/results_<n>.json`` (``rs``, ``re``, ``darts``, ...), as a folder or
a ``.zip`` of it. Each file is one training run:

- ``optimized_hyperparamater_config``: the NB301 ConfigSpace values, architecture under
  ``NetworkSelectorDatasetInfo:darts:edge_*`` / ``inputs_node_*`` (training hyperparameters are
  ignored);
- ``learning_curves``: per-epoch lists ``Train/val_accuracy`` (%, required; metric ``val_acc``),
  ``Train/train_accuracy`` (%), ``Train/train_loss``, ``Train/train_cross_entropy``,
  ``Train/val_cross_entropy``;
- ``runtime``: seconds for the whole run (required); ``test_accuracy`` (%) and
  ``info[0].model_parameters`` (kept as extras when every run has them).

List entry ``k`` is epoch ``k + 1``. Curves shorter than ``n_epochs`` are padded with their last
value (``extras["padded_epochs"]`` says how many columns are padding); longer ones are cut
(``extras["n_logged_epochs"]`` keeps the logged length). The files hold only the total runtime,
so ``runtime`` per epoch is ``runtime / n_logged_epochs`` in every column. Runs of the same
architecture (several optimizers found it) share a group id; none is dropped.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nasx11_env.data.dataset import CurveDataset, Metric, Provenance
from nasx11_env.errors import DataError, InvalidArchitectureError
from nasx11_env.spaces.darts import DartsArch, DartsSpace, from_config

N_EPOCHS = 98
REQUIRED_CURVE = "Train/val_accuracy"
CURVE_METRICS: dict[str, Metric] = {
    "Train/val_accuracy": Metric("val_acc", "%", higher_is_better=True),
    "Train/train_accuracy": Metric("train_acc", "%", higher_is_better=True),
    "Train/train_loss": Metric("train_loss", "nats", higher_is_better=False),
    "Train/train_cross_entropy": Metric("train_cross_entropy", "nats", higher_is_better=False),
    "Train/val_cross_entropy": Metric("val_loss", "nats", higher_is_better=False),
}
_RESULTS_NAME = re.compile(r"results_[^/]*\.json")

PROVENANCE_SOURCE = (
    "NAS-Bench-301 learning curves nb_301_v13_lc_iclr_final "
    "(nasbench301_full_data, figshare 13286105)"
)
ATTRIBUTION = (
    "NAS-Bench-301: Siems, Zimmer, Zela, Lukasik, Keuper, Hutter (2020); "
    "data: Zimmer (2020) nasbench301_full_data, Apache-2.0"
)


@dataclass(frozen=True)
class _Run:
    """One parsed results file."""

    name: str
    optimizer: str
    arch: DartsArch
    curves: dict[str, np.ndarray]
    runtime_total: float
    test_accuracy: float | None
    model_parameters: float | None


def load_nb301_results(path: str | os.PathLike[str], n_epochs: int = N_EPOCHS) -> CurveDataset:
    """Read every ``<optimizer>/results_*.json`` under ``path`` (a folder or ``.zip``).

    Metrics are the ``learning_curves`` keys present in every run. Raises ``DataError`` naming
    the file when one is unreadable, lacks a required key, holds a bad architecture or
    non-finite or out-of-range values, or when no results file is found.
    """
    if n_epochs < 1:
        raise ValueError(f"n_epochs must be positive, got {n_epochs}")
    root = Path(path)
    runs = [_parse(name, optimizer, text) for name, optimizer, text in _read_files(root)]
    if not runs:
        raise DataError(root, "no <optimizer>/results_*.json files found")
    keys = [key for key in CURVE_METRICS if all(key in run.curves for run in runs)]
    group_of: dict[DartsArch, int] = {}
    groups = [group_of.setdefault(run.arch, len(group_of)) for run in runs]
    logged = np.array([len(run.curves[REQUIRED_CURVE]) for run in runs])
    per_epoch = np.array([run.runtime_total for run in runs]) / logged
    extras: dict[str, np.ndarray] = {
        "runtime_total": np.array([run.runtime_total for run in runs]),
        "n_logged_epochs": logged,
        "padded_epochs": np.maximum(n_epochs - logged, 0),
        "optimizer": np.array([run.optimizer for run in runs]),
    }
    for extra in ("test_accuracy", "model_parameters"):
        values = [getattr(run, extra) for run in runs]
        if all(value is not None for value in values):
            extras[extra] = np.array(values, dtype=np.float64)
    return CurveDataset(
        space=DartsSpace(),
        archs=[run.arch for run in runs],
        epochs=np.arange(1, n_epochs + 1),
        curves={
            CURVE_METRICS[key].name: np.stack([_fit(run.curves[key], n_epochs) for run in runs])
            for key in keys
        },
        metrics={CURVE_METRICS[key].name: CURVE_METRICS[key] for key in keys},
        provenance=Provenance(PROVENANCE_SOURCE, "Apache-2.0", ATTRIBUTION, path=str(root)),
        runtime=np.repeat(per_epoch[:, None], n_epochs, axis=1),
        groups=np.array(groups),
        extras=extras,
    )


def _fit(curve: np.ndarray, n_epochs: int) -> np.ndarray:
    """Cut ``curve`` to ``n_epochs`` or pad it with its last value."""
    if len(curve) >= n_epochs:
        return curve[:n_epochs]
    return np.concatenate([curve, np.full(n_epochs - len(curve), curve[-1])])


def _read_files(root: Path) -> Iterator[tuple[str, str, bytes]]:
    """Yield (name for messages, optimizer folder, bytes) of every results file, sorted."""
    if root.is_dir():
        for file in sorted(root.rglob("results_*.json")):
            try:
                yield str(file), file.parent.name, file.read_bytes()
            except OSError as error:
                raise DataError(file, f"cannot be read: {error.strerror}") from None
        return
    if not root.exists():
        raise DataError(root, "NB301 results folder or zip not found")
    try:
        archive = zipfile.ZipFile(root)
    except (zipfile.BadZipFile, OSError):
        raise DataError(root, "not a readable zip archive (truncated or corrupt?)") from None
    with archive:
        members = sorted(
            member
            for member in archive.namelist()
            if _RESULTS_NAME.fullmatch(member.rsplit("/", 1)[-1])
            and not member.startswith("__MACOSX/")
        )
        for member in members:
            parts = member.split("/")
            optimizer = parts[-2] if len(parts) > 1 else ""
            try:
                data = archive.read(member)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
                raise DataError(
                    f"{root}/{member}", "cannot be read from the archive (truncated or corrupt?)"
                ) from None
            yield f"{root}/{member}", optimizer, data


def _parse(name: str, optimizer: str, text: bytes) -> _Run:
    try:
        record = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(name, f"not valid JSON ({error})") from None
    if not isinstance(record, dict):
        raise DataError(name, "expected a JSON object")
    config = _section(record, "optimized_hyperparamater_config", name)
    try:
        arch = from_config(config)
    except InvalidArchitectureError as error:
        raise DataError(
            name, f"bad architecture in optimized_hyperparamater_config: {error}"
        ) from None
    lc = _section(record, "learning_curves", name)
    if REQUIRED_CURVE not in lc:
        raise DataError(name, f"learning_curves has no {REQUIRED_CURVE!r}")
    curves = {key: _curve(lc[key], key, name) for key in CURVE_METRICS if key in lc}
    runtime = _number(record.get("runtime"), "runtime", name)
    if runtime <= 0:
        raise DataError(name, f"runtime must be positive seconds, got {runtime}")
    test_accuracy = record.get("test_accuracy")
    info = record.get("info")
    params = info[0].get("model_parameters") if _first_is_dict(info) else None
    return _Run(
        name=name,
        optimizer=optimizer,
        arch=arch,
        curves=curves,
        runtime_total=runtime,
        test_accuracy=None if test_accuracy is None else _percent(test_accuracy, name),
        model_parameters=None if params is None else _number(params, "model_parameters", name),
    )


def _section(record: dict[str, Any], key: str, name: str) -> dict[str, Any]:
    value = record.get(key)
    if not isinstance(value, dict):
        raise DataError(name, f"missing or malformed {key!r} (expected a JSON object)")
    return value


def _first_is_dict(info: object) -> bool:
    return isinstance(info, list) and bool(info) and isinstance(info[0], dict)


def _number(value: object, what: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataError(name, f"{what} must be a number, got {value!r}")
    if not np.isfinite(value):
        raise DataError(name, f"{what} is not finite ({value})")
    return float(value)


def _percent(value: object, name: str) -> float:
    number = _number(value, "test_accuracy", name)
    if not 0.0 <= number <= 100.0:
        raise DataError(name, f"test_accuracy must be a percentage in 0..100, got {number}")
    return number


def _curve(values: object, key: str, name: str) -> np.ndarray:
    if not isinstance(values, list) or not values:
        raise DataError(name, f"learning curve {key!r} must be a non-empty list")
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
        raise DataError(name, f"learning curve {key!r} holds non-numbers")
    curve = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(curve)
    if bad.any():
        epoch = int(np.argmax(bad)) + 1
        raise DataError(name, f"learning curve {key!r} is not finite at epoch {epoch}")
    low, high = (0.0, 100.0) if CURVE_METRICS[key].unit == "%" else (0.0, np.inf)
    if curve.min() < low or curve.max() > high:
        raise DataError(
            name,
            f"learning curve {key!r} leaves its range {low}..{high}: {curve.min()}..{curve.max()}",
        )
    return curve
