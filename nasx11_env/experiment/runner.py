"""``run_comparison``: every agent, ``n_trials`` searches each, on one benchmark and budget.

The run writes to its output folder as it goes (see ``results``): a manifest first, then one
row per finished trial, then the checkpoint CSV and the plot. An interrupt keeps the finished
rows; ``resume=True`` runs only the trials missing from the folder.
"""

from __future__ import annotations

import contextlib
import math
import platform
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np

from nasx11_env.experiment import plot as plotting
from nasx11_env.experiment.backends import check_backend, default_workers, run_tasks
from nasx11_env.experiment.plan import (
    CHECKPOINT_FRACTIONS,
    DEFAULT_THRESHOLD,
    ExperimentError,
    TrialTask,
    check_benchmark,
    check_budget,
    check_count,
    plan_tasks,
    resolve_agents,
)
from nasx11_env.experiment.progress import ProgressBar
from nasx11_env.experiment.results import ResultStore
from nasx11_env.experiment.summary import AgentSummary, format_table, summarize


@dataclass(frozen=True)
class ComparisonResult:
    """What a comparison produced: rows sorted by (agent, trial), summaries and file paths.

    ``plot_path`` is None when no plot was drawn; ``plot_note`` then says why (or is empty).
    """

    benchmark: str
    budget_seconds: float
    agents: tuple[str, ...]
    rows: list[dict[str, Any]]
    summaries: list[AgentSummary]
    out_dir: Path
    checkpoints_path: Path
    plot_path: Path | None
    plot_note: str

    def table(self) -> str:
        """The summary table as text."""
        return format_table(self.summaries)


def _manifest(
    benchmark: str,
    budget: float,
    agents: Sequence[str],
    n_trials: int,
    seed: int,
    threshold: float,
    fractions: Sequence[float],
) -> dict[str, Any]:
    from nasx11_env import __version__

    return {
        "benchmark": benchmark,
        "budget_seconds": budget,
        "budget_unit": "seconds",
        "agents": list(agents),
        "n_trials": n_trials,
        "base_seed": seed,
        "regret_threshold": threshold,
        "checkpoint_fractions": list(fractions),
        "versions": {
            "nasx11_env": __version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "gymnasium": gymnasium.__version__,
        },
    }


def _check_fractions(fractions: Sequence[float]) -> tuple[float, ...]:
    values = tuple(float(f) for f in fractions)
    if not values or any(not (0 < f <= 1) for f in values) or list(values) != sorted(set(values)):
        raise ExperimentError(
            f"checkpoint fractions must be increasing numbers in (0, 1], got {fractions!r}"
        )
    return values


def _previous_rows(
    store: ResultStore, manifest: dict[str, Any], tasks: Sequence[TrialTask], resume: bool
) -> dict[tuple[str, int], dict[str, Any]]:
    """The rows a resumed run keeps, by (agent, trial); checks they belong to this experiment.
    Without ``resume`` the folder must hold no rows."""
    if not store.has_rows():
        return {}
    if not resume:
        raise ExperimentError(
            f"{store.rows_path} already holds trial results: resume them (--resume) or "
            "choose another output folder"
        )
    store.check_resumable(manifest)
    previous = {(row["agent"], row["trial"]): row for row in store.load_rows()}
    for task in tasks:
        row = previous.get((task.agent_name, task.trial))
        if row is not None and row["seed"] != task.seed:
            raise ExperimentError(
                f"{store.rows_path}: {task.agent_name} trial {task.trial} has seed {row['seed']}, "
                f"expected {task.seed}; the rows come from another experiment"
            )
    return previous


def _run_and_store(
    store: ResultStore, tasks: Sequence[TrialTask], backend: str, workers: int
) -> Iterator[dict[str, Any]]:
    """Run ``tasks``, appending each row to the rows file as it finishes; yields the rows."""
    rows = contextlib.closing(run_tasks(tasks, backend, workers))
    with store.open_rows() as handle, rows as finished:
        for row in finished:
            store.append(handle, row)
            yield row


