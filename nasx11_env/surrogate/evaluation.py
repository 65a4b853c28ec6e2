"""The fidelity protocol: a fixed split by architecture, scores per metric, and a table.

``split_indices`` splits rows 80/10/10 by group (all seeds of an architecture on the same side)
with a fixed seed; ``evaluate_surrogate`` scores a fitted model on the held-out rows (ranking and
error of its mean curves, realism of its sampled noise); ``format_table`` prints the results;
``seed_spread_comparison`` sets the model's final-epoch noise against real seed-to-seed spread.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from nasx11_env.data.dataset import CurveDataset
from nasx11_env.surrogate.metrics import (
    c2st_auc,
    fidelity_scores,
    noise_kl_per_epoch,
    spearman_per_epoch,
)


class CurveModel(Protocol):
    """What the protocol needs of a surrogate: mean curves and sampled noisy curves per metric."""

    def predict_mean(self, X: Any) -> dict[str, np.ndarray]: ...

    def sample(
        self, X: Any, rng: np.random.Generator, n_samples: int = 1
    ) -> dict[str, np.ndarray]: ...


def split_indices(
    data: CurveDataset | Sequence[int] | np.ndarray,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices ``(train, val, test)``, split by group: seeds of an architecture stay together.

    ``data`` is a dataset (its ``groups``) or one group id per row. The sorted distinct group
    ids are shuffled by ``numpy.random.default_rng(seed)`` and cut at the rounded cumulative
    ``fractions`` of their count, so the split depends only on the group ids and the seed (not
    on row order). Each returned array is sorted.
    """
    groups = np.asarray(data.groups if isinstance(data, CurveDataset) else data)
    if groups.ndim != 1 or groups.size == 0:
        raise ValueError(f"need a non-empty 1-D array of group ids, got shape {groups.shape}")
    shares = np.asarray(fractions, dtype=np.float64)
    if shares.shape != (3,) or (shares < 0).any() or not math.isclose(shares.sum(), 1.0):
        raise ValueError(f"fractions must be 3 non-negative numbers summing to 1, got {fractions}")
    unique = np.unique(groups)
    shuffled = unique[np.random.default_rng(seed).permutation(unique.size)]
    cuts = np.round(np.cumsum(shares)[:2] * unique.size).astype(int)
    parts = np.split(shuffled, cuts)
    return tuple(np.flatnonzero(np.isin(groups, part)) for part in parts)  # type: ignore[return-value]


def evaluate_surrogate(
    model: CurveModel,
    dataset: CurveDataset,
    test_rows: Sequence[int] | np.ndarray,
    rng: np.random.Generator,
    metrics: Sequence[str] | None = None,
    *,
    X: np.ndarray | None = None,
    n_samples: int = 1,
    n_bins: int = 20,
    n_folds: int = 5,
) -> dict[str, dict[str, float]]:
    """Scores of ``model`` on the ``test_rows`` of ``dataset``, per metric name.

    The model gets ``X[test_rows]`` when a feature matrix ``X`` (one row per dataset row) is
    given, else the test rows' architectures. For each metric (default: every dataset metric
    the model predicts) the result holds :func:`fidelity_scores` of ``predict_mean`` against
    the true curves; ``noise_kl_avg`` / ``noise_kl_final``: :func:`noise_kl_per_epoch` of
    (true - mean) against (sampled - mean) over all ``n_samples`` draws, averaged over epochs /
    at the last epoch; ``c2st_auc``: :func:`c2st_auc` of the first sampled curve of each
    architecture against its true curve; and ``n_test``. All draws come from ``rng``.
    """
    rows = np.arange(len(dataset))[np.asarray(test_rows)]
    if rows.size < max(2, n_folds):
        raise ValueError(f"need at least max(2, n_folds) = {max(2, n_folds)} test rows")
    inputs = [dataset.archs[i] for i in rows] if X is None else np.asarray(X)[rows]
    means = model.predict_mean(inputs)
    names = [m for m in dataset.curves if m in means] if metrics is None else list(metrics)
    if not names:
        raise ValueError("the model predicts none of the dataset's metrics")
    for name in names:
        if name not in dataset.curves or name not in means:
            raise ValueError(
                f"metric {name!r}: dataset has {sorted(dataset.curves)}, model has {sorted(means)}"
            )
    samples = model.sample(inputs, rng, n_samples=n_samples)
    results: dict[str, dict[str, float]] = {}
    for name in names:
        true, mean, drawn = dataset.curves[name][rows], means[name], samples[name]
        if drawn.shape != (rows.size, n_samples, dataset.n_epochs):
            raise ValueError(f"model samples for {name!r} have shape {drawn.shape}")
        kl = noise_kl_per_epoch(
            true - mean, (drawn - mean[:, None, :]).reshape(-1, dataset.n_epochs), n_bins=n_bins
        )
        results[name] = {
            **fidelity_scores(true, mean),
            "noise_kl_avg": float(kl.mean()),
            "noise_kl_final": float(kl[-1]),
            "c2st_auc": c2st_auc(true, drawn[:, 0, :], rng, n_folds=n_folds),
            "n_test": int(rows.size),
        }
    return results


