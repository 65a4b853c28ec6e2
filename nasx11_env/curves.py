"""What an environment or agent asks of a benchmark: whole curves for a batch of architectures.

A ``CurveSource`` turns architectures into one noisy curve each (what a training run would show),
its noiseless mean (what the benchmark credits), and runtime per epoch. Environments call it once
per proposed architecture (or batch) and afterwards only read arrays, so a training step is an
array lookup. Implementations: the fitted surrogates (``nasx11_env.surrogate``) and, for unit tests
only, ``nasx11_env.synthetic.SyntheticCurves``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from nasx11_env.spaces.base import SearchSpace


@dataclass(frozen=True)
class CurveBatch:
    """Curves of ``n`` architectures over ``E`` epochs (epoch ``e`` is column ``e - 1``).

    Attributes:
        observed: noisy score curves a training run reveals, ``[n, E]``.
        mean: noiseless score curves the benchmark credits, ``[n, E]``.
        runtime: simulated seconds each epoch costs, ``[n, E]``, all > 0.
    """

    observed: np.ndarray
    mean: np.ndarray
    runtime: np.ndarray

    def __post_init__(self) -> None:
        if not (self.observed.shape == self.mean.shape == self.runtime.shape):
            raise ValueError(
                f"curve shapes differ: observed {self.observed.shape}, mean {self.mean.shape}, "
                f"runtime {self.runtime.shape}"
            )

    def __len__(self) -> int:
        return self.observed.shape[0]

    def row(self, index: int) -> CurveBatch:
        """The curves of one architecture as a batch of one."""
        keep = slice(index, index + 1)
        return CurveBatch(self.observed[keep], self.mean[keep], self.runtime[keep])


@dataclass(frozen=True)
class ScoreInfo:
    """The score an environment rewards: its name, unit, direction and normalisation range.

    ``normalize`` maps a raw score to [0, 1] with ``lower`` -> 0 and ``upper`` -> 1 (clipped),
    whatever the unit; ``optimum`` is the best known raw score (for regret).
    """

    name: str
    unit: str
    lower: float
    upper: float
    optimum: float

    def normalize(self, value: Any) -> Any:
        """Raw score(s) -> [0, 1]."""
        scaled = (np.asarray(value, dtype=np.float64) - self.lower) / (self.upper - self.lower)
        return np.clip(scaled, 0.0, 1.0)


@runtime_checkable
class CurveSource(Protocol):
    """Anything that can produce curves for architectures of one search space."""

    space: SearchSpace
    n_epochs: int
    score: ScoreInfo

    def curves(self, archs: list[Any], rng: np.random.Generator) -> CurveBatch:
        """One noisy curve, its mean and runtime per epoch for each architecture."""
        ...
