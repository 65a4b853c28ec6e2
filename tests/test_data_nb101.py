"""NB101 loaders: results.json runs (folder, tar, real EC-NAS-Bench data) and the tfrecord file.

The tfrecord fixture is written by the test-only writer below, which follows the published
format independently of the loader: TFRecord framing (uint64 length, masked CRC32C of the
length, data, masked CRC32C of the data) around JSON rows ``[hash, epochs, adjacency, ops,
base64 ModelMetrics]``. Its values are made up; it is a format fixture, not data.
"""

from __future__ import annotations

import base64
import io
import json
import math
import shutil
import struct
import tarfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from nasx11_env.data.dataset import Provenance
from nasx11_env.data.nb101 import load_nb101_results, load_nb101_tabular, masked_crc32c
from nasx11_env.errors import DataError
from nasx11_env.spaces.nb101 import NB101Space, ops_from_labels

SPACE = NB101Space()
EC_NAS = "ec-nas-bench-nb101/results_4V9E.tar.gz"
CELLS = {  # hash -> (adjacency, op names), graphs from NAS-Bench-101's generator
    "d32d0b26d534203b48d866facd98cc3e": (
        [[0, 1, 1], [0, 0, 1], [0, 0, 0]],
        ["input", "conv3x3-bn-relu", "output"],
    ),
    "001a6fcc8b38cbc515be788a86bdc804": (
        [[0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]],
        ["input", "maxpool3x3", "maxpool3x3", "output"],
    ),
}
CELLS_LABELS = [  # the same two cells as generated_graphs*.json stores them
    ([[0, 1, 1], [0, 0, 1], [0, 0, 0]], [-1, 0, -2]),
    ([[0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]], [-1, 2, 2, -2]),
]
BUDGETS = (4, 12, 36, 108)


# --- a test-only writer of the official tabular format ---------------------------------------


