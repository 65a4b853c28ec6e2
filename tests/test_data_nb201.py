"""NB201-space loaders: SpikeNAS curves, NB201 final accuracies, NATS-Bench simple folders."""

from __future__ import annotations

import bz2
import importlib.util
import pickle
import shutil
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from nasx11_env.data.nb201 import (
    NB201_FINAL_DATASETS,
    NB201_FINAL_DIR,
    SPIKENAS_FILE,
    load_nats_tss,
    load_nb201_final,
    load_spikenas_curves,
    restricted_load,
)
from nasx11_env.errors import DataError
from nasx11_env.spaces.nb201 import EDGES, NB201Arch, NB201Space

SPACE = NB201Space()


def connected(arch: NB201Arch) -> bool:
    """Whether node 3 is reachable from node 0 through edges that are not 'none'."""
    reached = {0}
    for j in (1, 2, 3):
        if any(i in reached and arch.ops[k] != 0 for k, (i, jj) in enumerate(EDGES) if jj == j):
            reached.add(j)
    return 3 in reached


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def spike100(data_root: Path):
    return load_spikenas_curves(data_root / SPIKENAS_FILE, schedule=100)


@pytest.fixture(scope="module")
def spike200(data_root: Path):
    return load_spikenas_curves(data_root / SPIKENAS_FILE, schedule=200)


@pytest.fixture(scope="module")
def final_c10(data_root: Path):
    return load_nb201_final(data_root / NB201_FINAL_DIR, "cifar10")


@pytest.mark.data
def test_spikenas_counts_and_shapes(spike100, spike200) -> None:
    assert (len(spike100), spike100.n_epochs) == (14935, 100)
    assert (len(spike200), spike200.n_epochs) == (690, 200)
    assert spike100.epochs[0] == 1 and spike100.epochs[-1] == 100
    for data in (spike100, spike200):
        assert set(data.curves) == {"train_acc", "val_acc", "train_loss", "val_loss"}
        assert data.metrics["val_acc"].unit == "%"
        assert "evaluation only" in data.provenance.licence
        assert set(data.extras) >= {"test_acc", "params", "elapsed_seconds", "arch_id"}


@pytest.mark.data
def test_spikenas_schedules_partition_the_space(spike100, spike200) -> None:
    ids100, ids200 = set(spike100.groups.tolist()), set(spike200.groups.tolist())
    assert not ids100 & ids200
    assert ids100 | ids200 == set(range(15625))


@pytest.mark.data
def test_spikenas_arch_id_is_space_index(spike100, spike200) -> None:
    for data in (spike100, spike200):
        assert [SPACE.index(a) for a in data.archs] == data.extras["arch_id"].tolist()


@pytest.mark.data
def test_spikenas_values(spike100, spike200) -> None:
    for data in (spike100, spike200):
        for name in ("train_acc", "val_acc"):
            assert 0 <= data.curves[name].min() and data.curves[name].max() <= 100
        assert data.curves["val_loss"].min() > 0
        assert (data.runtime > 0).all()
        assert np.allclose(data.runtime[:, 0] * data.n_epochs, data.extras["elapsed_seconds"])
        assert np.all(data.runtime == data.runtime[:, :1])
    assert 85 < spike100.curves["val_acc"][:, -1].max() < 90


@pytest.mark.data
def test_spikenas_edge_order_from_disconnected_cells(spike100) -> None:
    # Read in README edge order, exactly the cut-off cells stay at chance level.
    final = spike100.curves["val_acc"][:, -1]
    cut = np.array([not connected(a) for a in spike100.archs])
    assert cut.sum() == 341
    assert final[cut].max() < 11 and final[~cut].min() > 50


