"""The embedding ResNet regressor: numpy forward pass, torch training, warm starts, files.

Targets are SYNTHETIC functions of random category codes, built for these tests only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nasx11_env.data.dataset import CurveDataset, Metric, Provenance
from nasx11_env.surrogate import resnet
from nasx11_env.surrogate.model import LearningCurveSurrogate
from nasx11_env.surrogate.resnet import (
    RESNET_PARAMS,
    ResNetRegressor,
    random_weights,
    trunk,
)
from nasx11_env.synthetic import SyntheticCurves

pytest.importorskip("torch")

SMALL = {"n_blocks": 2, "width": 16, "hidden": 24, "embedding_dim": 3, "batch_size": 64}
CARDINALITIES = [4, 6, 3, 5]


def synthetic_problem(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC codes and two targets with interactions between columns (not additive)."""
    rng = np.random.default_rng(seed)
    codes = np.stack([rng.integers(0, c, n) for c in CARDINALITIES], axis=1)
    table = np.random.default_rng(99).normal(size=(4, 6))
    first = table[codes[:, 0], codes[:, 1]] * (codes[:, 2] - 1.0)
    second = np.sin(codes[:, 3] * codes[:, 0])
    return codes.astype(np.float64), np.stack([first, second], axis=1)


def _mse(model: ResNetRegressor, codes: np.ndarray, targets: np.ndarray) -> float:
    return float(np.mean((model.predict(codes) - targets) ** 2))


def test_numpy_forward_pass_matches_a_hand_computed_network() -> None:
    weights = random_weights([3, 2], 1, {**RESNET_PARAMS, **SMALL}, np.random.default_rng(0))
    codes = np.array([[2, 1], [0, 0]])
    h = np.concatenate([weights["emb0"][codes[:, 0]], weights["emb1"][codes[:, 1]]], axis=1)
    w = weights
    h = h @ w["w_in"] + w["b_in"]
    for i in range(SMALL["n_blocks"]):
        z = (h * w[f"scale{i}"] + w[f"shift{i}"]) @ w[f"wa{i}"] + w[f"ba{i}"]
        a, gate = z[:, : SMALL["hidden"]], z[:, SMALL["hidden"] :]
        h = h + (a * np.maximum(gate, 0)) @ w[f"wb{i}"] + w[f"bb{i}"]
    expected = np.maximum(h * w["scale_out"] + w["shift_out"], 0)
    np.testing.assert_allclose(trunk(weights, codes), expected, rtol=1e-12)


def test_training_beats_the_least_squares_head_on_the_initial_features() -> None:
    codes, targets = synthetic_problem(3000, seed=0)
    test_codes, test_targets = synthetic_problem(500, seed=1)
    head_only = ResNetRegressor({**SMALL, "epochs": 0}).fit(codes, targets)
    trained = ResNetRegressor({**SMALL, "epochs": 30, "learning_rate": 3e-3, "trunk_lr_scale": 1})
    trained.fit(codes, targets)
    assert _mse(trained, test_codes, test_targets) < 0.5 * _mse(head_only, test_codes, test_targets)
    assert _mse(trained, test_codes, test_targets) < 0.2 * test_targets.var(axis=0).sum() / 2


def test_same_seed_same_weights_other_seed_other_weights() -> None:
    codes, targets = synthetic_problem(400, seed=0)
    params = {**SMALL, "epochs": 2}
    a = ResNetRegressor(params, seed=3).fit(codes, targets).to_arrays()
    b = ResNetRegressor(params, seed=3).fit(codes, targets).to_arrays()
    c = ResNetRegressor(params, seed=4).fit(codes, targets).to_arrays()
    assert all(np.array_equal(a[key], b[key]) for key in a)
    assert not np.array_equal(a["w_in"], c["w_in"])


def test_warm_start_keeps_the_given_shape_and_starts_from_its_weights() -> None:
    codes, targets = synthetic_problem(400, seed=0)
    start = random_weights(CARDINALITIES, 5, {**RESNET_PARAMS, **SMALL}, np.random.default_rng(7))
    # the given shape wins over the params, and without training the trunk is the start's
    model = ResNetRegressor({"epochs": 0, "width": 999}).fit(codes, targets, init=start)
    np.testing.assert_allclose(model.weights_["w_in"], start["w_in"], rtol=1e-6)
    assert model.weights_["w_head"].shape == (SMALL["width"], 2)  # head refitted to 2 targets
    np.testing.assert_allclose(
        trunk(model.weights_, codes.astype(np.int64)),
        trunk(start, codes.astype(np.int64)),
        rtol=1e-4,
        atol=1e-5,
    )


