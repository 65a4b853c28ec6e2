"""Ask/tell search strategies that propose one architecture at a time: random, local, evolution.

A strategy never touches the environment: ``ask()`` returns the next ``Proposal`` and ``tell()``
reports what training it revealed (its last observed normalised score, and whether it was fully
trained). The sequential driver (``sequential.py``) connects them to ``BudgetedNASEnv``, and an
early-stopping rule may stop proposals before their last epoch. ``ask`` may be called before
the previous proposal is told (the environment starts the next architecture in the step that
completes the current one), so every strategy tolerates one pending proposal.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

from nasx11_env.envs.base import check_int
from nasx11_env.spaces.base import SearchSpace

MAX_TRIES = 100  # draws spent looking for an architecture not proposed before


@dataclass(frozen=True)
class Proposal:
    """An architecture to train; ``full`` asks for a full training whatever any early-stopping
    rule says (initial designs and restarts, which later decisions are measured against)."""

    arch: Hashable
    full: bool


class Drawer:
    """Draws architectures of ``space`` with the episode's generator, avoiding repeats."""

    def __init__(self, space: SearchSpace, rng: np.random.Generator) -> None:
        self.space = space
        self.rng = rng
        self.seen: set[Hashable] = set()  # every architecture handed out so far

    def _new(self, arch: Hashable) -> Hashable:
        self.seen.add(arch)
        return arch

    def sample_new(self) -> Hashable:
        """A uniform sample not drawn before (a repeat only after ``MAX_TRIES`` draws)."""
        arch = self.space.sample(self.rng)
        for _ in range(MAX_TRIES):
            if arch not in self.seen:
                break
            arch = self.space.sample(self.rng)
        return self._new(arch)

    def mutate_new(self, parent: Hashable) -> Hashable:
        """A mutation of ``parent`` not drawn before (a repeat only after ``MAX_TRIES``)."""
        child = self.space.mutate(parent, self.rng)
        for _ in range(MAX_TRIES):
            if child not in self.seen:
                break
            child = self.space.mutate(parent, self.rng)
        return self._new(child)


class Search(Drawer, ABC):
    """Base of the ask/tell strategies."""

    @abstractmethod
    def ask(self) -> Proposal:
        """The next architecture to train."""

    def tell(self, arch: Hashable, score: float, full: bool) -> None:  # noqa: B027
        """Training of ``arch`` ended at ``score`` (fully trained if ``full``); default: ignore."""


class RandomSearch(Search):
    """Uniform samples, never repeated while the space has unseen ones within reach."""

    def ask(self) -> Proposal:
        return Proposal(self.sample_new(), full=False)


class RegularizedEvolution(Search):
    """Regularized evolution (Real et al. 2019): an aging population of fully trained
    architectures; each child mutates the best of a tournament drawn with replacement.

    The first ``population_size`` proposals are random and fully trained. Only fully trained
    children join the population (with an early-stopping rule, the promoted ones).
    """

    def __init__(
        self,
        space: SearchSpace,
        rng: np.random.Generator,
        *,
        population_size: int = 20,
        sample_size: int = 10,
    ) -> None:
        super().__init__(space, rng)
        self.population_size = check_int("population_size", population_size, 1)
        self.sample_size = check_int("sample_size", sample_size, 1)
        self.population: deque[tuple[Hashable, float]] = deque()
        self._asked = 0

    def ask(self) -> Proposal:
        self._asked += 1
        if self._asked <= self.population_size or not self.population:
            return Proposal(self.sample_new(), full=True)
        picks = self.rng.integers(len(self.population), size=self.sample_size)
        parent = max((self.population[int(i)] for i in picks), key=lambda member: member[1])[0]
        return Proposal(self.mutate_new(parent), full=False)

    def tell(self, arch: Hashable, score: float, full: bool) -> None:
        if full:
            self.population.append((arch, score))
            if len(self.population) > self.population_size:
                self.population.popleft()


class LocalSearch(Search):
    """First-improvement local search (White et al. 2021) over ``space.neighbours``.

    ``num_init`` random architectures are fully trained; the best is the centre. Its neighbours
    are tried in a random order; a fully trained one that beats the centre becomes the centre.
    When the neighbourhood is exhausted, a new random architecture (fully trained) becomes the
    centre.
    """

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, num_init: int = 20) -> None:
        super().__init__(space, rng)
        self.num_init = check_int("num_init", num_init, 1)
        self._asked = 0
        self._best: tuple[Hashable, float] | None = None  # best fully trained so far
        self.centre: Hashable | None = None
        self.centre_score = -np.inf  # unknown while a restart is pending
        self._queue: deque[Hashable] = deque()

    def _move(self, arch: Hashable, score: float) -> None:
        self.centre, self.centre_score = arch, score
        neighbours = self.space.neighbours(arch)
        self._queue = deque(neighbours[int(i)] for i in self.rng.permutation(len(neighbours)))

    def ask(self) -> Proposal:
        self._asked += 1
        if self._asked <= self.num_init:
            return Proposal(self.sample_new(), full=True)
        if self.centre is None and self._best is not None:
            self._move(*self._best)
        while self._queue:
            arch = self._queue.popleft()
            if arch not in self.seen:
                return Proposal(self._new(arch), full=False)
        restart = self.sample_new()
        self._move(restart, -np.inf)
        return Proposal(restart, full=True)

    def tell(self, arch: Hashable, score: float, full: bool) -> None:
        if not full:
            return
        if self._best is None or score > self._best[1]:
            self._best = (arch, score)
        if arch == self.centre:
            self.centre_score = score
        elif self.centre is not None and score > self.centre_score:
            self._move(arch, score)
