"""Fidelity and noise metrics on small hand-checked cases, plus the real SpikeNAS noise profile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nasx11_env.surrogate.metrics import (
    c2st_auc,
    curve_features,
    curve_noise_profile,
    fidelity_scores,
    kendall_tau_per_epoch,
    noise_kl_per_epoch,
    r2_per_epoch,
    rmse_per_epoch,
    spearman_per_epoch,
)

TRUE = np.array([1.0, 2.0, 3.0, 4.0])


def test_kendall_tau_counts_concordant_pairs() -> None:
    # 6 pairs, only (2, 3) swapped: (5 - 1) / 6.
    assert kendall_tau_per_epoch(TRUE, [1, 3, 2, 4])[0] == pytest.approx(2 / 3)
    # tau-b with one tie in pred: C=5, D=0, 6 pairs, 1 tied in pred -> 5 / sqrt(6 * 5).
    assert kendall_tau_per_epoch(TRUE, [1, 1, 2, 3])[0] == pytest.approx(5 / np.sqrt(30))
    assert kendall_tau_per_epoch(TRUE, TRUE[::-1])[0] == pytest.approx(-1.0)


def test_spearman_hand_example() -> None:
    # rank differences (0, 1, -1, 0): 1 - 6 * 2 / (4 * 15) = 0.8.
    assert spearman_per_epoch(TRUE, [1, 3, 2, 4])[0] == pytest.approx(0.8)


def test_rmse_and_r2_known_values() -> None:
    true = np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0]])
    pred = np.array([[3.0, 1.0], [4.0, 2.0], [0.0, 4.0]])
    assert rmse_per_epoch(true, pred) == pytest.approx([np.sqrt(25 / 3), np.sqrt(1 / 3)])
    r2 = r2_per_epoch(true, pred)
    assert np.isnan(r2[0])  # constant true column: undefined
    assert r2[1] == pytest.approx(1 - 1 / 2)


def test_constant_columns_are_nan_and_left_out_of_averages() -> None:
    true = np.column_stack([TRUE, [5.0, 5, 5, 5], TRUE])
    pred = np.column_stack([[1, 3, 2, 4], TRUE, TRUE])
    tau = kendall_tau_per_epoch(true, pred)
    assert np.isnan(tau[1]) and tau[2] == pytest.approx(1.0)
    scores = fidelity_scores(true, pred)
    assert scores["kendall_tau_avg"] == pytest.approx((2 / 3 + 1) / 2)
    assert scores["kendall_tau_final"] == pytest.approx(1.0)
    assert scores["spearman_avg"] == pytest.approx((0.8 + 1) / 2)
    assert scores["rmse_final"] == 0.0
    assert set(scores) == {
        f"{m}_{k}" for m in ("kendall_tau", "spearman", "rmse", "r2") for k in ("avg", "final")
    }


def test_all_nan_average_is_nan_without_warning() -> None:
    constant = np.ones((4, 2))
    with np.testing.assert_no_warnings():
        assert np.isnan(fidelity_scores(constant, constant)["kendall_tau_avg"])


@pytest.mark.parametrize(
    ("true", "pred", "message"),
    [
        (np.zeros((3, 2)), np.zeros((3, 3)), "differ in shape"),
        (np.zeros((1, 2)), np.zeros((1, 2)), "at least 2"),
        (np.array([[1.0], [np.nan]]), np.zeros((2, 1)), "non-finite"),
        (np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), r"\[n, E\]"),
    ],
)
def test_bad_input_is_named(true: np.ndarray, pred: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fidelity_scores(true, pred)


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, (8, 3), elements=st.integers(-1000, 1000).map(float), unique=True),
    st.floats(0.1, 10.0),
)
def test_rank_metrics_ignore_monotone_transforms(true: np.ndarray, scale: float) -> None:
    pred = np.exp(true / 500.0) * scale  # strictly increasing in true
    assert kendall_tau_per_epoch(true, pred) == pytest.approx(np.ones(3))
    assert spearman_per_epoch(true, pred) == pytest.approx(np.ones(3))
    perfect = fidelity_scores(true, true)
    assert perfect["rmse_avg"] == 0.0 and perfect["r2_avg"] == pytest.approx(1.0)


def test_kl_identical_distributions_is_near_zero() -> None:
    rng = np.random.default_rng(0)
    kl = noise_kl_per_epoch(rng.normal(size=(3000, 4)), rng.normal(size=(3000, 4)))
    assert kl.shape == (4,)
    assert (kl >= 0).all() and kl.max() < 0.03
    zeros = np.zeros((50, 2))
    assert noise_kl_per_epoch(zeros, zeros) == pytest.approx([0.0, 0.0])


def test_kl_matches_gaussian_value_and_grows_with_shift() -> None:
    rng = np.random.default_rng(1)
    real, sampled = rng.normal(size=(4000, 2)), rng.normal(size=(4000, 2))
    # KL(N(0,1) || N(1,1)) = 0.5 exactly; KL(N(0,1) || N(0,2^2)) = log 2 + 1/8 - 1/2.
    assert noise_kl_per_epoch(real, sampled + 1.0) == pytest.approx([0.5, 0.5], abs=0.08)
    assert noise_kl_per_epoch(real, 2 * sampled) == pytest.approx([np.log(2) - 0.375] * 2, abs=0.06)
    assert noise_kl_per_epoch(real, sampled + 3.0).min() > 2.0


def test_kl_accepts_different_sample_counts_and_checks_epochs() -> None:
    rng = np.random.default_rng(2)
    assert noise_kl_per_epoch(rng.normal(size=(100, 3)), rng.normal(size=(500, 3))).shape == (3,)
    with pytest.raises(ValueError, match="epochs"):
        noise_kl_per_epoch(np.zeros((10, 3)), np.zeros((10, 2)))
    with pytest.raises(ValueError, match="n_bins"):
        noise_kl_per_epoch(np.zeros((10, 3)), np.zeros((10, 3)), n_bins=1)


def _curves(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Noiseless saturating curves (SYNTHETIC test input) and a noisy copy."""
    epochs = np.arange(1, 31)
    mean = rng.uniform(50, 90, (n, 1)) * (1 - np.exp(-epochs / rng.uniform(3, 10, (n, 1))))
    return mean, mean + rng.normal(0, noise, mean.shape)


