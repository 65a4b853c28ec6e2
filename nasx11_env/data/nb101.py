"""Loaders for NAS-Bench-101 data: per-epoch ``results.json`` runs and the official tabular file.

* :func:`load_nb101_results` reads NAS-Bench-101-format training runs
  (``.../<hash>/repeat_<N>/results.json`` plus ``generated_graphs*.json``), as released by
  EC-NAS-Bench and as used for NB111, from a ``.tar``/``.tar.gz`` (streamed, never extracted)
  or an extracted folder.
* :func:`load_nb101_tabular` reads ``nasbench_full.tfrecord`` / ``nasbench_only108.tfrecord``
  without TensorFlow or protobuf: TFRecord framing with CRC32C checks and a tiny protobuf
  wire-format reader for ``ModelMetrics``.

Accuracies are fractions in [0, 1] in both formats and stay so.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import re
import struct
import tarfile
import zlib
from array import array
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nasx11_env.data.dataset import CurveDataset, Metric, Provenance
from nasx11_env.errors import DataError, InvalidArchitectureError
from nasx11_env.spaces.nb101 import NB101Arch, NB101Space, ops_from_labels

PathLike = str | os.PathLike[str]

METRICS: dict[str, Metric] = {
    "train_acc": Metric("train_acc", "fraction", higher_is_better=True),
    "val_acc": Metric("val_acc", "fraction", higher_is_better=True),
    "test_acc": Metric("test_acc", "fraction", higher_is_better=True),
}
_JSON_KEYS = {
    "train_acc": "train_accuracy",
    "val_acc": "validation_accuracy",
    "test_acc": "test_accuracy",
}
_RESULT_MEMBER = re.compile(r"(?:^|/)([0-9a-f]{32})/repeat_(\d+)/results\.json$")
_GRAPHS_MEMBER = re.compile(r"(?:^|/)generated_graphs[^/]*\.json$")


# --- results.json runs -----------------------------------------------------------------------


def load_nb101_results(
    path: PathLike, graphs: PathLike | None = None, provenance: Provenance | None = None
) -> CurveDataset:
    """Per-epoch NAS-Bench-101-format runs as a :class:`CurveDataset`.

    Args:
        path: a ``.tar``/``.tar.gz`` archive or a folder holding
            ``<hash>/repeat_<N>/results.json`` files (and usually ``generated_graphs*.json``).
        graphs: a ``generated_graphs*.json`` (hash -> [adjacency, integer op labels]) to use
            instead of the ones found under ``path``.
        provenance: where the runs come from; default EC-NAS-Bench (MIT), the release in
            the data folder. Pass another for other runs in this format (e.g. NB111's).

    One row per (architecture hash, repeat), rows sorted by hash then repeat; ``groups``
    holds one id per hash. Columns are the evaluated epochs after the start of training
    (the epoch-0 evaluation of the untrained network is dropped). ``runtime`` is the mean
    training seconds per epoch since the previous evaluation, from the cumulative
    ``training_time``. ``extras["trainable_params"]`` holds the parameter count.
    Every graph must hash to its key, so archs and data cannot be mismatched.
    """
    path = Path(path)
    runs: dict[tuple[str, int], tuple[str, dict[str, Any]]] = {}
    found_graphs: dict[str, tuple[Path, Any]] = {}
    for member, payload in _iter_members(path):
        where = path / member
        result = _RESULT_MEMBER.search(member)
        if result:
            runs[(result.group(1), int(result.group(2)))] = (member, _parse_json(payload, where))
        elif graphs is None and _GRAPHS_MEMBER.search(member):
            found_graphs.update(_graph_table(payload, where))
    if graphs is not None:
        graphs_path = Path(graphs)
        if not graphs_path.is_file():
            raise DataError(graphs_path, "graphs file not found")
        found_graphs = _graph_table(graphs_path.read_bytes(), graphs_path)
    if not runs:
        raise DataError(path, "no <hash>/repeat_<N>/results.json files found")

    space = NB101Space()
    hashes = sorted({key[0] for key in runs})
    archs_by_hash = {h: _graph_arch(space, h, found_graphs, path) for h in hashes}
    parsed = {key: _parse_run(path / member, data) for key, (member, data) in sorted(runs.items())}

    epochs = next(iter(parsed.values()))[0]
    for (module_hash, repeat), (run_epochs, *_) in parsed.items():
        if run_epochs != epochs:
            raise DataError(
                path / runs[(module_hash, repeat)][0],
                f"evaluated epochs {run_epochs} differ from {epochs} of the other runs",
            )
    group_of = {h: i for i, h in enumerate(hashes)}
    keys = list(parsed)
    return CurveDataset(
        space=space,
        archs=[archs_by_hash[h] for h, _ in keys],
        epochs=np.array(epochs),
        curves={name: np.array([parsed[k][1][name] for k in keys]) for name in METRICS},
        metrics=dict(METRICS),
        provenance=provenance
        or Provenance(
            source="EC-NAS-Bench (NAS-Bench-101-format results.json runs)",
            licence="MIT",
            attribution="Bakhtiarifard et al., EC-NAS-Bench, github.com/PedramBakh/EC-NAS-Bench",
            path=str(path),
        ),
        runtime=np.array([parsed[k][2] for k in keys]),
        groups=np.array([group_of[h] for h, _ in keys]),
        extras={"trainable_params": np.array([parsed[k][3] for k in keys], dtype=np.int64)},
    )


def _iter_members(path: Path) -> Iterator[tuple[str, bytes]]:
    """(relative name, bytes) of results/graph files in a folder or a streamed tar archive."""
    if path.is_dir():
        for file in sorted(path.rglob("*.json")):
            name = file.relative_to(path).as_posix()
            if _RESULT_MEMBER.search(name) or _GRAPHS_MEMBER.search(name):
                yield name, file.read_bytes()
        return
    if not path.is_file():
        raise DataError(path, "file not found")
    try:
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                name = member.name
                if member.isfile() and (_RESULT_MEMBER.search(name) or _GRAPHS_MEMBER.search(name)):
                    handle = archive.extractfile(member)
                    payload = handle.read() if handle is not None else b""
                    if len(payload) != member.size:
                        raise DataError(path / name, "member is truncated")
                    yield name, payload
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise DataError(path, f"truncated or corrupt tar archive ({error})") from None


def _parse_json(payload: bytes, where: Path) -> Any:
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(where, f"not valid JSON ({error})") from None


def _graph_table(payload: bytes, where: Path) -> dict[str, tuple[Path, Any]]:
    """hash -> (file, [adjacency, labels]) of one ``generated_graphs*.json``."""
    table = _parse_json(payload, where)
    if not isinstance(table, dict):
        raise DataError(where, "expected a JSON object mapping hash -> [adjacency, labels]")
    return {key: (where, spec) for key, spec in table.items()}


def _graph_arch(
    space: NB101Space, module_hash: str, graphs: Mapping[str, tuple[Path, Any]], path: Path
) -> NB101Arch:
    if module_hash not in graphs:
        raise DataError(path, f"architecture {module_hash} is in no generated_graphs*.json")
    where, spec = graphs[module_hash]
    try:
        matrix, labels = spec
        arch = space.from_spec(matrix, ops_from_labels(labels))
    except (TypeError, ValueError) as error:
        raise DataError(where, f"graph {module_hash} is not a valid NB101 cell ({error})") from None
    if space.graph_hash(arch) != module_hash:
        raise DataError(where, f"graph {module_hash} hashes to {space.graph_hash(arch)}")
    return arch


def _parse_run(
    where: Path, data: Any
) -> tuple[list[int], dict[str, list[float]], list[float], int]:
    """(epochs > 0, metric -> values, runtime per epoch, trainable params) of one run."""
    if not isinstance(data, dict) or "evaluation_results" not in data:
        raise DataError(where, "missing key 'evaluation_results'")
    if "trainable_params" not in data:
        raise DataError(where, "missing key 'trainable_params'")
    entries = data["evaluation_results"]
    if not isinstance(entries, list) or not entries:
        raise DataError(where, "'evaluation_results' must be a non-empty list")
    epochs: list[int] = []
    values: dict[str, list[float]] = {name: [] for name in METRICS}
    runtime: list[float] = []
    last_epoch, last_time = 0.0, 0.0
    for index, entry in enumerate(entries):
        fields = ("epochs", "training_time", *_JSON_KEYS.values())
        number = {key: _finite(entry, key, where, index) for key in fields}
        epoch, time = number["epochs"], number["training_time"]
        if epoch != int(epoch) or epoch < 0:
            raise DataError(where, f"evaluation_results[{index}]: epochs {epoch} is not whole")
        if epoch == 0:
            continue
        if epoch <= last_epoch:
            raise DataError(where, f"evaluation_results[{index}]: epochs {epoch} out of order")
        if time <= last_time:
            raise DataError(
                where, f"evaluation_results[{index}]: training_time {time} does not increase"
            )
        epochs.append(int(epoch))
        runtime.append((time - last_time) / (epoch - last_epoch))
        for name, key in _JSON_KEYS.items():
            values[name].append(number[key])
        last_epoch, last_time = epoch, time
    if not epochs:
        raise DataError(where, "no evaluation after the start of training")
    return epochs, values, runtime, int(data["trainable_params"])


def _finite(entry: Any, key: str, where: Path, index: int) -> float:
    if not isinstance(entry, dict) or key not in entry:
        raise DataError(where, f"evaluation_results[{index}] is missing key {key!r}")
    try:
        value = float(entry[key])
    except (TypeError, ValueError):
        raise DataError(where, f"evaluation_results[{index}][{key!r}] is not a number") from None
    if not math.isfinite(value):
        raise DataError(where, f"evaluation_results[{index}][{key!r}] is {value}")
    return value


# --- nasbench_full.tfrecord ------------------------------------------------------------------


def load_nb101_tabular(path: PathLike) -> CurveDataset:
    """The official NAS-Bench-101 tabular file as a :class:`CurveDataset`.

    Each TFRecord holds JSON ``[module_hash, epochs, adjacency, ops, metrics]`` where
    ``metrics`` is a base64 ``ModelMetrics`` protobuf. The final (last) evaluation of each
    record gives its values. One row per (hash, repeat), ``groups`` one id per hash, columns
    the epoch budgets in the file (4, 12, 36, 108 for ``nasbench_full``; 108 for
    ``nasbench_only108``).

    Note: each column comes from a *separate* training run of that many epochs (its own
    learning-rate schedule), so a row is not one run's learning curve; repeat ``r`` of a
    row is the ``r``-th record of that hash at each budget, in file order. ``runtime`` is
    the run's final ``training_time`` divided by its epochs. ``extras`` holds
    ``trainable_params``. Both CRC32C checksums of every record are verified.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file not found")
    space = NB101Space()
    hash_index: dict[str, int] = {}
    archs: list[NB101Arch] = []
    params: list[int] = []
    record_hash, record_epochs = array("q"), array("q")
    values = {name: array("d") for name in (*METRICS, "time")}
    for index, payload in enumerate(_iter_tfrecord(path)):
        module_hash, epochs, adjacency, ops, metrics = _parse_row(payload, path, index)
        final, trainable = _final_evaluation(metrics, path, index)
        if module_hash not in hash_index:
            hash_index[module_hash] = len(archs)
            archs.append(_row_arch(space, module_hash, adjacency, ops, path, index))
            params.append(trainable)
        record_hash.append(hash_index[module_hash])
        record_epochs.append(epochs)
        for name, value in zip(values, final, strict=True):
            values[name].append(value)
    if not archs:
        raise DataError(path, "no records")
    columns = {name: np.frombuffer(column, dtype=np.float64) for name, column in values.items()}
    return _tabular_dataset(
        space,
        path,
        archs,
        params,
        np.frombuffer(record_hash, dtype=np.int64),
        np.frombuffer(record_epochs, dtype=np.int64),
        columns,
    )


def _tabular_dataset(
    space: NB101Space,
    path: Path,
    archs: list[NB101Arch],
    params: list[int],
    record_hash: np.ndarray,
    record_epochs: np.ndarray,
    values: dict[str, np.ndarray],
) -> CurveDataset:
    """Arrange records into one row per (hash, repeat) and one column per epoch budget."""
    budgets, column = np.unique(record_epochs, return_inverse=True)
    key = record_hash * len(budgets) + column
    counts = np.bincount(key, minlength=len(archs) * len(budgets)).reshape(len(archs), -1)
    uneven = np.flatnonzero((counts != counts[:, :1]).any(axis=1))
    if len(uneven):
        bad = int(uneven[0])
        raise DataError(
            path,
            f"architecture {space.graph_hash(archs[bad])} has {counts[bad].tolist()} records "
            f"at epochs {budgets.tolist()}; every budget needs the same number of repeats",
        )
    repeats = counts[:, 0]
    first_row = np.concatenate([[0], np.cumsum(repeats)[:-1]])
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.searchsorted(sorted_key, sorted_key, side="left")
    repeat = np.empty_like(key)
    repeat[order] = np.arange(len(key)) - starts
    row = first_row[record_hash] + repeat
    shape = (int(repeats.sum()), len(budgets))

    def grid(column_values: np.ndarray) -> np.ndarray:
        out = np.empty(shape)
        out[row, column] = column_values
        return out

    groups = np.repeat(np.arange(len(archs)), repeats)
    return CurveDataset(
        space=space,
        archs=[archs[g] for g in groups],
        epochs=budgets,
        curves={name: grid(values[name]) for name in METRICS},
        metrics=dict(METRICS),
        provenance=Provenance(
            source="NAS-Bench-101 tabular data (nasbench tfrecord)",
            licence="Apache-2.0",
            attribution="Ying et al. 2019, NAS-Bench-101, github.com/google-research/nasbench",
            path=str(path),
        ),
        runtime=grid(values["time"]) / budgets[None, :],
        groups=groups,
        extras={"trainable_params": np.asarray(params, dtype=np.int64)[groups]},
    )


def _parse_row(payload: bytes, path: Path, index: int) -> tuple[str, int, str, str, bytes]:
    try:
        row = json.loads(payload)
        module_hash, epochs, adjacency, ops, metrics = row
        if not (isinstance(module_hash, str) and isinstance(adjacency, str)):
            raise TypeError("hash and adjacency must be strings")
        if not isinstance(ops, str) or not isinstance(epochs, int) or epochs <= 0:
            raise TypeError("ops must be a string and epochs a positive integer")
        return module_hash, epochs, adjacency, ops, base64.b64decode(metrics, validate=True)
    except (UnicodeDecodeError, ValueError, TypeError, binascii.Error) as error:
        raise DataError(
            path, f"record {index}: not a [hash, epochs, adjacency, ops, metrics] row ({error})"
        ) from None


def _row_arch(
    space: NB101Space, module_hash: str, adjacency: str, ops: str, path: Path, index: int
) -> NB101Arch:
    size = math.isqrt(len(adjacency))
    try:
        if size * size != len(adjacency) or set(adjacency) - {"0", "1"}:
            raise ValueError(f"adjacency {adjacency!r} is not a square 0/1 matrix")
        bits = [int(bit) for bit in adjacency]
        arch = space.from_spec(
            [bits[i : i + size] for i in range(0, len(bits), size)], ops.split(",")
        )
    except (ValueError, InvalidArchitectureError) as error:
        raise DataError(path, f"record {index}: invalid cell for {module_hash} ({error})") from None
    if space.graph_hash(arch) != module_hash:
        raise DataError(
            path, f"record {index}: cell hashes to {space.graph_hash(arch)}, not {module_hash}"
        )
    return arch


# ModelMetrics: evaluation_data = 1 (message), trainable_parameters = 2 (int32), total_time = 3.
# EvaluationData: current_epoch 1, training_time 2, train/validation/test_accuracy 3/4/5
# (doubles), checkpoint_path 6 (string).
_FINAL_FIELDS = {
    3: "train_accuracy",
    4: "validation_accuracy",
    5: "test_accuracy",
    2: "training_time",
}


def _final_evaluation(metrics: bytes, path: Path, index: int) -> tuple[tuple[float, ...], int]:
    """(train, validation, test accuracy, training time) of the last evaluation; params."""
    try:
        evaluations: list[bytes] = []
        trainable = 0
        for number, wire, value in _proto_fields(metrics):
            if number == 1 and wire == 2:
                evaluations.append(value)
            elif number == 2 and wire == 0:
                trainable = value
        if not evaluations:
            raise ValueError("no evaluation_data")
        final: dict[str, float] = {}
        for number, wire, value in _proto_fields(evaluations[-1]):
            if number in _FINAL_FIELDS and wire == 1:
                final[_FINAL_FIELDS[number]] = struct.unpack("<d", value)[0]
    except (ValueError, IndexError, struct.error) as error:
        raise DataError(path, f"record {index}: malformed ModelMetrics ({error})") from None
    missing = [name for name in _FINAL_FIELDS.values() if name not in final]
    if missing:
        raise DataError(path, f"record {index}: final evaluation lacks {', '.join(missing)}")
    bad = [f"{name}={value}" for name, value in final.items() if not math.isfinite(value)]
    if bad:
        raise DataError(path, f"record {index}: non-finite {', '.join(bad)}")
    ordered = [final[_JSON_KEYS[name]] for name in METRICS]
    return (*ordered, final["training_time"]), int(trainable)


def _proto_fields(buffer: bytes) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) of a protobuf message: ints, or raw bytes."""
    position = 0
    while position < len(buffer):
        tag, position = _varint(buffer, position)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, position = _varint(buffer, position)
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            value, position = buffer[position : position + width], position + width
        elif wire == 2:
            length, position = _varint(buffer, position)
            value, position = buffer[position : position + length], position + length
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if position > len(buffer):
            raise ValueError("field runs past the end of the message")
        yield number, wire, value


def _varint(buffer: bytes, position: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buffer[position]
        result |= (byte & 0x7F) << shift
        position += 1
        if byte < 0x80:
            return result, position
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")


# --- TFRecord framing ------------------------------------------------------------------------


def _make_crc_table() -> np.ndarray:
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return np.array(table, dtype=np.uint32)


_CRC_TABLE = _make_crc_table()
_BATCH = 4096


def masked_crc32c(chunks: list[bytes]) -> np.ndarray:
    """TFRecord's masked CRC32C of each byte string, computed for all of them at once."""
    lengths = np.fromiter(map(len, chunks), dtype=np.int64, count=len(chunks))
    order = np.argsort(-lengths, kind="stable")
    lengths = lengths[order]
    flat = np.frombuffer(b"".join(chunks[i] for i in order), dtype=np.uint8)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    grid = np.zeros((len(chunks), int(lengths.max(initial=0))), dtype=np.uint32)
    rows = np.repeat(np.arange(len(chunks)), lengths)
    grid[rows, np.arange(len(flat)) - np.repeat(starts, lengths)] = flat
    active = np.searchsorted(-lengths, -np.arange(grid.shape[1]), side="left")
    crc = np.full(len(chunks), 0xFFFFFFFF, dtype=np.uint32)
    for j, k in enumerate(active):
        part = crc[:k]
        crc[:k] = _CRC_TABLE[(part ^ grid[:k, j]) & 0xFF] ^ (part >> np.uint32(8))
    crc ^= np.uint32(0xFFFFFFFF)
    masked = ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(0xA282EAD8)
    out = np.empty_like(masked)
    out[order] = masked
    return out