@pytest.mark.data
def test_nb201_final_all_datasets(data_root: Path) -> None:
    for dataset in NB201_FINAL_DATASETS:
        final = load_nb201_final(data_root / NB201_FINAL_DIR, dataset)
        assert len(final) == 15625
        assert final.val_acc.shape == final.train_time.shape == (15625, 3)
        counts = np.bincount(final.n_seeds)
        assert (counts[2], counts[3]) == (7456, 8169)
        assert final.archs == SPACE.all_archs()
        assert np.nanmin(final.train_time) > 0 and np.nanmin(final.latency) > 0
        assert 0 < np.nanmin(final.val_acc) and np.nanmax(final.val_acc) <= 100
        assert "MIT" in final.provenance.licence


@pytest.mark.data
def test_nb201_final_optima_match_nats_bench(data_root: Path) -> None:
    # NATS-Bench validation optima after 200 epochs: 91.61 (cifar10-valid), 73.49 (cifar100).
    best = {}
    for dataset in ("cifar10", "cifar100"):
        best[dataset] = load_nb201_final(data_root / NB201_FINAL_DIR, dataset).mean_val_acc.max()
    assert best["cifar10"] == pytest.approx(91.61, abs=0.01)
    assert best["cifar100"] == pytest.approx(73.49, abs=0.01)


@pytest.mark.data
def test_nb201_final_key_order_from_disconnected_cells(final_c10) -> None:
    cut = np.array([not connected(a) for a in final_c10.archs])
    assert final_c10.mean_val_acc[cut].max() < 10.5
    assert final_c10.mean_val_acc[~cut].min() > 30


@pytest.mark.data
def test_index_mapping_agrees_between_sources(spike100, spike200, final_c10) -> None:
    # The same cells sit at chance level in both benchmarks once both are mapped to NB201Arch.
    spike_cut = {
        a
        for data in (spike100, spike200)
        for a, acc in zip(data.archs, data.curves["val_acc"][:, -1], strict=True)
        if acc < 11
    }
    final_cut = {
        a for a, acc in zip(final_c10.archs, final_c10.mean_val_acc, strict=True) if acc < 11
    }
    assert spike_cut == final_cut and len(final_cut) == 341
    rows = [SPACE.index(a) for a in spike100.archs[:50]]
    assert [final_c10.archs[r] for r in rows] == spike100.archs[:50]


@pytest.mark.data
def test_nb201_final_curve_view(final_c10) -> None:
    view = final_c10.curve_dataset()
    assert len(view) == 8169 * 3 + 7456 * 2
    assert view.epochs.tolist() == [200]
    assert len(np.unique(view.groups)) == 15625
    first = np.flatnonzero(view.groups == 0)
    assert np.allclose(view.curves["val_acc"][first, 0], final_c10.val_acc[0, : len(first)])
    assert np.allclose(
        view.runtime[:, 0] * 200, final_c10.train_time[view.groups, view.extras["seed_slot"]]
    )
    assert all(view.archs[i] == final_c10.archs[g] for i, g in enumerate(view.groups[:100]))


# --------------------------------------------------------------------------- broken inputs


def _write_spike_npz(path: Path, **changes: np.ndarray) -> Path:
    """A 2-run npz in the curves.npz layout (test values, not SpikeNAS data)."""
    ops = np.array([[1, 2, 3, 4, 0, 1], [0, 0, 0, 0, 0, 0]], dtype=np.int8)
    curve = np.tile(np.linspace(10, 80, 100, dtype=np.float32), (2, 1))
    arrays = {
        "arch_id": (ops.astype(int) @ 5 ** np.arange(6)).astype(np.int32),
        "ops": ops,
        "train_acc": curve,
        "val_acc": curve,
        "train_loss": 3 - curve / 40,
        "val_loss": 3 - curve / 40,
        "test_acc": np.array([80.0, 10.0], dtype=np.float32),
        "params": np.array([100, 50]),
        "elapsed_seconds": np.array([2000.0, 1000.0], dtype=np.float32),
    }
    arrays.update(changes)
    np.savez(path, **arrays)
    return path


