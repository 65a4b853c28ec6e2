"""Evaluating a saved policy on the env it was trained on, per architecture split.

The protocol that rules out memorisation (``evaluate_protocol``): the policy was trained on
``arch_split="train"``; it is evaluated on ``"train"`` and on the held-out ``"test"``
architectures, with fresh seeds (by default ``EVAL_SEED_BASE + i``, and never one of the
training run's initial env seeds), deterministic actions, and both results reported. A policy
that only memorised its training architectures scores well on the first and not on the second.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from nasx11_env.rl.acting import make_actor, run_episode
from nasx11_env.rl.policy import check_json_kwargs, load_model
from nasx11_env.rl.train import MAX_EPISODE_STEPS, TERMINAL_KEYS

EVAL_SEED_BASE = 10_000
SPLITS = ("train", "test")


def mean_sem(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error (``std(ddof=1) / sqrt(n)``; NaN for fewer than two values)."""
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        return math.nan, math.nan
    sem = float(array.std(ddof=1) / math.sqrt(array.size)) if array.size > 1 else math.nan
    return float(array.mean()), sem


@dataclass(frozen=True)
class EvalResult:
    """Per-episode results of one split: seeds, returns, lengths and terminal info values."""

    split: str
    seeds: tuple[int, ...]
    returns: tuple[float, ...]
    lengths: tuple[int, ...]
    terminal: dict[str, tuple[float, ...]]

    def summary(self, key: str = "return") -> tuple[float, float]:
        """``(mean, standard error)`` of ``"return"`` or a terminal key (e.g. final_regret)."""
        values = self.returns if key == "return" else self.terminal[key]
        return mean_sem(values)


def _check_seeds(seeds: object, training: range) -> tuple[int, ...]:
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or not seeds:
        raise ValueError(f"seeds must be a non-empty sequence of ints >= 0, got {seeds!r}")
    out = []
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
            raise ValueError(f"seeds must be ints >= 0, got {seed!r}")
        if seed in training:
            raise ValueError(
                f"seed {seed} seeded an env in training (seeds {training.start}.."
                f"{training.stop - 1}); evaluate on fresh seeds"
            )
        out.append(int(seed))
    return tuple(out)


def evaluate_policy(
    policy: str | Path,
    *,
    split: str = "test",
    seeds: Sequence[int] | None = None,
    n_episodes: int = 10,
    env_kwargs: dict[str, Any] | None = None,
) -> EvalResult:
    """Run the saved policy deterministically for one episode per seed on the env it was
    trained on, restricted to the ``split`` architectures.

    Args:
        policy: the policy's ``.zip``, ``.json`` or folder (see ``train_rl``).
        split: ``"test"`` (held out, default) or ``"train"``.
        seeds: episode seeds; default ``EVAL_SEED_BASE + i`` for ``i < n_episodes``.
        env_kwargs: overrides of the training env kwargs (not ``arch_split``).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, SPLITS))}, got {split!r}")
    overrides = check_json_kwargs(env_kwargs)
    if "arch_split" in overrides:
        raise ValueError("choose the architectures with split=..., not env_kwargs['arch_split']")
    model, info = load_model(policy)
    if seeds is None:
        if isinstance(n_episodes, bool) or not isinstance(n_episodes, Real) or n_episodes < 1:
            raise ValueError(f"n_episodes must be an int >= 1, got {n_episodes!r}")
        seeds = range(EVAL_SEED_BASE, EVAL_SEED_BASE + int(n_episodes))
    seeds = _check_seeds(list(seeds), range(info.seed, info.seed + info.n_envs))
    kwargs = {**info.env_kwargs, **overrides, "arch_split": split}
    env = gym.make(info.env_id, max_episode_steps=MAX_EPISODE_STEPS, **kwargs)
    actor = make_actor(model, info, env)
    keys = TERMINAL_KEYS[info.family]
    returns, lengths, terminal = [], [], {key: [] for key in keys}
    for seed in seeds:
        total, steps, last = run_episode(actor, env, seed)
        returns.append(total)
        lengths.append(steps)
        for key in keys:
            terminal[key].append(float(last[key]))
    env.close()
    return EvalResult(
        split,
        seeds,
        tuple(returns),
        tuple(lengths),
        {key: tuple(values) for key, values in terminal.items()},
    )


def evaluate_protocol(
    policy: str | Path,
    *,
    seeds: Sequence[int] | None = None,
    n_episodes: int = 10,
    env_kwargs: dict[str, Any] | None = None,
) -> dict[str, EvalResult]:
    """``evaluate_policy`` on the training and the held-out architectures, same seeds."""
    return {
        split: evaluate_policy(
            policy, split=split, seeds=seeds, n_episodes=n_episodes, env_kwargs=env_kwargs
        )
        for split in SPLITS
    }
