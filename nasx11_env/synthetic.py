"""A synthetic benchmark for unit tests and documentation examples, never for results.

Curves are exponential saturations whose asymptote and speed are fixed functions of the NB201
architecture's one-hot encoding, plus Gaussian noise; runtime grows with the number of
convolutions. Fast, dependency-free and clearly not real data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nasx11_env.curves import CurveBatch, ScoreInfo
from nasx11_env.spaces import get_space

_ASYMPTOTE_WEIGHTS = np.array([-6.0, 1.0, 3.0, 5.0, 0.5])  # per op: none .. avg_pool
_SPEED_WEIGHTS = np.array([0.0, 1.0, 0.5, -0.5, 0.8])
_RUNTIME_WEIGHTS = np.array([0.0, 0.0, 4.0, 9.0, 1.0])


class SyntheticCurves:
    """SYNTHETIC curves over the NB201 space (unit tests only; not a surrogate of real data)."""

    def __init__(self, n_epochs: int = 20, noise_std: float = 1.0) -> None:
        self.space = get_space("nb201")
        self.n_epochs = n_epochs
        self.noise_std = noise_std
        self.score = ScoreInfo(
            "synthetic_val_acc", "%", lower=0.0, upper=100.0, optimum=self._best_asymptote()
        )

    def _op_counts(self, archs: list[Any]) -> np.ndarray:
        onehot = self.space.encode_batch(archs, "onehot")
        return onehot.reshape(len(archs), 6, 5).sum(axis=1)

    def _best_asymptote(self) -> float:
        return float(60.0 + 6 * _ASYMPTOTE_WEIGHTS.max())

    def mean_curves(self, archs: list[Any]) -> np.ndarray:
        """Noiseless curves ``[n, E]`` in %."""
        counts = self._op_counts(archs)
        asymptote = 60.0 + counts @ _ASYMPTOTE_WEIGHTS
        speed = 0.15 * np.exp(counts @ _SPEED_WEIGHTS / 6.0)
        epochs = np.arange(1, self.n_epochs + 1)
        start = 10.0
        return start + (asymptote - start)[:, None] * (1 - np.exp(-speed[:, None] * epochs))

    def curves(self, archs: list[Any], rng: np.random.Generator) -> CurveBatch:
        """Noisy curves, means and runtimes for ``archs``; noise drawn from ``rng``."""
        mean = self.mean_curves(archs)
        observed = np.clip(mean + rng.normal(0.0, self.noise_std, mean.shape), 0.0, 100.0)
        per_epoch = 10.0 + self._op_counts(archs) @ _RUNTIME_WEIGHTS
        runtime = np.repeat(per_epoch[:, None], self.n_epochs, axis=1)
        return CurveBatch(observed=observed, mean=mean, runtime=runtime)
