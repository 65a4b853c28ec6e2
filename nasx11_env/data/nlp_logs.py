"""Load NAS-Bench-NLP training logs (one JSON per run, in a zip or a folder) as a CurveDataset.

Each official log holds the training arguments (``epochs``, ``data``, ...), the cell as a JSON
string (``recepie``, NAS-Bench-NLP's spelling), ``recepie_id``, ``num_params``, per-epoch
``train_losses``/``val_losses``/``test_losses`` (cross-entropy in nats per token) and
``wall_times`` (seconds per epoch), and ``status`` ("OK", or e.g. "loss is nan!" when training
diverged and stopped). Finished runs become rows; runs with another status or fewer epochs than
their ``epochs`` argument go to ``excluded`` with the reason. Rows whose cells are equal in
canonical form (the same cell trained again) share a group id.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasx11_env.data.dataset import CurveDataset, ExcludedRun, Metric, Provenance
from nasx11_env.errors import DataError, InvalidArchitectureError
from nasx11_env.spaces.nlp import NLPArch, NLPSpace

#: Metric name -> key of its curve in a log.
CURVE_KEYS = {"train_loss": "train_losses", "val_loss": "val_losses", "test_loss": "test_losses"}
REQUIRED_KEYS = (
    "recepie",
    "recepie_id",
    "num_params",
    "epochs",
    "wall_times",
    *CURVE_KEYS.values(),
)
SOURCE = "NAS-Bench-NLP training logs (github fmsnew/nas-bench-nlp-release @ a6d90a3)"
LICENCE = "Apache-2.0"
ATTRIBUTION = (
    "Klyuchnikov, Trofimov, Artemova, Salnikov, Fedorov, Burnaev (2020), NAS-Bench-NLP: "
    "Neural Architecture Search Benchmark for Natural Language Processing, arXiv:2006.07116"
)


@dataclass(frozen=True)
class _Run:
    """One parsed log; ``where`` is its path (``zip:member`` inside a zip) for error messages."""

    where: str
    name: str
    arch: NLPArch
    curves: dict[str, np.ndarray]
    wall_times: np.ndarray
    num_params: int
    recepie_id: int
    epochs: int
    status: str
    corpus: str | None


def load_nlp_logs(path: str | os.PathLike[str]) -> CurveDataset:
    """All logs in a zip file or a folder of ``*.json`` files, rows sorted by log name.

    Raises ``DataError`` naming the file for a missing path, a corrupt or truncated zip, a log
    that is not JSON or lacks keys, curves of unequal or excessive length, non-finite values in a
    finished run, an invalid cell, or runs that disagree on epochs or corpus.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(path, "file not found")
    space = NLPSpace()
    runs = [_parse_log(where, name, text, space) for where, name, text in _read_logs(path)]
    if not runs:
        raise DataError(path, "no *.json logs found")
    finished, excluded = [], []
    for run in sorted(runs, key=lambda r: r.name):
        reason = _exclusion_reason(run)
        if reason is None:
            finished.append(run)
        else:
            excluded.append(ExcludedRun(run.name, reason))
    if not finished:
        raise DataError(path, f"no finished runs: all {len(excluded)} logs were excluded")
    _check_consistent(path, finished)
    group_of: dict[NLPArch, int] = {}
    epochs = finished[0].epochs
    corpus = finished[0].corpus
    source = SOURCE if corpus is None else f"{SOURCE}, corpus {corpus}"
    return CurveDataset(
        space=space,
        archs=[run.arch for run in finished],
        epochs=np.arange(1, epochs + 1),
        curves={m: np.stack([run.curves[m] for run in finished]) for m in CURVE_KEYS},
        metrics={m: Metric(m, "nats", higher_is_better=False) for m in CURVE_KEYS},
        provenance=Provenance(source, LICENCE, ATTRIBUTION, str(path)),
        runtime=np.stack([run.wall_times for run in finished]),
        groups=np.array([group_of.setdefault(run.arch, len(group_of)) for run in finished]),
        extras={
            "num_params": np.array([run.num_params for run in finished], dtype=np.int64),
            "recepie_id": np.array([run.recepie_id for run in finished], dtype=np.int64),
            "log_name": np.array([run.name for run in finished], dtype=object),
        },
        excluded=excluded,
    )


