"""The Gymnasium contract of every nasx11 env (on the SYNTHETIC benchmark): checkers, spaces,
observation layout, info, masks, rendering, registration and clear errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import nasx11_env.envs as envs
from nasx11_env.envs.registry import SurrogateUnavailableError, make_source
from nasx11_env.errors import InvalidArchitectureError
from nasx11_env.spaces import get_space
from nasx11_env.synthetic import SyntheticCurves

SYNTHETIC = [i for i in envs.ENV_IDS if "Synthetic" in i]
VARIANTS = [{}, {"obs_mode": "dict", "include_arch": True}, {"decision_points": "every_epoch"}]


def run_episode(env: gym.Env, seed: int, policy=None, options=None) -> list:
    """Play one episode; returns the (obs, reward, terminated, truncated, info) of every step."""
    obs, info = env.reset(seed=seed, options=options)
    rng = np.random.default_rng(seed)
    steps = [(obs, 0.0, False, False, info)]
    while True:
        mask = info["action_mask"]
        action = policy(obs, info) if policy else int(rng.choice(np.flatnonzero(mask)))
        obs, reward, terminated, truncated, info = env.step(action)
        steps.append((obs, reward, terminated, truncated, info))
        if terminated or truncated:
            return steps


# ------------------------------------------------------------------ checkers
@pytest.mark.parametrize("env_id", SYNTHETIC)
@pytest.mark.parametrize("kwargs", VARIANTS)
def test_gymnasium_check_env_passes_without_warnings(env_id: str, kwargs: dict) -> None:
    env = gym.make(env_id, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)


@pytest.mark.parametrize("env_id", SYNTHETIC)
@pytest.mark.parametrize("obs_mode", ["box", "dict"])
def test_sb3_check_env_passes(env_id: str, obs_mode: str) -> None:
    sb3_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    env = gym.make(env_id, obs_mode=obs_mode)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sb3_checker.check_env(env, warn=True, skip_render_check=True)


# ------------------------------------------------------------------ registration
def test_every_benchmark_and_family_is_registered_with_a_name_not_data() -> None:
    for label in ("NB311", "NLP11", "NB111", "NB201", "Synthetic"):
        for family in ("", "EarlyStop-", "FreezeThaw-"):
            spec = gym.spec(f"nasx11/{family}{label}-v0")
            expected = {"source": label.lower()}
            if label == "NLP11":
                expected["proposer"] = "pool"
            assert spec.kwargs == expected
            assert isinstance(spec.entry_point, str) and spec.max_episode_steps > 0
            assert json.loads(spec.to_json())["id"] == spec.id


def test_importing_the_package_registers_without_loading_curves(tmp_path: Path) -> None:
    code = (
        "import sys, gymnasium as gym, nasx11_env\n"
        "assert 'nasx11/NB311-v0' in gym.registry\n"
        "print(sorted(m for m in sys.modules if m.startswith(('nasx11_env.synthetic', "
        "'nasx11_env.surrogate', 'nasx11_env.data'))))\n"
    )
    # Run outside the source tree, so the installed package is imported (as users get it).
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("label", ["NB111", "NB201"])
def test_benchmarks_without_a_surrogate_fail_at_make_saying_what_to_do(
    label: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NASX11_ARTIFACTS", str(tmp_path))
    with pytest.raises(SurrogateUnavailableError, match=f"{label} surrogate.*CurveSource"):
        gym.make(f"nasx11/EarlyStop-{label}-v0")


def test_nb111_error_says_how_to_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NASX11_ARTIFACTS", str(tmp_path))
    with pytest.raises(SurrogateUnavailableError, match="nasx11 build nb111 --data"):
        gym.make("nasx11/NB111-v0")


def test_make_source() -> None:
    assert isinstance(make_source("Synthetic"), SyntheticCurves)
    with pytest.raises(ValueError, match="unknown benchmark"):
        make_source("nb999")


def test_a_curve_source_object_can_replace_the_benchmark_name() -> None:
    env = gym.make("nasx11/NB201-v0", source=SyntheticCurves(n_epochs=12))
    env.reset(seed=0)
    assert env.unwrapped.n_epochs == 12


# ------------------------------------------------------------------ observation
@pytest.mark.parametrize("env_id", SYNTHETIC)
def test_observations_are_fresh_in_space_and_match_the_layout(env_id: str) -> None:
    env = gym.make(env_id, include_arch=True)
    unwrapped = env.unwrapped
    layout, space = unwrapped.obs_layout, get_space("nb201")
    groups = [layout[g] for g in ("curve", "curve_mask", "cand", "global", "arch")]
    assert groups[0].start == 0 and groups[-1].stop == env.observation_space.shape[0]
    assert all(a.stop == b.start for a, b in zip(groups, groups[1:], strict=False))
    steps = run_episode(env, seed=3)
    for (obs, *_), (next_obs, *_) in zip(steps, steps[1:], strict=False):
        assert not np.shares_memory(obs, next_obs)
    slot = "" if "FreezeThaw" not in env_id else "[0]"
    for obs, _, _, _, info in steps:
        assert obs.dtype == np.float32 and env.observation_space.contains(obs)
        if "FreezeThaw" in env_id and info["slot"] != 0:
            continue
        epoch = info["epoch"]
        assert obs[layout[f"epoch_frac{slot}"]][0] == pytest.approx(epoch / unwrapped.n_epochs)
        assert obs[layout[f"last_score{slot}"]][0] == pytest.approx(info["last_score_observed"])
        window = obs[layout["curve"]][:16]
        mask = obs[layout["curve_mask"]][:16]
        assert mask.sum() == min(epoch, 16) and window[-1] == obs[layout[f"last_score{slot}"]][0]
        arch = unwrapped.arch(info["arch_index"])
        assert np.array_equal(obs[layout["arch"]][:30], space.encode(arch, "onehot"))
        if "budget_total" in info:
            used = obs[layout["budget_used_frac"]][0]
            assert used == pytest.approx(info["budget_used"] / info["budget_total"])


@pytest.mark.parametrize("env_id", SYNTHETIC)
def test_dict_mode_holds_the_same_numbers_as_box_mode(env_id: str) -> None:
    box = run_episode(gym.make(env_id), seed=5)
    flat_dict = run_episode(gym.make(env_id, obs_mode="dict"), seed=5)
    layout = gym.make(env_id).unwrapped.obs_layout
    for (obs_box, *_), (obs_dict, *_) in zip(box, flat_dict, strict=True):
        for name, value in obs_dict.items():
            assert np.array_equal(obs_box[layout[name]], value)


# ------------------------------------------------------------------ info, masks, flags
@pytest.mark.parametrize("env_id", SYNTHETIC)
def test_info_is_flat_numeric_and_terminal_extras_appear_at_the_end(env_id: str) -> None:
    steps = run_episode(gym.make(env_id), seed=0)
    for _, reward, terminated, truncated, info in steps:
        assert type(reward) is float and type(terminated) is bool and type(truncated) is bool
        for key, value in info.items():
            assert isinstance(value, (int, float, bool, np.ndarray)), key
            assert not isinstance(value, np.ndarray) or value.dtype.kind in "biu", key
    final = steps[-1][4]
    assert steps[-1][2] and type(final["is_success"]) is bool
    extra = "stop_epoch" if "EarlyStop" in env_id else "final_regret"
    assert extra in final and all(extra not in s[4] for s in steps[:-1])


@pytest.mark.parametrize("env_id", SYNTHETIC)
def test_action_masks_work_before_reset_and_agree_with_info(env_id: str) -> None:
    env = gym.make(env_id)
    before = env.get_wrapper_attr("action_masks")()
    assert before.dtype == bool and before.shape == (env.action_space.n,) and before.any()
    steps = run_episode(env, seed=1)
    for _, _, _, _, info in steps[:-1]:
        assert info["action_mask"].dtype == np.int8
    mask = env.unwrapped.action_masks()
    mask[:] = False  # a copy: mutating it changes nothing
    assert env.unwrapped.action_masks().any()


def test_freeze_thaw_masks_finished_slots_and_raises_or_noops_on_masked_actions() -> None:
    env = gym.make("nasx11/FreezeThaw-Synthetic-v0", n_slots=2, decision_points=[20])
    _, info = env.reset(seed=0)  # both slots trained straight to the last epoch
    assert info["action_mask"].tolist() == [0, 0, 1, 1]
    with pytest.raises(ValueError, match="masked"):
        env.step(0)
    noop = gym.make(
        "nasx11/FreezeThaw-Synthetic-v0", n_slots=2, decision_points=[20], invalid_action="noop"
    )
    _, before = noop.reset(seed=0)
    _, reward, terminated, _, after = noop.step(1)  # pays out what the reset completed
    assert reward == pytest.approx(before["incumbent_true"]) and not terminated
    _, reward, terminated, _, again = noop.step(1)
    assert reward == 0.0 and not terminated
    assert before["budget_used"] == after["budget_used"] == again["budget_used"]


def test_stepping_after_termination_asks_for_reset() -> None:
    env = gym.make("nasx11/EarlyStop-Synthetic-v0").unwrapped
    env.reset(seed=0)
    env.step(envs.STOP)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(envs.CONTINUE)


# ------------------------------------------------------------------ render
@pytest.mark.parametrize("env_id", SYNTHETIC)
def test_render_modes(env_id: str) -> None:
    text_env = gym.make(env_id, render_mode="ansi")
    run_episode(text_env, seed=2)
    text = text_env.render()
    assert isinstance(text, str) and "incumbent" in text and "slot 0" in text
    image_env = gym.make(env_id, render_mode="rgb_array")
    run_episode(image_env, seed=2)
    image = image_env.render()
    assert image.dtype == np.uint8 and image.shape == (240, 320, 3)
    assert (image != 255).any(axis=2).sum() > 200  # curves, axes and the budget bar drawn
    silent = gym.make(env_id)
    silent.reset(seed=0)
    assert silent.render() is None
    assert envs.BudgetedNASEnv.metadata["render_fps"] > 0


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("kwargs", "error", "needle"),
    [
        ({"budget": 0}, ValueError, "budget"),
        ({"budget": -5}, ValueError, "budget"),
        ({"budget": float("nan")}, ValueError, "budget"),
        ({"budget": 0.5}, ValueError, "budget"),
        ({"budget_unit": "seconds"}, ValueError, "budget"),
        ({"budget_unit": "hours"}, ValueError, "budget_unit"),
        ({"decision_points": "sometimes"}, ValueError, "decision_points"),
        ({"proposer": "oracle"}, ValueError, "proposer"),
        ({"reward": "accuracy"}, ValueError, "reward"),
        ({"reward_source": "test"}, ValueError, "reward_source"),
        ({"obs_mode": "graph"}, ValueError, "obs_mode"),
        ({"window": 0}, ValueError, "window"),
        ({"noise": "loud"}, ValueError, "noise"),
        ({"invalid_action": "nearest"}, ValueError, "invalid_action"),
        ({"render_mode": "svg"}, ValueError, "render_mode"),
        ({"cost_penalty": -1.0}, ValueError, "cost_penalty"),
        ({"include_arch": 1}, ValueError, "include_arch"),
        ({"arch_encoding": "categorical", "include_arch": True}, ValueError, "arch_encoding"),
        ({"budgett": 10}, TypeError, "budgett"),
        ({"source": 42}, TypeError, "source"),
    ],
)
@pytest.mark.filterwarnings("ignore:.*not in the possible render_modes")
def test_bad_kwargs_raise_errors_naming_them(kwargs: dict, error: type, needle: str) -> None:
    with pytest.raises(error, match=needle):
        gym.make("nasx11/Synthetic-v0", **kwargs)


@pytest.mark.parametrize(
    ("env_id", "kwargs", "needle"),
    [
        ("nasx11/FreezeThaw-Synthetic-v0", {"n_slots": 0}, "n_slots"),
        ("nasx11/FreezeThaw-Synthetic-v0", {"n_slots": 300}, "budget"),
        ("nasx11/FreezeThaw-Synthetic-v0", {"checkpointing": "yes"}, "checkpointing"),
        ("nasx11/EarlyStop-Synthetic-v0", {"threshold": 1.5}, "threshold"),
        ("nasx11/EarlyStop-Synthetic-v0", {"decision_points": [20]}, "decision points"),
        ("nasx11/EarlyStop-Synthetic-v0", {"reward": "regret"}, "reward"),
        ("nasx11/EarlyStop-Synthetic-v0", {"threshold_sample": 0}, "threshold_sample"),
        (
            "nasx11/EarlyStop-Synthetic-v0",
            {"reward": "vs_threshold", "proposer": "agent"},
            "threshold",
        ),
    ],
)
def test_bad_variant_kwargs(env_id: str, kwargs: dict, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        gym.make(env_id, **kwargs)


def test_unknown_id_is_refused() -> None:
    with pytest.raises(gym.error.Error):
        gym.make("nasx11/NB999-v0")


@pytest.mark.parametrize("action", [2, -1, 1.5, "0", True, np.array([0, 1])])
def test_actions_out_of_range_raise(action: object) -> None:
    env = gym.make("nasx11/Synthetic-v0", disable_env_checker=True)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(action)


def test_numpy_actions_are_accepted() -> None:
    env = gym.make("nasx11/Synthetic-v0")
    env.reset(seed=0)
    for action in (np.int64(0), np.int32(1), np.array(0), np.array([1])):
        env.step(action)


def test_malformed_architectures_and_reset_options_are_refused() -> None:
    env = gym.make("nasx11/Synthetic-v0")
    env.reset(seed=0)
    with pytest.raises(InvalidArchitectureError):
        env.unwrapped.propose("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    with pytest.raises(InvalidArchitectureError):
        env.unwrapped.propose((1, 2, 3))
    with pytest.raises(ValueError, match="reset option"):
        env.reset(seed=0, options={"arch": "x"})
