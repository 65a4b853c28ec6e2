"""The learning-curve surrogate: compression, regressors and ``LearningCurveSurrogate``.

Datasets are SYNTHETIC (``nasx11_env.synthetic``), built for these tests only.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from nasx11_env.data.dataset import CurveDataset, Metric, Provenance
from nasx11_env.surrogate.compression import (
    IdentityCompression,
    SVDCompression,
    compression_from_arrays,
    make_compression,
)
from nasx11_env.surrogate.model import LearningCurveSurrogate
from nasx11_env.surrogate.regressors import (
    X11_LIGHTGBM_PARAMS,
    LightGBMRegressor,
    MLPRegressorModel,
    make_regressor,
)
from nasx11_env.synthetic import SyntheticCurves

FAST = {"n_estimators": 40, "learning_rate": 0.1, "min_child_samples": 5}
N_EPOCHS = 20


def synthetic_dataset(n: int, seed: int, noise_std: float = 1.0) -> CurveDataset:
    """SYNTHETIC NB201 curves: val_acc (%), a positive val_loss, runtimes and an extra."""
    bench = SyntheticCurves(n_epochs=N_EPOCHS, noise_std=noise_std)
    rng = np.random.default_rng(seed)
    archs = [bench.space.sample(rng) for _ in range(n)]
    batch = bench.curves(archs, rng)
    loss = 4.0 * np.exp(-batch.mean / 12.0) * np.exp(rng.normal(0, 0.05, batch.mean.shape))
    return CurveDataset(
        space=bench.space,
        archs=archs,
        epochs=np.arange(1, N_EPOCHS + 1),
        curves={"val_acc": batch.observed, "val_loss": loss},
        metrics={
            "val_acc": Metric("val_acc", "%", higher_is_better=True),
            "val_loss": Metric("val_loss", "cross-entropy", higher_is_better=False),
        },
        provenance=Provenance("synthetic (tests only)", "MIT", "nasx11_env tests"),
        runtime=batch.runtime,
        extras={"params": rng.random(n)},
    )


@pytest.fixture(scope="module")
def train() -> CurveDataset:
    return synthetic_dataset(240, seed=0)


@pytest.fixture(scope="module")
def held_out() -> CurveDataset:
    return synthetic_dataset(80, seed=1)


@pytest.fixture(scope="module")
def fitted(train: CurveDataset) -> LearningCurveSurrogate:
    return LearningCurveSurrogate(regressor_params=FAST, noise="kde", seed=0).fit(train)


def _curves(n: int = 60, n_epochs: int = 15, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    speed = rng.uniform(0.05, 0.5, n)[:, None]
    top = rng.uniform(50, 90, n)[:, None]
    epochs = np.arange(1, n_epochs + 1)
    return top * (1 - np.exp(-speed * epochs)) + rng.normal(0, 1, (n, n_epochs))


# ---------------------------------------------------------------- compression
@pytest.mark.parametrize("center", [True, False])
def test_svd_with_all_components_round_trips_exactly(center: bool) -> None:
    curves = _curves()
    svd = SVDCompression(n_components=curves.shape[1], center=center).fit(curves)
    coefficients = svd.transform(curves)
    assert coefficients.shape == (len(curves), curves.shape[1])
    np.testing.assert_allclose(svd.inverse_transform(coefficients), curves, atol=1e-9)
    np.testing.assert_allclose(svd.mean_, curves.mean(axis=0) if center else 0.0)


@pytest.mark.parametrize("center", [True, False])
def test_svd_truncation_error_decreases_with_components(center: bool) -> None:
    curves = _curves()
    errors = []
    for k in range(1, curves.shape[1] + 1):
        svd = SVDCompression(n_components=k, center=center).fit(curves)
        errors.append(np.abs(svd.inverse_transform(svd.transform(curves)) - curves).mean())
    assert np.all(np.diff(errors) <= 1e-9)
    assert errors[0] > 10 * errors[-2] > 0


def test_centering_helps_with_one_component_when_curves_share_an_offset() -> None:
    curves = _curves() + 500.0
    error = {}
    for center in (True, False):
        svd = SVDCompression(n_components=2, center=center).fit(curves)
        error[center] = np.abs(svd.inverse_transform(svd.transform(curves)) - curves).mean()
    assert error[True] < error[False]


@pytest.mark.parametrize("k", [0, -1, 16])
def test_svd_rejects_bad_n_components(k: int) -> None:
    with pytest.raises(ValueError, match="n_components"):
        SVDCompression(n_components=k).fit(_curves(n=60, n_epochs=15))


def test_svd_rejects_more_components_than_curves() -> None:
    with pytest.raises(ValueError, match="n_components must be in 1..4"):
        SVDCompression(n_components=5).fit(_curves(n=4, n_epochs=15))


def test_svd_saved_arrays_rebuild_the_same_map() -> None:
    curves = _curves()
    svd = SVDCompression(n_components=4, center=True).fit(curves)
    rebuilt = compression_from_arrays("svd", svd.to_arrays())
    assert rebuilt.n_components == 4 and rebuilt.center
    np.testing.assert_array_equal(rebuilt.transform(curves), svd.transform(curves))


def test_scaled_svd_round_trips_and_its_coefficients_measure_scaled_error() -> None:
    curves = _curves()
    svd = SVDCompression(n_components=curves.shape[1], scale=True, final_weight=4.0).fit(curves)
    np.testing.assert_allclose(svd.inverse_transform(svd.transform(curves)), curves, atol=1e-9)
    expected = curves.std(axis=0)
    expected[-1] /= 2.0  # sqrt of the final weight
    np.testing.assert_allclose(svd.scale_, expected)
    # squared coefficient error = squared error of the scaled curves (orthonormal components)
    shifted = curves + np.random.default_rng(1).normal(0, 1, curves.shape)
    gap = svd.transform(shifted) - svd.transform(curves)
    scaled = (shifted - curves) / svd.scale_
    np.testing.assert_allclose((gap**2).sum(axis=1), (scaled**2).sum(axis=1), rtol=1e-9)


def test_final_weight_makes_the_truncated_basis_keep_the_final_epoch() -> None:
    curves = _curves()
    error = {}
    for weight in (1.0, 100.0):
        svd = SVDCompression(n_components=2, scale=True, final_weight=weight).fit(curves)
        error[weight] = np.abs(svd.inverse_transform(svd.transform(curves)) - curves)[:, -1].mean()
    assert error[100.0] < 0.5 * error[1.0]


def test_svd_rejects_a_non_positive_final_weight() -> None:
    with pytest.raises(ValueError, match="final_weight must be > 0"):
        SVDCompression(n_components=2, final_weight=0.0).fit(_curves())


def test_svd_arrays_saved_before_scaling_existed_still_load() -> None:
    curves = _curves()
    svd = SVDCompression(n_components=4).fit(curves)
    arrays = {key: value for key, value in svd.to_arrays().items() if key != "scale"}
    np.testing.assert_array_equal(
        compression_from_arrays("svd", arrays).transform(curves), svd.transform(curves)
    )


def test_identity_compression_passes_curves_through() -> None:
    curves = _curves()
    identity = make_compression("none", n_components=3, center=True).fit(curves)
    assert isinstance(identity, IdentityCompression)
    np.testing.assert_array_equal(identity.transform(curves), curves)
    np.testing.assert_array_equal(identity.inverse_transform(curves), curves)
    assert identity.to_arrays() == {}
    assert isinstance(compression_from_arrays("none", {}), IdentityCompression)


def test_unknown_compression_is_rejected() -> None:
    with pytest.raises(ValueError, match="compression must be"):
        make_compression("pca", 3, True)


# ---------------------------------------------------------------- regressors
def _regression_data(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    features = rng.random((n, 4))
    first = 3 * features[:, 0] + features[:, 1]
    targets = np.column_stack([first, first**2 - features[:, 2], -2 * features[:, 3]])
    return features, targets


def test_lightgbm_chain_feeds_earlier_outputs_to_later_boosters() -> None:
    features, targets = _regression_data()
    plain = LightGBMRegressor(FAST, seed=0).fit(features, targets)
    chain = LightGBMRegressor(FAST, seed=0, chain=True).fit(features, targets)
    assert [b.num_feature() for b in plain.boosters_] == [4, 4, 4]
    assert [b.num_feature() for b in chain.boosters_] == [4, 5, 6]
    query = features[:10]
    out0 = chain.boosters_[0].predict(query)
    out1 = chain.boosters_[1].predict(np.column_stack([query, out0]))
    out2 = chain.boosters_[2].predict(np.column_stack([query, out0, out1]))
    np.testing.assert_allclose(chain.predict(query), np.column_stack([out0, out1, out2]))
    np.testing.assert_array_equal(chain.predict(query)[:, 0], plain.predict(query)[:, 0])


def test_lightgbm_standardize_scales_targets_and_predicts_in_their_units() -> None:
    features, targets = _regression_data()
    base = LightGBMRegressor(FAST, seed=0, standardize=True).fit(features, targets)
    shifted = LightGBMRegressor(FAST, seed=0, standardize=True).fit(
        features, 1000.0 * targets + 5.0
    )
    np.testing.assert_allclose(base.y_mean_, targets.mean(axis=0))
    np.testing.assert_allclose(base.y_scale_, targets.std(axis=0), rtol=1e-9)
    np.testing.assert_allclose(
        shifted.predict(features), 1000.0 * base.predict(features) + 5.0, rtol=1e-6, atol=1e-6
    )
    plain = LightGBMRegressor(FAST, seed=0).fit(features, targets)
    np.testing.assert_array_equal(plain.y_mean_, 0.0)
    np.testing.assert_array_equal(plain.y_scale_, 1.0)


def test_lightgbm_fits_the_targets_and_accepts_one_dimensional_targets() -> None:
    features, targets = _regression_data()
    model = LightGBMRegressor(FAST, seed=0).fit(features, targets[:, 0])
    prediction = model.predict(features)
    assert prediction.shape == (len(features), 1)
    assert np.corrcoef(prediction[:, 0], targets[:, 0])[0, 1] > 0.95


def test_lightgbm_is_deterministic_per_seed() -> None:
    features, targets = _regression_data()
    params = {**FAST, "subsample": 0.5, "subsample_freq": 1}
    a = LightGBMRegressor(params, seed=1).fit(features, targets).predict(features)
    b = LightGBMRegressor(params, seed=1).fit(features, targets).predict(features)
    c = LightGBMRegressor(params, seed=2).fit(features, targets).predict(features)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_lightgbm_saved_text_and_arrays_rebuild_identical_predictions() -> None:
    features, targets = _regression_data()
    model = LightGBMRegressor(FAST, seed=0, chain=True, standardize=True).fit(features, targets)
    rebuilt = LightGBMRegressor.from_saved(model.to_text(), model.to_arrays())
    assert rebuilt.chain
    np.testing.assert_array_equal(rebuilt.predict(features), model.predict(features))


def test_x11_regressor_uses_the_original_settings() -> None:
    model = make_regressor("x11", seed=7, params={"n_estimators": 5})
    assert isinstance(model, LightGBMRegressor)
    assert model.params == X11_LIGHTGBM_PARAMS and model.params["n_estimators"] == 3000
    assert model.chain and model.standardize and model.seed == 7
    ours = make_regressor("lightgbm", seed=7, params={"n_estimators": 5})
    assert ours.params == {"n_estimators": 5} and not ours.chain and not ours.standardize


def test_x11_regressor_trains_all_rounds_on_small_data() -> None:
    rng = np.random.default_rng(0)
    features, targets = rng.random((60, 3)), rng.random((60, 2))
    model = make_regressor("x11", seed=0).fit(features, targets)
    assert [b.current_iteration() for b in model.boosters_] == [3000, 3000]
    assert [b.num_feature() for b in model.boosters_] == [3, 4]
    assert model.predict(features).shape == (60, 2)


def test_unknown_regressor_is_rejected() -> None:
    with pytest.raises(ValueError, match="regressor must be"):
        make_regressor("xgboost", seed=0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_mlp_prediction_equals_scikit_learns(monkeypatch: pytest.MonkeyPatch) -> None:
    from sklearn import neural_network

    nets = []

    class Recording(neural_network.MLPRegressor):
        def fit(self, X, y):  # type: ignore[no-untyped-def]
            nets.append(self)
            return super().fit(X, y)

    monkeypatch.setattr(neural_network, "MLPRegressor", Recording)
    features, targets = _regression_data()
    features[:, 1] *= 1e4  # a large-scale feature: the model standardises features itself
    model = MLPRegressorModel(hidden=(16, 8), seed=0).fit(features, targets)
    (net,) = nets
    query = np.random.default_rng(1).random((30, 4)) * [1, 1e4, 1, 1]
    expected = net.predict((query - model.x_mean_) / model.x_scale_)
    np.testing.assert_allclose(
        model.predict(query), expected * model.y_scale_ + model.y_mean_, rtol=1e-9, atol=1e-9
    )
    rebuilt = MLPRegressorModel.from_arrays(model.to_arrays())
    np.testing.assert_array_equal(rebuilt.predict(query), model.predict(query))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_mlp_is_deterministic_per_seed() -> None:
    features, targets = _regression_data(n=40)
    a = MLPRegressorModel(hidden=(8,), seed=0).fit(features, targets).predict(features)
    b = MLPRegressorModel(hidden=(8,), seed=0).fit(features, targets).predict(features)
    c = MLPRegressorModel(hidden=(8,), seed=1).fit(features, targets).predict(features)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


# ---------------------------------------------------------------- the surrogate
def test_fit_and_predict_mean_shapes(fitted: LearningCurveSurrogate, held_out) -> None:
    assert fitted.metric_names == ["val_acc", "val_loss"]
    assert fitted.n_features_ == held_out.encode("onehot").shape[1]
    mean = fitted.predict_mean(held_out.archs)
    assert set(mean) == {"val_acc", "val_loss"}
    assert all(v.shape == (len(held_out), N_EPOCHS) for v in mean.values())
    from_matrix = fitted.predict_mean(held_out.encode("onehot"))
    for name in mean:
        np.testing.assert_array_equal(from_matrix[name], mean[name])
    single = fitted.predict_mean(held_out.encode("onehot")[0])
    np.testing.assert_array_equal(single["val_acc"], mean["val_acc"][:1])


def test_metrics_argument_selects_heads(train: CurveDataset) -> None:
    model = LearningCurveSurrogate(metrics=["val_loss"], regressor_params=FAST).fit(train)
    assert model.metric_names == ["val_loss"]
    with pytest.raises(ValueError, match="not in dataset"):
        LearningCurveSurrogate(metrics=["test_acc"], regressor_params=FAST).fit(train)


def test_sample_shape_and_seeding(fitted: LearningCurveSurrogate, held_out) -> None:
    archs = held_out.archs[:6]
    first = fitted.sample(archs, np.random.default_rng(3), n_samples=4)
    again = fitted.sample(archs, np.random.default_rng(3), n_samples=4)
    other = fitted.sample(archs, np.random.default_rng(4), n_samples=4)
    for name in ("val_acc", "val_loss"):
        assert first[name].shape == (6, 4, N_EPOCHS)
        np.testing.assert_array_equal(first[name], again[name])
        assert not np.allclose(first[name], other[name])
        assert not np.allclose(first[name][:, 0], first[name][:, 1])


def test_samples_scatter_around_the_mean(fitted: LearningCurveSurrogate, held_out) -> None:
    archs = held_out.archs[:3]
    draws = fitted.sample(archs, np.random.default_rng(0), n_samples=3000)["val_acc"]
    mean = fitted.predict_mean(archs)["val_acc"]
    np.testing.assert_allclose(draws.mean(axis=1), mean, atol=0.3)
    assert 0.1 < draws.std(axis=1).mean() < 3.0  # the data's noise std is 1


def test_sample_rejects_bad_arguments(fitted: LearningCurveSurrogate, held_out) -> None:
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        fitted.sample(held_out.archs[:2], np.random.RandomState(0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_samples"):
        fitted.sample(held_out.archs[:2], np.random.default_rng(0), n_samples=0)


def test_clipping_keeps_percentages_within_0_and_100() -> None:
    noisy = synthetic_dataset(200, seed=2, noise_std=25.0)
    model = LearningCurveSurrogate(metrics=["val_acc"], regressor_params=FAST, noise="std")
    model.fit(noisy)
    draws = model.sample(noisy.archs[:50], np.random.default_rng(0), n_samples=20)["val_acc"]
    assert draws.min() >= 0.0 and draws.max() <= 100.0
    assert np.any(draws == 100.0) and np.any(draws == 0.0)  # the bounds were needed
    mean = model.predict_mean(noisy.archs)["val_acc"]
    assert mean.min() >= 0.0 and mean.max() <= 100.0


def test_log_transform_keeps_losses_positive_and_fits_them(train, held_out) -> None:
    model = LearningCurveSurrogate(
        metrics=["val_loss"], transforms={"val_loss": "log"}, regressor_params=FAST, noise="std"
    ).fit(train)
    head = model.heads_["val_loss"]
    assert head.transform == "log"
    mean = model.predict_mean(held_out.archs)["val_loss"]
    assert np.all(mean > 0)
    true = held_out.curves["val_loss"]
    assert np.median(np.abs(np.log(mean / true))) < 0.2
    coefficients = head.regressor.predict(held_out.encode("onehot"))
    np.testing.assert_allclose(mean, np.exp(head.compression.inverse_transform(coefficients)))


def test_log_transform_needs_positive_values_and_known_names(train: CurveDataset) -> None:
    shifted = train.subset(np.arange(len(train)))
    shifted.curves["val_loss"] = shifted.curves["val_loss"] - 1.0
    with pytest.raises(ValueError, match="log transform needs values > 0"):
        LearningCurveSurrogate(transforms={"val_loss": "log"}, regressor_params=FAST).fit(shifted)
    with pytest.raises(ValueError, match="transforms must be one of"):
        LearningCurveSurrogate(transforms={"val_loss": "sqrt"}, regressor_params=FAST).fit(train)


def test_extra_features_and_first_epochs_need_a_feature_matrix(train, held_out) -> None:
    model = LearningCurveSurrogate(
        metrics=["val_acc"],
        extra_features=["params"],
        first_epochs=3,
        regressor_params=FAST,
        noise="std",
    ).fit(train)
    onehot = held_out.encode("onehot")
    assert model.n_features_ == onehot.shape[1] + 1 + 3
    features = model.features(held_out)
    np.testing.assert_array_equal(features[:, : onehot.shape[1]], onehot)
    np.testing.assert_array_equal(features[:, onehot.shape[1]], held_out.extras["params"])
    np.testing.assert_array_equal(features[:, -3:], held_out.curves["val_acc"][:, :3])
    assert model.predict_mean(features)["val_acc"].shape == (len(held_out), N_EPOCHS)
    with pytest.raises(ValueError, match="pass a feature matrix"):
        model.predict_mean(held_out.archs)
    with pytest.raises(ValueError, match="extra feature 'flops'"):
        LearningCurveSurrogate(extra_features=["flops"], regressor_params=FAST).fit(train)


def test_wrong_feature_count_is_rejected(fitted: LearningCurveSurrogate) -> None:
    with pytest.raises(ValueError, match=f"expected {fitted.n_features_} features.* got 5"):
        fitted.predict_mean(np.zeros((3, 5)))


def test_unfitted_model_raises_a_clear_error(held_out: CurveDataset, tmp_path) -> None:
    model = LearningCurveSurrogate()
    for call in (
        lambda: model.predict_mean(held_out.archs),
        lambda: model.sample(held_out.archs, np.random.default_rng(0)),
        lambda: model.predict_runtime(held_out.archs),
        lambda: model.metric_names,
        lambda: model.save(tmp_path / "model"),
    ):
        with pytest.raises(ValueError, match="not fitted"):
            call()


def test_runtime_is_positive_constant_over_epochs_and_ranks_archs(fitted, held_out) -> None:
    runtime = fitted.predict_runtime(held_out.archs)
    assert runtime.shape == (len(held_out), N_EPOCHS)
    assert np.all(runtime > 0)
    np.testing.assert_array_equal(runtime, np.repeat(runtime[:, :1], N_EPOCHS, axis=1))
    tau = stats.kendalltau(runtime[:, 0], held_out.runtime[:, 0]).statistic
    assert tau > 0.5


def test_no_runtime_head_when_disabled(train: CurveDataset, held_out) -> None:
    model = LearningCurveSurrogate(
        metrics=["val_acc"], model_runtime=False, regressor_params=FAST, noise="none"
    ).fit(train)
    assert model.runtime_ is None
    with pytest.raises(ValueError, match="no runtime head"):
        model.predict_runtime(held_out.archs)


def test_predictions_beat_a_constant_mean_predictor(fitted, train, held_out) -> None:
    mean = fitted.predict_mean(held_out.archs)["val_acc"]
    true = held_out.curves["val_acc"]
    constant = train.curves["val_acc"].mean(axis=0)
    assert np.sqrt(((mean - true) ** 2).mean()) < 0.5 * np.sqrt(((constant - true) ** 2).mean())
    taus = [stats.kendalltau(mean[:, e], true[:, e]).statistic for e in range(N_EPOCHS)]
    assert np.mean(taus) > 0.5
    assert stats.kendalltau(mean[:, -1], true[:, -1]).statistic > 0.5


@pytest.mark.parametrize(
    "options",
    [
        {"compression": "none"},
        {"center": False, "n_components": 3},
        {"noise": "window"},
        {"regressor": "mlp"},
    ],
)
def test_other_settings_fit_and_predict_well(options: dict, train, held_out) -> None:
    params = None if options.get("regressor") == "mlp" else FAST
    model = LearningCurveSurrogate(metrics=["val_acc"], regressor_params=params, **options)
    model.fit(train)
    mean = model.predict_mean(held_out.archs)["val_acc"]
    assert mean.shape == (len(held_out), N_EPOCHS)
    assert stats.kendalltau(mean[:, -1], held_out.curves["val_acc"][:, -1]).statistic > 0.5
    draws = model.sample(held_out.archs[:4], np.random.default_rng(0), n_samples=2)
    assert draws["val_acc"].shape == (4, 2, N_EPOCHS)


def test_fitting_is_deterministic(train: CurveDataset, held_out) -> None:
    a = LearningCurveSurrogate(metrics=["val_acc"], regressor_params=FAST).fit(train)
    b = LearningCurveSurrogate(metrics=["val_acc"], regressor_params=FAST).fit(train)
    np.testing.assert_array_equal(
        a.predict_mean(held_out.archs)["val_acc"], b.predict_mean(held_out.archs)["val_acc"]
    )


def test_mlp_rejects_unknown_parameters_and_bad_target_scale() -> None:
    features, targets = np.zeros((10, 2)), np.zeros((10, 1))
    with pytest.raises(ValueError, match="unknown MLP parameters \\['depth'\\]"):
        MLPRegressorModel(params={"depth": 3}).fit(features, targets)
    with pytest.raises(ValueError, match="target_scale must be one of"):
        MLPRegressorModel(params={"target_scale": "row"}).fit(features, targets)


def test_mlp_global_target_scale_keeps_the_outputs_relative_sizes() -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 3))
    targets = np.stack([10.0 * features[:, 0], 0.1 * features[:, 1]], axis=1)
    params = {"hidden": (8,), "max_iter": 20, "early_stopping": False}
    column = MLPRegressorModel(params={**params, "target_scale": "column"}).fit(features, targets)
    scaled = MLPRegressorModel(params={**params, "target_scale": "global"}).fit(features, targets)
    np.testing.assert_allclose(column.y_scale_, targets.std(axis=0) + 1e-12)
    np.testing.assert_allclose(scaled.y_scale_, np.full(2, targets[:, 0].std() + 1e-12))
    assert scaled.predict(features).shape == (200, 2)