def crc32c_bitwise(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def pb_double(field: int, value: float) -> bytes:
    return varint(field << 3 | 1) + struct.pack("<d", value)


def pb_bytes(field: int, payload: bytes) -> bytes:
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def evaluation(epoch: float, time: float, train: float, val: float, test: float) -> bytes:
    return (
        pb_double(1, epoch)
        + pb_double(2, time)
        + pb_double(3, train)
        + pb_double(4, val)
        + pb_double(5, test)
        + pb_bytes(6, f"/ckpt/model.ckpt-{int(epoch * 100)}".encode())
    )


def model_metrics(evaluations: list[bytes], params: int, total_time: float) -> bytes:
    body = b"".join(pb_bytes(1, e) for e in evaluations)
    return body + varint(2 << 3 | 0) + varint(params) + pb_double(3, total_time)


def row(module_hash: str, epochs: int, metrics: bytes, cell: tuple[list, list]) -> bytes:
    matrix, ops = cell
    adjacency = "".join(str(bit) for line in matrix for bit in line)
    encoded = base64.b64encode(metrics).decode()
    return json.dumps([module_hash, epochs, adjacency, ",".join(ops), encoded]).encode()


def frame(payloads: list[bytes]) -> bytes:
    out = bytearray()
    for payload in payloads:
        length = struct.pack("<Q", len(payload))
        out += length + struct.pack("<I", masked(crc32c_bitwise(length)))
        out += payload + struct.pack("<I", masked(crc32c_bitwise(payload)))
    return bytes(out)


def fixture_value(cell: int, budget: int, repeat: int) -> tuple[float, float, float, float]:
    """Made-up (train, val, test, training_time) of the fixture's final evaluations."""
    val = 0.5 + 0.1 * BUDGETS.index(budget) + 0.01 * repeat + 0.001 * cell
    return val + 0.05, val, val - 0.01, budget * (10.0 + cell) + repeat


def fixture_rows(budgets: tuple[int, ...] = BUDGETS, final: dict | None = None) -> list[bytes]:
    """Records interleaved repeat-major, as a loader must not assume any order."""
    payloads = []
    for repeat in range(3):
        for budget in budgets:
            for cell, (module_hash, spec) in enumerate(CELLS.items()):
                train, val, test, time = fixture_value(cell, budget, repeat)
                evaluations = [
                    evaluation(0.0, 0.0, 0.1, 0.1, 0.1),
                    evaluation(budget / 2, time / 2, train / 2, val / 2, test / 2),
                    (final or {}).get((cell, budget, repeat))
                    or evaluation(float(budget), time, train, val, test),
                ]
                metrics = model_metrics(evaluations, 1000 * (cell + 1), time + 7.0)
                payloads.append(row(module_hash, budget, metrics, spec))
    return payloads


def write(tmp_path: Path, data: bytes, name: str = "nasbench.tfrecord") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- tfrecord reader ------------------------------------------------------------------------


def test_masked_crc32c_matches_the_standard_check_value() -> None:
    assert masked(0xE3069283) == int(masked_crc32c([b"123456789"])[0])
    chunks = [b"", b"a", b"123456789", bytes(range(256)) * 3]
    assert masked_crc32c(chunks).tolist() == [masked(crc32c_bitwise(c)) for c in chunks]


def test_committed_fixture_is_what_the_writer_produces(fixtures_dir: Path) -> None:
    committed = (fixtures_dir / "nb101" / "nasbench_fixture.tfrecord").read_bytes()
    assert committed == frame(fixture_rows())


def test_tabular_fixture_loads(fixtures_dir: Path) -> None:
    data = load_nb101_tabular(fixtures_dir / "nb101" / "nasbench_fixture.tfrecord")
    assert data.epochs.tolist() == list(BUDGETS)
    assert len(data) == 6 and data.groups.tolist() == [0, 0, 0, 1, 1, 1]
    assert [SPACE.graph_hash(a) for a in data.archs[::3]] == list(CELLS)
    assert data.metrics["val_acc"].unit == "fraction"
    for cell in range(2):
        for repeat in range(3):
            expected = np.array([fixture_value(cell, b, repeat) for b in BUDGETS])
            got = 3 * cell + repeat
            np.testing.assert_allclose(data.curves["train_acc"][got], expected[:, 0])
            np.testing.assert_allclose(data.curves["val_acc"][got], expected[:, 1])
            np.testing.assert_allclose(data.curves["test_acc"][got], expected[:, 2])
            np.testing.assert_allclose(data.runtime[got], expected[:, 3] / np.array(BUDGETS))
    assert data.extras["trainable_params"].tolist() == [1000] * 3 + [2000] * 3
    assert "Apache-2.0" in data.provenance.licence


def test_only108_file_gives_one_column(tmp_path: Path) -> None:
    data = load_nb101_tabular(write(tmp_path, frame(fixture_rows(budgets=(108,)))))
    assert data.epochs.tolist() == [108] and data.curves["val_acc"].shape == (6, 1)


@pytest.mark.parametrize("cut", [5, 12, 40, -3])
def test_truncated_tfrecord_is_named(tmp_path: Path, cut: int) -> None:
    data = frame(fixture_rows())
    path = write(tmp_path, data[:cut] if cut > 0 else data[:cut])
    with pytest.raises(DataError, match=r"nasbench\.tfrecord: record \d+: truncated"):
        load_nb101_tabular(path)


def test_corrupt_checksums_are_detected(tmp_path: Path) -> None:
    data = bytearray(frame(fixture_rows()))
    first_length = struct.unpack("<Q", data[:8])[0]
    data_crc_at = 12 + first_length
    data[data_crc_at] ^= 0xFF
    path = write(tmp_path, bytes(data))
    with pytest.raises(DataError, match="record 0: data checksum mismatch"):
        load_nb101_tabular(path)
    data[data_crc_at] ^= 0xFF
    data[8] ^= 0x01  # the length's checksum
    with pytest.raises(DataError, match="record 0: length checksum mismatch"):
        load_nb101_tabular(write(tmp_path, bytes(data)))


def test_nan_and_missing_fields_name_the_record(tmp_path: Path) -> None:
    nan = {(1, 36, 0): evaluation(36.0, 1.0, 0.5, math.nan, 0.5)}
    with pytest.raises(DataError, match=r"record \d+: non-finite validation_accuracy=nan"):
        load_nb101_tabular(write(tmp_path, frame(fixture_rows(final=nan))))
    no_test = {(0, 4, 2): pb_double(1, 4.0) + pb_double(2, 9.0) + pb_double(3, 0.5)}
    with pytest.raises(DataError, match=r"final evaluation lacks validation_accuracy"):
        load_nb101_tabular(write(tmp_path, frame(fixture_rows(final=no_test))))


def test_bad_rows_are_named(tmp_path: Path) -> None:
    rows = fixture_rows()
    with pytest.raises(DataError, match="record 0: not a"):
        load_nb101_tabular(write(tmp_path, frame([b"not json", *rows])))
    wrong_hash = json.loads(rows[0])
    wrong_hash[0] = "0" * 32
    with pytest.raises(DataError, match="record 0: cell hashes to d32d0b26"):
        load_nb101_tabular(write(tmp_path, frame([json.dumps(wrong_hash).encode()])))
    uneven = r"d32d0b26\w+ has \[3, 3, 3, 2\] records at epochs \[4, 12, 36, 108\]"
    with pytest.raises(DataError, match=uneven):
        load_nb101_tabular(write(tmp_path, frame(rows[:-2])))
    with pytest.raises(DataError, match="no records"):
        load_nb101_tabular(write(tmp_path, b""))
    with pytest.raises(DataError, match="file not found"):
        load_nb101_tabular(tmp_path / "absent.tfrecord")


# --- results.json runs ----------------------------------------------------------------------


def runs_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "nb101" / "runs"


def tar_of(folder: Path, target: Path, mode: str = "w:gz") -> Path:
    with tarfile.open(target, mode) as archive:
        archive.add(folder, arcname="results")
    return target


def test_results_fixture_folder_loads(fixtures_dir: Path) -> None:
    data = load_nb101_results(runs_dir(fixtures_dir))
    assert data.epochs.tolist() == [2, 4]  # the epoch-0 evaluation is dropped
    assert len(data) == 4 and data.groups.tolist() == [0, 0, 1, 1]
    hashes = [SPACE.graph_hash(a) for a in data.archs]
    assert hashes == [h for h in sorted(CELLS) for _ in range(2)]
    # 001a6fcc repeat 1: val 0.25 / 0.45; time 10 s over epochs 1-2, 20 s over epochs 3-4.
    np.testing.assert_allclose(data.curves["val_acc"][0], [0.25, 0.45])
    np.testing.assert_allclose(data.curves["train_acc"][1], [0.32, 0.52])
    np.testing.assert_allclose(data.runtime[0], [5.0, 10.0])
    assert data.extras["trainable_params"].tolist() == [2000, 2000, 1000, 1000]
    assert data.provenance.licence == "MIT"
    other = Provenance("NB111 runs", "unknown", "x11 authors")
    assert load_nb101_results(runs_dir(fixtures_dir), provenance=other).provenance == other


def test_results_tar_equals_folder(fixtures_dir: Path, tmp_path: Path) -> None:
    folder = load_nb101_results(runs_dir(fixtures_dir))
    for mode, name in (("w:gz", "runs.tar.gz"), ("w", "runs.tar")):
        packed = load_nb101_results(tar_of(runs_dir(fixtures_dir), tmp_path / name, mode))
        assert packed.archs == folder.archs
        for metric in folder.curves:
            np.testing.assert_array_equal(packed.curves[metric], folder.curves[metric])


def test_truncated_tar_is_a_data_error(fixtures_dir: Path, tmp_path: Path) -> None:
    for mode, name in (("w:gz", "runs.tar.gz"), ("w", "runs.tar")):
        whole = tar_of(runs_dir(fixtures_dir), tmp_path / name, mode).read_bytes()
        cut = write(tmp_path, whole[: len(whole) // 2], "cut-" + name)
        with pytest.raises(DataError, match=r"cut-runs\.tar(\.gz)?: .*(truncated|corrupt)"):
            load_nb101_results(cut)


def broken_copy(
    fixtures_dir: Path, tmp_path: Path, edit: Callable[[dict], object]
) -> tuple[Path, Path]:
    folder = tmp_path / "runs"
    shutil.copytree(runs_dir(fixtures_dir), folder)
    member = next(folder.rglob("repeat_2/results.json"))
    content = json.loads(member.read_text())
    edit(content)
    member.write_text(json.dumps(content))
    return folder, member


def test_missing_key_names_the_member(fixtures_dir: Path, tmp_path: Path) -> None:
    folder, member = broken_copy(
        fixtures_dir, tmp_path, lambda c: c["evaluation_results"][1].pop("validation_accuracy")
    )
    relative = member.relative_to(folder).as_posix()
    with pytest.raises(DataError, match=f"{relative}: .*missing key 'validation_accuracy'"):
        load_nb101_results(folder)
    with pytest.raises(DataError, match=f"{relative}: .*missing key 'validation_accuracy'"):
        load_nb101_results(tar_of(folder, tmp_path / "broken.tar.gz"))


def test_nan_names_the_member(fixtures_dir: Path, tmp_path: Path) -> None:
    def poison(content: dict) -> None:
        content["evaluation_results"][2]["test_accuracy"] = math.nan

    folder, member = broken_copy(fixtures_dir, tmp_path, poison)
    with pytest.raises(DataError, match=r"repeat_2/results\.json: .*\['test_accuracy'\] is nan"):
        load_nb101_results(folder)


def test_unknown_hash_and_graph_override(fixtures_dir: Path, tmp_path: Path) -> None:
    graphs = tmp_path / "graphs.json"
    graphs.write_text(json.dumps({"d32d0b26d534203b48d866facd98cc3e": [*CELLS_LABELS[0]]}))
    with pytest.raises(DataError, match="001a6fcc8b38cbc515be788a86bdc804 is in no generated"):
        load_nb101_results(runs_dir(fixtures_dir), graphs=graphs)
    swapped = {h: CELLS_LABELS[1 - i] for i, h in enumerate(CELLS)}
    graphs.write_text(json.dumps(swapped))
    with pytest.raises(DataError, match="graphs.json: graph .* hashes to"):
        load_nb101_results(runs_dir(fixtures_dir), graphs=graphs)


def test_empty_or_absent_inputs(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no <hash>/repeat_<N>/results.json"):
        load_nb101_results(tmp_path)
    with pytest.raises(DataError, match="file not found"):
        load_nb101_results(tmp_path / "absent.tar.gz")


# --- the real EC-NAS-Bench archive ----------------------------------------------------------


@pytest.fixture(scope="module")
def ec_nas(data_root: Path) -> Path:
    path = data_root / EC_NAS
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


@pytest.mark.data
def test_real_ec_nas_results(ec_nas: Path) -> None:
    data = load_nb101_results(ec_nas)
    assert len(data) == 273 and len(np.unique(data.groups)) == 91
    assert np.bincount(data.groups).tolist() == [3] * 91
    assert data.epochs.tolist() == [1, 4]
    for values in data.curves.values():
        assert np.isfinite(values).all() and (values >= 0).all() and (values <= 1).all()
    assert data.curves["val_acc"][:, -1].max() > 0.6  # 4 epochs of CIFAR-10 training
    assert np.isfinite(data.runtime).all() and (data.runtime > 0).all()
    assert (data.extras["trainable_params"] > 0).all()
    assert max(a.n_vertices for a in data.archs) == 4


@pytest.mark.data
def test_real_graphs_are_every_cell_with_up_to_four_vertices(ec_nas: Path) -> None:
    with tarfile.open(ec_nas) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("_4V9E.json"))
        graphs = json.load(io.TextIOWrapper(archive.extractfile(member)))
    ours = {
        SPACE.graph_hash(SPACE.from_spec(matrix, ops_from_labels(labels)))
        for matrix, labels in graphs.values()
    }
    assert ours == set(graphs) and len(ours) == 91
