"""Early-stopping rules for the one-architecture-at-a-time agents, and the median stopping rule.

A rule is an immutable configuration (``EarlyStopping``): it names the intermediate decision
epochs the environment must be made with and builds a fresh per-episode state (``StopState``)
that decides, at each decision epoch, whether the current architecture keeps training.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from nasx11_env.envs.base import check_int


class StopState(Protocol):
    """One episode's rule: ``keep`` at a decision epoch, ``observe_full`` per full curve."""

    def keep(self, curve: np.ndarray) -> bool:
        """Whether to train on, given the observed normalised scores ``curve`` so far."""
        ...

    def observe_full(self, curve: np.ndarray) -> None:
        """A fully trained architecture's observed curve (all ``E`` epochs)."""
        ...


class EarlyStopping(Protocol):
    """Configuration of a rule: its decision epochs and a builder of per-episode states."""

    def decision_epochs(self, n_epochs: int) -> list[int]:
        """Epochs below ``n_epochs`` at which ``keep`` is asked."""
        ...

    def start(self, n_epochs: int, rng: np.random.Generator) -> StopState:
        """A fresh state for one episode."""
        ...


@dataclass(frozen=True)
class MedianStopping:
    """The median stopping rule (Golovin et al. 2017, Google Vizier): at epoch ``d`` stop an
    architecture whose best score so far is below the median, over fully trained architectures,
    of their running averages up to ``d``. Decisions every ``every_k`` epochs (default
    ``E // 10``, so at most about 10 decisions per architecture); inactive until
    ``min_completed`` architectures are fully trained.
    """

    every_k: int | None = None
    min_completed: int = 3

    def __post_init__(self) -> None:
        if self.every_k is not None:
            check_int("every_k", self.every_k, 1)
        check_int("min_completed", self.min_completed, 1)

    def decision_epochs(self, n_epochs: int) -> list[int]:
        k = self.every_k if self.every_k is not None else max(1, n_epochs // 10)
        if k >= n_epochs:
            raise ValueError(f"every_k={k} leaves no decision before the last epoch {n_epochs}")
        return list(range(k, n_epochs, k))

    def start(self, n_epochs: int, rng: np.random.Generator) -> _MedianState:
        return _MedianState(self.min_completed)


class _MedianState:
    def __init__(self, min_completed: int) -> None:
        self.min_completed = min_completed
        self._running_means: list[np.ndarray] = []

    def keep(self, curve: np.ndarray) -> bool:
        if len(self._running_means) < self.min_completed:
            return True
        d = len(curve)
        median = float(np.median([means[d - 1] for means in self._running_means]))
        return float(np.max(curve)) >= median

    def observe_full(self, curve: np.ndarray) -> None:
        self._running_means.append(np.cumsum(curve) / np.arange(1, len(curve) + 1))
