"""Noise models of the learning-curve surrogate, on hand-made residual arrays."""

from __future__ import annotations

import numpy as np
import pytest

from nasx11_env.surrogate.noise import (
    NOISE_KINDS,
    EpochStdNoise,
    KDENoise,
    NoNoise,
    WindowStdNoise,
    make_noise,
    noise_from_saved,
    window_std,
)


def _residuals(n: int = 200, n_epochs: int = 12, seed: int = 0) -> np.ndarray:
    """Correlated residuals: a random-walk component plus white noise, growing with epoch."""
    rng = np.random.default_rng(seed)
    walk = rng.normal(0, 0.5, (n, n_epochs)).cumsum(axis=1)
    return walk + rng.normal(0, 1.0, (n, n_epochs)) * np.linspace(0.5, 2.0, n_epochs)


def _fitted(kind: str, residuals: np.ndarray, features: np.ndarray):
    return make_noise(kind, seed=0).fit(residuals, features)


# ---------------------------------------------------------------- EpochStdNoise
def test_epoch_std_sigma_is_the_population_std_per_epoch() -> None:
    residuals = _residuals()
    model = EpochStdNoise().fit(residuals, np.zeros((len(residuals), 1)))
    expected = np.sqrt(((residuals - residuals.mean(axis=0)) ** 2).mean(axis=0))
    np.testing.assert_allclose(model.sigma_, expected, rtol=1e-12)


def test_epoch_std_draws_have_the_fitted_std_and_shape() -> None:
    sigma = np.array([0.0, 0.5, 2.0, 7.0])
    model = EpochStdNoise.from_profile(sigma)
    draws = model.sample(np.zeros((20000, 3)), np.random.default_rng(1))
    assert draws.shape == (20000, 4)
    assert np.all(draws[:, 0] == 0.0)
    np.testing.assert_allclose(draws[:, 1:].std(axis=0), sigma[1:], rtol=0.03)
    assert np.abs(np.corrcoef(draws[:, 1:], rowvar=False) - np.eye(3)).max() < 0.05


@pytest.mark.parametrize(
    "profile",
    [np.ones((2, 3)), np.array([1.0, np.nan]), np.array([1.0, np.inf]), np.array([1.0, -0.1])],
)
def test_from_profile_rejects_bad_profiles(profile: np.ndarray) -> None:
    with pytest.raises(ValueError, match="noise profile"):
        EpochStdNoise.from_profile(profile)


def test_from_profile_accepts_a_list_and_keeps_it() -> None:
    model = EpochStdNoise.from_profile([0.1, 0.2])
    np.testing.assert_array_equal(model.sigma_, [0.1, 0.2])


# ---------------------------------------------------------------- KDENoise
def test_kde_draws_match_the_residual_mean_and_covariance() -> None:
    residuals = _residuals(n=400, n_epochs=6)
    model = KDENoise().fit(residuals, np.zeros((400, 1)))
    draws = model.sample(np.zeros((100_000, 1)), np.random.default_rng(2))
    scale = residuals.std(axis=0).max()
    np.testing.assert_allclose(draws.mean(axis=0), residuals.mean(axis=0), atol=0.05 * scale)
    # A draw is a shrunk stored residual plus a shrunk kick of covariance factor^2 * cov
    # (Scott's rule), the shrinkage 1 / (1 + factor^2) making the total the residuals' own.
    cov = np.cov(residuals, rowvar=False)
    factor = len(residuals) ** (-1.0 / (residuals.shape[1] + 4))
    expected = (np.cov(residuals, rowvar=False, ddof=0) + factor**2 * cov) / (1 + factor**2)
    np.testing.assert_allclose(np.cov(draws, rowvar=False), expected, atol=0.05 * scale**2)
    np.testing.assert_allclose(np.diag(np.cov(draws, rowvar=False)), np.diag(cov), rtol=0.1)


def test_kde_keeps_at_most_max_rows_residuals_chosen_by_its_seed() -> None:
    residuals = _residuals(n=50)
    features = np.zeros((50, 1))
    a = KDENoise(max_rows=10, seed=3).fit(residuals, features)
    b = KDENoise(max_rows=10, seed=3).fit(residuals, features)
    c = KDENoise(max_rows=10, seed=4).fit(residuals, features)
    assert a.bank_.shape == (10, residuals.shape[1])
    centre = residuals.mean(axis=0)
    shrink = 1.0 / np.sqrt(1.0 + len(residuals) ** (-2.0 / (residuals.shape[1] + 4)))
    kept = centre + (residuals - centre) * shrink
    assert all(any(np.allclose(row, r) for r in kept) for row in a.bank_)
    np.testing.assert_array_equal(a.bank_, b.bank_)
    assert not np.array_equal(a.bank_, c.bank_)


def test_kde_needs_two_residual_curves() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        KDENoise().fit(np.ones((1, 5)), np.zeros((1, 1)))