def run_comparison(
    benchmark: str,
    agents: Sequence[Any],
    n_trials: int = 30,
    budget_seconds: float | None = None,
    *,
    seed: int = 0,
    workers: int | None = None,
    backend: str = "process",
    out_dir: str | Path = "nasx11-compare",
    resume: bool = False,
    threshold: float = DEFAULT_THRESHOLD,
    fractions: Sequence[float] = CHECKPOINT_FRACTIONS,
    plot: bool = True,
    progress: bool = True,
) -> ComparisonResult:
    """Run ``n_trials`` searches of each agent on ``benchmark`` and write the results.

    Args:
        benchmark: ``"nb311"``, ``"nlp11"``, ``"nb111"``, ``"nb201"`` or ``"synthetic"``.
        agents: agent names (``nasx11_env.agents.AGENT_NAMES``) or agent objects.
        n_trials: searches per agent.
        budget_seconds: simulated seconds per search; default ``plan.DEFAULT_BUDGETS``.
        seed: base seed; trial seeds come from it and ``(agent name, trial)``.
        workers: parallel trials (default: the CPU count); 1 runs in this process.
        backend: ``"process"`` (a local process pool) or ``"ray"`` (the ``dist`` extra).
        out_dir: output folder; without ``resume`` it must hold no trial rows yet.
        resume: keep the rows in ``out_dir`` and run only the missing trials.
        threshold: regret the summary reports the time to reach.
        fractions: budget fractions of the checkpoint CSV.
        plot: draw ``regret.png`` when matplotlib is installed.
        progress: draw a progress bar on stderr.

    Raises:
        ExperimentError: bad arguments, or an output folder that disagrees with the request.
        BackendUnavailableError: ``backend="ray"`` without Ray installed.
        KeyboardInterrupt: re-raised after the finished rows are safely written.
    """
    benchmark = check_benchmark(benchmark)
    budget = check_budget(benchmark, budget_seconds)
    n_trials = check_count("n_trials", n_trials, 1)
    seed = check_count("seed", seed, 0)
    workers = default_workers() if workers is None else check_count("workers", workers, 1)
    backend = check_backend(backend)
    if not (isinstance(threshold, (int, float)) and math.isfinite(threshold)):
        raise ExperimentError(f"threshold must be a finite number, got {threshold!r}")
    fractions = _check_fractions(fractions)
    resolved = resolve_agents(agents)
    labels = tuple(label for label, _ in resolved)

    store = ResultStore(out_dir)
    manifest = _manifest(benchmark, budget, labels, n_trials, seed, threshold, fractions)
    tasks = plan_tasks(benchmark, resolved, n_trials, budget, seed)
    finished = _previous_rows(store, manifest, tasks, resume)
    store.write_manifest(manifest)
    todo = [task for task in tasks if (task.agent_name, task.trial) not in finished]
    bar = ProgressBar(len(tasks), len(tasks) - len(todo)) if progress else None
    try:
        with contextlib.closing(_run_and_store(store, todo, backend, workers)) as rows:
            for row in rows:
                finished[(row["agent"], row["trial"])] = row
                if bar:
                    bar.update()
    finally:
        if bar:
            bar.close()

    order = {label: index for index, label in enumerate(labels)}
    kept = sorted(
        (row for row in finished.values() if row["agent"] in order and row["trial"] < n_trials),
        key=lambda row: (order[row["agent"]], row["trial"]),
    )
    checkpoints = store.write_checkpoints(kept, budget, fractions)
    plot_path, note = None, ""
    if plot:
        plot_path = plotting.plot_regret(
            kept, labels, budget, store.out_dir / plotting.PLOT_FILE, title=benchmark
        )
        note = "" if plot_path else plotting.MISSING_MATPLOTLIB
    return ComparisonResult(
        benchmark=benchmark,
        budget_seconds=budget,
        agents=labels,
        rows=kept,
        summaries=summarize(kept, labels, threshold),
        out_dir=store.out_dir,
        checkpoints_path=checkpoints,
        plot_path=plot_path,
        plot_note=note,
    )
