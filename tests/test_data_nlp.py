"""NAS-Bench-NLP log loader: the real WikiText-2 logs and hand-written fixture logs."""

from __future__ import annotations

import shutil
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nasx11_env.data.nlp_logs import load_nlp_logs
from nasx11_env.errors import DataError
from nasx11_env.spaces.nlp import NLPSpace

LOGS = Path("nasbench-nlp-wikitext2") / "logs.zip"
METRICS = ("train_loss", "val_loss", "test_loss")


@pytest.fixture
def logs_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "nlp" / "logs"


def _copy_logs(source: Path, target: Path, *extra: Path) -> Path:
    target.mkdir()
    for file in [*source.glob("*.json"), *extra]:
        shutil.copy(file, target / file.name)
    return target


def _zip(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.glob("*.json")):
            archive.write(file, file.name)
    return target


# --------------------------------------------------------------------------- real data


@pytest.mark.data
def test_real_logs_load(data_root: Path) -> None:
    start = time.perf_counter()
    dataset = load_nlp_logs(data_root / LOGS)
    seconds = time.perf_counter() - start
    assert seconds < 10, f"loading took {seconds:.1f} s"  # about 0.5 s when measured
    assert len(dataset) == 341 and len(dataset.excluded) == 4
    assert all("loss is nan!" in run.reason for run in dataset.excluded)
    assert len(dataset) + len(dataset.excluded) == 345
    np.testing.assert_array_equal(dataset.epochs, np.arange(1, 51))
    for name in METRICS:
        assert dataset.metrics[name].unit == "nats"
        assert not dataset.metrics[name].higher_is_better
        assert dataset.curves[name].shape == (341, 50)
    val = dataset.curves["val_loss"]
    assert 4.0 < val[:, -1].min() < val[:, -1].max() < 10.0  # nats per token on WikiText-2
    assert (dataset.runtime > 0).all()  # seconds per epoch (not cumulative)
    assert dataset.extras["num_params"].dtype == np.int64
    names = dataset.extras["log_name"]
    assert names.dtype == object and len(set(names)) == 341 and list(names) == sorted(names)
    assert all(
        str(rid) in name for rid, name in zip(dataset.extras["recepie_id"], names, strict=True)
    )
    assert len(set(dataset.groups.tolist())) == 263  # cells trained more than once share a group
    space = NLPSpace()
    assert all(space.is_valid(arch) for arch in dataset.archs)
    for group in set(dataset.groups.tolist()):
        rows = np.flatnonzero(dataset.groups == group)
        assert len({dataset.archs[i] for i in rows}) == 1
    assert dataset.provenance.licence == "Apache-2.0"
    assert "a6d90a3" in dataset.provenance.source and "wikitext-2" in dataset.provenance.source
    assert "Klyuchnikov" in dataset.provenance.attribution


