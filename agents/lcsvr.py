"""LcSVR (Baker et al. 2017): a support-vector regressor from a partial learning curve to a later
score, the extrapolator of the x11 ``*-SVR`` baselines.

Features of a partial curve ``v`` of ``F`` epochs: ``v``, its first and second differences, its
mean and standard deviation (``3F - 1`` values, x11's ``all_curve=True``). The model is a
``NuSVR`` with an RBF kernel on standardised features and targets. Instead of x11's 1,000 random
configurations scored by 3-fold cross-validation after every new training pair, a fixed grid of
18 (C, nu, gamma) is cross-validated, and only when the data has grown by ``retune_growth``
since the last search; every ``fit`` refits the chosen configuration on all the data.
"""

from __future__ import annotations

import itertools

import numpy as np
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler
from sklearn.svm import NuSVR

C_GRID = (0.3, 3.0, 30.0)
NU_GRID = (0.3, 0.7)
GAMMA_GRID = (0.3, 1.0, 3.0)  # times 1 / n_features, the "scale" default on standardised data
SEED_HIGH = 2**31 - 1


def lc_features(curves: np.ndarray) -> np.ndarray:
    """``[n, F]`` partial curves -> ``[n, 3F - 1]``: curve, first and second differences, mean
    and standard deviation of each curve."""
    curves = np.asarray(curves, dtype=np.float64)
    if curves.ndim != 2 or curves.shape[1] < 2:
        raise ValueError(f"curves must be [n, F] with F >= 2 epochs, got shape {curves.shape}")
    first = np.diff(curves, axis=1)
    second = np.diff(curves, n=2, axis=1)
    stats = np.stack([curves.mean(axis=1), curves.std(axis=1)], axis=1)
    return np.concatenate([curves, first, second, stats], axis=1)


def _fold_mse(
    params: dict[str, float], x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray
) -> float:
    """Held-out squared error of one configuration on one fold (a plain loop: scikit-learn's
    ``cross_val_score`` costs ~20 ms of overhead per call on these tiny problems)."""
    model = NuSVR(kernel="rbf", **params).fit(x[train], y[train])
    return float(np.mean((model.predict(x[test]) - y[test]) ** 2))


class LcSVR:
    """Partial curve -> later score. ``fit`` as training pairs arrive, then ``predict``."""

    trainable = True

    def __init__(
        self, rng: np.random.Generator, *, n_folds: int = 3, retune_growth: float = 1.25
    ) -> None:
        self.rng = rng
        self.n_folds = n_folds
        self.retune_growth = retune_growth
        self.params: dict[str, float] | None = None
        self._tuned_at = 0
        self._x_scaler = StandardScaler()
        self._y_mean = 0.0
        self._y_std = 1.0
        self._model: NuSVR | None = None

    def fit(self, curves: np.ndarray, targets: np.ndarray) -> None:
        """Fit on partial curves ``[n, F]`` and their targets ``[n]`` (all pairs so far)."""
        targets = np.asarray(targets, dtype=np.float64)
        if len(targets) < 2 or len(targets) != len(curves):
            raise ValueError(
                f"LcSVR needs at least 2 (curve, target) pairs of equal count, got "
                f"{len(curves)} curves and {len(targets)} targets"
            )
        x = self._x_scaler.fit_transform(lc_features(curves))
        self._y_mean = float(targets.mean())
        self._y_std = float(targets.std()) or 1.0
        y = (targets - self._y_mean) / self._y_std
        n = len(y)
        if self.params is None or n >= self._tuned_at * self.retune_growth:
            self.params = self._tune(x, y)
            self._tuned_at = n
        self._model = NuSVR(kernel="rbf", **self.params).fit(x, y)

    def _tune(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        base = 1.0 / x.shape[1]
        grid = [
            {"C": c, "nu": nu, "gamma": g * base}
            for c, nu, g in itertools.product(C_GRID, NU_GRID, GAMMA_GRID)
        ]
        if len(y) < 2 * self.n_folds:  # too few pairs to cross-validate: the grid's centre
            return {"C": C_GRID[1], "nu": 0.5, "gamma": base}
        folds = KFold(self.n_folds, shuffle=True, random_state=int(self.rng.integers(SEED_HIGH)))
        splits = list(folds.split(x))
        errors = [np.mean([_fold_mse(params, x, y, *fold) for fold in splits]) for params in grid]
        return grid[int(np.argmin(errors))]

    def predict(self, curves: np.ndarray) -> np.ndarray:
        """Predicted targets for partial curves ``[n, F]``."""
        if self._model is None:
            raise RuntimeError("LcSVR.predict before fit")
        x = self._x_scaler.transform(lc_features(curves))
        return self._model.predict(x) * self._y_std + self._y_mean
