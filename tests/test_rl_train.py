"""train_rl saves a policy, its sidecar and an episode log; evaluation is deterministic and
reports train and held-out architectures; bad arguments fail clearly (also on the CLI)."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import gymnasium as gym
import pytest

import nasx11_env
from nasx11_env.rl import (
    PolicyFileError,
    TrainResult,
    evaluate_policy,
    evaluate_protocol,
    read_sidecar,
    train_rl,
)
from nasx11_env.rl.cli import add_train_rl_parser

pytest.importorskip("stable_baselines3")
# one torch thread: tiny MLPs gain nothing from more, and shared CI cores lose a lot
pytest.importorskip("torch").set_num_threads(1)

EARLY_STOP = "nasx11/EarlyStop-Synthetic-v0"
BUDGETED = "nasx11/Synthetic-v0"
FAST = {"n_steps": 256, "batch_size": 128, "n_epochs": 2}  # small rollouts for short runs
SEEDS = [10_000, 10_001, 10_002, 10_003]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    out = tmp_path_factory.mktemp("policy")
    return train_rl(EARLY_STOP, steps=2_000, seed=0, out_dir=out, progress=False)


def test_training_saves_policy_sidecar_and_episode_log(trained: TrainResult) -> None:
    assert trained.policy.is_file() and trained.policy.suffix == ".zip"
    info = read_sidecar(trained.policy)
    assert (info.env_id, info.algo, info.seed, info.n_envs) == (EARLY_STOP, "ppo", 0, 2)
    assert info.steps == trained.steps >= 2_000
    assert info.env_kwargs["arch_split"] == "train"
    assert info.package_version == nasx11_env.__version__
    env = gym.make(EARLY_STOP).unwrapped
    assert info.decision_epochs == list(env.decision_epochs)
    assert info.obs_layout == {k: [v.start, v.stop] for k, v in env.obs_layout.items()}
    size = env.observation_space.shape[0]
    assert len(info.obs_norm["mean"]) == len(info.obs_norm["var"]) == size
    assert min(info.obs_norm["var"]) >= 0 and max(info.obs_norm["var"]) > 0
    with trained.episodes_csv.open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == trained.episodes > 0
    assert {int(row["stop_epoch"]) for row in rows} <= set(info.decision_epochs)
    assert all(float(row["return"]) <= float(row["oracle_return"]) + 1e-5 for row in rows)


def test_saved_policy_evaluates_deterministically(trained: TrainResult) -> None:
    first = evaluate_policy(trained.policy, seeds=SEEDS)
    again = evaluate_policy(trained.sidecar, seeds=SEEDS)  # the sidecar path works as well
    assert first == again
    other = evaluate_policy(trained.policy, seeds=[s + 100 for s in SEEDS])
    assert other.returns != first.returns
    assert first.split == "test" and first.seeds == tuple(SEEDS)
    mean, sem = first.summary()
    assert min(first.returns) <= mean <= max(first.returns) and sem >= 0


def test_protocol_evaluates_training_and_held_out_architectures(trained: TrainResult) -> None:
    results = evaluate_protocol(trained.policy, n_episodes=3)
    assert set(results) == {"train", "test"}
    assert results["train"].seeds == results["test"].seeds
    assert results["train"].terminal["oracle_return"] != results["test"].terminal["oracle_return"]


def test_evaluation_refuses_the_training_seeds_and_bad_splits(trained: TrainResult) -> None:
    with pytest.raises(ValueError, match="seeded an env in training"):
        evaluate_policy(trained.policy, seeds=[1])
    with pytest.raises(ValueError, match="split must be one of"):
        evaluate_policy(trained.policy, split="all")
    with pytest.raises(ValueError, match="split="):
        evaluate_policy(trained.policy, env_kwargs={"arch_split": "train"})


def test_maskable_ppo_trains_on_the_budgeted_env(tmp_path: Path) -> None:
    result = train_rl(
        BUDGETED,
        algo="maskable-ppo",
        steps=512,
        seed=1,
        out_dir=tmp_path,
        env_kwargs={"budget": 100},
        hyperparams=FAST,
        normalize=False,
        progress=False,
    )
    info = read_sidecar(tmp_path)
    assert (info.algo, info.obs_norm) == ("maskable-ppo", None)
    regrets = evaluate_policy(result.policy, seeds=[10_000]).terminal["final_regret"]
    assert 0.0 <= regrets[0] <= 1.0


def _full_share(result: TrainResult, first: int) -> float:
    """Share of the first episodes of a run's log that trained their architecture fully."""
    with result.episodes_csv.open() as file:
        rows = list(csv.DictReader(file))[:first]
    return sum(int(row["stop_epoch"]) == 20 for row in rows) / len(rows)


