"""Successive halving, Hyperband and BOHB on ``nasx11/FreezeThaw-<B>-v0``.

These need several architectures paused at once, so they act on the freeze-thaw environment:
one slot per architecture of the largest bracket (``n_slots``), decision points at the rung
epochs. A bracket fills its first slots (``replace i``, then ``train i`` up to its first rung),
trains every active slot to the rung epoch, keeps the top ``1/eta`` by the score observed at
that epoch and trains those on. With ``checkpointing=True`` (default) a promoted architecture
pays only its new epochs; ``checkpointing=False`` retrains it from scratch as the x11
Hyperband/BOHB did. Hyperband cycles through its brackets (most exploratory first) until the
budget is spent; successive halving repeats the most exploratory bracket. The first bracket
starts at ``reset`` (which fills every slot).

Geometry (Li et al. 2018, as x11 computes it): ``R = E / min_epochs``, ``s_max =
floor(log_eta R)``; bracket ``s`` starts ``ceil((s_max + 1) eta^s / (s + 1))`` architectures at
``floor(E eta^-s)`` epochs, and rung ``i`` keeps ``floor(n eta^-i)`` at ``floor(E eta^(i-s))``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol

import gymnasium as gym
import numpy as np

from nasx11_env.agents import defaults
from nasx11_env.agents.base import (
    EpisodeOver,
    Stepper,
    agent_rng,
    check_env_config,
    check_seed,
    unwrap_env,
)
from nasx11_env.agents.search import Drawer
from nasx11_env.envs import FreezeThawEnv
from nasx11_env.envs.base import check_bool, check_int
from nasx11_env.spaces.base import SearchSpace


@dataclass(frozen=True)
class Bracket:
    """Architectures per rung (``sizes``) and the rung epochs (``epochs``), increasing."""

    sizes: tuple[int, ...]
    epochs: tuple[int, ...]


def hyperband_brackets(max_epochs: int, min_epochs: int, eta: int) -> list[Bracket]:
    """Hyperband's brackets, most exploratory first (see the module docstring)."""
    max_epochs = check_int("max_epochs", max_epochs, 1)
    min_epochs = check_int("min_epochs", min_epochs, 1)
    eta = check_int("eta", eta, 2)
    if min_epochs > max_epochs:
        raise ValueError(f"min_epochs={min_epochs} exceeds the curve length {max_epochs}")
    s_max = 0
    while min_epochs * eta ** (s_max + 1) <= max_epochs:  # floor(log_eta(max / min)), exactly
        s_max += 1
    brackets = []
    for s in range(s_max, -1, -1):
        n = math.ceil((s_max + 1) * eta**s / (s + 1))
        sizes = tuple(n // eta**i for i in range(s + 1))
        epochs = tuple(max(1, max_epochs * eta**i // eta**s) for i in range(s + 1))
        brackets.append(Bracket(sizes, epochs))
    return brackets


class Sampler(Protocol):
    """Where a bracket's new architectures come from; told every rung result."""

    def sample(self, n: int) -> list[Hashable]: ...

    def observe(self, arch: Hashable, epoch: int, score: float) -> None: ...


class RandomSampler(Drawer):
    """Uniform samples not drawn before (Hyperband, successive halving)."""

    def sample(self, n: int) -> list[Hashable]:
        return [self.sample_new() for _ in range(n)]

    def observe(self, arch: Hashable, epoch: int, score: float) -> None:
        """Random sampling learns nothing."""


def random_sampler(space: SearchSpace, rng: np.random.Generator, n_epochs: int) -> RandomSampler:
    return RandomSampler(space, rng)


SamplerFactory = Callable[[SearchSpace, np.random.Generator, int], Sampler]


@dataclass(frozen=True)
class BracketAgent:
    """Successive halving (``all_brackets=False``), Hyperband or BOHB (a model-based sampler).

    ``eta``/``min_epochs`` default to the x11 values of the benchmark (``defaults.py``).
    """

    name: str
    sampler: SamplerFactory
    all_brackets: bool = True
    eta: int | None = None
    min_epochs: int | None = None
    checkpointing: bool = True
    env_family: str = field(default="FreezeThaw-", init=False)

    def __post_init__(self) -> None:
        if self.eta is not None:
            check_int("eta", self.eta, 2)
        if self.min_epochs is not None:
            check_int("min_epochs", self.min_epochs, 1)
        check_bool("checkpointing", self.checkpointing)

    def brackets(self, n_epochs: int) -> list[Bracket]:
        """The brackets run, in order, for curves of ``n_epochs``."""
        eta, min_epochs = defaults.hyperband_geometry(n_epochs)
        eta = self.eta if self.eta is not None else eta
        min_epochs = self.min_epochs if self.min_epochs is not None else min_epochs
        brackets = hyperband_brackets(n_epochs, min_epochs, eta)
        return brackets if self.all_brackets else brackets[:1]

    def env_kwargs(self, n_epochs: int) -> dict[str, Any]:
        brackets = self.brackets(n_epochs)
        return {
            "n_slots": max(b.sizes[0] for b in brackets),
            "decision_points": sorted({e for b in brackets for e in b.epochs}),
            "proposer": "agent",
            "checkpointing": self.checkpointing,
        }

    def run(self, env: gym.Env, seed: int) -> None:
        seed = check_seed(seed)
        inner = unwrap_env(env, FreezeThawEnv, self.name)
        n_epochs = inner.n_epochs
        check_env_config(inner, self.name, self.env_kwargs(n_epochs))
        sampler = self.sampler(inner.space, agent_rng(seed), n_epochs)
        try:
            _Brackets(env, inner, sampler).run(seed, self.brackets(n_epochs))
        except EpisodeOver:
            pass


class _Brackets:
    """The act loop of one episode (ends by ``EpisodeOver`` from the stepper)."""

    def __init__(self, env: gym.Env, inner: FreezeThawEnv, sampler: Sampler) -> None:
        self.inner = inner
        self.sampler = sampler
        self.stepper = Stepper(env)
        self.n_slots = inner.n_slots

    def run(self, seed: int, brackets: list[Bracket]) -> None:
        self.stepper.reset(seed, self.sampler.sample(self.n_slots))
        for i in itertools.count():
            bracket = brackets[i % len(brackets)]
            if i:
                for slot, arch in enumerate(self.sampler.sample(bracket.sizes[0])):
                    self.inner.propose(arch)
                    self.stepper.step(self.n_slots + slot)  # replace slot
            self._run_bracket(bracket)

    def _run_bracket(self, bracket: Bracket) -> None:
        active = list(range(bracket.sizes[0]))
        scores: list[float] = []
        for rung, (size, epoch) in enumerate(zip(bracket.sizes, bracket.epochs, strict=True)):
            if rung:
                top = np.argsort(-np.array(scores), kind="stable")[:size]
                active = [active[int(i)] for i in sorted(top)]
            scores = [self._train_to(slot, epoch) for slot in active]

    def _train_to(self, slot: int, epoch: int) -> float:
        """Train ``slot`` to ``epoch``; its observed score there (told to the sampler)."""
        while self.stepper.info["slot_epochs"][slot] < epoch:
            self.stepper.step(slot)
        run = int(self.stepper.info["slot_arch_index"][slot])
        score = float(self.inner.revealed_curve(run)[epoch - 1])
        self.sampler.observe(self.inner.arch(run), epoch, score)
        return score
