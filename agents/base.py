"""The interface every baseline agent implements, so the experiment runner can drive any of them.

An agent is a search strategy. It says which environment family it needs and how that
environment must be configured (decision points, proposer), then acts on the environment through
its public API only (``reset``/``step``, ``action_masks``, ``propose``, ``revealed_curve``,
``history``) until the episode terminates. The runner owns the budget and the seed: it makes the
environment, and every random draw of the agent comes from ``agent_rng(seed)``.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np

AGENT_STREAM = 1  # spawn key of the agent's stream under the episode seed


@runtime_checkable
class Agent(Protocol):
    """A NAS strategy that runs one episode (one search under a budget) on an environment.

    Attributes:
        name: short label used in tables and result files, e.g. ``"REA-SVR"``.
        env_family: the id family it acts on: ``""`` (``nasx11/<B>-v0``, one architecture at a
            time) or ``"FreezeThaw-"`` (``nasx11/FreezeThaw-<B>-v0``, paused slots).
    """

    name: str
    env_family: str

    def env_kwargs(self, n_epochs: int) -> dict[str, Any]:
        """Keyword arguments the environment must be made with (e.g. decision points,
        ``proposer="agent"``), for a benchmark whose curves have ``n_epochs`` epochs."""
        ...

    def run(self, env: gym.Env, seed: int) -> None:
        """Reset ``env`` with ``seed`` and act until the episode terminates."""
        ...


class EpisodeOver(Exception):
    """Raised inside an agent's search loop once the episode has terminated or been truncated,
    so deeply nested loops (brackets, rungs) unwind in one place."""


class Stepper:
    """Resets and steps an environment, keeps the latest ``info`` and raises ``EpisodeOver``
    at the end of the episode (the last step's outcome no longer matters to the agent)."""

    def __init__(self, env: gym.Env) -> None:
        self.env = env
        self.info: dict[str, Any] = {}

    def reset(self, seed: int, archs: list[Any]) -> None:
        """Start the episode with ``archs`` queued as its first proposals."""
        _, self.info = self.env.reset(seed=seed, options={"archs": archs})

    def step(self, action: int) -> None:
        _, _, terminated, truncated, self.info = self.env.step(action)
        if terminated or truncated:
            raise EpisodeOver


def agent_rng(seed: int) -> np.random.Generator:
    """The agent's generator for episode ``seed``: a child stream of the seed, independent of
    the environment's own (gymnasium seeds that with ``default_rng(seed)``'s stream, and
    sharing it would tie the agent's choices to the curves' noise)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(AGENT_STREAM,)))


def check_seed(seed: object) -> int:
    """``seed`` as an int >= 0, else a ValueError naming it."""
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    return int(seed)


def check_fraction(name: str, value: object) -> float:
    """``value`` as a float in (0, 1], else a ValueError naming the argument."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and 0.0 < value <= 1.0
    if not ok:
        raise ValueError(f"{name} must be a number in (0, 1], got {value!r}")
    return float(value)


def unwrap_env(env: object, cls: type, agent: str) -> Any:
    """``env.unwrapped`` if it is a ``cls``; a TypeError naming the agent otherwise."""
    inner = getattr(env, "unwrapped", None)
    if not isinstance(inner, cls):
        raise TypeError(
            f"agent {agent!r} acts on a {cls.__name__} (see its env_family), got "
            f"{type(inner if inner is not None else env).__name__}"
        )
    return inner


def check_env_config(inner: Any, agent: str, expected: dict[str, Any]) -> None:
    """A ValueError unless the environment was made with the agent's ``env_kwargs``."""
    wrong = []
    points = tuple(sorted(set(expected["decision_points"])))
    if tuple(inner.decision_epochs) != points:
        wrong.append(f"decision_points={list(points)} (env has {list(inner.decision_epochs)})")
    if "n_slots" in expected and inner.n_slots != expected["n_slots"]:
        wrong.append(f"n_slots={expected['n_slots']} (env has {inner.n_slots})")
    if wrong:
        raise ValueError(
            f"agent {agent!r} needs an environment made with agent.env_kwargs(n_epochs): "
            + "; ".join(wrong)
        )
