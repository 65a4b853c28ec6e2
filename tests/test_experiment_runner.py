"""run_comparison on the SYNTHETIC benchmark with tiny agents defined here: determinism across
worker counts, the trace wrapper, resume, interrupts, the output files and argument checks."""

from __future__ import annotations

import csv
import json

import gymnasium as gym
import numpy as np
import pytest

from nasx11_env.experiment import (
    CHECKPOINT_FRACTIONS,
    ExperimentError,
    TraceRecorder,
    run_comparison,
    trial_seed,
)
from nasx11_env.experiment.results import regret_at

BUDGET = 3000.0  # simulated seconds: about six full SYNTHETIC trainings


class AlwaysContinue:
    """Random search with full trainings: CONTINUE until the budget is spent."""

    name = "continue"
    env_family = ""

    def env_kwargs(self, n_epochs: int) -> dict:
        return {}

    def run(self, env: gym.Env, seed: int) -> None:
        env.reset(seed=seed)
        terminated = truncated = False
        while not (terminated or truncated):
            _, _, terminated, truncated, _ = env.step(0)


class RandomStopper:
    """STOPs unfinished architectures at random: uses its own seeded generator."""

    name = "stopper"
    env_family = ""

    def env_kwargs(self, n_epochs: int) -> dict:
        return {"decision_points": "every_k", "every_k": 5}

    def run(self, env: gym.Env, seed: int) -> None:
        rng = np.random.default_rng(seed)
        _, info = env.reset(seed=seed)
        terminated = truncated = False
        while not (terminated or truncated):
            action = 1 if rng.random() < 0.4 else 0
            _, _, terminated, truncated, info = env.step(action)


class CountingContinue(AlwaysContinue):
    """AlwaysContinue that records the seeds it ran (class-level: shared by the deep copies)."""

    name = "counting"
    seeds: list[int] = []

    def run(self, env: gym.Env, seed: int) -> None:
        CountingContinue.seeds.append(seed)
        super().run(env, seed)


class InterruptOnThird(AlwaysContinue):
    """Raises KeyboardInterrupt in its third run, as Ctrl-C would."""

    name = "interrupted"
    runs: list[int] = []

    def run(self, env: gym.Env, seed: int) -> None:
        InterruptOnThird.runs.append(seed)
        if len(InterruptOnThird.runs) == 3:
            raise KeyboardInterrupt
        super().run(env, seed)


def _compare(out, agents=None, **kwargs):
    kwargs.setdefault("n_trials", 3)
    kwargs.setdefault("workers", 1)
    return run_comparison(
        "synthetic",
        agents or [AlwaysContinue(), RandomStopper()],
        budget_seconds=BUDGET,
        out_dir=out,
        plot=False,
        progress=False,
        **kwargs,
    )


def _file_rows(out) -> list[dict]:
    lines = (out / "trials.jsonl").read_text().splitlines()
    return sorted((json.loads(line) for line in lines), key=lambda r: (r["agent"], r["trial"]))


def test_one_and_two_workers_give_identical_rows(tmp_path) -> None:
    serial = _compare(tmp_path / "serial", workers=1)
    pooled = _compare(tmp_path / "pooled", workers=2)
    assert serial.rows == pooled.rows
    assert _file_rows(tmp_path / "serial") == _file_rows(tmp_path / "pooled")
    assert len(serial.rows) == 6
    assert len({row["seed"] for row in serial.rows}) == 6  # one seed per (agent, trial)
    assert len({row["final_regret"] for row in serial.rows}) > 1  # trials differ


def test_seeds_follow_base_seed_agent_and_trial(tmp_path) -> None:
    result = _compare(tmp_path / "a", seed=7, n_trials=2)
    for row in result.rows:
        assert row["seed"] == trial_seed(7, row["agent"], row["trial"])
    grid = {trial_seed(0, name, trial) for name in ("RS", "REA") for trial in range(50)}
    assert len(grid) == 100
    assert trial_seed(0, "RS", 3) == trial_seed(0, "RS", 3) != trial_seed(1, "RS", 3)


