"""Saving and loading fitted surrogates: round trips, no pickle, corrupt files, determinism.

Datasets are SYNTHETIC (``nasx11_env.synthetic``), built for these tests only.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pytest

from nasx11_env.data.dataset import CurveDataset, Metric, Provenance
from nasx11_env.surrogate.model import LearningCurveSurrogate
from nasx11_env.surrogate.serialization import (
    ARRAYS_FILE,
    FORMAT_VERSION,
    MANIFEST_FILE,
    MODEL_FILE,
    SurrogateFileError,
    read_manifest,
)
from nasx11_env.synthetic import SyntheticCurves

FAST = {"n_estimators": 30, "learning_rate": 0.1, "min_child_samples": 5}


def synthetic_dataset(n: int, seed: int) -> CurveDataset:
    """SYNTHETIC NB201 curves: val_acc (%) and runtimes."""
    bench = SyntheticCurves(n_epochs=12)
    rng = np.random.default_rng(seed)
    archs = [bench.space.sample(rng) for _ in range(n)]
    batch = bench.curves(archs, rng)
    return CurveDataset(
        space=bench.space,
        archs=archs,
        epochs=np.arange(1, 13),
        curves={"val_acc": batch.observed},
        metrics={"val_acc": Metric("val_acc", "%", higher_is_better=True)},
        provenance=Provenance("synthetic (tests only)", "MIT", "nasx11_env tests"),
        runtime=batch.runtime,
    )


@pytest.fixture(scope="module")
def data() -> CurveDataset:
    return synthetic_dataset(150, seed=0)


@pytest.fixture(scope="module")
def queries() -> list:
    return synthetic_dataset(20, seed=1).archs


@pytest.fixture(scope="module")
def fitted(data: CurveDataset) -> LearningCurveSurrogate:
    return LearningCurveSurrogate(regressor_params=FAST, noise="kde", n_components=4).fit(data)


@pytest.fixture
def saved(fitted: LearningCurveSurrogate, tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    fitted.save(folder, card={"source": "synthetic", "licence": "MIT"})
    return folder


def _assert_same_outputs(a: LearningCurveSurrogate, b: LearningCurveSurrogate, archs) -> None:
    for name, values in a.predict_mean(archs).items():
        np.testing.assert_array_equal(b.predict_mean(archs)[name], values)
    first = a.sample(archs, np.random.default_rng(5), n_samples=3)
    second = b.sample(archs, np.random.default_rng(5), n_samples=3)
    for name, values in first.items():
        np.testing.assert_array_equal(second[name], values)
    np.testing.assert_array_equal(b.predict_runtime(archs), a.predict_runtime(archs))


@pytest.mark.parametrize(
    "options",
    [
        {"noise": "kde"},
        {"noise": "std"},
        {"noise": "window"},
        {"noise": "none"},
        {"noise": "std", "regressor": "mlp"},
        {"noise": "std", "compression": "none", "transforms": {"val_acc": "log"}},
    ],
    ids=["kde", "std", "window", "none", "mlp", "identity-log"],
)
def test_round_trip_gives_identical_means_and_samples(options, data, queries, tmp_path) -> None:
    params = None if options.get("regressor") == "mlp" else FAST
    model = LearningCurveSurrogate(regressor_params=params, n_components=4, **options).fit(data)
    model.save(tmp_path / "model")
    loaded = LearningCurveSurrogate.load(tmp_path / "model")
    assert loaded.metric_names == model.metric_names
    assert loaded.heads_["val_acc"].noise.kind == model.heads_["val_acc"].noise.kind
    assert loaded.heads_["val_acc"].regressor.kind == model.heads_["val_acc"].regressor.kind
    _assert_same_outputs(model, loaded, queries)


def test_round_trip_keeps_parameters_bounds_and_feature_settings(tmp_path, data) -> None:
    extra = data.subset(np.arange(len(data)))
    extra.extras["params"] = np.linspace(0, 1, len(extra))
    model = LearningCurveSurrogate(
        extra_features=("params",), first_epochs=2, regressor_params=FAST, noise="std", seed=3
    ).fit(extra)
    model.save(tmp_path / "model")
    loaded = LearningCurveSurrogate.load(tmp_path / "model")
    assert (
        loaded.seed == 3 and loaded.first_epochs == 2 and list(loaded.extra_features) == ["params"]
    )
    assert loaded.regressor_params == FAST
    assert (loaded.heads_["val_acc"].lower, loaded.heads_["val_acc"].upper) == (0.0, 100.0)
    assert loaded.heads_["val_acc"].metric == model.heads_["val_acc"].metric
    np.testing.assert_array_equal(loaded.epochs_, model.epochs_)
    features = loaded.features(extra)
    np.testing.assert_array_equal(features, model.features(extra))
    np.testing.assert_array_equal(
        loaded.predict_mean(features)["val_acc"], model.predict_mean(features)["val_acc"]
    )
    with pytest.raises(ValueError, match="feature matrix"):
        loaded.predict_mean(extra.archs)


def test_infinite_bounds_survive_the_round_trip(tmp_path, data) -> None:
    shifted = data.subset(np.arange(len(data)))
    shifted.curves["val_acc"] = shifted.curves["val_acc"] - 50.0
    shifted.metrics["val_acc"] = Metric("val_acc", "delta", higher_is_better=True)
    model = LearningCurveSurrogate(regressor_params=FAST, noise="std").fit(shifted)
    model.save(tmp_path / "model")
    head = LearningCurveSurrogate.load(tmp_path / "model").heads_["val_acc"]
    assert head.lower == -np.inf and head.upper == np.inf


def test_saved_directory_holds_only_pickle_free_files(saved: Path) -> None:
    assert sorted(p.name for p in saved.iterdir()) == sorted(
        [MANIFEST_FILE, MODEL_FILE, ARRAYS_FILE]
    )
    with np.load(saved / ARRAYS_FILE, allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    assert arrays and all(value.dtype != object for value in arrays.values())
    document = json.loads(gzip.decompress((saved / MODEL_FILE).read_bytes()))
    assert document["format_version"] == FORMAT_VERSION
    assert document["heads"]["val_acc"]["boosters"]["regressor"][0].startswith("tree")
    manifest = read_manifest(saved)
    assert manifest["card"] == {"source": "synthetic", "licence": "MIT"}
    for name in (MODEL_FILE, ARRAYS_FILE):
        assert manifest["files"][name] == hashlib.sha256((saved / name).read_bytes()).hexdigest()


def test_flipped_bytes_in_arrays_fail_the_checksum(saved: Path) -> None:
    raw = bytearray((saved / ARRAYS_FILE).read_bytes())
    raw[len(raw) // 2 : len(raw) // 2 + 8] = bytes(b ^ 0xFF for b in raw[len(raw) // 2 :][:8])
    (saved / ARRAYS_FILE).write_bytes(bytes(raw))
    with pytest.raises(SurrogateFileError, match="checksum") as error:
        LearningCurveSurrogate.load(saved)
    assert error.value.path.endswith(ARRAYS_FILE)


def _replace_with_checksum(folder: Path, name: str, content: bytes) -> None:
    """Write ``content`` to ``name`` and update the manifest so the checksum passes."""
    (folder / name).write_bytes(content)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    manifest["files"][name] = hashlib.sha256(content).hexdigest()
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))


def test_truncated_model_file_with_matching_checksum_is_a_clear_error(saved: Path) -> None:
    content = (saved / MODEL_FILE).read_bytes()
    _replace_with_checksum(saved, MODEL_FILE, content[: len(content) // 2])
    with pytest.raises(SurrogateFileError, match="unreadable") as error:
        LearningCurveSurrogate.load(saved)
    assert error.value.path.endswith(MODEL_FILE)


@pytest.mark.parametrize("cut", ["truncate", "flip"])
def test_damaged_arrays_with_matching_checksum_are_a_clear_error(saved: Path, cut: str) -> None:
    raw = bytearray((saved / ARRAYS_FILE).read_bytes())
    if cut == "truncate":
        raw = raw[: len(raw) // 2]
    else:
        raw[100:110] = bytes(b ^ 0xFF for b in raw[100:110])
    _replace_with_checksum(saved, ARRAYS_FILE, bytes(raw))
    with pytest.raises(SurrogateFileError, match="unreadable") as error:
        LearningCurveSurrogate.load(saved)
    assert error.value.path.endswith(ARRAYS_FILE)


def test_wrong_format_version_names_the_version(saved: Path) -> None:
    manifest = json.loads((saved / MANIFEST_FILE).read_text())
    manifest["format_version"] = FORMAT_VERSION + 98
    (saved / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(SurrogateFileError, match=f"format version {FORMAT_VERSION + 98}"):
        LearningCurveSurrogate.load(saved)


def test_wrong_format_name_and_corrupt_manifest_are_rejected(saved: Path) -> None:
    (saved / MANIFEST_FILE).write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(SurrogateFileError, match="not a nasx11-learning-curve-surrogate"):
        LearningCurveSurrogate.load(saved)
    (saved / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(SurrogateFileError, match="corrupt JSON"):
        LearningCurveSurrogate.load(saved)


def test_missing_directory_or_file_is_an_error(saved: Path, tmp_path: Path) -> None:
    with pytest.raises(SurrogateFileError, match="missing") as error:
        LearningCurveSurrogate.load(tmp_path / "nowhere")
    assert "nowhere" in str(error.value)
    (saved / ARRAYS_FILE).unlink()
    with pytest.raises(SurrogateFileError, match="missing file") as error:
        LearningCurveSurrogate.load(saved)
    assert error.value.path.endswith(ARRAYS_FILE)


def test_saving_is_deterministic(
    fitted: LearningCurveSurrogate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fitted.save(tmp_path / "a", card={"source": "synthetic"})
    later = time.time() + 86_400 * 400  # as if saved a year later
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(time, "localtime", lambda *_: time.gmtime(later))
    fitted.save(tmp_path / "b", card={"source": "synthetic"})
    monkeypatch.undo()
    for name in (MANIFEST_FILE, MODEL_FILE, ARRAYS_FILE):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    loaded = LearningCurveSurrogate.load(tmp_path / "a")
    loaded.save(tmp_path / "c", card={"source": "synthetic"})
    for name in (MODEL_FILE, ARRAYS_FILE):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "c" / name).read_bytes()
