"""Successive halving, Hyperband and BOHB: bracket geometry, rung promotions, accounting."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from nasx11_env.agents import BracketAgent, hyperband_brackets, make_agent
from nasx11_env.agents.hyperband import Bracket
from nasx11_env.agents.tpe import TPESampler
from nasx11_env.spaces import get_space


def brackets_as_pairs(brackets: list[Bracket]) -> list[list[tuple[int, int]]]:
    return [list(zip(b.sizes, b.epochs, strict=True)) for b in brackets]


@pytest.mark.parametrize(
    ("epochs", "min_epochs", "eta", "expected"),
    [  # the x11 tables (x11-original.md section 4), epochs 1-based
        (
            108,
            4,
            3,
            [
                [(27, 4), (9, 12), (3, 36), (1, 108)],
                [(12, 12), (4, 36), (1, 108)],
                [(6, 36), (2, 108)],
                [(4, 108)],
            ],
        ),
        (98, 4, 3, [[(9, 10), (3, 32), (1, 98)], [(5, 32), (1, 98)], [(3, 98)]]),
    ],
)
def test_hyperband_brackets_match_the_x11_geometry(
    epochs: int, min_epochs: int, eta: int, expected: list
) -> None:
    assert brackets_as_pairs(hyperband_brackets(epochs, min_epochs, eta)) == expected


def test_nlp_geometry_has_six_brackets_starting_with_32_at_one_epoch() -> None:
    brackets = hyperband_brackets(50, 1, 2)
    assert len(brackets) == 6
    assert brackets_as_pairs(brackets)[0] == [(32, 1), (16, 3), (8, 6), (4, 12), (2, 25), (1, 50)]
    assert [b.sizes[0] for b in brackets] == [32, 20, 12, 8, 6, 6]
    assert all(b.epochs[-1] == 50 for b in brackets)


@pytest.mark.parametrize(("epochs", "slots"), [(108, 27), (98, 9), (50, 32), (200, 9), (20, 9)])
def test_env_kwargs_give_one_slot_per_architecture_of_the_largest_bracket(
    epochs: int, slots: int
) -> None:
    kwargs = make_agent("HB").env_kwargs(epochs)
    assert kwargs["n_slots"] == slots
    assert kwargs["decision_points"][-1] == epochs
    assert kwargs["proposer"] == "agent" and kwargs["checkpointing"] is True


@pytest.mark.parametrize(
    ("epochs", "min_epochs", "eta", "message"),
    [(20, 21, 3, "min_epochs"), (20, 2, 1, "eta"), (20, 0, 3, "min_epochs")],
)
def test_bad_geometry_raises(epochs: int, min_epochs: int, eta: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        hyperband_brackets(epochs, min_epochs, eta)


def run_epochs(agent: BracketAgent, budget: float, seed: int = 0) -> gym.Env:
    """The agent on the synthetic freeze-thaw env with a budget in epochs (exact accounting)."""
    env = gym.make("nasx11/FreezeThaw-Synthetic-v0", budget=budget, **agent.env_kwargs(20))
    agent.run(env, seed)
    return env.unwrapped


def check_rungs(inner: gym.Env, runs: range, sizes: list[int], epochs: list[int]) -> None:
    """Runs reached exactly the rungs they were promoted to, and the promoted ones were the
    best by the score observed at the previous rung."""
    history = inner.history()
    reached = {i: history[i]["epochs"] for i in runs}
    survivors = list(runs)
    for size, epoch in zip(sizes, epochs, strict=True):
        assert sum(1 for i in runs if reached[i] >= epoch) == size
        scores = {i: inner.revealed_curve(i)[epoch - 1] for i in survivors}
        promoted = [i for i in survivors if reached[i] > epoch]
        losers = [i for i in survivors if reached[i] == epoch]
        if promoted and losers:
            assert min(scores[i] for i in promoted) >= max(scores[i] for i in losers)
        survivors = promoted


def test_successive_halving_promotes_the_top_third_at_every_rung() -> None:
    agent = make_agent("SH")
    inner = run_epochs(agent, budget=200)
    assert inner.n_slots == 9
    for start in range(0, 27, 9):  # three brackets of 9 are complete (44 epochs each)
        check_rungs(inner, range(start, start + 9), [9, 3, 1], [2, 6, 20])


def test_hyperband_cycles_through_its_brackets() -> None:
    # brackets [9@2, 3@6, 1@20] (44 epochs), [5@6, 1@20] (44), [3@20] (60): 148 epochs in all
    inner = run_epochs(make_agent("HB"), budget=148)
    history = inner.history()
    assert len(history) == 17
    check_rungs(inner, range(0, 9), [9, 3, 1], [2, 6, 20])
    check_rungs(inner, range(9, 14), [5, 1], [6, 20])
    check_rungs(inner, range(14, 17), [3], [20])
    assert inner.sim.epochs_paid == 148  # checkpointing: promoted runs pay only new epochs


def test_without_checkpointing_a_resumed_rung_is_trained_from_scratch() -> None:
    inner = run_epochs(make_agent("SH", checkpointing=False), budget=60)
    bracket = inner.history()[:9]
    second = [r["index"] for r in bracket if r["epochs"] >= 6]
    winner = max(bracket, key=lambda r: r["epochs"])
    assert winner["epochs"] == 20
    # rung 2 resumes paused slots (from scratch: 6 epochs each); the winner continues without
    # a restart only if it was the last slot trained at rung 2 (the same job keeps running)
    last_epochs = 14 if winner["index"] == max(second) else 20
    assert winner["epochs_paid"] == 2 + 6 + last_epochs
    assert sum(r["epochs_paid"] for r in bracket) == 9 * 2 + 3 * 6 + last_epochs


def test_bohb_density_ratio_prefers_the_good_region() -> None:
    """With good observations all in one corner of the space, BOHB's model-based draws stay
    close to it while uniform samples do not."""
    space = get_space("nb201")
    rng = np.random.default_rng(0)
    sampler = TPESampler(space, rng, min_points=10, random_fraction=0.0)
    target = space.sample(rng)
    near = [space.mutate(target, rng) for _ in range(10)]
    far = [space.sample(rng) for _ in range(30)]
    for arch in near:
        sampler.observe(arch, 6, 0.9)
    for arch in far:
        sampler.observe(arch, 6, 0.1)
    assert sampler.sample(0) == []
    drawn = sampler.sample(10)
    assert len(set(drawn)) == 10

    def distance(arch: object) -> float:
        return float(np.abs(space.encode(arch, "onehot") - space.encode(target, "onehot")).sum())

    uniform = [space.sample(rng) for _ in range(50)]
    assert np.mean([distance(a) for a in drawn]) < np.mean([distance(a) for a in uniform])
