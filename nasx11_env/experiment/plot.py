"""Mean regret versus simulated time per agent, with mean +- 2 SEM bands, on log-log axes
(the original notebook's plot). Needs matplotlib (the ``plot`` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nasx11_env.experiment.results import regret_at

PLOT_FILE = "regret.png"
GRID_POINTS = 200
LINE_STYLES = ("-", "--", ":")  # one per 10 agents: the default colour cycle has 10 colours
MISSING_MATPLOTLIB = "plot skipped: matplotlib is not installed (pip install 'nasx11-env[plot]')"


def regret_curves(
    rows: Sequence[dict[str, Any]], agents: Sequence[str], budget: float
) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """A log-spaced time grid up to the budget and, per agent with trials, the mean regret
    and its SEM on that grid (SEM 0 for a single trial)."""
    start = min(row["trace"][0][0] for row in rows)
    grid = np.geomspace(max(start, 1e-9 * budget), budget, GRID_POINTS)
    curves = {}
    for agent in agents:
        regrets = np.array(
            [regret_at(row["trace"], grid, budget) for row in rows if row["agent"] == agent]
        )
        if len(regrets):
            sem = regrets.std(axis=0, ddof=1) / np.sqrt(len(regrets)) if len(regrets) > 1 else 0.0
            curves[agent] = (regrets.mean(axis=0), np.broadcast_to(sem, grid.shape))
    return grid, curves


def plot_regret(
    rows: Sequence[dict[str, Any]],
    agents: Sequence[str],
    budget: float,
    path: Path,
    title: str = "",
) -> Path | None:
    """Write the regret plot to ``path`` (PNG); None when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    grid, curves = regret_curves(rows, agents, budget)
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for index, (agent, (mean, sem)) in enumerate(curves.items()):
        style = LINE_STYLES[index // 10 % len(LINE_STYLES)]
        (line,) = axes.plot(grid, mean, style, label=agent)
        axes.fill_between(grid, mean - 2 * sem, mean + 2 * sem, color=line.get_color(), alpha=0.15)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("simulated time (s)")
    axes.set_ylabel("regret (normalised)")
    axes.set_title(title)
    axes.legend(fontsize="small", ncols=2 if len(curves) > 6 else 1)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
