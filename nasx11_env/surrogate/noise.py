"""Noise models: what a real training run adds to a surrogate's smooth mean curve.

Each model is fitted on residual curves ``[n, E]`` (real curve minus its smooth fit, in the
metric's units) and draws noise ``[n, E]`` from the caller's ``numpy.random.Generator``:

* ``EpochStdNoise`` ("std"): independent Gaussian per epoch with the per-epoch sample std.
  ``EpochStdNoise.from_profile`` builds one from a documented std profile (NB311's noise).
* ``KDENoise`` ("kde"): a Gaussian KDE over whole residual vectors (Scott bandwidth, full
  covariance, variance-corrected), so a draw keeps the across-epoch correlation of real
  residuals and their covariance.
* ``WindowStdNoise`` ("window"): per-architecture std: the residual std in a centred sliding
  window of each training curve, its log compressed by SVD and predicted from the same features
  as the mean model; draws are independent per epoch.

The original's bugs are not repeated: draws use the caller's generator (never global state),
every epoch gets its own draw, the std model sees the features it was fitted on.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from nasx11_env.surrogate.compression import SVDCompression
from nasx11_env.surrogate.regressors import LightGBMRegressor

NOISE_KINDS = ("std", "kde", "window", "none")


class NoiseModel(Protocol):
    kind: str

    def fit(self, residuals: np.ndarray, features: np.ndarray) -> NoiseModel: ...

    def sample(self, features: np.ndarray, rng: np.random.Generator) -> np.ndarray: ...

    def to_arrays(self) -> dict[str, np.ndarray]: ...


class NoNoise:
    """Zero noise (noiseless benchmarks)."""

    kind = "none"

    def fit(self, residuals: np.ndarray, features: np.ndarray) -> NoNoise:
        self.n_epochs_ = residuals.shape[1]
        return self

    def sample(self, features: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.zeros((len(features), self.n_epochs_))

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"n_epochs": np.array(self.n_epochs_)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> NoNoise:
        model = cls()
        model.n_epochs_ = int(arrays["n_epochs"])
        return model


class EpochStdNoise:
    """Independent N(0, sigma_e^2) per epoch e."""

    kind = "std"

    def fit(self, residuals: np.ndarray, features: np.ndarray) -> EpochStdNoise:
        self.sigma_ = np.asarray(residuals, dtype=np.float64).std(axis=0)
        return self

    @classmethod
    def from_profile(cls, sigma: np.ndarray) -> EpochStdNoise:
        """A model with a given per-epoch std (e.g. measured on other real curves)."""
        sigma = np.asarray(sigma, dtype=np.float64)
        if sigma.ndim != 1 or not np.all(np.isfinite(sigma)) or np.any(sigma < 0):
            raise ValueError("a noise profile must be a 1-D array of finite stds >= 0")
        model = cls()
        model.sigma_ = sigma
        return model

    def sample(self, features: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rng.standard_normal((len(features), len(self.sigma_))) * self.sigma_

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"sigma": self.sigma_}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> EpochStdNoise:
        return cls.from_profile(arrays["sigma"])


class KDENoise:
    """Gaussian KDE over residual vectors: a stored residual plus a correlated Gaussian kick."""

    kind = "kde"

    def __init__(self, max_rows: int = 1000, seed: int = 0) -> None:
        self.max_rows = max_rows
        self.seed = seed

    def fit(self, residuals: np.ndarray, features: np.ndarray) -> KDENoise:
        residuals = np.asarray(residuals, dtype=np.float64)
        n, dim = residuals.shape
        if n < 2:
            raise ValueError("the KDE noise model needs at least 2 residual curves")
        factor = n ** (-1.0 / (dim + 4))  # Scott's rule, as scipy.stats.gaussian_kde
        cov = np.atleast_2d(np.cov(residuals, rowvar=False))
        cov += np.eye(dim) * (1e-10 + 1e-8 * np.trace(cov) / dim)
        # Shrink bank and kick by 1/sqrt(1 + h^2) (Silverman's variance-corrected smoothed
        # bootstrap): in high dimensions Scott's h is close to 1, and the plain KDE would
        # nearly double the residual variance.
        shrink = 1.0 / np.sqrt(1.0 + factor**2)
        self.cholesky_ = np.linalg.cholesky(cov) * factor * shrink
        keep = np.random.default_rng(self.seed).permutation(n)[: self.max_rows]
        centre = residuals.mean(axis=0)
        self.bank_ = centre + (residuals[np.sort(keep)] - centre) * shrink
        return self

    def sample(self, features: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(features)
        picks = self.bank_[rng.integers(len(self.bank_), size=n)]
        return picks + rng.standard_normal((n, self.bank_.shape[1])) @ self.cholesky_.T

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"bank": self.bank_, "cholesky": self.cholesky_}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> KDENoise:
        model = cls(max_rows=len(arrays["bank"]))
        model.bank_ = np.asarray(arrays["bank"], dtype=np.float64)
        model.cholesky_ = np.asarray(arrays["cholesky"], dtype=np.float64)
        return model


def window_std(residuals: np.ndarray, window: int = 9) -> np.ndarray:
    """Std of each curve's residuals in a centred window of ``window`` epochs (shrunk at the
    edges to what exists), ``[n, E]``."""
    residuals = np.asarray(residuals, dtype=np.float64)
    residuals = residuals - residuals.mean(axis=1, keepdims=True)  # less cancellation below
    n_epochs = residuals.shape[1]
    half = window // 2
    padded_sum = np.concatenate([np.zeros((len(residuals), 1)), residuals.cumsum(axis=1)], axis=1)
    padded_sq = np.concatenate(
        [np.zeros((len(residuals), 1)), (residuals**2).cumsum(axis=1)], axis=1
    )
    lo = np.clip(np.arange(n_epochs) - half, 0, n_epochs)
    hi = np.clip(np.arange(n_epochs) + half + 1, 0, n_epochs)
    count = hi - lo
    mean = (padded_sum[:, hi] - padded_sum[:, lo]) / count
    var = (padded_sq[:, hi] - padded_sq[:, lo]) / count - mean**2
    unbiased = np.where(count > 1, var * count / np.maximum(count - 1, 1), 0.0)
    return np.sqrt(np.maximum(unbiased, 0.0))


class WindowStdNoise:
    """Architecture-dependent per-epoch std predicted from the mean model's features."""

    kind = "window"

    def __init__(self, window: int = 9, n_components: int = 3, seed: int = 0) -> None:
        self.window = window
        self.n_components = n_components
        self.seed = seed

    def fit(self, residuals: np.ndarray, features: np.ndarray) -> WindowStdNoise:
        log_sigma = np.log(window_std(residuals, self.window) + 1e-6)
        self.compression_ = SVDCompression(self.n_components, center=True).fit(log_sigma)
        params = {"n_estimators": 200, "learning_rate": 0.05, "num_leaves": 15}
        self.regressor_ = LightGBMRegressor(params, self.seed).fit(
            features, self.compression_.transform(log_sigma)
        )
        return self

    def sigma(self, features: np.ndarray) -> np.ndarray:
        """Predicted per-epoch std of each architecture, ``[n, E]``."""
        coefficients = self.regressor_.predict(features)
        return np.exp(self.compression_.inverse_transform(coefficients))

    def sample(self, features: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        sigma = self.sigma(features)
        return rng.standard_normal(sigma.shape) * sigma

    def to_arrays(self) -> dict[str, np.ndarray]:
        compression = {f"svd_{k}": v for k, v in self.compression_.to_arrays().items()}
        regressor = {f"reg_{k}": v for k, v in self.regressor_.to_arrays().items()}
        return {"window": np.array(self.window), **compression, **regressor}

    def to_text(self) -> list[str]:
        return self.regressor_.to_text()

    @classmethod
    def from_saved(cls, arrays: dict[str, np.ndarray], texts: list[str]) -> WindowStdNoise:
        model = cls(window=int(arrays["window"]))
        model.compression_ = SVDCompression.from_arrays(_prefixed(arrays, "svd_"))
        model.regressor_ = LightGBMRegressor.from_saved(texts, _prefixed(arrays, "reg_"))
        return model


def _prefixed(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}


def make_noise(kind: str, seed: int) -> NoiseModel:
    """A fresh noise model of ``kind`` (one of ``NOISE_KINDS``)."""
    if kind == "std":
        return EpochStdNoise()
    if kind == "kde":
        return KDENoise(seed=seed)
    if kind == "window":
        return WindowStdNoise(seed=seed)
    if kind == "none":
        return NoNoise()
    raise ValueError(f"noise must be one of {', '.join(NOISE_KINDS)}, got {kind!r}")


def noise_from_saved(kind: str, arrays: dict[str, np.ndarray], texts: list[str]) -> NoiseModel:
    """Rebuild a fitted noise model from what ``to_arrays`` (and ``to_text``) saved."""
    if kind == "std":
        return EpochStdNoise.from_arrays(arrays)
    if kind == "kde":
        return KDENoise.from_arrays(arrays)
    if kind == "window":
        return WindowStdNoise.from_saved(arrays, texts)
    if kind == "none":
        return NoNoise.from_arrays(arrays)
    raise ValueError(f"unknown noise kind {kind!r} in a saved model")
