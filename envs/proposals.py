"""Where an episode's architectures come from, and their curves cached for the episode.

A proposer hands out architectures in blocks so the curve source predicts a whole block in one
batched call (conventions 13.1): a proposal then costs one dictionary lookup. ``random`` samples
the search space, ``pool`` walks a fixed list in a per-episode random order. ``arch_split``
keeps train and test architectures apart with a hash of the architecture string and a fixed
``split_seed`` (never the episode seed), so the split is the same on every machine.
"""

from __future__ import annotations

import zlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nasx11_env.curves import CurveSource
from nasx11_env.spaces.base import SearchSpace

SPLITS = ("all", "train", "test")
TEST_PERCENT = 20  # share of architectures in the "test" split
PROPOSERS = ("random", "pool", "agent")


@dataclass(frozen=True, eq=False)
class ArchCurve:
    """One architecture's curves for one episode, normalised to [0, 1] by the source's ScoreInfo.

    ``observed`` is what training reveals, ``true`` what the benchmark credits; ``best`` is the
    running maximum of ``observed``; ``cum_seconds[e]`` is the simulated time of epochs 1..e.
    ``padded`` is ``observed`` after ``pad`` zeros (``observed`` is a view into it), so the
    observation window of the last ``pad`` epochs up to epoch ``e`` is ``padded[e : e + pad]``.
    """

    padded: np.ndarray  # [pad + E] float32
    observed: np.ndarray  # [E] float32
    true: np.ndarray  # [E] float64
    best: np.ndarray  # [E] float32
    cum_seconds: np.ndarray  # [E + 1] float64, cum_seconds[0] == 0


def parse_noise(noise: object) -> float | None:
    """``"source"`` -> None (keep the source's noise), ``"none"`` -> 0.0, ``"gaussian:s"`` -> s."""
    if noise == "source":
        return None
    if noise == "none":
        return 0.0
    if isinstance(noise, str) and noise.startswith("gaussian:"):
        try:
            sigma = float(noise.split(":", 1)[1])
        except ValueError:
            sigma = -1.0
        if sigma >= 0 and np.isfinite(sigma):
            return sigma
    raise ValueError(
        f"noise must be 'source', 'none' or 'gaussian:<sigma in normalised units>', got {noise!r}"
    )


def build_curves(
    source: CurveSource,
    archs: Sequence[Hashable],
    rng: np.random.Generator,
    extra_noise: float | None,
    pad: int = 0,
) -> list[ArchCurve]:
    """Predict the curves of ``archs`` in one call to the source and normalise them."""
    batch = source.curves(list(archs), rng)
    n_epochs = source.n_epochs
    if batch.observed.shape != (len(archs), n_epochs):
        raise ValueError(
            f"curve source returned shape {batch.observed.shape}, expected ({len(archs)}, "
            f"{n_epochs})"
        )
    if not np.all(np.isfinite(batch.observed)) or not np.all(batch.runtime > 0):
        raise ValueError("curve source returned non-finite scores or non-positive runtimes")
    true = source.score.normalize(batch.mean)
    if extra_noise is None:
        observed = source.score.normalize(batch.observed)
    elif extra_noise == 0.0:
        observed = true.copy()
    else:
        observed = np.clip(true + rng.normal(0.0, extra_noise, true.shape), 0.0, 1.0)
    padded = np.zeros((len(archs), pad + n_epochs), dtype=np.float32)
    padded[:, pad:] = observed
    observed = padded[:, pad:]
    best = np.maximum.accumulate(observed, axis=1)
    cum = np.zeros((len(archs), n_epochs + 1))
    np.cumsum(batch.runtime, axis=1, out=cum[:, 1:])
    return [ArchCurve(padded[i], observed[i], true[i], best[i], cum[i]) for i in range(len(archs))]


def in_split(space: SearchSpace, arch: Hashable, split: str, split_seed: int) -> bool:
    """Whether ``arch`` belongs to ``split``; a fixed hash, identical on every machine."""
    if split == "all":
        return True
    bucket = zlib.crc32(f"{split_seed}:{space.to_str(arch)}".encode()) % 100
    return (bucket < TEST_PERCENT) == (split == "test")


class RandomProposer:
    """Uniform samples from the search space (restricted to the split)."""

    def __init__(self, space: SearchSpace, split: str, split_seed: int) -> None:
        self.space = space
        self.split = split
        self.split_seed = split_seed

    def reset(self, rng: np.random.Generator) -> None:
        """Nothing to prepare: every draw comes from ``rng``."""

    def draw(self, n: int, rng: np.random.Generator) -> list[Hashable]:
        """``n`` architectures; rejection sampling keeps only the split's members."""
        out: list[Hashable] = []
        tries = 0
        while len(out) < n:
            arch = self.space.sample(rng)
            if in_split(self.space, arch, self.split, self.split_seed):
                out.append(arch)
            tries += 1
            if tries > 1000 * n:
                raise RuntimeError(f"could not sample {n} architectures of split {self.split!r}")
        return out


class PoolProposer:
    """A fixed list of architectures, visited in a random order per episode (then reshuffled)."""

    def __init__(self, pool: Sequence[Hashable]) -> None:
        if len(pool) == 0:
            raise ValueError("the architecture pool is empty (after applying arch_split)")
        self.pool = tuple(pool)
        self._order = np.arange(len(self.pool))
        self._cursor = 0

    def reset(self, rng: np.random.Generator) -> None:
        """Shuffle the pool for a new episode."""
        self._order = rng.permutation(len(self.pool))
        self._cursor = 0

    def draw(self, n: int, rng: np.random.Generator) -> list[Hashable]:
        """The next ``n`` architectures of this episode's order, reshuffling when it runs out."""
        out: list[Hashable] = []
        while len(out) < n:
            if self._cursor == len(self.pool):
                self.reset(rng)
            take = min(n - len(out), len(self.pool) - self._cursor)
            out.extend(self.pool[int(i)] for i in self._order[self._cursor : self._cursor + take])
            self._cursor += take
        return out


def parse_arch(space: SearchSpace, arch: Any) -> Hashable:
    """An architecture object or its string form -> a checked architecture of ``space``."""
    if isinstance(arch, str):
        return space.from_str(arch)
    return space.check(arch)


def make_proposer(
    kind: str,
    space: SearchSpace,
    pool: Sequence[Any] | None,
    split: str,
    split_seed: int,
) -> RandomProposer | PoolProposer | None:
    """The proposer named by ``kind`` (``None`` for ``"agent"``: only ``propose()`` feeds it)."""
    if kind not in PROPOSERS:
        raise ValueError(f"unknown proposer {kind!r}; choose one of {', '.join(PROPOSERS)}")
    if split not in SPLITS:
        raise ValueError(f"unknown arch_split {split!r}; choose one of {', '.join(SPLITS)}")
    if kind != "pool" and pool is not None:
        raise ValueError(f"pool=... is only used with proposer='pool', not {kind!r}")
    if kind == "agent":
        return None
    if kind == "random":
        return RandomProposer(space, split, split_seed)
    if pool is None:
        raise ValueError("proposer='pool' needs pool=[architectures or their strings]")
    archs = [parse_arch(space, a) for a in pool]
    return PoolProposer([a for a in archs if in_split(space, a, split, split_seed)])
