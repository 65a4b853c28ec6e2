"""Benchmarks by name, their curve sources, and the ``nasx11/...`` Gymnasium ids.

Registration is cheap: specs with string entry points and a benchmark *name* as kwarg; the curve
source (and any data) is only resolved when an environment is constructed, by ``make_source``.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym

from nasx11_env.curves import CurveSource
from nasx11_env.errors import Nasx11Error

NAMESPACE = "nasx11"
DEFAULT_BUDGET_TRAININGS = 10  # default budget: this many full trainings (x E epochs)
STEP_CAP_FACTOR = 10  # TimeLimit cap = this x the most steps the default budget allows


@dataclass(frozen=True)
class Benchmark:
    """What registration needs to know about a benchmark without loading it."""

    name: str  # make_source key
    label: str  # id component
    space: str  # search-space registry name
    n_epochs: int
    score: str
    proposer: str = "random"  # default proposer of the registered ids


BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark("nb311", "NB311", "darts", 98, "validation accuracy (%)"),
        # NLP11 proposes the architectures of the real logs: real curves plus modelled noise
        Benchmark("nlp11", "NLP11", "nlp", 50, "x11 score: 100 - validation loss", "pool"),
        Benchmark("nb111", "NB111", "nb101", 108, "validation accuracy"),
        Benchmark("nb201", "NB201", "nb201", 200, "validation accuracy (%)"),
        Benchmark("synthetic", "Synthetic", "nb201", 20, "SYNTHETIC accuracy (%), tests only"),
    )
}

ENV_FAMILIES: dict[str, str] = {
    "": "nasx11_env.envs.budgeted:BudgetedNASEnv",
    "EarlyStop-": "nasx11_env.envs.early_stop:EarlyStopEnv",
    "FreezeThaw-": "nasx11_env.envs.freeze_thaw:FreezeThawEnv",
}


class SurrogateUnavailableError(Nasx11Error, RuntimeError):
    """A benchmark's fitted surrogate artifact is not available on this installation."""


def make_source(name: str) -> CurveSource:
    """The curve source of a benchmark by name (``"nb311"``, ``"nlp11"``, ``"nb111"``,
    ``"nb201"`` or ``"synthetic"``, case-insensitive)."""
    if not isinstance(name, str) or name.lower() not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; choose one of {', '.join(BENCHMARKS)}")
    key = name.lower()
    if key == "synthetic":
        from nasx11_env.synthetic import SyntheticCurves

        return SyntheticCurves()
    from nasx11_env.surrogate.catalog import ArtifactNotFoundError, load_benchmark_source

    if key == "nb201":
        raise SurrogateUnavailableError(
            "no NB201 surrogate ships (its only per-epoch data may not be redistributed); fit "
            "a LearningCurveSurrogate on your NB201 curves and pass it as a CurveSource: "
            "gym.make('nasx11/NB201-v0', source=SurrogateCurveSource(model, ...))."
        )
    try:
        return load_benchmark_source(key)
    except ArtifactNotFoundError as error:
        raise SurrogateUnavailableError(str(error)) from None


def env_id(family: str, benchmark: Benchmark) -> str:
    """``nasx11/<family><label>-v0``, e.g. ``nasx11/EarlyStop-NB311-v0``."""
    return f"{NAMESPACE}/{family}{benchmark.label}-v0"


def step_cap(family: str, benchmark: Benchmark) -> int:
    """The registered ``max_episode_steps``: a safety cap well above any default episode.

    Budgeted and freeze-thaw steps each train at least one epoch, so the default budget of
    ``DEFAULT_BUDGET_TRAININGS x E`` epochs allows at most that many steps; an early-stopping
    episode has at most ``E`` steps. Raise it (``gym.make(..., max_episode_steps=n)``) when you
    raise the budget a lot or count it in seconds.
    """
    if family == "EarlyStop-":
        return 2 * benchmark.n_epochs
    return STEP_CAP_FACTOR * DEFAULT_BUDGET_TRAININGS * benchmark.n_epochs


def registered_kwargs(benchmark: Benchmark) -> dict[str, str]:
    """The kwargs an id is registered with: the benchmark name and non-default proposer."""
    kwargs = {"source": benchmark.name}
    if benchmark.proposer != "random":
        kwargs["proposer"] = benchmark.proposer
    return kwargs


def register_envs() -> list[str]:
    """Register every ``nasx11/...`` id (idempotent); returns the ids."""
    ids = []
    for benchmark in BENCHMARKS.values():
        for family, entry_point in ENV_FAMILIES.items():
            name = env_id(family, benchmark)
            ids.append(name)
            if name in gym.registry:
                continue
            gym.register(
                id=name,
                entry_point=entry_point,
                max_episode_steps=step_cap(family, benchmark),
                kwargs=registered_kwargs(benchmark),
            )
    return ids
