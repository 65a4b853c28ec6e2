"""Vector paths: ``gym.make_vec`` sync in every autoreset mode, async once, and SB3's
``make_vec_env`` when stable-baselines3 is installed."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import nasx11_env.envs  # noqa: F401  (registers the ids)

ENV_ID = "nasx11/Synthetic-v0"
N = 3


def single_episode_rewards(seed: int, action: int) -> list[float]:
    env = gym.make(ENV_ID)
    env.reset(seed=seed)
    rewards = []
    while True:
        _, reward, terminated, truncated, _ = env.step(action)
        rewards.append(reward)
        if terminated or truncated:
            return rewards


def test_sync_next_step_matches_single_envs_and_resets_on_the_following_step() -> None:
    envs = gym.make_vec(ENV_ID, num_envs=N, vectorization_mode="sync")
    assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    obs, info = envs.reset(seed=[0, 1, 2])
    assert obs.shape == (N, envs.single_observation_space.shape[0]) and obs.dtype == np.float32
    assert info["action_mask"].shape == (N, 2)
    expected = [single_episode_rewards(seed, 0) for seed in range(N)]
    collected = [[] for _ in range(N)]
    ended = np.zeros(N, dtype=bool)
    for _ in range(max(len(r) for r in expected)):
        _, rewards, terminated, truncated, info = envs.step(np.zeros(N, dtype=np.int64))
        for i in np.flatnonzero(~ended):
            collected[i].append(float(rewards[i]))
        if terminated.any():
            assert info["_final_regret"].tolist() == terminated.tolist()
        ended |= terminated
        assert not truncated.any()
    assert collected == expected
    _, rewards, terminated, _, info = envs.step(np.zeros(N, dtype=np.int64))
    assert rewards[0] == 0.0 and not terminated[0] and info["budget_used"][0] == 1.0
    envs.close()


def test_sync_same_step_puts_the_final_info_in_the_terminal_step() -> None:
    envs = gym.make_vec(
        ENV_ID, num_envs=N, vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
    )  # fmt: skip
    envs.reset(seed=0)
    for _ in range(1000):
        obs, _, terminated, _, info = envs.step(np.ones(N, dtype=np.int64))
        if terminated.any():
            break
    i = int(np.flatnonzero(terminated)[0])
    assert info["_final_info"][i] and info["_final_obs"][i]
    assert info["final_info"]["budget_used"][i] == 200.0 and "final_regret" in info["final_info"]
    assert info["budget_used"][i] == 1.0  # the observation is already the next episode's
    envs.close()


def test_sync_disabled_autoreset_needs_a_masked_reset() -> None:
    envs = gym.make_vec(
        ENV_ID, num_envs=N, vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": AutoresetMode.DISABLED},
    )  # fmt: skip
    envs.reset(seed=0)
    for _ in range(1000):
        _, _, terminated, _, _ = envs.step(np.ones(N, dtype=np.int64))
        if terminated.any():
            break
    _, info = envs.reset(options={"reset_mask": terminated.copy()})
    assert (info["budget_used"][terminated] == 1.0).all()
    _, _, terminated_again, _, _ = envs.step(np.zeros(N, dtype=np.int64))
    assert not terminated_again[terminated].any()
    envs.close()


def test_async_vector_env_runs_and_matches_sync() -> None:
    actions = np.random.default_rng(0).integers(0, 2, size=(40, 2))
    results = []
    for mode in ("async", "sync"):
        envs = gym.make_vec(
            "nasx11/FreezeThaw-Synthetic-v0",
            num_envs=2,
            vectorization_mode=mode,
            n_slots=1,
            invalid_action="noop",
        )
        obs, _ = envs.reset(seed=[4, 5])
        trace = [obs]
        for action in actions:
            obs, reward, _, _, _ = envs.step(action)
            trace.extend([obs, reward])
        envs.close()
        results.append(trace)
    assert all(np.array_equal(a, b) for a, b in zip(*results, strict=True))


def test_sb3_make_vec_env() -> None:
    env_util = pytest.importorskip("stable_baselines3.common.env_util")
    vec = env_util.make_vec_env(ENV_ID, n_envs=2, seed=0)
    obs = vec.reset()
    masks = vec.env_method("action_masks")
    assert obs.shape[0] == 2 and all(m.all() for m in masks)
    vec.step(np.zeros(2, dtype=np.int64))
    vec.close()
