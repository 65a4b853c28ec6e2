"""Budget accounting, rewards, termination and determinism of the nasx11 envs (SYNTHETIC).

Invariants checked over random configurations and action sequences: the cost never exceeds the
budget and adds up per run; a resumed run never pays an epoch twice; revealed curves are prefixes
of one curve; the incumbent-delta return telescopes to the final incumbent.
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasx11_env.envs import CONTINUE, STOP
from nasx11_env.spaces import get_space
from nasx11_env.synthetic import SyntheticCurves

SPACE = get_space("nb201")
SYNTHETIC = (
    "nasx11/Synthetic-v0",
    "nasx11/EarlyStop-Synthetic-v0",
    "nasx11/FreezeThaw-Synthetic-v0",
)


def play(env: gym.Env, seed: int, actions, options=None) -> tuple[list, list, dict]:
    """Reset with ``seed``, then take ``actions`` (cycled; masked ones replaced by the first
    valid one) until the episode ends. Returns observations, rewards and the last info."""
    obs, info = env.reset(seed=seed, options=options)
    observations, rewards = [obs], []
    for t in range(100_000):
        action = actions[t % len(actions)]
        mask = info["action_mask"]
        if action >= len(mask) or not mask[action]:
            action = int(np.flatnonzero(mask)[0])
        obs, reward, terminated, truncated, info = env.step(action)
        observations.append(obs)
        rewards.append(reward)
        if terminated or truncated:
            return observations, rewards, info
    raise AssertionError("episode did not end")


# ------------------------------------------------------------------ invariants
@settings(max_examples=40, deadline=None)
@given(
    family=st.sampled_from(["", "FreezeThaw-"]),
    unit=st.sampled_from(["epochs", "seconds"]),
    budget_scale=st.floats(1.0, 12.0),
    schedule=st.sampled_from(["rungs", "every_epoch", "every_k"]),
    checkpointing=st.booleans(),
    actions=st.lists(st.integers(0, 7), min_size=1, max_size=12),
    seed=st.integers(0, 2**16),
)
def test_budget_accounting_invariants(
    family, unit, budget_scale, schedule, checkpointing, actions, seed
) -> None:
    kwargs = {"decision_points": schedule, "budget_unit": unit}
    kwargs["budget"] = budget_scale * 20 * (30.0 if unit == "seconds" else 1.0)
    if schedule == "every_k":
        kwargs["every_k"] = 3
    if family:
        kwargs.update(n_slots=3, checkpointing=checkpointing)
    env = gym.make(f"nasx11/{family}Synthetic-v0", max_episode_steps=None, **kwargs).unwrapped
    obs, info = env.reset(seed=seed)
    budget, used, clock, total = env.budget, info["budget_used"], info["sim_time"], 0.0
    for t in range(100_000):
        mask = info["action_mask"]
        action = actions[t % len(actions)] % len(mask)
        if not mask[action]:
            action = int(np.flatnonzero(mask)[0])
        obs, reward, terminated, truncated, info = env.step(action)
        total += reward
        assert info["budget_used"] <= budget and info["sim_time"] >= clock
        assert info["budget_used"] > used  # every step consumes compute
        used, clock = info["budget_used"], info["sim_time"]
        assert not truncated
        if terminated:
            break
    assert info["budget_used"] == pytest.approx(budget)
    history = env.history()
    assert sum(run["cost"] for run in history) == pytest.approx(budget)
    assert sum(run["epochs_paid"] for run in history) == info["epochs_paid"]
    assert total == pytest.approx(info["final_incumbent_true"], abs=1e-9)
    for run, record in zip(env.sim.runs, history, strict=True):
        if checkpointing or not family:  # nothing is ever paid twice
            assert record["epochs_paid"] == record["epochs"]
            if unit == "seconds" and record["completed"]:
                assert record["cost"] == pytest.approx(run.curve.cum_seconds[run.epochs])
        else:
            assert record["epochs_paid"] >= record["epochs"]
        revealed = env.revealed_curve(record["index"])
        assert np.array_equal(revealed, run.curve.observed[: record["epochs"]])
        assert record["last_score_observed"] == (revealed[-1] if len(revealed) else None)
    completed = [r for r in history if r["completed"]]
    if completed:
        best = max(completed, key=lambda r: r["final_score_observed"])
        assert info["incumbent_observed"] == best["final_score_observed"]
        assert info["incumbent_true"] == best["final_score_true"]
    else:
        assert info["incumbent_arch_index"] == -1 and info["incumbent_true"] == 0.0


def test_a_start_the_budget_cannot_pay_reveals_nothing() -> None:
    env = gym.make("nasx11/Synthetic-v0", budget=1.5)
    env.reset(seed=0)
    obs, _, terminated, _, info = env.step(STOP)  # 0.5 epochs left: the new run trains none
    assert terminated and info["epoch"] == 0 and info["budget_used"] == 1.5
    assert info["last_score_observed"] == 0.0 and info["last_score_true"] == 0.0
    layout = env.unwrapped.obs_layout
    assert not obs[layout["curve"]].any() and not obs[layout["curve_mask"]].any()
    assert obs[layout["last_score"]][0] == 0.0 and obs[layout["next_cost_frac"]][0] == 1.0


def test_unseeded_resets_continue_one_reproducible_stream() -> None:
    def episodes(env: gym.Env) -> list:
        out = [play(env, 9, [STOP])[1]]
        for _ in range(3):
            obs, info = env.reset()
            out.append((obs.tolist(), info["arch_index"], env.unwrapped.arch_str(0)))
        return out

    first = episodes(gym.make("nasx11/Synthetic-v0"))
    assert first == episodes(gym.make("nasx11/Synthetic-v0"))
    assert len({entry[2] for entry in first[1:]}) == 3


def test_resuming_a_paused_slot_pays_only_new_epochs() -> None:
    env = gym.make("nasx11/FreezeThaw-Synthetic-v0", n_slots=2).unwrapped
    _, info = env.reset(seed=0)
    assert info["budget_used"] == 2  # both slots at epoch 1
    for action, used in ((0, 3), (1, 4), (0, 6), (1, 8), (0, 12)):
        _, _, _, _, info = env.step(action)
        assert info["budget_used"] == used
    assert info["slot_epochs"].tolist() == [8, 4]


def test_without_checkpointing_a_paused_slot_retrains() -> None:
    env = gym.make("nasx11/FreezeThaw-Synthetic-v0", n_slots=2, checkpointing=False).unwrapped
    env.reset(seed=0)  # slot 0 epoch 1, slot 1 epoch 1 (slot 1 trained last)
    for action, used in ((0, 4), (0, 6), (1, 8)):  # 0 restarts: 2 epochs; then continues 2
        _, _, _, _, info = env.step(action)
        assert info["budget_used"] == used


# ------------------------------------------------------------------ rewards
@pytest.mark.parametrize("family", ["", "FreezeThaw-"])
@pytest.mark.parametrize("seed", [0, 1])
def test_reward_variants_add_up_to_their_definitions(family: str, seed: int) -> None:
    env_id = f"nasx11/{family}Synthetic-v0"
    actions = [0, 0, 1, 0, 0, 0, 0, 0, 2]
    results = {}
    for reward in ("incumbent_delta", "final_only", "regret", "anytime"):
        env = gym.make(env_id, reward=reward)
        _, rewards, info = play(env, seed, actions)
        results[reward] = (rewards, info, env.unwrapped.sim.regret_area)
    rewards, info, _ = results["incumbent_delta"]
    assert sum(rewards) == pytest.approx(info["final_incumbent_true"]) and info["n_completed"] > 0
    rewards, info, _ = results["final_only"]
    assert all(r == 0 for r in rewards[:-1]) and rewards[-1] == info["final_incumbent_true"]
    rewards, info, _ = results["regret"]
    assert all(r == 0 for r in rewards[:-1]) and rewards[-1] == -info["final_regret"]
    rewards, info, area = results["anytime"]
    assert sum(rewards) == pytest.approx(-area / info["budget_total"])
    assert -1.0 <= sum(rewards) < 0.0


def test_cost_penalty_and_observed_credit() -> None:
    actions = [0, 0, 1]
    plain = play(gym.make("nasx11/Synthetic-v0"), 4, actions)
    priced = play(gym.make("nasx11/Synthetic-v0", cost_penalty=0.001), 4, actions)
    assert sum(priced[1]) == pytest.approx(sum(plain[1]) - 0.001 * priced[2]["epochs_paid"])
    observed = play(gym.make("nasx11/Synthetic-v0", reward_source="observed"), 4, actions)
    assert sum(observed[1]) == pytest.approx(observed[2]["final_incumbent_observed"])


def test_returns_telescope_to_the_final_incumbent_for_many_policies() -> None:
    env = gym.make("nasx11/Synthetic-v0", decision_points="every_epoch")
    for seed, actions in enumerate([[CONTINUE], [STOP], [CONTINUE] * 12 + [STOP], [1, 0]]):
        _, rewards, info = play(env, seed, actions)
        assert math.isclose(sum(rewards), info["final_incumbent_true"], abs_tol=1e-12)
        assert info["budget_used"] == info["budget_total"] == 200


def test_random_search_is_always_continue() -> None:
    """CONTINUE only trains every proposal fully: budget / E architectures, all completed."""
    _, _, info = play(gym.make("nasx11/Synthetic-v0"), 0, [CONTINUE])
    assert info["n_completed"] == info["n_started"] == 10


# ------------------------------------------------------------------ early stopping
def test_early_stop_return_is_score_at_stop_minus_cost() -> None:
    env = gym.make("nasx11/EarlyStop-Synthetic-v0")
    for actions in ([STOP], [CONTINUE, CONTINUE, STOP], [CONTINUE]):
        _, rewards, info = play(env, 7, actions)
        expected = info["score_at_stop_true"] - 0.1 / 20 * info["stop_epoch"]
        assert sum(rewards) == pytest.approx(expected) == pytest.approx(info["episode_return"])
        assert info["oracle_return"] >= sum(rewards) - 1e-12
    assert info["stop_epoch"] == 20


def test_early_stop_vs_threshold() -> None:
    env = gym.make("nasx11/EarlyStop-Synthetic-v0", reward="vs_threshold", threshold=0.5)
    obs, rewards, info = play(env, 0, [CONTINUE])
    assert sum(rewards) == pytest.approx(info["final_score_true"] - 0.5)
    assert obs[-1][env.unwrapped.obs_layout["threshold"]][0] == 0.5
    _, rewards, info = play(env, 0, [STOP])
    assert rewards == [0.0] and info["is_success"] == (info["final_score_true"] <= 0.5)
    drawn = gym.make("nasx11/EarlyStop-Synthetic-v0", reward="vs_threshold")
    thresholds = {drawn.reset(seed=s)[1]["threshold"] for s in range(4)}
    assert len(thresholds) > 1 and all(0 < t <= 0.9 for t in thresholds)


def test_early_stop_can_be_given_the_architecture() -> None:
    arch = SPACE.from_index(1234)
    env = gym.make("nasx11/EarlyStop-Synthetic-v0")
    env.reset(seed=0, options={"archs": [SPACE.to_str(arch)]})
    assert env.unwrapped.arch(0) == arch and env.unwrapped.arch_str(0) == SPACE.to_str(arch)


# ------------------------------------------------------------------ termination and truncation
def test_budget_end_terminates_and_only_the_time_limit_truncates() -> None:
    env = gym.make("nasx11/Synthetic-v0", max_episode_steps=3)
    env.reset(seed=0)
    flags = [env.step(CONTINUE)[2:4] for _ in range(3)]
    assert flags == [(False, False), (False, False), (False, True)]
    _, _, info = play(gym.make("nasx11/Synthetic-v0"), 0, [STOP])
    assert info["budget_used"] == 200


def test_registered_step_cap_exceeds_the_longest_default_episode() -> None:
    env = gym.make("nasx11/Synthetic-v0", decision_points="every_epoch")
    observations, _, _ = play(env, 0, [STOP])  # one epoch per step: the most steps possible
    assert len(observations) - 1 == 199 < env.spec.max_episode_steps


# ------------------------------------------------------------------ determinism and seeding
@pytest.mark.parametrize("env_id", SYNTHETIC)
def test_same_seed_and_actions_give_identical_episodes(env_id: str) -> None:
    actions = [0, 1, 0, 0, 3, 1, 2, 0]
    runs = []
    for _ in range(2):
        env = gym.make(env_id)
        observations, rewards, info = play(env, 11, actions)
        runs.append((observations, rewards, info, env.unwrapped.history()))
    (obs_a, rew_a, info_a, hist_a), (obs_b, rew_b, info_b, hist_b) = runs
    assert all(np.array_equal(a, b) for a, b in zip(obs_a, obs_b, strict=True))
    assert rew_a == rew_b and hist_a == hist_b
    assert info_a.keys() == info_b.keys()
    assert all(np.array_equal(info_a[k], info_b[k]) for k in info_a)
    other = play(gym.make(env_id), 12, actions)
    assert not np.array_equal(other[0][0], obs_a[0])


def test_reset_without_seed_continues_the_generator() -> None:
    env = gym.make("nasx11/Synthetic-v0")
    first, _ = env.reset(seed=3)
    second, _ = env.reset()
    again, _ = env.reset(seed=3)
    assert np.array_equal(first, again) and not np.array_equal(first, second)


# ------------------------------------------------------------------ proposers
def test_pool_proposer_only_starts_pool_architectures() -> None:
    pool = [SPACE.to_str(SPACE.from_index(i)) for i in (5, 500, 5000)]
    env = gym.make("nasx11/Synthetic-v0", proposer="pool", pool=pool)
    play(env, 0, [STOP])
    started = {record["arch"] for record in env.unwrapped.history()}
    assert started == set(pool)


def test_agent_proposals_come_first_and_are_required_with_the_agent_proposer() -> None:
    a, b = SPACE.from_index(77), SPACE.from_index(78)
    env = gym.make("nasx11/Synthetic-v0", proposer="agent", disable_env_checker=True)
    with pytest.raises(RuntimeError, match="propose"):
        env.reset(seed=0)
    env.reset(seed=0, options={"archs": [a]})
    env.unwrapped.propose(b)
    assert env.unwrapped.pending_proposals == 1
    env.step(STOP)
    assert [env.unwrapped.arch(i) for i in range(2)] == [a, b]
    with pytest.raises(RuntimeError, match="propose"):
        env.step(STOP)
    random_env = gym.make("nasx11/Synthetic-v0")
    random_env.reset(seed=0)
    random_env.unwrapped.propose(a)
    random_env.step(STOP)
    assert random_env.unwrapped.arch(1) == a


def test_test_split_only_proposes_test_architectures() -> None:
    from nasx11_env.envs.proposals import in_split

    env = gym.make("nasx11/Synthetic-v0", arch_split="test", split_seed=3)
    play(env, 0, [STOP])
    assert all(in_split(SPACE, env.unwrapped.arch(i), "test", 3) for i in range(50))


def test_noise_none_reveals_the_mean_curve() -> None:
    env = gym.make("nasx11/EarlyStop-Synthetic-v0", noise="none")
    _, _, info = play(env, 0, [CONTINUE])
    assert info["last_score_observed"] == pytest.approx(info["last_score_true"], abs=1e-6)


def test_seconds_budget_uses_source_runtimes() -> None:
    env = gym.make("nasx11/Synthetic-v0", budget=5000.0, budget_unit="seconds")
    _, _, info = play(env, 0, [CONTINUE])
    assert info["budget_used"] == info["sim_time"] == 5000.0


# ------------------------------------------------------------------ baselines as policies
def successive_halving(env: gym.Env, seed: int, eta: int = 2) -> dict:
    """SH written as a FreezeThaw policy: the K slots are one bracket's rung-0 architectures;
    keep the best 1/eta by last observed score at each rung, train the last one to the end,
    then refill every slot for the next bracket."""
    unwrapped = env.unwrapped
    k = unwrapped.n_slots
    obs, info = env.reset(seed=seed)
    while True:
        alive = list(range(k))
        while True:
            last = [obs[unwrapped.obs_layout[f"last_score[{s}]"]][0] for s in alive]
            keep = max(1, len(alive) // eta)
            alive = [alive[i] for i in np.argsort(last, kind="stable")[::-1][:keep]]
            for s in alive:
                obs, _, terminated, _, info = env.step(s)
                if terminated:
                    return info
            if info["slot_epochs"][alive[0]] == unwrapped.n_epochs:
                break
        for s in range(k):
            obs, _, terminated, _, info = env.step(k + s)
            if terminated:
                return info


def test_successive_halving_is_a_policy_that_spends_the_budget() -> None:
    env = gym.make("nasx11/FreezeThaw-Synthetic-v0", n_slots=8)
    infos = [successive_halving(env, seed) for seed in range(10)]
    assert all(i["budget_used"] == i["budget_total"] for i in infos)
    assert all(i["n_completed"] >= 4 for i in infos)
    random_search = [play(gym.make("nasx11/Synthetic-v0"), s, [CONTINUE])[2] for s in range(10)]
    sh = np.mean([i["final_incumbent_true"] for i in infos])
    rs = np.mean([i["final_incumbent_true"] for i in random_search])
    print(f"successive halving {sh:.4f} vs random search {rs:.4f}")
    assert sh >= rs


def test_synthetic_source_is_reused_not_rebuilt_per_step() -> None:
    env = gym.make("nasx11/Synthetic-v0", source=SyntheticCurves(n_epochs=10))
    env.reset(seed=0)
    calls = []
    original = env.unwrapped.source.curves
    env.unwrapped.source.curves = lambda archs, rng: (
        calls.append(len(archs)) or original(archs, rng)
    )
    play(env, 1, [STOP])
    assert sum(calls) >= env.unwrapped.history()[-1]["index"] + 1
    assert len(calls) < len(env.unwrapped.history())  # batched: fewer calls than proposals
