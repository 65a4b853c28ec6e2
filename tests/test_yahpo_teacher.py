"""YAHPO NB301 ONNX teacher: inputs, units, determinism, smoothness (needs onnxruntime, data)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from nasx11_env.data.yahpo_teacher import N_EPOCHS, YahpoNB301Teacher
from nasx11_env.errors import DataError
from nasx11_env.spaces.darts import DartsSpace

SPACE = DartsSpace()


@pytest.fixture(scope="module")
def teacher(data_root: Path) -> YahpoNB301Teacher:
    pytest.importorskip("onnxruntime")
    model = data_root / "yahpo-nb301" / "model_v2.onnx"
    if not model.is_file():
        pytest.skip(f"YAHPO NB301 model not found at {model}")
    return YahpoNB301Teacher(model.parent)


@pytest.fixture(scope="module")
def archs() -> list:
    rng = np.random.default_rng(0)
    return [SPACE.sample(rng) for _ in range(60)]


@pytest.fixture(scope="module")
def curves(teacher: YahpoNB301Teacher, archs: list) -> dict[str, np.ndarray]:
    return teacher.curves(archs)


def test_missing_onnxruntime_says_what_to_install(monkeypatch, fixtures_dir: Path) -> None:
    model = fixtures_dir / "nb301" / "README.md"  # any existing file: the import fails first
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ImportError, match=r"pip install nasx11-env\[build\]"):
        YahpoNB301Teacher(model)


def test_missing_model_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="model file not found"):
        YahpoNB301Teacher(tmp_path)


def test_not_an_onnx_model_is_a_data_error(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    bogus = tmp_path / "model_v2.onnx"
    bogus.write_bytes(b"not a model")
    with pytest.raises(DataError, match="onnxruntime cannot load"):
        YahpoNB301Teacher(bogus)


def test_shapes_units_and_ranges(curves: dict[str, np.ndarray]) -> None:
    assert set(curves) == {
        "val_acc",
        "val_loss",
        "runtime",
        "runtime_per_epoch",
        "model_parameters",
    }
    assert all(values.shape == (60, N_EPOCHS) for values in curves.values())
    accuracy = curves["val_acc"]
    assert 20.0 < accuracy.min() and accuracy.max() < 96.0  # % (the model's fraction x 100)
    assert 85.0 < np.median(accuracy[:, -1]) < 95.5  # NB301 cells end near 93 %
    assert (accuracy[:, -1] > accuracy[:, 0] + 10).all()  # curves rise
    assert (curves["val_loss"] > 0).all()
    assert (curves["val_loss"][:, -1] < curves["val_loss"][:, 0]).all()
    assert (curves["runtime_per_epoch"] >= 0).all()
    assert (curves["runtime"][:, -1] > 1000).all()  # seconds for 98 epochs


def test_runtime_per_epoch_is_the_clipped_increase(curves: dict[str, np.ndarray]) -> None:
    cumulative = curves["runtime"]
    increase = np.diff(cumulative, axis=1, prepend=0.0)
    np.testing.assert_allclose(curves["runtime_per_epoch"], np.clip(increase, 0, None))


def test_deterministic_and_batch_independent(
    teacher: YahpoNB301Teacher, archs: list, curves: dict[str, np.ndarray]
) -> None:
    again = teacher.curves(archs)
    for name, values in curves.items():
        np.testing.assert_array_equal(again[name], values)
    single = teacher.curves([archs[7]])
    for name, values in curves.items():
        np.testing.assert_array_equal(single[name][0], values[7])


def test_epoch_subset_matches_full_curves(
    teacher: YahpoNB301Teacher, archs: list, curves: dict[str, np.ndarray]
) -> None:
    epochs = np.array([1, 4, 50, 98])
    part = teacher.curves(archs[:5], epochs)
    for name, values in part.items():
        np.testing.assert_allclose(values, curves[name][:5, epochs - 1], rtol=1e-6, atol=1e-6)
    for bad in ([0, 5], [99], [], [1.5]):
        with pytest.raises(ValueError, match="epochs"):
            teacher.curves(archs[:1], bad)


def test_curves_are_smooth(curves: dict[str, np.ndarray]) -> None:
    accuracy = curves["val_acc"]
    steps = np.diff(accuracy, axis=1)
    assert np.abs(np.diff(accuracy, 2, axis=1)).mean() < 0.1  # percentage points
    assert (steps < 0).mean() < 0.05 and steps.min() > -0.5  # nearly monotone


def test_dataset(teacher: YahpoNB301Teacher, archs: list, curves: dict[str, np.ndarray]) -> None:
    dataset = teacher.dataset(archs[:10])
    assert len(dataset) == 10 and dataset.n_epochs == N_EPOCHS
    assert set(dataset.curves) == {"val_acc", "val_loss"}
    assert dataset.metrics["val_acc"].unit == "%"
    np.testing.assert_array_equal(dataset.runtime, curves["runtime_per_epoch"][:10])
    np.testing.assert_array_equal(dataset.extras["runtime_total"], curves["runtime"][:10, -1])
    assert dataset.provenance.licence == "Apache-2.0"
    assert "YAHPO" in dataset.provenance.source and "NAS-Bench-301" in dataset.provenance.source
    assert dataset.encode().shape == (10, 34)


@pytest.mark.parametrize("epoch", [1, 40, 98])
def test_student_init_is_the_teacher_at_a_fixed_epoch(
    teacher: YahpoNB301Teacher, archs: list, epoch: int
) -> None:
    """The exported weights run in numpy give the teacher's logits: each output is an
    increasing function of its logit, so the ranks agree exactly."""
    pytest.importorskip("onnx")
    from nasx11_env.surrogate.resnet import trunk

    weights = teacher.student_init(epoch)
    codes = SPACE.encode_batch(archs, "configspace").astype(np.int64)
    logits = trunk(weights, codes) @ weights["w_head"] + weights["b_head"]
    raw = teacher.predict(codes, np.array([epoch]))[:, 0, :]
    for column in range(raw.shape[1]):
        assert np.array_equal(np.argsort(logits[:, column]), np.argsort(raw[:, column]))
    accuracy = 1 / (1 + np.exp(-logits[:, 0]))  # undo the graph's fixed output scaling
    accuracy = ((accuracy - 0.01) / 0.98 * 8.480978 - 7.500442) * 0.1013091 + 0.8511629
    np.testing.assert_allclose(accuracy, raw[:, 0], atol=1e-5)


def test_student_init_rejects_epochs_out_of_range(teacher: YahpoNB301Teacher) -> None:
    with pytest.raises(ValueError, match="epochs must lie in 1..98"):
        teacher.student_init(0)