def test_trace_keeps_only_changes_and_the_end() -> None:
    env = gym.make(
        "nasx11/Synthetic-v0", budget=BUDGET, budget_unit="seconds", max_episode_steps=10**6
    )
    recorder = TraceRecorder(env)
    _, info = recorder.reset(seed=3)
    every_step = [(info["sim_time"], info["regret"], info["incumbent_true"])]
    terminated = False
    while not terminated:
        _, _, terminated, _, info = recorder.step(0)
        every_step.append((info["sim_time"], info["regret"], info["incumbent_true"]))
    expected = [every_step[0]]
    expected += [p for p, q in zip(every_step[1:], every_step, strict=False) if p[1] != q[1]]
    if expected[-1] != every_step[-1]:
        expected.append(every_step[-1])
    assert recorder.trace == expected
    assert len(recorder.trace) < len(every_step)
    assert recorder.terminated and recorder.n_steps == len(every_step) - 1
    assert recorder.trace[-1][0] == pytest.approx(BUDGET)
    assert recorder.trace[-1][1] == recorder.final_info["final_regret"]


def test_rows_hold_final_regret_and_trace(tmp_path) -> None:
    result = _compare(tmp_path / "out", n_trials=2)
    for row in result.rows:
        assert row["trace"][-1][1] == row["final_regret"]
        assert row["sim_time"] == pytest.approx(BUDGET)
        assert row["final_regret"] == pytest.approx(0.9 - row["final_incumbent_true"])
        times = [point[0] for point in row["trace"]]
        assert times == sorted(times)


def test_checkpoint_csv_has_one_row_per_trial_and_a_column_per_fraction(tmp_path) -> None:
    result = _compare(tmp_path / "out", n_trials=3)
    with result.checkpoints_path.open() as handle:
        table = list(csv.reader(handle))
    header, body = table[0], table[1:]
    assert header[:3] == ["agent", "trial", "seed"]
    assert len(header) == 3 + len(CHECKPOINT_FRACTIONS)
    assert len(body) == 2 * 3
    assert all(len(line) == len(header) for line in body)
    for line, row in zip(body, result.rows, strict=True):
        assert (line[0], int(line[1]), int(line[2])) == (row["agent"], row["trial"], row["seed"])
        assert float(line[-1]) == row["final_regret"]
        regrets = [float(value) for value in line[3:]]
        times = np.array(CHECKPOINT_FRACTIONS) * BUDGET
        assert regrets == list(regret_at(row["trace"], times, BUDGET))


def test_regret_at_is_a_step_function_of_the_trace() -> None:
    trace = [[10.0, 0.9, 0.0], [100.0, 0.5, 0.4], [1000.0, 0.2, 0.7]]
    times = [5.0, 10.0, 99.0, 100.0, 500.0, 1000.0 - 1e-7]
    assert list(regret_at(trace, times, 1000.0)) == [0.9, 0.9, 0.9, 0.5, 0.5, 0.2]


def test_manifest_records_the_settings(tmp_path) -> None:
    _compare(tmp_path / "out", seed=5, n_trials=2)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["benchmark"] == "synthetic"
    assert manifest["budget_seconds"] == BUDGET
    assert manifest["agents"] == ["continue", "stopper"]
    assert (manifest["n_trials"], manifest["base_seed"]) == (2, 5)
    assert manifest["versions"]["nasx11_env"]


def test_resume_runs_only_missing_trials_and_matches_a_full_run(tmp_path) -> None:
    full = _compare(tmp_path / "full", agents=[CountingContinue()], n_trials=4)
    lines = (tmp_path / "full" / "trials.jsonl").read_text().splitlines(keepends=True)
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "manifest.json").write_text((tmp_path / "full" / "manifest.json").read_text())
    # two finished rows, then a row cut short by a hard kill
    (partial / "trials.jsonl").write_text("".join(lines[:2]) + lines[2][:40])
    CountingContinue.seeds.clear()
    resumed = _compare(partial, agents=[CountingContinue()], n_trials=4, resume=True)
    assert resumed.rows == full.rows
    assert sorted(CountingContinue.seeds) == sorted(row["seed"] for row in full.rows[2:])
    assert _file_rows(partial) == full.rows


def test_existing_results_need_resume_and_matching_settings(tmp_path) -> None:
    _compare(tmp_path / "out", n_trials=1)
    with pytest.raises(ExperimentError, match="resume"):
        _compare(tmp_path / "out", n_trials=1)
    with pytest.raises(ExperimentError, match="base_seed"):
        _compare(tmp_path / "out", n_trials=1, seed=1, resume=True)
    more = _compare(tmp_path / "out", n_trials=2, resume=True)  # more trials extend the run
    assert [row["trial"] for row in more.rows] == [0, 1, 0, 1]