def _iter_tfrecord(path: Path) -> Iterator[bytes]:
    """Record payloads of a TFRecord file, checking lengths and both checksums."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        index = 0
        while True:
            batch: list[tuple[int, bytes, bytes, int, int]] = []
            while len(batch) < _BATCH:
                header = handle.read(12)
                if not header:
                    break
                if len(header) < 12:
                    raise DataError(path, f"record {index}: truncated header")
                length, length_crc = struct.unpack("<QI", header)
                if handle.tell() + length + 4 > size:
                    if masked_crc32c([header[:8]])[0] != length_crc:
                        raise DataError(path, f"record {index}: length checksum mismatch")
                    raise DataError(path, f"record {index}: truncated (needs {length} bytes)")
                payload = handle.read(length)
                (data_crc,) = struct.unpack("<I", handle.read(4))
                batch.append((index, header[:8], payload, length_crc, data_crc))
                index += 1
            if not batch:
                return
            _check_crcs(path, batch)
            yield from (payload for _, _, payload, _, _ in batch)


def _check_crcs(path: Path, batch: list[tuple[int, bytes, bytes, int, int]]) -> None:
    for position, what in ((1, "length"), (2, "data")):
        expected = np.array([item[position + 2] for item in batch], dtype=np.uint32)
        bad = np.flatnonzero(masked_crc32c([item[position] for item in batch]) != expected)
        if len(bad):
            raise DataError(path, f"record {batch[bad[0]][0]}: {what} checksum mismatch")