@pytest.mark.data
def test_real_logs_from_a_folder_match_the_zip(data_root: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(data_root / LOGS) as archive:
        archive.extractall(tmp_path)
    from_zip = load_nlp_logs(data_root / LOGS)
    from_folder = load_nlp_logs(tmp_path)
    assert from_folder.archs == from_zip.archs
    for name in METRICS:
        np.testing.assert_array_equal(from_folder.curves[name], from_zip.curves[name])
    assert from_folder.excluded == from_zip.excluded


# --------------------------------------------------------------------------- fixtures


def test_fixture_logs_load(logs_dir: Path) -> None:
    dataset = load_nlp_logs(logs_dir)
    assert len(dataset) == 3
    np.testing.assert_array_equal(dataset.epochs, [1, 2, 3])
    assert [run.reason for run in dataset.excluded] == [
        "status 'loss is nan!' after 2 of 3 epochs",
        "stopped after 2 of 3 epochs",
    ]
    assert dataset.extras["recepie_id"].tolist() == [9000001, 9000002, 9000003]
    assert dataset.extras["num_params"].tolist() == [1001, 1002, 1001]
    assert dataset.groups.tolist() == [0, 1, 0]  # 9000003 is 9000001's cell renamed
    np.testing.assert_array_equal(dataset.curves["val_loss"][1], [5.1, 4.9, 4.8])
    np.testing.assert_array_equal(dataset.runtime[0], [100.5, 101.0, 99.5])
    assert dataset.provenance.path == str(logs_dir)


def test_zip_matches_folder(logs_dir: Path, tmp_path: Path) -> None:
    archive = _zip(logs_dir, tmp_path / "logs.zip")
    from_zip, from_folder = load_nlp_logs(archive), load_nlp_logs(logs_dir)
    assert from_zip.archs == from_folder.archs
    np.testing.assert_array_equal(from_zip.curves["test_loss"], from_folder.curves["test_loss"])
    assert from_zip.extras["log_name"].tolist() == from_folder.extras["log_name"].tolist()


@pytest.mark.parametrize(
    ("bad_file", "problem"),
    [
        ("missing_key.json", "missing keys: val_losses"),
        ("unequal_lengths.json", "curves differ in length"),
        ("too_long.json", "4 values per curve but 'epochs' is 3"),
        ("nan_but_ok.json", "non-finite values although status is 'OK'"),
        ("bad_recipe.json", "unknown op 'activation_relu'"),
        ("string_curve.json", "must be a list of numbers"),
        ("truncated.json", "not valid JSON"),
    ],
)
def test_bad_log_raises_naming_the_file(
    logs_dir: Path, fixtures_dir: Path, tmp_path: Path, bad_file: str, problem: str
) -> None:
    folder = _copy_logs(logs_dir, tmp_path / "logs", fixtures_dir / "nlp" / "bad" / bad_file)
    with pytest.raises(DataError, match=problem) as caught:
        load_nlp_logs(folder)
    assert caught.value.path.endswith(bad_file)
    with pytest.raises(DataError, match=problem) as caught:
        load_nlp_logs(_zip(folder, tmp_path / "logs.zip"))
    assert caught.value.path.endswith(f"logs.zip:{bad_file}")


@pytest.mark.parametrize(
    ("bad_file", "problem"),
    [
        ("other_epochs.json", "ran 3 epochs but other_epochs.json ran 4"),
        ("other_corpus.json", "data/ptb"),
    ],
)
def test_inconsistent_runs_raise(
    logs_dir: Path, fixtures_dir: Path, tmp_path: Path, bad_file: str, problem: str
) -> None:
    folder = _copy_logs(logs_dir, tmp_path / "logs", fixtures_dir / "nlp" / "bad" / bad_file)
    with pytest.raises(DataError, match=problem):
        load_nlp_logs(folder)


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found") as caught:
        load_nlp_logs(tmp_path / "nowhere.zip")
    assert caught.value.path.endswith("nowhere.zip")


def test_empty_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no \\*.json logs"):
        load_nlp_logs(tmp_path)


def test_only_excluded_runs_raise(logs_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    for file in sorted(logs_dir.glob("*.json"))[3:]:  # the diverged and the stopped run
        shutil.copy(file, folder / file.name)
    with pytest.raises(DataError, match="no finished runs: all 2 logs were excluded"):
        load_nlp_logs(folder)


def test_truncated_zip_raises(logs_dir: Path, tmp_path: Path) -> None:
    data = _zip(logs_dir, tmp_path / "whole.zip").read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="not a readable zip archive") as caught:
        load_nlp_logs(cut)
    assert caught.value.path == str(cut)


def test_corrupt_zip_member_raises(logs_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "logs.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
        for file in sorted(logs_dir.glob("*.json")):
            out.write(file, file.name)
    data = bytearray(archive.read_bytes())
    first = sorted(logs_dir.glob("*.json"))[0]
    at = data.index(b'"train_losses"', data.index(first.name.encode()))
    data[at + 20] ^= 0x01  # flip one bit inside the first member: its CRC no longer matches
    archive.write_bytes(bytes(data))
    with pytest.raises(DataError, match="cannot read from the zip") as caught:
        load_nlp_logs(archive)
    assert caught.value.path.endswith(first.name)