@pytest.mark.parametrize("classifier", ["hgb", "logistic"])
def test_c2st_same_noise_is_chance_and_wrong_noise_is_caught(classifier: str) -> None:
    rng = np.random.default_rng(3)
    mean, real = _curves(rng, 600, 1.0)
    same = mean + rng.normal(0, 1.0, mean.shape)
    noisier = mean + rng.normal(0, 2.0, mean.shape)
    shifted = same + 5.0
    assert c2st_auc(real, same, np.random.default_rng(0), classifier=classifier) == pytest.approx(
        0.5, abs=0.07
    )
    assert c2st_auc(real, noisier, np.random.default_rng(0), classifier=classifier) > 0.95
    assert c2st_auc(real, shifted, np.random.default_rng(0), classifier=classifier) > 0.9


def test_c2st_is_deterministic_and_checks_arguments() -> None:
    rng = np.random.default_rng(4)
    _, real = _curves(rng, 100, 1.0)
    _, sampled = _curves(rng, 100, 1.0)
    first = c2st_auc(real, sampled, np.random.default_rng(7))
    assert c2st_auc(real, sampled, np.random.default_rng(7)) == first
    with pytest.raises(ValueError, match="n_folds"):
        c2st_auc(real, sampled, rng, n_folds=1)
    with pytest.raises(ValueError, match="differ in shape"):
        c2st_auc(real, sampled[:50], rng)
    with pytest.raises(ValueError, match="unknown classifier"):
        c2st_auc(real, sampled, rng, classifier="svm")


def test_curve_features_shapes() -> None:
    assert curve_features(np.zeros((5, 100))).shape == (5, 16 + 2 + 4 + 3)
    assert curve_features(np.zeros((5, 1))).shape == (5, 3)


def test_noise_profile_recovers_white_noise_std_at_every_epoch() -> None:
    rng = np.random.default_rng(5)
    mean, noisy = _curves(rng, 4000, 0.5)
    profile = curve_noise_profile(noisy)
    assert profile["noise_std"].shape == (30,)
    # The smooth trend is not fully removed where the curves bend fastest (first 5 epochs).
    assert profile["noise_std"][5:] == pytest.approx(np.full(25, 0.5), rel=0.08)
    assert profile["noise_mad"][5:] == pytest.approx(np.full(25, 0.5), rel=0.1)
    assert np.isnan(profile["diff_std"][0]) and profile["diff_std"][-1] > 0.45
    with pytest.raises(ValueError, match="odd window"):
        curve_noise_profile(noisy, window=8)


@pytest.mark.data
def test_spikenas_noise_shrinks_over_training(data_root: Path) -> None:
    path = data_root / "spikenas-bench-cifar10" / "curves.npz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with np.load(path) as archive:
        val_acc = archive["val_acc"].astype(np.float64)
    profile = curve_noise_profile(val_acc)["noise_std"]
    # Measured: about 2.3 %-points over epochs 1-10, about 0.14 over epochs 76-100.
    assert profile[:10].mean() > 1.5
    assert 0.05 < profile[75:].mean() < 0.3