def test_kde_handles_constant_residuals() -> None:
    model = KDENoise().fit(np.zeros((10, 4)), np.zeros((10, 1)))
    draws = model.sample(np.zeros((5, 1)), np.random.default_rng(0))
    assert draws.shape == (5, 4)
    assert np.all(np.isfinite(draws)) and np.abs(draws).max() < 1e-3


# ---------------------------------------------------------------- window_std
def _window_std_loop(residuals: np.ndarray, window: int) -> np.ndarray:
    half = window // 2
    n, n_epochs = residuals.shape
    out = np.zeros((n, n_epochs))
    for i in range(n):
        for e in range(n_epochs):
            part = residuals[i, max(0, e - half) : min(n_epochs, e + half + 1)]
            out[i, e] = part.std(ddof=1) if len(part) > 1 else 0.0
    return out


@pytest.mark.parametrize(("n_epochs", "window"), [(15, 9), (15, 3), (4, 9), (7, 1), (1, 5)])
def test_window_std_matches_a_brute_force_loop(n_epochs: int, window: int) -> None:
    residuals = np.random.default_rng(n_epochs).normal(3.0, 2.0, (5, n_epochs))
    np.testing.assert_allclose(
        window_std(residuals, window), _window_std_loop(residuals, window), atol=1e-10
    )


def test_window_std_is_accurate_for_small_wiggles_on_a_large_offset() -> None:
    residuals = np.random.default_rng(0).normal(1e4, 1e-2, (3, 30))
    np.testing.assert_allclose(window_std(residuals, 9), _window_std_loop(residuals, 9), rtol=1e-6)


def test_window_std_of_constant_curves_is_zero() -> None:
    assert np.all(window_std(np.full((2, 10), 1234.567)) < 1e-9)


# ---------------------------------------------------------------- WindowStdNoise
def _two_groups(n: int = 240, n_epochs: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Features [group, nuisance]; group 1's residuals have 5x the std of group 0's."""
    rng = np.random.default_rng(5)
    group = np.arange(n) % 2
    features = np.column_stack([group, rng.random(n)]).astype(np.float64)
    residuals = rng.normal(0, 1, (n, n_epochs)) * np.where(group == 1, 5.0, 1.0)[:, None]
    return features, residuals


def test_window_noise_is_larger_for_the_noisier_group() -> None:
    features, residuals = _two_groups()
    model = WindowStdNoise(seed=0).fit(residuals, features)
    sigma = model.sigma(np.array([[0.0, 0.5], [1.0, 0.5]]))
    assert sigma.shape == (2, residuals.shape[1])
    assert np.all(sigma > 0)
    ratio = sigma[1] / sigma[0]
    assert np.all(ratio > 3.0) and np.all(ratio < 8.0)
    assert 0.6 < np.median(sigma[0]) < 1.4
    draws = model.sample(
        np.repeat([[0.0, 0.5], [1.0, 0.5]], 4000, axis=0), np.random.default_rng(0)
    )
    assert 3.0 < draws[4000:].std() / draws[:4000].std() < 8.0


# ---------------------------------------------------------------- every model
@pytest.mark.parametrize("kind", [k for k in NOISE_KINDS if k != "none"])
def test_same_seed_same_draws_different_seed_different_draws(kind: str) -> None:
    features, residuals = _two_groups(n=120, n_epochs=10)
    model = _fitted(kind, residuals, features)
    query = features[:7]
    first = model.sample(query, np.random.default_rng(11))
    again = model.sample(query, np.random.default_rng(11))
    other = model.sample(query, np.random.default_rng(12))
    assert first.shape == (7, 10)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_no_noise_draws_zeros_and_leaves_the_generator_alone() -> None:
    model = NoNoise().fit(np.ones((4, 6)), np.zeros((4, 2)))
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    np.testing.assert_array_equal(model.sample(np.zeros((3, 2)), rng), np.zeros((3, 6)))
    assert rng.bit_generator.state == before


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_saved_arrays_rebuild_a_model_with_identical_draws(kind: str) -> None:
    features, residuals = _two_groups(n=120, n_epochs=10)
    model = _fitted(kind, residuals, features)
    arrays = {k: np.asarray(v) for k, v in model.to_arrays().items()}
    assert all(v.dtype != object for v in arrays.values())
    texts = model.to_text() if hasattr(model, "to_text") else []
    rebuilt = noise_from_saved(kind, arrays, texts)
    np.testing.assert_array_equal(
        rebuilt.sample(features[:5], np.random.default_rng(3)),
        model.sample(features[:5], np.random.default_rng(3)),
    )


def test_unknown_noise_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="noise must be one of"):
        make_noise("gaussian", seed=0)
    with pytest.raises(ValueError, match="unknown noise kind"):
        noise_from_saved("gaussian", {}, [])
