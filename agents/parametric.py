"""A weighted ensemble of parametric learning-curve families (in the style of Domhan et al. 2015),
the extrapolator of the ``*-WPM`` baselines.

Each family is fitted to the observed partial curve by bounded least squares
(``scipy.optimize.least_squares``); the families are combined with BIC weights
(``exp(-BIC / 2)``, Gaussian likelihood at the fitted noise level), a deterministic stand-in for
the original's short MCMC over 11 families. It needs no training data: ``fit`` is a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

BIG_RESIDUAL = 1e3  # stands in for non-finite values of a family at extreme parameters


def _pow3(x: np.ndarray, c: float, a: float, alpha: float) -> np.ndarray:
    return c - a * x ** (-alpha)


def _log_power(x: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    return a / (1.0 + (x / np.exp(b)) ** c)


def _vapor_pressure(x: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    return np.exp(a + b / x + c * np.log(x))


def _mmf(x: np.ndarray, alpha: float, beta: float, kappa: float, delta: float) -> np.ndarray:
    return alpha - (alpha - beta) / (1.0 + (kappa * x) ** delta)


def _janoschek(x: np.ndarray, alpha: float, beta: float, kappa: float, delta: float) -> np.ndarray:
    return alpha - (alpha - beta) * np.exp(-kappa * x**delta)


@dataclass(frozen=True)
class CurveFamily:
    """A curve family ``f(epoch, *params)``, its parameter bounds and a start from the data."""

    name: str
    f: Callable[..., np.ndarray]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    start: Callable[[np.ndarray, np.ndarray], list[float]]


def _top(y: np.ndarray) -> float:
    return float(min(1.0, y.max() + 0.05))


def _vapor_start(x: np.ndarray, y: np.ndarray) -> list[float]:
    """Linear least squares of ``log y`` on ``[1, 1/x, log x]``: the family is linear there."""
    design = np.stack([np.ones_like(x), 1.0 / x, np.log(x)], axis=1)
    coef, *_ = np.linalg.lstsq(design, np.log(np.maximum(y, 1e-6)), rcond=None)
    return [float(v) for v in coef]


FAMILIES = (
    CurveFamily(
        "pow3",
        _pow3,
        (0.0, -5.0, 1e-3),
        (1.5, 5.0, 5.0),
        lambda x, y: [_top(y), _top(y) - y[0], 0.5],
    ),
    CurveFamily(
        "log_power",
        _log_power,
        (0.0, -10.0, -10.0),
        (1.5, 10.0, 10.0),
        lambda x, y: [_top(y), float(np.log(x[-1] / 2.0 + 1e-9)), -1.0],
    ),
    CurveFamily(
        "vapor_pressure", _vapor_pressure, (-20.0, -20.0, -5.0), (20.0, 20.0, 5.0), _vapor_start
    ),
    CurveFamily(
        "mmf",
        _mmf,
        (0.0, -1.0, 1e-4, 0.01),
        (1.5, 1.5, 10.0, 10.0),
        lambda x, y: [_top(y), float(y[0]), 1.0 / x[-1], 1.0],
    ),
    CurveFamily(
        "janoschek",
        _janoschek,
        (0.0, -1.0, 1e-4, 0.01),
        (1.5, 1.5, 10.0, 10.0),
        lambda x, y: [_top(y), float(y[0]), 1.0 / x[-1], 1.0],
    ),
)


def fit_family(family: CurveFamily, y: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Best parameters of ``family`` for the curve ``y`` (epochs 1..F) and their mean squared
    error; None if the fit fails."""
    x = np.arange(1, len(y) + 1, dtype=np.float64)
    lower, upper = np.array(family.lower), np.array(family.upper)
    margin = 1e-6 * (upper - lower)
    start = np.clip(np.nan_to_num(family.start(x, y)), lower + margin, upper - margin)

    def residual(params: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            r = family.f(x, *params) - y
        return np.nan_to_num(r, nan=BIG_RESIDUAL, posinf=BIG_RESIDUAL, neginf=-BIG_RESIDUAL)

    try:
        result = least_squares(residual, start, bounds=(lower, upper), max_nfev=200)
    except (ValueError, np.linalg.LinAlgError):
        return None
    mse = float(np.mean(result.fun**2))
    return (result.x, mse) if np.isfinite(mse) else None


class ParametricEnsemble:
    """Partial curve -> score at ``target_epoch`` by a BIC-weighted mix of curve families."""

    trainable = False

    def __init__(self, target_epoch: int, families: tuple[CurveFamily, ...] = FAMILIES) -> None:
        self.target_epoch = target_epoch
        self.families = families

    def fit(self, curves: np.ndarray, targets: np.ndarray) -> None:
        """Nothing to learn from other architectures."""

    def predict_one(self, y: np.ndarray) -> float:
        """The weighted prediction for one partial curve (its last value if no family fits)."""
        y = np.asarray(y, dtype=np.float64)
        n = len(y)
        values, errors, sizes = [], [], []
        for family in self.families:
            n_params = len(family.lower)
            fitted = fit_family(family, y) if n_params < n else None  # needs a residual dof
            if fitted is None:
                continue
            params, mse = fitted
            with np.errstate(all="ignore"):
                value = float(family.f(np.float64(self.target_epoch), *params))
            if 0.0 <= value <= 1.0:  # outside the score range: an implausible extrapolation
                values.append(value)
                errors.append(mse)
                sizes.append(n_params)
        if not values:
            return float(y[-1])
        mse, p = np.array(errors), np.array(sizes, dtype=np.float64)
        sigma2 = float(np.min(mse * n / (n - p))) + 1e-12  # the best unbiased noise estimate
        logits = -0.5 * n * mse / sigma2 - 0.5 * p * np.log(n)
        weights = np.exp(logits - logits.max())
        return float(weights @ np.array(values) / weights.sum())

    def predict(self, curves: np.ndarray) -> np.ndarray:
        """Predicted scores at ``target_epoch`` for partial curves ``[n, F]``."""
        return np.array([self.predict_one(row) for row in np.atleast_2d(curves)])
