"""Fidelity and noise-realism metrics of a learning-curve surrogate (pure numpy/scipy/sklearn).

Curves are ``[n, E]`` arrays: one row per architecture, one column per epoch. The ranking and
error metrics follow NAS-Bench-x11's ``evaluate_learning_curve_metrics``: each is computed per
epoch (column) and then averaged over epochs ("average-epoch" value) or read at the last column
("final-epoch" value). A column where either side is constant has no defined rank correlation
(or R²); it scores NaN and is left out of the averages (``nanmean``).

The paper's KL-divergence code for the noise model was never published, so ``noise_kl_per_epoch``
is our own estimator (defined in its docstring); its values are not directly comparable to the
paper's KL numbers (NB111 1.710, NB311 0.905).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import signal, stats
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

CLASSIFIERS = ("hgb", "logistic")


def _as_curves(values: object, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{what} must be a [n, E] array, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{what} holds {int((~np.isfinite(array)).sum())} non-finite values")
    return array


def _pair(true: object, pred: object) -> tuple[np.ndarray, np.ndarray]:
    t, p = _as_curves(true, "true curves"), _as_curves(pred, "predicted curves")
    if t.shape != p.shape:
        raise ValueError(f"true curves {t.shape} and predicted curves {p.shape} differ in shape")
    if t.shape[0] < 2:
        raise ValueError(f"need at least 2 curves to score, got {t.shape[0]}")
    return t, p


def _nanmean(values: np.ndarray) -> float:
    """Mean over the finite entries; NaN (without a warning) when there are none."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def _constant(columns: np.ndarray) -> np.ndarray:
    return np.ptp(columns, axis=0) == 0


def kendall_tau_per_epoch(true: object, pred: object) -> np.ndarray:
    """Kendall's tau-b (scipy, ties corrected) between true and predicted values, per epoch.

    Returns ``[E]``; NaN for an epoch where the true or predicted column is constant.
    """
    t, p = _pair(true, pred)
    undefined = _constant(t) | _constant(p)
    return np.array(
        [
            np.nan if undefined[e] else stats.kendalltau(t[:, e], p[:, e], variant="b").statistic
            for e in range(t.shape[1])
        ]
    )