def test_spikenas_small_file_loads(tmp_path: Path) -> None:
    data = load_spikenas_curves(_write_spike_npz(tmp_path / "c.npz"))
    assert len(data) == 2 and data.runtime[0, 0] == pytest.approx(20.0)
    assert data.archs[0].ops == (1, 2, 3, 4, 0, 1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"val_acc": np.full((2, 100), np.nan, dtype=np.float32)}, "val_acc"),
        ({"train_loss": np.zeros((2, 99))}, "train_loss"),
        ({"arch_id": np.array([1, 2])}, "arch_id"),
        ({"ops": np.full((2, 6), 5, dtype=np.int8)}, "ops"),
        ({"test_acc": np.array([180.0, 10.0])}, "test_acc"),
    ],
)
def test_spikenas_bad_arrays(tmp_path: Path, changes: dict, message: str) -> None:
    path = _write_spike_npz(tmp_path / "c.npz", **changes)
    with pytest.raises(DataError, match=message) as error:
        load_spikenas_curves(path)
    assert str(path) in str(error.value)


def test_spikenas_missing_truncated_and_schedule(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="missing arrays: arch_id_200"):
        load_spikenas_curves(_write_spike_npz(tmp_path / "c.npz"), schedule=200)
    with pytest.raises(DataError, match="not found"):
        load_spikenas_curves(tmp_path / "absent.npz")
    full = _write_spike_npz(tmp_path / "full.npz").read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(full[: len(full) // 2])
    with pytest.raises(DataError, match="cut.npz"):
        load_spikenas_curves(cut)
    with pytest.raises(ValueError, match="schedule"):
        load_spikenas_curves(cut, schedule=150)


class _Boom:
    """A class a safe loader must never construct."""

    def __reduce__(self):
        return (shutil.rmtree, ("/nonexistent-nasx11-test",))


def test_restricted_unpickler_refuses_classes(tmp_path: Path) -> None:
    payload = pickle.dumps({"000000": _Boom()})
    with pytest.raises(DataError, match="shutil.rmtree"):
        restricted_load(payload, tmp_path / "x.pkl")
    assert restricted_load(pickle.dumps({"a": [1.5, (2, "b")]}), "x") == {"a": [1.5, (2, "b")]}
    with pytest.raises(DataError, match="truncated"):
        restricted_load(pickle.dumps({"a": 1})[:-3], "x")


def test_nb201_final_bad_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="dataset"):
        load_nb201_final(tmp_path, "svhn")
    with pytest.raises(DataError, match="not found"):
        load_nb201_final(tmp_path, "cifar10")
    (tmp_path / "cifar10.pkl").write_bytes(pickle.dumps({"000000": _Boom()}))
    with pytest.raises(DataError, match="not a plain-data pickle"):
        load_nb201_final(tmp_path, "cifar10")
    record = {"val_acc": [10.0, 10.0], "train_time": [1.0] * 2, "latency": [1.0] * 2}
    (tmp_path / "cifar10.pkl").write_bytes(pickle.dumps({"000000": record}))
    with pytest.raises(DataError, match="expected 15625 cells"):
        load_nb201_final(tmp_path, "cifar10")
    table = {SPACE.to_key(a): dict(record, model_size=[1.0, 1.0]) for a in SPACE.all_archs()}
    table["000000"] = record
    (tmp_path / "cifar10.pkl").write_bytes(pickle.dumps(table))
    with pytest.raises(DataError, match="no field 'model_size'"):
        load_nb201_final(tmp_path, "cifar10")
    table["000000"] = dict(record, model_size=[1.0, float("nan")])
    (tmp_path / "cifar10.pkl").write_bytes(pickle.dumps(table))
    with pytest.raises(DataError, match="NaN"):
        load_nb201_final(tmp_path, "cifar10")


# --------------------------------------------------------------------------- NATS-Bench fixture


@pytest.fixture(scope="module")
def nats_maker(fixtures_dir: Path) -> ModuleType:
    path = fixtures_dir / "nb201" / "make_nats_fixture.py"
    spec = importlib.util.spec_from_file_location("make_nats_fixture", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def nats_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "nb201" / "NATS-tss-v1_0-3ffb9-simple"


def test_nats_fixture_is_up_to_date(nats_maker: ModuleType, nats_dir: Path, tmp_path: Path) -> None:
    fresh = nats_maker.write_fixture(tmp_path)
    for file in sorted(nats_dir.glob("*.pbz2")):
        assert (fresh / file.name).read_bytes() == file.read_bytes(), file.name


def test_nats_loads_200_epoch_curves(nats_maker: ModuleType, nats_dir: Path) -> None:
    data = load_nats_tss(nats_dir)
    assert len(data) == 5 and data.n_epochs == 200
    assert data.groups.tolist() == [0, 0, 1, 1, 2]
    assert data.extras["seed"].tolist() == [777, 888, 777, 888, 777]
    assert data.archs[0] == SPACE.from_str(nats_maker.META_ARCHS[0])
    assert data.archs[4] == SPACE.from_index(0)
    raw = restricted_load(bz2.decompress((nats_dir / "000001.pickle.pbz2").read_bytes()), "x")
    run = raw["200"]["all_results"][("cifar10-valid", 888)]
    row = 3
    for epoch in (1, 17, 200):
        assert data.curves["val_acc"][row, epoch - 1] == run["eval_acc1es"][f"x-valid@{epoch - 1}"]
        assert data.curves["train_loss"][row, epoch - 1] == run["train_losses"][epoch - 1]
        assert data.runtime[row, epoch - 1] == run["train_times"][epoch - 1]
    assert data.extras["test_acc"][row] == run["eval_acc1es"]["ori-test@199"]
    assert data.extras["params"][row] == run["params"] and not data.excluded
    assert data.curves["val_acc"][4].max() == 10.0


def test_nats_other_settings(nats_dir: Path) -> None:
    short = load_nats_tss(nats_dir, hp="12")
    assert (len(short), short.n_epochs) == (3, 12)
    c100 = load_nats_tss(nats_dir, dataset="cifar100")
    assert len(c100) == 2 and [e.name for e in c100.excluded] == ["000002"]
    subset = load_nats_tss(nats_dir, indices=[1])
    assert subset.groups.tolist() == [1, 1]
    with pytest.raises(ValueError, match="cifar10-valid"):
        load_nats_tss(nats_dir, dataset="cifar10")
    with pytest.raises(DataError, match="no results for hp '90'"):
        load_nats_tss(nats_dir, hp="90")
    with pytest.raises(DataError, match="000007"):
        load_nats_tss(nats_dir, indices=[7])


def test_nats_broken_folders(nats_maker: ModuleType, tmp_path: Path) -> None:
    folder = nats_maker.write_fixture(tmp_path)
    file = folder / "000001.pickle.pbz2"
    good = file.read_bytes()
    file.write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match="000001"):
        load_nats_tss(folder)
    content = nats_maker.arch_file_content(1)
    del content["200"]["all_results"][("cifar10-valid", 777)]["eval_acc1es"]["x-valid@57"]
    nats_maker.dump(content, file)
    with pytest.raises(DataError, match="x-valid@57"):
        load_nats_tss(folder)
    content = nats_maker.arch_file_content(1)
    content["200"]["arch_str"] = nats_maker.META_ARCHS[0]
    nats_maker.dump(content, file)
    with pytest.raises(DataError, match="meta_archs"):
        load_nats_tss(folder)
    file.write_bytes(good)
    (folder / "meta.pickle.pbz2").write_bytes(bz2.compress(pickle.dumps(_Boom())))
    with pytest.raises(DataError, match="not a plain-data pickle"):
        load_nats_tss(folder)
    with pytest.raises(DataError, match="not found"):
        load_nats_tss(tmp_path / "absent")
