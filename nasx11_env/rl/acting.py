"""Acting with a trained policy: one deterministic episode, on its own env or inside a search.

A policy trained on the budgeted env ``nasx11/<B>-v0`` acts on that env as it is. A policy
trained on ``nasx11/EarlyStop-<B>-v0`` (one architecture per episode, ``reward="vs_threshold"``:
"is finishing this run worth it against the threshold?") is applied inside a search on the
budgeted env as a stopping rule: every observation of the budgeted env is mapped, field by
field through both published ``obs_layout`` s, onto the layout it was trained on; the curve,
mask and candidate fields are the same quantities, ``next_cost_frac`` becomes the early-stop
env's (epochs to the next decision point / E) and the ``threshold`` is the search's incumbent
(its best observed final score so far). Until the first architecture completes there is no
incumbent to stop against, so it is trained fully (CONTINUE without asking the policy), as the
LCE agents train their first architectures fully. ``CONTINUE``/``STOP`` mean the same in both
envs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

from nasx11_env.envs.budgeted import CONTINUE
from nasx11_env.rl.policy import PolicyInfo

BUDGETED = ""
EARLY_STOP = "EarlyStop-"
SEARCH_FAMILIES = (BUDGETED, EARLY_STOP)  # policies RLStopper can apply in a search
# the runner (or the stopper's user) owns these; a policy's sidecar never imposes them
RESERVED_KWARGS = ("budget", "budget_unit", "max_episode_steps", "arch_split")
# early-stop kwargs that also configure the budgeted env (observation and proposals)
SHARED_KWARGS = (
    "decision_points",
    "min_epochs",
    "eta",
    "every_k",
    "proposer",
    "pool",
    "split_seed",
    "noise",
    "window",
    "include_arch",
    "arch_encoding",
)
ObsMap = Callable[[np.ndarray, dict[str, Any]], np.ndarray]
Actor = Callable[[Any, dict[str, Any]], int]  # (observation, info) -> action


def search_env_kwargs(info: PolicyInfo) -> dict[str, Any]:
    """Kwargs of the budgeted env a policy acts on in a search (budget and split left out)."""
    kwargs = {k: v for k, v in info.env_kwargs.items() if k not in RESERVED_KWARGS}
    if info.family == BUDGETED:
        return kwargs
    if info.family != EARLY_STOP:
        raise ValueError(
            f"a policy trained on {info.env_id} cannot stop runs in a search; train it on "
            "nasx11/<B>-v0 or nasx11/EarlyStop-<B>-v0"
        )
    if kwargs.get("obs_mode", "box") != "box":
        raise ValueError("an early-stop policy applied in a search needs obs_mode='box'")
    return {k: v for k, v in kwargs.items() if k in SHARED_KWARGS}


def make_actor(model: Any, info: PolicyInfo, env: gym.Env) -> Actor:
    """The deterministic action function of a loaded policy on ``env`` (module docstring):
    the policy itself on the family it was trained on (same observation layout), or an
    early-stop policy mapped onto the budgeted env; a ValueError for any other pairing."""
    inner = env.unwrapped
    family = parse_family(inner)
    predict = _predictor(model, info)
    layout = {name: [where.start, where.stop] for name, where in inner.obs_layout.items()}
    if family == info.family:
        if layout != info.obs_layout:
            raise ValueError(
                f"the environment's observation layout differs from the one the policy was "
                f"trained on ({info.env_id} with {info.env_kwargs}); make it with the same kwargs"
            )
        if type(model).__name__ == "MaskablePPO":
            masks = env.get_wrapper_attr("action_masks")
            return lambda obs, _: predict(obs, action_masks=masks())
        return lambda obs, _: predict(obs)
    if info.family == EARLY_STOP and family == BUDGETED:
        mapped = _early_stop_map(info.obs_layout, layout, inner.n_epochs)

        def act(obs: np.ndarray, step_info: dict[str, Any]) -> int:
            if step_info["n_completed"] == 0:  # no incumbent yet: nothing to stop against
                return CONTINUE
            return predict(mapped(obs, step_info))

        return act
    raise ValueError(
        f"a policy trained on {info.env_id} cannot act on {type(inner).__name__}; use it on "
        "its own env family (or an early-stop policy on nasx11/<B>-v0)"
    )


def _predictor(model: Any, info: PolicyInfo) -> Callable[..., int]:
    """Deterministic action of ``model`` for one raw observation, normalised as in training
    when the sidecar holds observation statistics (``train_rl(normalize=True)``)."""
    norm = info.obs_norm
    if norm is None:
        return lambda obs, **extra: int(model.predict(obs, deterministic=True, **extra)[0])
    mean = np.asarray(norm["mean"], dtype=np.float64)
    scale = np.sqrt(np.asarray(norm["var"], dtype=np.float64) + norm["epsilon"])
    clip = norm["clip"]

    def predict(obs: np.ndarray, **extra: Any) -> int:
        scaled = np.clip((obs - mean) / scale, -clip, clip).astype(np.float32)
        return int(model.predict(scaled, deterministic=True, **extra)[0])

    return predict


def parse_family(inner: gym.Env) -> str:
    """The id family of an unwrapped nasx11 env (``""``, ``"EarlyStop-"``, ...)."""
    from nasx11_env.envs import EarlyStopEnv, FreezeThawEnv

    if isinstance(inner, EarlyStopEnv):
        return EARLY_STOP
    if isinstance(inner, FreezeThawEnv):
        return "FreezeThaw-"
    return BUDGETED


def _early_stop_map(
    trained: dict[str, list[int]], env: dict[str, list[int]], n_epochs: int
) -> ObsMap:
    size = max(stop for _, stop in trained.values())
    src: list[int] = []
    dst: list[int] = []
    for name, (start, stop) in trained.items():
        if name in ("cand", "global", "next_cost_frac", "threshold"):
            continue  # groups are copied field by field; the last two are computed
        if name not in env or env[name][1] - env[name][0] != stop - start:
            raise ValueError(
                f"the search env has no observation field {name!r} of width "
                f"{stop - start} for the early-stop policy"
            )
        src.extend(range(*env[name]))
        dst.extend(range(start, stop))
    src_index, dst_index = np.array(src), np.array(dst)
    cost_at, threshold_at = trained["next_cost_frac"][0], trained["threshold"][0]
    incumbent_at = env["incumbent_observed"][0]

    def mapped(obs: np.ndarray, step_info: dict[str, Any]) -> np.ndarray:
        out = np.zeros(size, dtype=np.float32)
        out[dst_index] = obs[src_index]
        out[cost_at] = (step_info["decision_point"] - step_info["epoch"]) / n_epochs
        out[threshold_at] = obs[incumbent_at]
        return out

    return mapped


def run_episode(actor: Actor, env: gym.Env, seed: int) -> tuple[float, int, dict[str, Any]]:
    """Reset ``env`` with ``seed`` and act with ``actor`` until the episode ends; returns the
    return, the number of steps and the last step's info."""
    obs, info = env.reset(seed=seed)
    total, steps = 0.0, 0
    while True:
        obs, reward, terminated, truncated, info = env.step(actor(obs, info))
        total += float(reward)
        steps += 1
        if terminated or truncated:
            return total, steps, info
