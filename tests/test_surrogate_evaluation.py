"""The fidelity protocol: group split, evaluation of stand-in models, table, seed spread."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nasx11_env.data.dataset import CurveDataset, Metric, Provenance
from nasx11_env.data.nb201 import load_nb201_final
from nasx11_env.surrogate.evaluation import (
    evaluate_surrogate,
    format_table,
    seed_spread_comparison,
    split_indices,
)

EPOCHS = 20


class _StubSpace:
    """Just enough of a search space for CurveDataset: architectures are ints."""

    name = "stub"

    def encode_batch(self, archs: list[int], encoding: str | None = None) -> np.ndarray:
        return np.asarray(archs, dtype=np.float64)[:, None]


def _mean_curves(archs: list[int] | np.ndarray) -> np.ndarray:
    """SYNTHETIC saturating curves, a fixed function of the integer architecture."""
    a = np.asarray(archs, dtype=np.float64).reshape(-1)
    asymptote = 50 + 40 * ((a * 0.618) % 1.0)
    speed = 0.1 + 0.3 * ((a * 0.382) % 1.0)
    return asymptote[:, None] * (1 - np.exp(-speed[:, None] * np.arange(1, EPOCHS + 1)))


class _StandIn:
    """Stand-in surrogate: exact mean curves plus white noise of ``noise`` std (metric val_acc)."""

    def __init__(self, noise: float, bias: float = 0.0) -> None:
        self.noise, self.bias = noise, bias
        self.seen: object = None

    def predict_mean(self, X: object) -> dict[str, np.ndarray]:
        self.seen = X
        return {"val_acc": _mean_curves(X) + self.bias}

    def sample(self, X: object, rng: np.random.Generator, n_samples: int = 1) -> dict:
        mean = self.predict_mean(X)["val_acc"][:, None, :]
        return {"val_acc": mean + rng.normal(0, self.noise, (len(mean), n_samples, EPOCHS))}


def _dataset(n_archs: int = 400, seeds: int = 1, noise: float = 1.0) -> CurveDataset:
    rng = np.random.default_rng(0)
    archs = [a for a in range(n_archs) for _ in range(seeds)]
    curves = _mean_curves(archs) + rng.normal(0, noise, (len(archs), EPOCHS))
    return CurveDataset(
        space=_StubSpace(),  # type: ignore[arg-type]
        archs=archs,
        epochs=np.arange(1, EPOCHS + 1),
        curves={"val_acc": curves},
        metrics={"val_acc": Metric("val_acc", "%", higher_is_better=True)},
        provenance=Provenance("SYNTHETIC unit-test curves", "n/a", "n/a"),
        groups=np.repeat(np.arange(n_archs), seeds),
    )


def test_split_keeps_groups_together_and_is_fixed() -> None:
    groups = np.repeat(np.arange(100), 3)
    train, val, test = split_indices(groups)
    assert (len(np.unique(groups[train])), len(np.unique(groups[val])), len(test) // 3) == (
        80,
        10,
        10,
    )
    assert np.array_equal(np.sort(np.concatenate([train, val, test])), np.arange(300))
    assert not set(groups[train]) & set(groups[test]) and not set(groups[val]) & set(groups[test])
    again = split_indices(groups)
    assert all(np.array_equal(a, b) for a, b in zip((train, val, test), again, strict=True))
    assert not np.array_equal(split_indices(groups, seed=1)[2], test)


def test_split_depends_on_group_ids_not_row_order() -> None:
    groups = np.repeat(np.arange(50), 2)
    order = np.random.default_rng(3).permutation(groups.size)
    test = split_indices(groups)[2]
    shuffled_test = split_indices(groups[order])[2]
    assert set(groups[test]) == set(groups[order][shuffled_test])


def test_split_accepts_a_dataset_and_checks_fractions() -> None:
    dataset = _dataset(n_archs=30, seeds=2)
    train, val, test = split_indices(dataset, fractions=(0.5, 0.2, 0.3), seed=4)
    assert (len(train), len(val), len(test)) == (30, 12, 18)
    with pytest.raises(ValueError, match="fractions"):
        split_indices(dataset, fractions=(0.8, 0.1, 0.2))
    with pytest.raises(ValueError, match="fractions"):
        split_indices(dataset, fractions=(0.9, 0.1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="group ids"):
        split_indices(np.array([]))


def test_evaluate_right_noise_scores_well_and_wrong_noise_is_caught() -> None:
    dataset = _dataset(n_archs=1500)
    test = split_indices(dataset)[2]
    options = {"n_samples": 4, "n_bins": 10}
    good = evaluate_surrogate(_StandIn(1.0), dataset, test, np.random.default_rng(0), **options)
    bad = evaluate_surrogate(_StandIn(3.0), dataset, test, np.random.default_rng(0), **options)
    good, bad = good["val_acc"], bad["val_acc"]
    assert good["n_test"] == 150
    assert good["kendall_tau_final"] > 0.85 and good["rmse_avg"] == pytest.approx(1.0, rel=0.1)
    assert good["noise_kl_avg"] < 0.06 and bad["noise_kl_avg"] > 0.3
    assert good["c2st_auc"] < 0.75 < 0.95 < bad["c2st_auc"]
    assert good["kendall_tau_avg"] == bad["kendall_tau_avg"]  # same means, same ranking


def test_evaluate_is_seeded_and_passes_features_or_archs() -> None:
    dataset = _dataset(n_archs=60)
    test = np.arange(10, 30)
    model = _StandIn(1.0)
    first = evaluate_surrogate(model, dataset, test, np.random.default_rng(5), n_samples=3)
    assert model.seen == list(range(10, 30))
    second = evaluate_surrogate(model, dataset, test, np.random.default_rng(5), n_samples=3)
    assert first == second
    X = np.arange(60, dtype=np.float64)
    evaluate_surrogate(model, dataset, test, np.random.default_rng(5), X=X)
    assert np.array_equal(model.seen, X[10:30])


def test_evaluate_names_missing_metrics_and_bad_samples() -> None:
    dataset = _dataset(n_archs=20)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="val_loss"):
        evaluate_surrogate(_StandIn(1.0), dataset, np.arange(10), rng, metrics=["val_loss"])
    with pytest.raises(ValueError, match="test rows"):
        evaluate_surrogate(_StandIn(1.0), dataset, np.arange(3), rng)

    class _Flat(_StandIn):
        def sample(self, X: object, rng: np.random.Generator, n_samples: int = 1) -> dict:
            return {"val_acc": self.predict_mean(X)["val_acc"]}

    with pytest.raises(ValueError, match="shape"):
        evaluate_surrogate(_Flat(1.0), dataset, np.arange(10), rng)


def test_format_table_exact_layout() -> None:
    rows = [
        {"model": "x11", "metric": "val_acc", "tau": 0.70123, "n": 1494},
        {"model": "ours", "metric": "val_acc", "tau": float("nan"), "kl": 0.00012},
    ]
    assert format_table(rows) == "\n".join(
        [
            "| model | metric  |   tau |    n |      kl |",
            "| ----- | ------- | ----: | ---: | ------: |",
            "| x11   | val_acc | 0.701 | 1494 |       - |",
            "| ours  | val_acc |   nan |    - | 0.00012 |",
        ]
    )
    assert format_table(rows, columns=["tau"], digits=2).splitlines()[2] == "| 0.70 |"
    with pytest.raises(ValueError, match="at least one row"):
        format_table([])


def test_seed_spread_hand_computed() -> None:
    real = np.array([[0.0, 2.0, np.nan], [0.0, 0.0, 3.0], [1.0, np.nan, np.nan]])
    samples = np.array([[0.0, 2.0], [0.0, 4.0], [5.0, 5.0]])
    result = seed_spread_comparison(samples, real)
    # Row 3 has one seed: skipped. Real stds sqrt(2), sqrt(3); model stds sqrt(2), sqrt(8).
    assert result["n_archs"] == 2
    assert result["real_std_median"] == pytest.approx((np.sqrt(2) + np.sqrt(3)) / 2)
    assert result["real_std_pooled"] == pytest.approx(np.sqrt(2.5))
    assert result["model_std_pooled"] == pytest.approx(np.sqrt(5.0))
    assert result["std_ratio_pooled"] == pytest.approx(np.sqrt(2.0))
    assert result["std_rank_corr"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="2 finite samples"):
        seed_spread_comparison(samples[:, :1], real)
    with pytest.raises(ValueError, match="architectures"):
        seed_spread_comparison(samples, np.ones((3, 1)))


@pytest.mark.data
def test_nb201_real_seed_spread(data_root: Path) -> None:
    folder = data_root / "nb201-final-3seeds"
    if not (folder / "cifar10.pkl").is_file():
        pytest.skip(f"{folder / 'cifar10.pkl'} not found")
    real = load_nb201_final(folder, "cifar10").val_acc
    assert real.shape == (15625, 3) and (np.isfinite(real).sum(axis=1) >= 2).all()
    # A model whose noise is white with the real pooled std reproduces the pooled spread.
    rng = np.random.default_rng(0)
    samples = np.nanmean(real, axis=1, keepdims=True) + rng.normal(0, 0.562, (len(real), 20))
    result = seed_spread_comparison(samples, real)
    # Measured: per-architecture std median 0.209, mean 0.297, pooled 0.562 (%-points).
    assert result["real_std_median"] == pytest.approx(0.209, abs=0.005)
    assert result["real_std_pooled"] == pytest.approx(0.562, abs=0.005)
    assert result["std_ratio_pooled"] == pytest.approx(1.0, abs=0.03)