def test_continue_prob_starts_from_a_policy_that_trains_runs_fully(
    trained: TrainResult, tmp_path: Path
) -> None:
    """With 1/2 per decision a run is rarely completed; continue_prob=0.99 completes most."""
    biased = train_rl(
        EARLY_STOP, steps=256, out_dir=tmp_path, continue_prob=0.99, hyperparams=FAST,
        progress=False,
    )  # fmt: skip
    assert read_sidecar(tmp_path).continue_prob == 0.99
    assert _full_share(biased, 50) > 0.8 > 0.5 > _full_share(trained, 50)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"algo": "dqn"}, ValueError, "algo must be one of 'ppo', 'maskable-ppo'"),
        ({"steps": 0}, ValueError, "steps must be an int >= 1"),
        ({"steps": -5}, ValueError, "steps must be an int >= 1"),
        ({"n_envs": 0}, ValueError, "n_envs must be an int >= 1"),
        ({"env_id": "CartPole-v1"}, ValueError, "registered nasx11 id"),
        ({"env_kwargs": {"arch_split": "test"}}, ValueError, "arch_split='train' only"),
        ({"env_kwargs": {"pool": object()}}, TypeError, "JSON values"),
        ({"env_kwargs": {"reward": "nope"}}, ValueError, "reward must be one of"),
        ({"continue_prob": 1.0}, ValueError, "continue_prob must be a number in"),
        (
            {"env_id": "nasx11/FreezeThaw-Synthetic-v0", "continue_prob": 0.9},
            ValueError,
            "continue_prob needs a CONTINUE/STOP env",
        ),
    ],
)
def test_bad_arguments_fail_before_anything_is_written(
    kwargs: dict, error: type, message: str, tmp_path: Path
) -> None:
    args = {"env_id": EARLY_STOP, "steps": 100, "out_dir": tmp_path / "out", **kwargs}
    with pytest.raises(error, match=message):
        train_rl(**args)
    assert not (tmp_path / "out").exists()


def test_a_missing_policy_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="no policy sidecar"):
        evaluate_policy(tmp_path / "nothing.zip")
    (tmp_path / "policy.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(PolicyFileError, match="not a nasx11-rl-policy sidecar"):
        read_sidecar(tmp_path)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nasx11")
    add_train_rl_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def test_cli_trains_saves_and_evaluates(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "cli"
    argv = ["train-rl", "--env", EARLY_STOP, "--steps", "300", "--seed", "2", "--out", str(out)]
    args = _parser().parse_args([*argv, "--eval-episodes", "2"])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert str(out / "policy.zip") in printed
    assert "train archs, 2 episodes" in printed and "test  archs, 2 episodes" in printed
    assert read_sidecar(out).seed == 2


@pytest.mark.parametrize(
    "bad", [["--steps", "0"], ["--steps", "x"], ["--algo", "sac"], ["--seed", "-1"]]
)
def test_cli_rejects_bad_values(bad: list[str], capsys: pytest.CaptureFixture) -> None:
    argv = ["train-rl", "--env", EARLY_STOP, "--steps", "10", *bad]
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(argv)
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_cli_reports_a_bad_env_id(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    args = _parser().parse_args(
        ["train-rl", "--env", "nasx11/Nope-v0", "--steps", "10", "--out", str(tmp_path / "x")]
    )
    assert args.func(args) == 2
    assert "registered nasx11 id" in capsys.readouterr().err