def test_saved_arrays_rebuild_identical_predictions() -> None:
    codes, targets = synthetic_problem(300, seed=0)
    model = ResNetRegressor({**SMALL, "epochs": 1}).fit(codes, targets)
    rebuilt = ResNetRegressor.from_arrays(model.to_arrays())
    np.testing.assert_array_equal(rebuilt.predict(codes), model.predict(codes))


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (np.array([[0.5, 1, 1, 1]]), "non-negative integer"),
        (np.array([[-1, 1, 1, 1]]), "non-negative integer"),
        (np.array([0, 1, 1, 1]), "2-D matrix"),
        (np.array([[0, 1, 1]]), "expected 4 category columns"),
        (np.array([[0, 1, 3, 1]]), "column 2: category code >= its 3 categories"),
    ],
)
def test_bad_codes_are_named(features: np.ndarray, message: str) -> None:
    codes, targets = synthetic_problem(300, seed=0)
    model = ResNetRegressor({**SMALL, "epochs": 0}).fit(codes, targets)
    with pytest.raises(ValueError, match=message):
        model.predict(features)


def test_unknown_parameters_are_rejected() -> None:
    codes, targets = synthetic_problem(50, seed=0)
    with pytest.raises(ValueError, match=r"unknown ResNet parameters \['depth'\]"):
        ResNetRegressor({"depth": 3}).fit(codes, targets)


def synthetic_curves(n: int) -> CurveDataset:
    """SYNTHETIC NB201 curves (categorical encoding: 6 op codes per cell)."""
    bench = SyntheticCurves(n_epochs=10)
    rng = np.random.default_rng(0)
    archs = [bench.space.sample(rng) for _ in range(n)]
    batch = bench.curves(archs, rng)
    return CurveDataset(
        space=bench.space,
        archs=archs,
        epochs=np.arange(1, 11),
        curves={"val_acc": batch.observed},
        metrics={"val_acc": Metric("val_acc", "%", higher_is_better=True)},
        provenance=Provenance("synthetic (tests only)", "MIT", "nasx11_env tests"),
        runtime=batch.runtime,
    )


def test_surrogate_with_a_resnet_head_round_trips_through_files(tmp_path: Path) -> None:
    data = synthetic_curves(200)
    model = LearningCurveSurrogate(
        encoding="categorical",
        regressor="resnet",
        regressor_params={**SMALL, "epochs": 2},
        scale_epochs=True,
        final_epoch_weight=10.0,
        noise="std",
    ).fit(data)
    model.save(tmp_path / "m")
    loaded = LearningCurveSurrogate.load(tmp_path / "m")
    assert loaded.heads_["val_acc"].regressor.kind == "resnet"
    assert loaded.final_epoch_weight == 10.0 and loaded.scale_epochs
    archs = data.archs[:5]
    np.testing.assert_array_equal(
        loaded.predict_mean(archs)["val_acc"], model.predict_mean(archs)["val_acc"]
    )


def test_regressor_init_needs_the_resnet() -> None:
    with pytest.raises(ValueError, match="regressor_init needs regressor='resnet'"):
        LearningCurveSurrogate(metrics=["val_acc"]).fit(
            synthetic_curves(30), regressor_init={"val_acc": {}}
        )


def test_few_and_many_rows_give_the_same_predictions() -> None:
    codes, targets = synthetic_problem(300, seed=0)
    model = ResNetRegressor({**SMALL, "epochs": 0}).fit(codes, targets)
    one_by_one = np.vstack([model.predict(codes[i : i + 1]) for i in range(40)])
    np.testing.assert_allclose(one_by_one, model.predict(codes)[:40], rtol=1e-5, atol=1e-6)


def test_head_fit_in_row_chunks_equals_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    codes, targets = synthetic_problem(500, seed=0)
    whole = ResNetRegressor({**SMALL, "epochs": 0}).fit(codes, targets).to_arrays()
    monkeypatch.setattr(resnet, "HEAD_FIT_ROWS", 64)
    chunked = ResNetRegressor({**SMALL, "epochs": 0}).fit(codes, targets).to_arrays()
    np.testing.assert_allclose(chunked["w_head"], whole["w_head"], rtol=1e-4, atol=1e-6)
