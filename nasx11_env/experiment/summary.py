"""Per-agent statistics of a comparison and the table the command prints."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class AgentSummary:
    """Final-regret statistics of one agent over its finished trials.

    ``sem`` is the standard error of the mean (sample std / sqrt(n); NaN for one trial).
    ``time_to_threshold`` is the mean simulated time at which the trials that reach
    ``regret <= threshold`` first do so (NaN when none does); ``n_reached`` counts them.
    """

    agent: str
    n_trials: int
    mean: float
    sem: float
    median: float
    threshold: float
    n_reached: int
    time_to_threshold: float


def time_to_threshold(trace: Sequence[Sequence[float]], threshold: float) -> float | None:
    """Simulated time of the first trace point with regret <= ``threshold``, or None."""
    for sim_time, regret, _ in trace:
        if regret <= threshold:
            return float(sim_time)
    return None


def summarize_agent(agent: str, rows: Sequence[dict[str, Any]], threshold: float) -> AgentSummary:
    """The summary of ``rows`` (one agent's trials; at least one)."""
    finals = np.array([row["final_regret"] for row in rows], dtype=np.float64)
    n = len(finals)
    sem = float(finals.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    reached = (time_to_threshold(row["trace"], threshold) for row in rows)
    times = [t for t in reached if t is not None]
    return AgentSummary(
        agent=agent,
        n_trials=n,
        mean=float(finals.mean()),
        sem=sem,
        median=float(np.median(finals)),
        threshold=threshold,
        n_reached=len(times),
        time_to_threshold=float(np.mean(times)) if times else math.nan,
    )


def summarize(
    rows: Sequence[dict[str, Any]], agents: Sequence[str], threshold: float
) -> list[AgentSummary]:
    """One summary per agent (in ``agents`` order) that has at least one finished trial."""
    summaries = []
    for agent in agents:
        mine = [row for row in rows if row["agent"] == agent]
        if mine:
            summaries.append(summarize_agent(agent, mine, threshold))
    return summaries


def _number(value: float, spec: str) -> str:
    return "-" if math.isnan(value) else format(value, spec)


def format_table(summaries: Sequence[AgentSummary]) -> str:
    """A plain-text table: trials, mean, SEM and median final regret, time to the threshold."""
    if not summaries:
        return "no finished trials"
    width = max(5, *(len(s.agent) for s in summaries))
    threshold = summaries[0].threshold
    reach = f"time to regret<={threshold:g} (s)"
    lines = [
        f"{'agent':<{width}}  {'trials':>6}  {'mean regret':>11}  {'sem':>9}  {'median':>9}  "
        f"{reach:>24}  {'reached':>9}"
    ]
    for s in summaries:
        lines.append(
            f"{s.agent:<{width}}  {s.n_trials:>6}  {_number(s.mean, '.5f'):>11}  "
            f"{_number(s.sem, '.5f'):>9}  {_number(s.median, '.5f'):>9}  "
            f"{_number(s.time_to_threshold, '.4g'):>24}  {f'{s.n_reached}/{s.n_trials}':>9}"
        )
    return "\n".join(lines)
