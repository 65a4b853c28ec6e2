"""NB301 learning-curve loader, on hand-made fixture files in the official format."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from nasx11_env.data.nb301 import load_nb301_results
from nasx11_env.errors import DataError
from nasx11_env.spaces.darts import from_config

FOLDER = "nb301/nb_301_v13_lc_iclr_final"
# rglob order: darts/results_2, re/results_0, rs/results_0, rs/results_1
NAMES = ["darts/results_2.json", "re/results_0.json", "rs/results_0.json", "rs/results_1.json"]


@pytest.fixture
def root(fixtures_dir: Path) -> Path:
    return fixtures_dir / FOLDER


@pytest.fixture
def copy(root: Path, tmp_path: Path) -> Path:
    target = tmp_path / "nb_301_v13_lc_iclr_final"
    shutil.copytree(root, target)
    return target


def _edit(folder: Path, name: str, change: Callable[[dict], None]) -> Path:
    path = folder / name
    record = json.loads(path.read_text())
    change(record)
    path.write_text(json.dumps(record))
    return path


def test_fixture_loads_with_groups_padding_and_extras(root: Path) -> None:
    dataset = load_nb301_results(root)
    assert len(dataset) == 4 and dataset.n_epochs == 98
    assert list(dataset.epochs[[0, -1]]) == [1, 98]
    assert set(dataset.curves) == {
        "val_acc",
        "train_acc",
        "train_loss",
        "train_cross_entropy",
        "val_loss",
    }
    assert dataset.metrics["val_acc"].unit == "%"
    assert dataset.groups.tolist() == [0, 1, 1, 2]  # re/0 and rs/0 share an architecture
    assert dataset.extras["optimizer"].tolist() == ["darts", "re", "rs", "rs"]
    for row, name in enumerate(NAMES):
        record = json.loads((root / name).read_text())
        assert dataset.archs[row] == from_config(record["optimized_hyperparamater_config"])
        logged = record["learning_curves"]["Train/val_accuracy"]
        curve = dataset.curves["val_acc"][row]
        np.testing.assert_array_equal(curve[: len(logged)], logged)
        assert (curve[len(logged) :] == logged[-1]).all()
        assert dataset.extras["padded_epochs"][row] == 98 - len(logged)
        assert dataset.extras["n_logged_epochs"][row] == len(logged)
        assert dataset.extras["test_accuracy"][row] == record["test_accuracy"]
        assert dataset.extras["model_parameters"][row] == record["info"][0]["model_parameters"]
        np.testing.assert_allclose(dataset.runtime[row], record["runtime"] / len(logged))
    assert dataset.extras["padded_epochs"].tolist() == [0, 0, 0, 38]
    assert dataset.provenance.licence == "Apache-2.0"
    assert "NAS-Bench-301" in dataset.provenance.source


def test_n_epochs_cuts_and_pads(root: Path) -> None:
    short = load_nb301_results(root, n_epochs=50)
    full = load_nb301_results(root)
    assert short.n_epochs == 50
    np.testing.assert_array_equal(short.curves["train_loss"], full.curves["train_loss"][:, :50])
    assert short.extras["n_logged_epochs"].tolist() == [98, 98, 98, 60]
    assert short.extras["padded_epochs"].tolist() == [0, 0, 0, 0]
    with pytest.raises(ValueError, match="positive"):
        load_nb301_results(root, n_epochs=0)


def test_zip_gives_the_same_dataset(root: Path, tmp_path: Path) -> None:
    archive = tmp_path / "nb_301_v13_lc_iclr_final.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for file in sorted(root.rglob("*.json")):
            out.write(file, f"nb_301_v13_lc_iclr_final/{file.relative_to(root)}")
        out.writestr("__MACOSX/nb_301_v13_lc_iclr_final/rs/results_9.json", "junk")
    from_zip, from_folder = load_nb301_results(archive), load_nb301_results(root)
    assert from_zip.archs == from_folder.archs
    np.testing.assert_array_equal(from_zip.curves["val_acc"], from_folder.curves["val_acc"])
    assert from_zip.groups.tolist() == from_folder.groups.tolist()


def test_truncated_zip_is_a_data_error(root: Path, tmp_path: Path) -> None:
    archive = tmp_path / "lc.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for file in sorted(root.rglob("*.json")):
            out.write(file, f"lc/{file.relative_to(root)}")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="lc.zip: not a readable zip"):
        load_nb301_results(archive)


def test_corrupt_member_names_the_member(root: Path, tmp_path: Path) -> None:
    archive = tmp_path / "lc.zip"
    payload = (root / NAMES[0]).read_bytes()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
        out.writestr("lc/darts/results_2.json", payload)
    data = bytearray(archive.read_bytes())
    start = data.index(b"learning_curves")
    data[start : start + 5] = b"XXXXX"  # same size, wrong CRC
    archive.write_bytes(bytes(data))
    with pytest.raises(DataError, match="lc/darts/results_2.json: cannot be read"):
        load_nb301_results(archive)


def test_missing_and_empty_inputs(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_nb301_results(tmp_path / "absent")
    with pytest.raises(DataError, match="no <optimizer>/results_"):
        load_nb301_results(tmp_path)


def _set_nan(record: dict) -> None:
    record["learning_curves"]["Train/val_accuracy"][3] = float("nan")


def _set_inactive_edge(record: dict) -> None:
    config = record["optimized_hyperparamater_config"]
    for k in range(14):
        key = f"NetworkSelectorDatasetInfo:darts:edge_normal_{k}"
        if key not in config:
            config[key] = "skip_connect"
            return


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("learning_curves"), "missing or malformed 'learning_curves'"),
        (lambda r: r["learning_curves"].pop("Train/val_accuracy"), "no 'Train/val_accuracy'"),
        (lambda r: r.pop("optimized_hyperparamater_config"), "optimized_hyperparamater_config"),
        (_set_nan, "'Train/val_accuracy' is not finite at epoch 4"),
        (lambda r: r["learning_curves"].update({"Train/val_accuracy": []}), "non-empty list"),
        (lambda r: r["learning_curves"]["Train/train_loss"].__setitem__(0, "x"), "non-numbers"),
        (lambda r: r["learning_curves"]["Train/val_accuracy"].__setitem__(0, 140.0), "range"),
        (lambda r: r.pop("runtime"), "runtime must be a number"),
        (lambda r: r.update({"runtime": 0}), "runtime must be positive"),
        (lambda r: r.update({"test_accuracy": 0.93e3}), "test_accuracy must be a percentage"),
        (_set_inactive_edge, "bad architecture.*inactive edges"),
    ],
)
def test_bad_files_raise_data_error_naming_the_file(copy: Path, change, message: str) -> None:
    path = _edit(copy, "rs/results_1.json", change)
    with pytest.raises(DataError, match=message) as caught:
        load_nb301_results(copy)
    assert caught.value.path == str(path)


def test_invalid_json_names_the_file(copy: Path) -> None:
    path = copy / "re/results_0.json"
    path.write_text(path.read_text()[:-40])
    with pytest.raises(DataError, match="not valid JSON") as caught:
        load_nb301_results(copy)
    assert caught.value.path == str(path)


def test_metric_missing_in_one_run_is_dropped_and_optional_extras_too(copy: Path) -> None:
    _edit(copy, "darts/results_2.json", lambda r: r["learning_curves"].pop("Train/train_loss"))
    _edit(copy, "rs/results_0.json", lambda r: r.pop("info"))
    dataset = load_nb301_results(copy)
    assert "train_loss" not in dataset.curves and "val_acc" in dataset.curves
    assert "model_parameters" not in dataset.extras and "test_accuracy" in dataset.extras