def _pearson_columns(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    denominator = np.sqrt((a**2).sum(axis=0) * (b**2).sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (a * b).sum(axis=0) / denominator
    return np.where(denominator > 0, np.clip(r, -1.0, 1.0), np.nan)


def spearman_per_epoch(true: object, pred: object) -> np.ndarray:
    """Spearman's rho per epoch: Pearson correlation of average-tie ranks; NaN if constant."""
    t, p = _pair(true, pred)
    rho = _pearson_columns(stats.rankdata(t, axis=0), stats.rankdata(p, axis=0))
    return np.where(_constant(t) | _constant(p), np.nan, rho)


def rmse_per_epoch(true: object, pred: object) -> np.ndarray:
    """Root mean squared error per epoch, ``sqrt(mean_i (pred_ie - true_ie)^2)``, in curve units."""
    t, p = _pair(true, pred)
    return np.sqrt(np.mean((p - t) ** 2, axis=0))


def r2_per_epoch(true: object, pred: object) -> np.ndarray:
    """Coefficient of determination per epoch, ``1 - SS_res / SS_tot``; NaN if true is constant."""
    t, p = _pair(true, pred)
    ss_res = ((t - p) ** 2).sum(axis=0)
    ss_tot = ((t - t.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.nan)


def fidelity_scores(true: object, pred: object) -> dict[str, float]:
    """Ranking and error scores of predicted mean curves against true curves.

    ``*_avg`` is the mean over epochs of the per-epoch metric (NaN epochs left out): for Kendall
    tau this is the paper's "average-epoch tau". ``*_final`` is the metric on the last column
    (the paper's "final-epoch tau").
    """
    per_epoch = {
        "kendall_tau": kendall_tau_per_epoch(true, pred),
        "spearman": spearman_per_epoch(true, pred),
        "rmse": rmse_per_epoch(true, pred),
        "r2": r2_per_epoch(true, pred),
    }
    scores: dict[str, float] = {}
    for name, values in per_epoch.items():
        scores[f"{name}_avg"] = _nanmean(values)
        scores[f"{name}_final"] = float(values[-1])
    return scores


def noise_kl_per_epoch(
    real_residuals: object,
    sampled_residuals: object,
    n_bins: int = 20,
    smoothing: float = 0.5,
    tail: float = 0.005,
) -> np.ndarray:
    """KL(real || sampled) per epoch between two sets of residuals, by shared-bin histograms.

    Residuals are ``real - predicted mean`` (``[n, E]``) and ``sampled - predicted mean``
    (``[m, E]``, any ``m``). For each epoch: ``n_bins`` equal-width bins span the pooled
    ``tail`` and ``1 - tail`` quantiles of both sets (values beyond go to the end bins, so no
    mass is lost to outliers); each bin's count gets ``smoothing`` added (0.5 = Jeffreys prior)
    so that empty bins keep the divergence finite; ``p`` and ``q`` are the smoothed bin
    frequencies of the real and sampled residuals, and the result is ``sum p log(p / q)`` in
    nats. Identical distributions give about ``(n_bins - 1) (1/n + 1/m) / 2`` (finite-sample
    bias, e.g. 0.013 for 1,500 test curves and 20 bins), a shift of one standard deviation
    between Gaussians about 0.5 (its exact value). The residuals pool model error of the mean
    with noise, and only marginals per epoch are compared: a noise model that draws one value
    for all epochs (x11's bug) has the same marginals as white noise; :func:`c2st_auc` sees it.

    The paper's KL code was never published: these values are not directly comparable to its
    reported KL (e.g. NB311 0.905).
    """
    real = _as_curves(real_residuals, "real residuals")
    sampled = _as_curves(sampled_residuals, "sampled residuals")
    if real.shape[1] != sampled.shape[1]:
        raise ValueError(f"real residuals have {real.shape[1]} epochs, sampled {sampled.shape[1]}")
    if n_bins < 2 or smoothing <= 0 or not 0 <= tail < 0.5:
        raise ValueError("need n_bins >= 2, smoothing > 0 and 0 <= tail < 0.5")
    kl = np.empty(real.shape[1])
    for e in range(real.shape[1]):
        pooled = np.concatenate([real[:, e], sampled[:, e]])
        low, high = np.quantile(pooled, [tail, 1.0 - tail])
        if high <= low:
            low, high = low - 0.5, high + 0.5
        inner_edges = np.linspace(low, high, n_bins + 1)[1:-1]
        p = np.bincount(np.searchsorted(inner_edges, real[:, e]), minlength=n_bins) + smoothing
        q = np.bincount(np.searchsorted(inner_edges, sampled[:, e]), minlength=n_bins) + smoothing
        p, q = p / p.sum(), q / q.sum()
        kl[e] = float(np.sum(p * np.log(p / q)))
    return kl


def curve_features(curves: object) -> np.ndarray:
    """Summary features of curves for the two-sample classifier, ``[n, F]``.

    Values at (up to) 16 evenly spaced epochs including the last; mean, max and last value;
    and, to expose noise rather than shape, the mean absolute first difference in each quarter
    of the curve, the std and max absolute value of first differences and the std of second
    differences.
    """
    c = _as_curves(curves, "curves")
    n, n_epochs = c.shape
    columns = np.unique(np.linspace(0, n_epochs - 1, min(16, n_epochs)).round().astype(int))
    parts = [c[:, columns], c.mean(axis=1, keepdims=True), c.max(axis=1, keepdims=True)]
    if n_epochs >= 2:
        d = np.diff(c, axis=1)
        quarters = np.array_split(np.abs(d), min(4, d.shape[1]), axis=1)
        parts += [np.stack([q.mean(axis=1) for q in quarters], axis=1)]
        parts += [d.std(axis=1, keepdims=True), np.abs(d).max(axis=1, keepdims=True)]
    if n_epochs >= 3:
        parts.append(np.diff(c, n=2, axis=1).std(axis=1, keepdims=True))
    return np.concatenate(parts, axis=1).reshape(n, -1)


def _classifier(kind: str, seed: int) -> object:
    if kind == "hgb":
        return HistGradientBoostingClassifier(
            max_iter=100, max_leaf_nodes=15, early_stopping=False, random_state=seed
        )
    if kind == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    raise ValueError(f"unknown classifier {kind!r}; choose one of {', '.join(CLASSIFIERS)}")


def c2st_auc(
    real: object,
    sampled: object,
    rng: np.random.Generator,
    n_folds: int = 5,
    classifier: str = "hgb",
) -> float:
    """Classifier two-sample test: cross-validated ROC AUC telling real from sampled curves.

    ``real[i]`` and ``sampled[i]`` belong to the same architecture. Each curve is turned into
    :func:`curve_features`; a classifier (``"hgb"``: scikit-learn histogram gradient boosting,
    which also catches differences in noise level; ``"logistic"``: standardized logistic
    regression) is trained on ``n_folds - 1`` folds and scores the held-out fold. Folds are
    drawn from ``rng`` by architecture, so a real curve and its sampled twin are always on
    the same side. Returns the AUC of the pooled out-of-fold scores: 0.5 means the samples are
    indistinguishable from real curves, 1.0 that every sample is recognised (values a little
    below 0.5 are chance).
    """
    r, s = _as_curves(real, "real curves"), _as_curves(sampled, "sampled curves")
    if r.shape != s.shape:
        raise ValueError(f"real curves {r.shape} and sampled curves {s.shape} differ in shape")
    n = r.shape[0]
    if not 2 <= n_folds <= n:
        raise ValueError(f"need 2 <= n_folds <= number of curves ({n}), got {n_folds}")
    features = curve_features(np.concatenate([r, s]))
    labels = np.concatenate([np.zeros(n), np.ones(n)])
    fold_of_arch = np.empty(n, dtype=np.int64)
    fold_of_arch[rng.permutation(n)] = np.arange(n) % n_folds
    folds = np.concatenate([fold_of_arch, fold_of_arch])
    scores = np.empty(2 * n)
    for fold in range(n_folds):
        test = folds == fold
        model = _classifier(classifier, int(rng.integers(2**31 - 1)))
        # One thread: OpenMP on busy cores (parallel test runs, Ray workers) slows down 100-fold.
        with warnings.catch_warnings(), threadpool_limits(limits=1):
            warnings.simplefilter("ignore", category=RuntimeWarning)
            model.fit(features[~test], labels[~test])
            scores[test] = model.predict_proba(features[test])[:, 1]
    return float(roc_auc_score(labels, scores))


def curve_noise_profile(
    curves: object, window: int = 9, polyorder: int = 2
) -> dict[str, np.ndarray]:
    """Per-epoch noise level of single-seed curves, estimated from their high-frequency part.

    Each curve is smoothed with a Savitzky-Golay filter (``window`` epochs, polynomial order
    ``polyorder``, ``mode="interp"`` at the ends); the residual at epoch ``t`` is divided by
    ``sqrt(sum_j R[t, j]^2)`` with ``R = I - H`` the filter's residual operator, which makes it
    an unbiased estimate of the noise std at ``t`` if the noise is white. Returns ``[E]`` arrays:

    - ``noise_std``: root mean square over curves of the corrected residual;
    - ``noise_mad``: 1.4826 x median absolute corrected residual (robust to spikes);
    - ``diff_std``: std over curves of the first difference / sqrt(2) (NaN at the first epoch),
      an upper bound that also contains the spread of per-architecture slopes.
    """
    c = _as_curves(curves, "curves")
    n_epochs = c.shape[1]
    if not polyorder < window <= n_epochs or window % 2 == 0:
        raise ValueError(f"need an odd window in ({polyorder}, {n_epochs}], got {window}")
    smoother = signal.savgol_filter(np.eye(n_epochs), window, polyorder, axis=0, mode="interp")
    gain = np.sqrt(((np.eye(n_epochs) - smoother) ** 2).sum(axis=1))
    smooth = signal.savgol_filter(c, window, polyorder, axis=1, mode="interp")
    residual = (c - smooth) / gain
    diff_std = np.concatenate([[np.nan], np.diff(c, axis=1).std(axis=0) / np.sqrt(2.0)])
    return {
        "noise_std": np.sqrt(np.mean(residual**2, axis=0)),
        "noise_mad": 1.4826 * np.median(np.abs(residual), axis=0),
        "diff_std": diff_std,
    }
