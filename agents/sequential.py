"""Agents that train one architecture at a time on ``nasx11/<B>-v0`` (``BudgetedNASEnv``).

A ``SequentialAgent`` joins an ask/tell search strategy (``search.py``, ``bananas.py``) and an
optional early-stopping rule (``stopping.py``, ``lce.py``). Without a rule the environment is
made with ``decision_points=[E]``: every step proposes one architecture and trains it fully.
With a rule the rule's decision epochs come first; at each one the rule may ``STOP`` the
architecture (the search is told its last observed score) or let it ``CONTINUE``.

Proposals run one ahead of results in one case: the step that completes an architecture also
starts the next one (the environment's contract), so the next proposal is asked before the
completed architecture's final score is told. Without a rule this never happens (a proposal is
trained fully in the step that starts it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from nasx11_env.agents.base import (
    EpisodeOver,
    Stepper,
    agent_rng,
    check_env_config,
    check_seed,
    unwrap_env,
)
from nasx11_env.agents.search import Proposal, Search
from nasx11_env.agents.stopping import EarlyStopping, StopState
from nasx11_env.envs import CONTINUE, STOP, BudgetedNASEnv
from nasx11_env.spaces.base import SearchSpace

SearchFactory = Callable[[SearchSpace, np.random.Generator], Search]


@dataclass(frozen=True)
class SequentialAgent:
    """A search strategy (built per episode by ``search(space, rng)``) on ``BudgetedNASEnv``.

    Args:
        name: label, e.g. ``"REA"`` or ``"REA-SVR"``.
        search: builds the ask/tell strategy for one episode.
        base: name of the strategy without rule suffixes (selects the x11 LCE defaults).
        stopping: an early-stopping rule, or None for full trainings only.
    """

    name: str
    search: SearchFactory
    base: str
    stopping: EarlyStopping | None = None
    env_family: str = field(default="", init=False)

    def env_kwargs(self, n_epochs: int) -> dict[str, Any]:
        points = self.stopping.decision_epochs(n_epochs) if self.stopping else []
        return {"decision_points": [*points, n_epochs], "proposer": "agent"}

    def run(self, env: gym.Env, seed: int) -> None:
        seed = check_seed(seed)
        inner = unwrap_env(env, BudgetedNASEnv, self.name)
        n_epochs = inner.n_epochs
        check_env_config(inner, self.name, self.env_kwargs(n_epochs))
        rng = agent_rng(seed)
        search = self.search(inner.space, rng)
        rule = self.stopping.start(n_epochs, rng) if self.stopping else None
        try:
            _Episode(env, inner, search, rule).run(seed)
        except EpisodeOver:
            pass


class _Episode:
    """The act loop of one episode (ends by ``EpisodeOver`` from the stepper)."""

    def __init__(
        self, env: gym.Env, inner: BudgetedNASEnv, search: Search, rule: StopState | None
    ) -> None:
        self.inner = inner
        self.search = search
        self.rule = rule
        self.stepper = Stepper(env)
        self.n_epochs = inner.n_epochs

    def _propose(self) -> Proposal:
        proposal = self.search.ask()
        self.inner.propose(proposal.arch)
        return proposal

    def _completed(self, proposal: Proposal, curve: np.ndarray) -> None:
        if self.rule is not None:
            self.rule.observe_full(curve)
        self.search.tell(proposal.arch, float(curve[-1]), full=True)

    def run(self, seed: int) -> None:
        queued = self.search.ask()
        self.stepper.reset(seed, [queued.arch])
        index, current = -1, queued
        while True:
            info = self.stepper.info
            if info["arch_index"] != index:  # the queued proposal has started
                index = info["arch_index"]
                current = queued
                if self.inner.arch(index) != current.arch:
                    raise RuntimeError("the environment started an architecture not proposed")
            curve = self.inner.revealed_curve(index)
            if len(curve) >= self.n_epochs:  # fully trained in the step that started it
                self._completed(current, curve)
                queued = self._propose()
                self.stepper.step(CONTINUE)
            elif not (current.full or self.rule is None or self.rule.keep(curve)):
                self.search.tell(current.arch, float(curve[-1]), full=False)
                queued = self._propose()
                self.stepper.step(STOP)
            elif info["decision_point"] >= self.n_epochs:  # this step completes it
                queued = self._propose()
                self.stepper.step(CONTINUE)
                self._completed(current, self.inner.revealed_curve(index))
            else:
                self.stepper.step(CONTINUE)
