"""Every baseline agent runs to the end of its budget, reproducibly, and rejects bad input."""

from __future__ import annotations

import pickle

import gymnasium as gym
import numpy as np
import pytest

from nasx11_env.agents import AGENT_NAMES, Agent, make_agent
from nasx11_env.agents.base import agent_rng
from nasx11_env.agents.search import LocalSearch, RegularizedEvolution
from nasx11_env.spaces import get_space

BUDGET = 8_000.0  # simulated seconds: about 15 full synthetic trainings
SMALL = {  # small settings so that every agent gets past its initial design within BUDGET
    "LS": {"num_init": 4},
    "REA": {"population_size": 4, "sample_size": 2},
    "BANANAS": {"num_init": 4, "batch_size": 6, "num_ensemble": 2, "max_iter": 30},
    "BOHB": {"min_points_in_model": 4},
}


class Recorder(gym.Wrapper):
    """Counts steps and keeps the end flags of the last one."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.n_steps = 0
        self.terminated = self.truncated = False

    def step(self, action: object) -> tuple:
        out = self.env.step(action)
        self.n_steps += 1
        self.terminated, self.truncated = out[2], out[3]
        return out


def small_agent(name: str) -> Agent:
    base = name if name == "RS-median" else name.split("-")[0]
    return make_agent(name, **SMALL.get(base, {}))


def run(agent: Agent, seed: int, budget: float = BUDGET) -> Recorder:
    env = gym.make(
        f"nasx11/{agent.env_family}Synthetic-v0",
        budget=budget,
        budget_unit="seconds",
        max_episode_steps=10**6,
        **agent.env_kwargs(20),
    )
    recorder = Recorder(env)
    agent.run(recorder, seed)
    return recorder


def test_agent_names_are_the_documented_set() -> None:
    assert AGENT_NAMES == (
        "RS",
        "LS",
        "REA",
        "BANANAS",
        "SH",
        "HB",
        "BOHB",
        "RS-median",
        "LS-SVR",
        "REA-SVR",
        "BANANAS-SVR",
        "REA-WPM",
    )


@pytest.mark.parametrize("name", AGENT_NAMES)
def test_agent_spends_the_budget_and_is_deterministic(name: str) -> None:
    agent = small_agent(name)
    assert isinstance(agent, Agent)
    assert agent.name == name
    first = run(agent, seed=3)
    assert first.terminated and not first.truncated
    inner = first.unwrapped
    assert inner.sim.used == pytest.approx(BUDGET)
    history = inner.history()
    assert any(r["completed"] for r in history)
    assert run(agent, seed=3).unwrapped.history() == history
    assert run(agent, seed=4).unwrapped.history() != history


@pytest.mark.parametrize("name", ["RS", "LS", "REA", "BANANAS"])
def test_full_training_agents_train_every_architecture_fully(name: str) -> None:
    history = run(small_agent(name), seed=0).unwrapped.history()
    assert all(r["completed"] for r in history[:-1])  # the last one meets the end of the budget
    archs = [r["arch"] for r in history]
    assert len(set(archs)) == len(archs)  # no architecture is proposed twice


def test_evolution_improves_on_its_random_initial_population() -> None:
    """After its random initial population, REA mutates the best: its children score higher."""
    agent = make_agent("REA", population_size=5, sample_size=3)
    histories = [run(agent, seed, budget=30_000).unwrapped.history() for seed in range(3)]
    initial = [r["final_score_observed"] for h in histories for r in h[:5]]
    children = [r["final_score_observed"] for h in histories for r in h[5:] if r["completed"]]
    assert len(children) > len(initial)
    assert np.mean(children) > np.mean(initial)


def test_median_rule_stops_some_architectures_at_decision_points() -> None:
    agent = make_agent("RS-median", every_k=4)
    assert agent.env_kwargs(20)["decision_points"] == [4, 8, 12, 16, 20]
    history = run(agent, seed=0, budget=20_000).unwrapped.history()
    stopped = [r for r in history[:-1] if not r["completed"]]
    assert stopped and len(stopped) < len(history) - 1
    assert {r["epochs"] for r in stopped} <= {4, 8, 12, 16}


def test_regularized_evolution_ages_out_the_oldest_member() -> None:
    rea = RegularizedEvolution(get_space("nb201"), np.random.default_rng(0), population_size=3)
    archs = [rea.ask().arch for _ in range(5)]
    for i, arch in enumerate(archs):
        rea.tell(arch, float(i), full=True)
    assert [a for a, _ in rea.population] == archs[2:]
    rea.tell(rea.ask().arch, 9.0, full=False)  # a child stopped early never joins
    assert [a for a, _ in rea.population] == archs[2:]


def test_local_search_moves_to_a_better_neighbour_and_restarts_when_stuck() -> None:
    space = get_space("nb201")
    ls = LocalSearch(space, np.random.default_rng(0), num_init=2)
    for score in (0.2, 0.5):
        ls.tell(ls.ask().arch, score, full=True)
    neighbour = ls.ask()
    assert neighbour.arch in space.neighbours(ls.centre) and not neighbour.full
    ls.tell(neighbour.arch, 0.9, full=True)
    assert ls.centre == neighbour.arch
    for _ in range(len(space.neighbours(ls.centre))):
        proposal = ls.ask()
        if proposal.full:  # neighbourhood exhausted: a random restart becomes the centre
            assert ls.centre == proposal.arch
            break
        ls.tell(proposal.arch, 0.1, full=True)
    else:
        pytest.fail("local search never restarted")


@pytest.mark.parametrize("name", AGENT_NAMES)
def test_agents_survive_pickling_for_worker_processes(name: str) -> None:
    agent = small_agent(name)
    clone = pickle.loads(pickle.dumps(agent))
    assert clone.name == name and clone.env_kwargs(20) == agent.env_kwargs(20)


def test_agent_draws_are_independent_of_the_environment_stream() -> None:
    """gymnasium seeds the env with default_rng(seed)'s stream; the agent uses another."""
    assert agent_rng(5).random() != np.random.default_rng(5).random()
    assert agent_rng(5).random() == agent_rng(5).random()