def test_interrupt_keeps_finished_trials(tmp_path) -> None:
    InterruptOnThird.runs.clear()
    with pytest.raises(KeyboardInterrupt):
        _compare(tmp_path / "out", agents=[InterruptOnThird()], n_trials=4)
    kept = _file_rows(tmp_path / "out")
    assert [row["trial"] for row in kept] == [0, 1]
    finished = _compare(tmp_path / "out", agents=[InterruptOnThird()], n_trials=4, resume=True)
    assert [row["trial"] for row in finished.rows] == [0, 1, 2, 3]
    assert finished.rows[:2] == kept


class InterruptOnSeed(AlwaysContinue):
    """Raises KeyboardInterrupt in the trial whose seed is ``seed`` (in whatever process)."""

    name = "interrupted"

    def __init__(self, seed: int | None) -> None:
        self.seed = seed

    def run(self, env: gym.Env, seed: int) -> None:
        if seed == self.seed:
            raise KeyboardInterrupt
        super().run(env, seed)


def test_interrupt_in_a_pool_worker_keeps_finished_trials(tmp_path) -> None:
    clean = _compare(tmp_path / "clean", agents=[InterruptOnSeed(None)], n_trials=6)
    third = trial_seed(0, "interrupted", 2)
    with pytest.raises(KeyboardInterrupt):
        _compare(tmp_path / "out", agents=[InterruptOnSeed(third)], n_trials=6, workers=2)
    kept = _file_rows(tmp_path / "out")
    assert all(row in clean.rows for row in kept)
    assert 2 not in [row["trial"] for row in kept]
    resumed = _compare(tmp_path / "out", agents=[InterruptOnSeed(None)], n_trials=6, resume=True)
    assert resumed.rows == clean.rows


def test_summary_matches_rows(tmp_path) -> None:
    result = _compare(tmp_path / "out", n_trials=3, threshold=0.5)
    for summary in result.summaries:
        finals = [row["final_regret"] for row in result.rows if row["agent"] == summary.agent]
        assert summary.n_trials == 3
        assert summary.mean == pytest.approx(np.mean(finals))
        assert summary.median == pytest.approx(np.median(finals))
    assert "continue" in result.table() and "stopper" in result.table()


def test_plot_is_written_when_matplotlib_is_installed(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    result = run_comparison(
        "synthetic", [AlwaysContinue()], n_trials=2, budget_seconds=BUDGET,
        workers=1, out_dir=tmp_path / "out", progress=False,
    )  # fmt: skip
    assert result.plot_path is not None
    assert result.plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_is_skipped_with_a_message_without_matplotlib(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "matplotlib", None)
    result = run_comparison(
        "synthetic", [AlwaysContinue()], n_trials=1, budget_seconds=BUDGET,
        workers=1, out_dir=tmp_path / "out", progress=False,
    )  # fmt: skip
    assert result.plot_path is None
    assert "nasx11-env[plot]" in result.plot_note
    assert not (tmp_path / "out" / "regret.png").exists()


class EndsEarly(AlwaysContinue):
    name = "quitter"

    def run(self, env: gym.Env, seed: int) -> None:
        env.reset(seed=seed)
        env.step(0)


class SetsBudget(AlwaysContinue):
    name = "greedy"

    def env_kwargs(self, n_epochs: int) -> dict:
        return {"budget": 1e9}


def test_agents_must_finish_the_episode_and_leave_the_budget_alone(tmp_path) -> None:
    with pytest.raises(RuntimeError, match="did not end"):
        _compare(tmp_path / "a", agents=[EndsEarly()], n_trials=1)
    with pytest.raises(ExperimentError, match="must not set budget"):
        _compare(tmp_path / "b", agents=[SetsBudget()], n_trials=1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"benchmark": "nb999"}, "unknown benchmark"),
        ({"n_trials": 0}, "n_trials"),
        ({"budget_seconds": -1.0}, "budget_seconds"),
        ({"workers": 0}, "workers"),
        ({"backend": "threads"}, "backend"),
        ({"agents": []}, "agents"),
        ({"agents": [AlwaysContinue(), AlwaysContinue()]}, "repeated: continue"),
        ({"fractions": (0.5, 0.2)}, "fractions"),
    ],
)
def test_bad_arguments_are_rejected_before_any_file(tmp_path, change, message) -> None:
    kwargs = {
        "benchmark": "synthetic",
        "agents": [AlwaysContinue()],
        "n_trials": 1,
        "budget_seconds": BUDGET,
        "out_dir": tmp_path / "out",
        "progress": None,
    }
    kwargs.update(change)
    with pytest.raises(ExperimentError, match=message):
        run_comparison(**kwargs)
    assert not (tmp_path / "out").exists()