def _cell(value: Any, digits: int) -> str:
    if value is None:
        return "-"
    if isinstance(value, (bool, str, np.str_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    number = float(value)
    if math.isnan(number):
        return "nan"
    if number != 0 and not 10**-digits <= abs(number) < 1e5:
        return f"{number:.{digits}g}"
    return f"{number:.{digits}f}"


def format_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None, digits: int = 3
) -> str:
    """A markdown table (readable as plain text) of ``rows``, one line per dict.

    Columns are ``columns`` or every key in order of first appearance; a missing key prints
    ``-``, floats ``digits`` decimals (``g`` format when very large or small), NaN ``nan``.
    Numeric columns are right-aligned.
    """
    if not rows:
        raise ValueError("format_table needs at least one row")
    names = (
        list(columns) if columns is not None else list(dict.fromkeys(k for r in rows for k in r))
    )
    cells = [[_cell(row.get(name), digits) for name in names] for row in rows]
    numeric = [
        all(
            isinstance(row.get(name), (int, float, np.number)) and not isinstance(row[name], bool)
            for row in rows
            if row.get(name) is not None
        )
        for name in names
    ]
    widths = [max(3, len(name), *(len(line[i]) for line in cells)) for i, name in enumerate(names)]

    def line(values: Sequence[str]) -> str:
        padded = [
            v.rjust(w) if right else v.ljust(w)
            for v, w, right in zip(values, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = [
        "-" * (w - 1) + ":" if right else "-" * w for w, right in zip(widths, numeric, strict=True)
    ]
    return "\n".join([line(names), line(rule), *(line(c) for c in cells)])


def _std_per_row(values: np.ndarray) -> np.ndarray:
    """Sample std (ddof 1) of each row's finite entries; NaN where fewer than 2."""
    finite = np.isfinite(values)
    count = finite.sum(axis=1)
    filled = np.where(finite, values, 0.0)
    mean = filled.sum(axis=1) / np.maximum(count, 1)
    squares = np.where(finite, (values - mean[:, None]) ** 2, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count >= 2, np.sqrt(squares / (count - 1)), np.nan)


def seed_spread_comparison(
    final_samples: np.ndarray, real_seed_values: np.ndarray
) -> dict[str, float]:
    """Model final-epoch noise (std over samples) against real seed spread (std over seeds).

    ``final_samples`` is ``[n, s]`` (s >= 2 model draws per architecture), ``real_seed_values``
    ``[n, k]`` real final values per seed, NaN-padded where an architecture has fewer seeds
    (NB201 has 3 seeds for 8,169 cells and 2 for 7,456); rows with fewer than 2 real seeds are
    skipped. Stds use ddof 1. Returns mean and median per-architecture std of each side, the
    pooled std ``sqrt(mean variance)`` (unbiased in variance whatever the number of seeds, so
    ``std_ratio_pooled`` = model / real pooled std is the fair headline; medians of 2- or
    3-seed stds are biased low), ``std_ratio_median``, and ``std_rank_corr``: Spearman
    correlation of model and real per-architecture std (does the model know which
    architectures are noisier?).
    """
    samples = np.asarray(final_samples, dtype=np.float64)
    real = np.asarray(real_seed_values, dtype=np.float64)
    if samples.ndim != 2 or real.ndim != 2 or samples.shape[0] != real.shape[0]:
        raise ValueError(f"need [n, s] samples and [n, k] seeds, got {samples.shape}, {real.shape}")
    if samples.shape[1] < 2 or not np.isfinite(samples).all():
        raise ValueError("need at least 2 finite samples per architecture")
    real_std = _std_per_row(real)
    keep = np.isfinite(real_std)
    if keep.sum() < 2:
        raise ValueError("need at least 2 architectures with 2 or more real seeds")
    real_std, model_std = real_std[keep], samples[keep].std(axis=1, ddof=1)
    real_pooled = float(np.sqrt(np.mean(real_std**2)))
    model_pooled = float(np.sqrt(np.mean(model_std**2)))
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "n_archs": int(keep.sum()),
            "real_std_mean": float(real_std.mean()),
            "real_std_median": float(np.median(real_std)),
            "real_std_pooled": real_pooled,
            "model_std_mean": float(model_std.mean()),
            "model_std_median": float(np.median(model_std)),
            "model_std_pooled": model_pooled,
            "std_ratio_pooled": float(np.float64(model_pooled) / real_pooled),
            "std_ratio_median": float(np.median(model_std) / np.float64(np.median(real_std))),
            "std_rank_corr": float(spearman_per_epoch(real_std, model_std)[0]),
        }