def test_unknown_agent_and_parameters_raise() -> None:
    with pytest.raises(ValueError, match="unknown agent 'RANDOM'"):
        make_agent("RANDOM")
    with pytest.raises(TypeError, match="unknown parameter.*population"):
        make_agent("LS", population=3)
    with pytest.raises(TypeError, match="'REA-SVR'.*accepted: population_size, sample_size, first"):
        make_agent("REA-SVR", eta=3)
    with pytest.raises(TypeError, match="accepted: eta, min_epochs, checkpointing$"):
        make_agent("HB", min_points_in_model=3)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("REA", {"population_size": 0}, "population_size"),
        ("LS", {"num_init": 2.5}, "num_init"),
        ("BANANAS", {"hidden_layers": "20"}, "hidden_layers"),
        ("BANANAS-SVR", {"top_n": 1.5}, "top_n"),
        ("REA-WPM", {"first_epochs": "F"}, "first_epochs"),
        ("RS-median", {"every_k": 0}, "every_k"),
        ("HB", {"eta": 1}, "eta"),
        ("SH", {"checkpointing": "yes"}, "checkpointing"),
        ("BOHB", {"random_fraction": 2.0}, "random_fraction"),
    ],
)
def test_bad_parameter_values_raise_naming_the_parameter(
    name: str, params: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make_agent(name, **params)


def test_run_rejects_a_bad_seed_or_a_mismatched_environment() -> None:
    agent = make_agent("REA")
    env = gym.make("nasx11/Synthetic-v0", budget=BUDGET, budget_unit="seconds")
    with pytest.raises(ValueError, match="decision_points=\\[20\\]"):
        agent.run(env, 0)  # made without agent.env_kwargs(20)
    with pytest.raises(ValueError, match="seed"):
        agent.run(env, -1)
    freeze = gym.make("nasx11/FreezeThaw-Synthetic-v0", budget=BUDGET, budget_unit="seconds")
    with pytest.raises(TypeError, match="BudgetedNASEnv"):
        agent.run(freeze, 0)
    with pytest.raises(TypeError, match="FreezeThawEnv"):
        make_agent("HB").run(env, 0)
    with pytest.raises(ValueError, match="encoding"):
        run(make_agent("BANANAS", num_init=2, encoding="adjacency"), seed=0)