def _read_logs(path: Path) -> Iterator[tuple[str, str, bytes]]:
    """``(where, log name, bytes)`` per ``*.json`` log of a zip file or a folder."""
    if path.is_dir():
        for file in sorted(path.glob("*.json")):
            yield str(file), file.name, file.read_bytes()
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise DataError(
            path, f"not a readable zip archive (truncated or corrupt?): {error}"
        ) from None
    with archive:
        for member in sorted(archive.namelist()):
            if member.endswith("/") or not member.endswith(".json"):
                continue
            where = f"{path}:{member}"
            try:
                data = archive.read(member)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
                raise DataError(where, f"cannot read from the zip (corrupt?): {error}") from None
            yield where, Path(member).name, data


def _parse_log(where: str, name: str, text: bytes, space: NLPSpace) -> _Run:
    try:
        log = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(where, f"not valid JSON: {error}") from None
    if not isinstance(log, dict):
        raise DataError(where, f"expected a JSON object, got {type(log).__name__}")
    missing = [key for key in REQUIRED_KEYS if key not in log]
    if missing:
        raise DataError(where, f"missing keys: {', '.join(missing)}")
    epochs = _integer(where, log, "epochs")
    if epochs < 1:
        raise DataError(where, f"'epochs' must be positive, got {epochs}")
    curves = {metric: _numbers(where, log, key) for metric, key in CURVE_KEYS.items()}
    wall_times = _numbers(where, log, "wall_times")
    lengths = {key: len(log[key]) for key in (*CURVE_KEYS.values(), "wall_times")}
    if len(set(lengths.values())) != 1:
        listed = ", ".join(f"{key} {n}" for key, n in lengths.items())
        raise DataError(where, f"curves differ in length: {listed}")
    if len(wall_times) > epochs:
        raise DataError(where, f"{len(wall_times)} values per curve but 'epochs' is {epochs}")
    recipe_text = log["recepie"]
    if not isinstance(recipe_text, str):
        raise DataError(where, "'recepie' must be a JSON string")
    try:
        arch = space.from_str(recipe_text)
    except InvalidArchitectureError as error:
        raise DataError(where, f"invalid 'recepie': {error}") from None
    corpus = log.get("data")
    return _Run(
        where=where,
        name=name,
        arch=arch,
        curves=curves,
        wall_times=wall_times,
        num_params=_integer(where, log, "num_params"),
        recepie_id=_integer(where, log, "recepie_id"),
        epochs=epochs,
        status=str(log.get("status", "OK")),
        corpus=None if corpus is None else str(corpus),
    )


def _integer(where: str, log: dict, key: str) -> int:
    value = log[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataError(where, f"{key!r} must be an integer, got {value!r}")
    return value


def _numbers(where: str, log: dict, key: str) -> np.ndarray:
    values = log[key]
    if not isinstance(values, list) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
    ):
        raise DataError(where, f"{key!r} must be a list of numbers")
    return np.asarray(values, dtype=np.float64)


def _exclusion_reason(run: _Run) -> str | None:
    """Why a run is kept out of the dataset; raises for a finished run with bad values."""
    done = len(run.wall_times)
    if run.status != "OK":
        return f"status {run.status!r} after {done} of {run.epochs} epochs"
    if done < run.epochs:
        return f"stopped after {done} of {run.epochs} epochs"
    for metric, values in (*run.curves.items(), ("wall_times", run.wall_times)):
        if not np.isfinite(values).all():
            key = CURVE_KEYS.get(metric, metric)
            raise DataError(run.where, f"{key} has non-finite values although status is 'OK'")
    if (run.wall_times < 0).any():
        raise DataError(run.where, "wall_times has negative values")
    return None


def _check_consistent(path: Path, runs: list[_Run]) -> None:
    """All finished runs must share their epoch count and corpus."""
    first = runs[0]
    for run in runs[1:]:
        if run.epochs != first.epochs:
            raise DataError(
                path, f"{first.name} ran {first.epochs} epochs but {run.name} ran {run.epochs}"
            )
        if run.corpus != first.corpus:
            raise DataError(
                path, f"{first.name} used {first.corpus!r} but {run.name} used {run.corpus!r}"
            )
