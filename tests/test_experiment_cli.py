"""``nasx11 compare``: argparse errors for bad values, and a full tiny run through the handler.

The agent registry is replaced by two tiny agents defined here, so the tests do not depend on
the baseline agents' speed or behaviour.
"""

from __future__ import annotations

import argparse
import json

import gymnasium as gym
import pytest

from nasx11_env.experiment import ExperimentError, plan
from nasx11_env.experiment.cli import add_compare_parser


class Continue:
    name = "Cont"
    env_family = ""

    def env_kwargs(self, n_epochs: int) -> dict:
        return {}

    def run(self, env: gym.Env, seed: int) -> None:
        env.reset(seed=seed)
        terminated = False
        while not terminated:
            _, _, terminated, _, _ = env.step(0)


class StopHalf(Continue):
    name = "Stop-Half"

    def env_kwargs(self, n_epochs: int) -> dict:
        return {"decision_points": [n_epochs // 2, n_epochs]}

    def run(self, env: gym.Env, seed: int) -> None:
        _, info = env.reset(seed=seed)
        terminated = False
        while not terminated:
            action = 1 if info["arch_index"] % 2 else 0  # stop every other architecture
            _, _, terminated, _, info = env.step(action)


AGENTS = {"Cont": Continue, "Stop-Half": StopHalf}


class Interrupting(Continue):
    def run(self, env: gym.Env, seed: int) -> None:
        raise KeyboardInterrupt


@pytest.fixture(autouse=True)
def tiny_agents(monkeypatch) -> None:
    monkeypatch.setattr(plan, "agent_names", lambda: tuple(AGENTS))
    monkeypatch.setattr(plan, "make_agent", lambda name: AGENTS[name]())


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nasx11")
    add_compare_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["compare", *argv])


def _run(argv: list[str]) -> int:
    args = _parse(argv)
    return args.func(args)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--agents", "Cont,Nope"], "unknown agent 'Nope'; choose from Cont, Stop-Half"),
        (["--agents", ","], "at least one agent"),
        (["--agents", "Cont,cont"], "agent(s) named twice: Cont"),
        (["--benchmark", "nb999"], "invalid choice: 'nb999'"),
        (["--trials", "0"], "--trials: must be an integer >= 1, got '0'"),
        (["--trials", "many"], "--trials: must be an integer >= 1"),
        (["--budget", "-5"], "--budget: must be a finite number > 0"),
        (["--workers", "0"], "--workers: must be an integer >= 1"),
        (["--seed", "-1"], "--seed: must be an integer >= 0"),
        (["--backend", "threads"], "invalid choice: 'threads'"),
    ],
)
def test_bad_arguments_are_argparse_errors(argv, message, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _parse(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: nasx11 compare")
    assert message in err


def test_defaults_and_case_insensitive_names() -> None:
    args = _parse(["--agents", "cont,STOP-HALF", "--benchmark", "Synthetic"])
    assert args.agents == ["Cont", "Stop-Half"]
    assert args.benchmark == "synthetic"
    assert (args.trials, args.seed, args.backend, args.budget) == (30, 0, "process", None)
    assert (args.resume, args.no_plot, args.workers) == (False, False, None)


def test_compare_runs_and_prints_the_summary(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    argv = ["--benchmark", "synthetic", "--trials", "2", "--budget", "2000", "--workers", "2"]
    argv += ["--out", str(out), "--no-plot", "--seed", "3"]
    assert _run(argv) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == "synthetic: 2 agents x 2 trials, budget 2000 simulated seconds each"
    table = {line.split()[0]: line.split() for line in lines[2:4]}
    assert set(table) == {"Cont", "Stop-Half"}
    assert all(cells[1] == "2" and cells[-1].endswith("/2") for cells in table.values())
    assert captured.err.rstrip().split("\r")[-1].startswith("[" + "#" * 30 + "] 4/4 trials")
    rows = (out / "trials.jsonl").read_text().splitlines()
    assert len(rows) == 4
    assert json.loads((out / "manifest.json").read_text())["agents"] == ["Cont", "Stop-Half"]
    assert not (out / "regret.png").exists()
    with pytest.raises(ExperimentError, match="--resume"):
        _run(argv)
    assert _run([*argv, "--resume", "--trials", "3"]) == 0
    assert len((out / "trials.jsonl").read_text().splitlines()) == 6


def test_interrupt_exits_130_with_a_resume_hint(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(AGENTS, "Cont", Interrupting)
    argv = ["--benchmark", "synthetic", "--agents", "Cont", "--trials", "1", "--workers", "1"]
    assert _run([*argv, "--out", str(tmp_path / "run"), "--no-plot"]) == 130
    assert "--resume" in capsys.readouterr().err
