"""RLStopper ("RL") runs a saved policy through the Agent contract, on held-out architectures,
reproducibly, and refuses policies or environments it cannot act on."""

from __future__ import annotations

import pickle
from pathlib import Path

import gymnasium as gym
import pytest

from nasx11_env.agents import Agent, make_agent
from nasx11_env.envs.proposals import in_split
from nasx11_env.rl import PolicyFileError, train_rl

pytest.importorskip("stable_baselines3")
# one torch thread: tiny MLPs gain nothing from more, and shared CI cores lose a lot
pytest.importorskip("torch").set_num_threads(1)

N_EPOCHS = 20  # the Synthetic benchmark
BUDGET = 4_000.0  # simulated seconds: a handful of full synthetic trainings
FAST = {"n_steps": 256, "batch_size": 128, "n_epochs": 2}


@pytest.fixture(scope="module")
def budgeted_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("budgeted")
    kwargs = {"budget": BUDGET, "budget_unit": "seconds", "decision_points": [2, 5, 10]}
    train_rl("nasx11/Synthetic-v0", steps=512, out_dir=out, env_kwargs=kwargs,
             hyperparams=FAST, progress=False)  # fmt: skip
    return out / "policy.zip"


@pytest.fixture(scope="module")
def early_stop_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("early_stop")
    kwargs = {"reward": "vs_threshold", "decision_points": [2, 5, 10]}
    train_rl("nasx11/EarlyStop-Synthetic-v0", steps=512, out_dir=out, env_kwargs=kwargs,
             hyperparams=FAST, progress=False)  # fmt: skip
    return out / "policy.zip"


def search(agent: Agent, seed: int) -> gym.Env:
    """One search as the experiment runner makes it (budget in seconds, agent's kwargs)."""
    env = gym.make(
        f"nasx11/{agent.env_family}Synthetic-v0",
        budget=BUDGET,
        budget_unit="seconds",
        max_episode_steps=10**6,
        **agent.env_kwargs(N_EPOCHS),
    )
    agent.run(env, seed)
    return env.unwrapped


@pytest.mark.parametrize("which", ["budgeted_policy", "early_stop_policy"])
def test_rl_agent_searches_held_out_archs_to_the_end_reproducibly(
    which: str, request: pytest.FixtureRequest
) -> None:
    agent = make_agent("RL", policy=request.getfixturevalue(which))
    assert isinstance(agent, Agent)
    assert (agent.name, agent.env_family) == ("RL", "")
    kwargs = agent.env_kwargs(N_EPOCHS)
    assert kwargs["arch_split"] == "test" and "budget" not in kwargs
    env = search(agent, seed=3)
    assert env.sim.exhausted and env.sim.used == pytest.approx(BUDGET)
    history = env.history()
    assert all(in_split(env.space, env.arch(i), "test", 0) for i in range(len(history)))
    assert search(agent, seed=3).history() == history
    assert search(agent, seed=4).history() != history


def test_an_early_stop_policy_trains_the_first_architecture_fully(
    early_stop_policy: Path,
) -> None:
    history = search(make_agent("RL", policy=early_stop_policy), seed=0).history()
    assert history[0]["completed"]


def test_rl_agent_pickles_without_its_model(budgeted_policy: Path) -> None:
    agent = make_agent("RL", policy=budgeted_policy)
    before = search(agent, seed=5).history()
    clone = pickle.loads(pickle.dumps(agent))
    assert clone._model is None and clone.env_kwargs(N_EPOCHS) == agent.env_kwargs(N_EPOCHS)
    assert search(clone, seed=5).history() == before


def test_rl_agent_rejects_bad_use(budgeted_policy: Path, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="needs policy=PATH"):
        make_agent("RL")
    with pytest.raises(PolicyFileError, match="no policy sidecar"):
        make_agent("RL", policy=tmp_path / "missing.zip")
    with pytest.raises(ValueError, match="arch_split must be one of"):
        make_agent("RL", policy=budgeted_policy, arch_split="holdout")
    agent = make_agent("RL", policy=budgeted_policy)
    with pytest.raises(ValueError, match="cannot act on a benchmark of 98 epochs"):
        agent.env_kwargs(98)
    other_points = gym.make("nasx11/Synthetic-v0", budget=BUDGET, budget_unit="seconds")
    with pytest.raises(ValueError, match="decision_points"):
        agent.run(other_points, 0)
    with pytest.raises(TypeError, match="acts on a BudgetedNASEnv"):
        agent.run(gym.make("nasx11/FreezeThaw-Synthetic-v0"), 0)
