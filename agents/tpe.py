"""BOHB's sampler (Falkner et al. 2018): a TPE-style density ratio over architecture encodings.

Observations are kept per rung epoch. The model uses the largest epoch with at least
``min_points`` observations: the top ``good_fraction`` of them (at least one, never all) form
the "good" set, the rest the "bad" set, each a Gaussian KDE (scikit-learn ``KernelDensity``,
Scott's bandwidth from the mean per-dimension spread, at least ``MIN_BANDWIDTH``) over the
one-hot encoding, where a Gaussian kernel is a product kernel over the categorical choices. A new
architecture is the candidate maximising ``l(x) / g(x)`` among ``num_candidates`` single
mutations of good architectures (architectures cannot be drawn from a KDE over one-hot
vectors; mutating a good point is the categorical kernel's draw). With probability
``random_fraction``, or while no epoch has enough observations, it is a uniform sample.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import numpy as np
from sklearn.neighbors import KernelDensity

from nasx11_env.agents import defaults
from nasx11_env.agents.base import check_fraction
from nasx11_env.agents.search import Drawer
from nasx11_env.envs.base import check_int
from nasx11_env.spaces.base import SearchSpace

MIN_BANDWIDTH = 1e-3


def kde_encoding(space: SearchSpace, encoding: str | None) -> str:
    """``encoding`` if given (checked), else ``"onehot"`` where the space has it, else its
    default."""
    if encoding is None:
        return "onehot" if "onehot" in space.encodings else space.encodings[0]
    if encoding not in space.encodings:
        raise ValueError(
            f"encoding must be one of {', '.join(space.encodings)} for space {space.name!r}, "
            f"got {encoding!r}"
        )
    return encoding


def fit_kde(x: np.ndarray) -> KernelDensity:
    """A Gaussian KDE of the rows of ``x`` with Scott's bandwidth (isotropic)."""
    n, d = x.shape
    spread = float(np.mean(np.std(x, axis=0))) if n > 1 else 0.0
    bandwidth = max(MIN_BANDWIDTH, spread * n ** (-1.0 / (d + 4)))
    return KernelDensity(kernel="gaussian", bandwidth=bandwidth).fit(x)


class TPESampler(Drawer):
    """New architectures for BOHB's brackets; see the module docstring."""

    def __init__(
        self,
        space: SearchSpace,
        rng: np.random.Generator,
        *,
        min_points: int,
        good_fraction: float = 0.15,
        random_fraction: float = 0.2,
        num_candidates: int = 64,
        encoding: str | None = None,
    ) -> None:
        super().__init__(space, rng)
        self.min_points = check_int("min_points_in_model", min_points, 2)
        self.good_fraction = check_fraction("good_fraction", good_fraction)
        if not 0.0 <= random_fraction <= 1.0 or isinstance(random_fraction, bool):
            raise ValueError(f"random_fraction must be in [0, 1], got {random_fraction!r}")
        self.random_fraction = float(random_fraction)
        self.num_candidates = check_int("num_candidates", num_candidates, 1)
        self.encoding = kde_encoding(space, encoding)
        self.observations: dict[int, dict[Hashable, float]] = {}

    def observe(self, arch: Hashable, epoch: int, score: float) -> None:
        self.observations.setdefault(epoch, {})[arch] = score

    def sample(self, n: int) -> list[Hashable]:
        model = self._model()
        return [self._draw(model) for _ in range(n)]

    def _model(self) -> tuple[list[Hashable], KernelDensity, KernelDensity] | None:
        usable = [e for e, obs in self.observations.items() if len(obs) >= self.min_points]
        if not usable:
            return None
        observed = self.observations[max(usable)]
        ranked = sorted(observed, key=lambda arch: -observed[arch])
        n_good = min(len(ranked) - 1, max(1, math.ceil(self.good_fraction * len(ranked))))
        good, bad = ranked[:n_good], ranked[n_good:]
        return (
            good,
            fit_kde(self.space.encode_batch(good, self.encoding)),
            fit_kde(self.space.encode_batch(bad, self.encoding)),
        )

    def _draw(self, model: tuple[list[Hashable], KernelDensity, KernelDensity] | None) -> Hashable:
        if model is None or self.rng.random() < self.random_fraction:
            return self.sample_new()
        good, l_kde, g_kde = model
        picks = self.rng.integers(len(good), size=self.num_candidates)
        candidates = list(
            dict.fromkeys(
                child
                for child in (self.space.mutate(good[int(i)], self.rng) for i in picks)
                if child not in self.seen
            )
        )
        if not candidates:
            return self.sample_new()
        x = self.space.encode_batch(candidates, self.encoding)
        ratio = l_kde.score_samples(x) - g_kde.score_samples(x)
        return self._new(candidates[int(np.argmax(ratio))])


def tpe_sampler(
    space: SearchSpace,
    rng: np.random.Generator,
    n_epochs: int,
    *,
    min_points_in_model: int | None = None,
    **params: Any,
) -> TPESampler:
    """A ``SamplerFactory`` (bind ``params`` with ``functools.partial``): a ``TPESampler`` whose
    ``min_points_in_model=None`` takes the benchmark's x11 value (``defaults.bohb_min_points``)."""
    if min_points_in_model is None:
        min_points_in_model = defaults.bohb_min_points(n_epochs)
    return TPESampler(space, rng, min_points=min_points_in_model, **params)
