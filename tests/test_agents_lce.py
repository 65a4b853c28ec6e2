"""Learning-curve extrapolation: LcSVR features and accuracy, the parametric ensemble, the LCE
promotion rule and ``with_lce``."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from nasx11_env.agents import make_agent, with_lce
from nasx11_env.agents.lce import promotion_threshold
from nasx11_env.agents.lcsvr import LcSVR, lc_features
from nasx11_env.agents.parametric import ParametricEnsemble
from nasx11_env.synthetic import SyntheticCurves


@pytest.fixture(scope="module")
def curves() -> tuple[np.ndarray, np.ndarray]:
    """Observed and noiseless normalised SYNTHETIC curves of 200 random architectures."""
    source = SyntheticCurves()
    rng = np.random.default_rng(7)
    archs = [source.space.sample(rng) for _ in range(200)]
    batch = source.curves(archs, rng)
    return source.score.normalize(batch.observed), source.score.normalize(batch.mean)


def test_lc_features_are_curve_differences_and_moments() -> None:
    curve = np.array([[0.1, 0.3, 0.6, 0.7]])
    features = lc_features(curve)
    assert features.shape == (1, 3 * 4 - 1)
    expected = [0.1, 0.3, 0.6, 0.7, 0.2, 0.3, 0.1, 0.1, -0.2, 0.425, np.std(curve)]
    np.testing.assert_allclose(features[0], expected, atol=1e-12)
    with pytest.raises(ValueError, match="F >= 2"):
        lc_features(np.ones((3, 1)))


def test_lcsvr_predicts_held_out_finals_better_than_the_last_observed_value(curves) -> None:
    observed, _ = curves
    first = 5
    model = LcSVR(np.random.default_rng(0))
    model.fit(observed[:150, :first], observed[:150, -1])
    assert model.params is not None
    predicted = model.predict(observed[150:, :first])
    final = observed[150:, -1]
    svr_error = np.mean(np.abs(predicted - final))
    last_error = np.mean(np.abs(observed[150:, first - 1] - final))
    assert svr_error < 0.5 * last_error


def test_lcsvr_retunes_only_when_the_data_has_grown() -> None:
    rng = np.random.default_rng(1)
    x = np.sort(rng.random((40, 4)), axis=1)
    y = x[:, -1] + 0.1
    model = LcSVR(np.random.default_rng(0), retune_growth=2.0)
    model.fit(x[:10], y[:10])
    tuned = model.params
    model.params = {**tuned, "C": 123.0}  # a marker: a retune would replace it
    model.fit(x[:19], y[:19])
    assert model.params["C"] == 123.0
    model.fit(x[:20], y[:20])
    assert model.params["C"] != 123.0


def test_lcsvr_rejects_too_little_data_and_predicting_unfitted() -> None:
    model = LcSVR(np.random.default_rng(0))
    with pytest.raises(RuntimeError, match="before fit"):
        model.predict(np.ones((1, 4)))
    with pytest.raises(ValueError, match="at least 2"):
        model.fit(np.ones((1, 4)), np.ones(1))


def test_parametric_ensemble_extrapolates_a_saturating_curve(curves) -> None:
    observed, mean = curves
    model = ParametricEnsemble(target_epoch=20)
    exact = model.predict(mean[:5, :10])
    np.testing.assert_allclose(exact, mean[:5, -1], atol=2e-3)  # the family is in the ensemble
    noisy = model.predict(observed[:12, :10])
    wpm_error = np.mean(np.abs(noisy - observed[:12, -1]))
    last_error = np.mean(np.abs(observed[:12, 9] - observed[:12, -1]))
    assert wpm_error < last_error


def test_promotion_threshold_is_the_minimum_of_the_top_share() -> None:
    targets = np.arange(1.0, 11.0)
    assert promotion_threshold(targets, 0.2) == 9.0
    assert promotion_threshold(targets, 0.5) == 6.0
    assert promotion_threshold(targets, 0.05) == 1.0  # int(0.5) == 0: every target counts


def test_lce_defaults_follow_the_x11_settings_per_benchmark() -> None:
    agent = make_agent("REA-SVR")
    assert agent.env_kwargs(98)["decision_points"] == [20, 98]  # NB311: F = 20
    assert agent.env_kwargs(50)["decision_points"] == [10, 50]  # NLP11: F = 10
    assert agent.env_kwargs(108)["decision_points"] == [12, 108]  # NB111: F = 12
    assert agent.env_kwargs(20)["decision_points"] == [4, 20]  # other: 20 % of the curve
    assert agent.stopping.resolve(98) == (20, 49, 0.2)  # NB311 extrapolates to epoch 49
    assert make_agent("BANANAS-SVR").stopping.resolve(50) == (10, 50, 0.5)
    assert make_agent("LS-SVR").stopping.resolve(108) == (12, 108, 0.2)


@pytest.mark.parametrize("extrapolator", ["svr", "wpm"])
def test_with_lce_trains_fewer_full_curves_than_its_base_agent(extrapolator: str) -> None:
    """At an equal budget in epochs the base agent trains budget / E full curves; the LCE agent
    stops some candidates at F, so it trains fewer fully and starts more."""
    base = make_agent("REA", population_size=5, sample_size=3)
    lce = with_lce(base, extrapolator, first_epochs=6)
    assert lce.name == f"REA-{extrapolator.upper()}"
    histories = []
    for agent in (base, lce):
        env = gym.make("nasx11/Synthetic-v0", budget=400, **agent.env_kwargs(20))
        agent.run(env, 0)
        histories.append(env.unwrapped.history())
    plain, early = histories
    assert sum(r["completed"] for r in plain) == 400 // 20
    assert sum(r["completed"] for r in early) < 400 // 20
    assert len(early) > len(plain)
    assert all(r["completed"] or r["epochs"] == 6 for r in early[:-1])  # stopped only at F


def test_with_lce_rejects_bad_agents_and_settings() -> None:
    with pytest.raises(TypeError, match="one-architecture-at-a-time"):
        with_lce(make_agent("HB"))
    with pytest.raises(ValueError, match="already has an early-stopping rule"):
        with_lce(make_agent("REA-SVR"))
    with pytest.raises(ValueError, match="extrapolator"):
        with_lce(make_agent("REA"), "gp")
    agent = with_lce(make_agent("REA"), first_epochs=20)
    with pytest.raises(ValueError, match="first_epochs must be in 2..19"):
        agent.env_kwargs(20)
    agent = with_lce(make_agent("REA"), first_epochs=8, target_epoch=6)
    with pytest.raises(ValueError, match="target_epoch must be in 9..20"):
        agent.env_kwargs(20)
