"""What one comparison runs: the benchmark, its budget, the agents and one seed per trial.

Seeds are derived from the base seed and ``(agent name, trial)`` alone, so a trial's result does
not depend on the order, backend or worker that runs it, and a resumed run re-derives them.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np

from nasx11_env.envs.registry import BENCHMARKS, ENV_FAMILIES
from nasx11_env.errors import Nasx11Error

# Simulated seconds per search, from the original run scripts (x11-original.md "Settings");
# "synthetic" (tests and examples only) affords about 20 full trainings.
DEFAULT_BUDGETS: dict[str, float] = {
    "nb311": 5e6,
    "nlp11": 1e6,
    "nb111": 5.6e5,
    "nb201": 4e5,
    "synthetic": 1e4,
}
# Fractions of the budget at which the checkpoint CSV reports each trial's regret.
CHECKPOINT_FRACTIONS: tuple[float, ...] = (
    0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0,
)  # fmt: skip
DEFAULT_THRESHOLD = 0.01  # normalised regret the summary reports the time to reach


class ExperimentError(Nasx11Error, ValueError):
    """A comparison cannot run as asked (bad settings, or an output folder that disagrees)."""


@dataclass(frozen=True)
class TrialTask:
    """One search to run: a picklable description a worker process turns into a result row.

    ``agent`` is a registered agent name (the worker calls ``make_agent``) or an agent object
    (the worker runs a deep copy, so no state leaks between trials).
    """

    benchmark: str
    agent: Any
    agent_name: str
    trial: int
    seed: int
    budget: float


def check_benchmark(name: object) -> str:
    """The ``BENCHMARKS`` key of ``name`` (case-insensitive), else an ExperimentError."""
    if not isinstance(name, str) or name.lower() not in BENCHMARKS:
        raise ExperimentError(f"unknown benchmark {name!r}; choose one of {', '.join(BENCHMARKS)}")
    return name.lower()


def check_budget(benchmark: str, budget_seconds: object) -> float:
    """``budget_seconds`` as a float > 0, or the benchmark's default budget when None."""
    if budget_seconds is None:
        return DEFAULT_BUDGETS[benchmark]
    ok = isinstance(budget_seconds, Real) and not isinstance(budget_seconds, bool)
    if not ok or not np.isfinite(budget_seconds) or budget_seconds <= 0:
        raise ExperimentError(f"budget_seconds must be a finite number > 0, got {budget_seconds!r}")
    return float(budget_seconds)


def check_count(name: str, value: object, minimum: int) -> int:
    """``value`` as an int >= ``minimum``, else an ExperimentError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ExperimentError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def agent_names() -> tuple[str, ...]:
    """The names ``make_agent`` accepts (from ``nasx11_env.agents``)."""
    from nasx11_env.agents import AGENT_NAMES

    return tuple(AGENT_NAMES)


def make_agent(name: str) -> Any:
    """A fresh agent by registered name (``nasx11_env.agents.make_agent``)."""
    from nasx11_env.agents import make_agent as make

    return make(name)


def canonical_agent_name(name: str) -> str:
    """The registered spelling of ``name`` (case-insensitive), else an ExperimentError."""
    known = agent_names()
    by_lower = {known_name.lower(): known_name for known_name in known}
    if name.lower() not in by_lower:
        raise ExperimentError(f"unknown agent {name!r}; choose from {', '.join(known)}")
    return by_lower[name.lower()]


def resolve_agents(agents: Sequence[Any]) -> list[tuple[str, Any]]:
    """``(label, name or object)`` per agent; checks names, interface and unique labels."""
    if isinstance(agents, str) or not isinstance(agents, Sequence) or not agents:
        raise ExperimentError("agents must be a non-empty list of agent names or agent objects")
    resolved = []
    for item in agents:
        if isinstance(item, str):
            name = canonical_agent_name(item)
            agent, ref = make_agent(name), name
        else:
            agent, ref = item, item
        check_agent(agent)
        resolved.append((agent.name, ref))
    labels = [label for label, _ in resolved]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise ExperimentError(f"agents must have distinct names; repeated: {', '.join(duplicates)}")
    return resolved


def check_agent(agent: object) -> None:
    """A TypeError unless ``agent`` has the interface of ``nasx11_env.agents.base.Agent``."""
    missing = [
        attr for attr in ("name", "env_family", "env_kwargs", "run") if not hasattr(agent, attr)
    ]
    if missing:
        raise TypeError(
            f"agent {agent!r} lacks {', '.join(missing)}: agents need name, env_family, "
            "env_kwargs(n_epochs) and run(env, seed)"
        )
    if not isinstance(agent.name, str) or not agent.name:
        raise TypeError(f"agent.name must be a non-empty str, got {agent.name!r}")
    if agent.env_family not in ENV_FAMILIES:
        raise ExperimentError(
            f"agent {agent.name!r} has env_family {agent.env_family!r}; "
            f"known: {', '.join(map(repr, ENV_FAMILIES))}"
        )


def trial_seed(base_seed: int, agent_name: str, trial: int) -> int:
    """The episode seed of ``trial`` of ``agent_name``: a 32-bit draw of a SeedSequence keyed
    by the base seed, a CRC32 of the name (stable across processes) and the trial index."""
    key = (zlib.crc32(agent_name.encode("utf-8")), trial)
    return int(np.random.SeedSequence(base_seed, spawn_key=key).generate_state(1)[0])


def plan_tasks(
    benchmark: str,
    agents: list[tuple[str, Any]],
    n_trials: int,
    budget: float,
    base_seed: int,
) -> list[TrialTask]:
    """Every trial of every agent, trial-major so partial results cover all agents evenly."""
    return [
        TrialTask(benchmark, ref, label, trial, trial_seed(base_seed, label, trial), budget)
        for trial in range(n_trials)
        for label, ref in agents
    ]
