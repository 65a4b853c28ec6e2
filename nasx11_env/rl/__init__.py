"""Reinforcement learning of stopping policies with stable-baselines3 (the ``rl`` extra).

* ``train_rl(env_id, algo, steps, seed, out_dir, ...)``: PPO / MaskablePPO on a nasx11 env,
  always on ``arch_split="train"``; saves ``policy.zip``, the ``policy.json`` sidecar and a
  per-episode ``episodes.csv``.
* ``evaluate_policy`` / ``evaluate_protocol``: deterministic episodes on the training and the
  held-out ``"test"`` architectures, fresh seeds.
* ``nasx11_env.agents.rl_stopper.RLStopper`` (``make_agent("RL", policy=PATH)``): a saved policy
  as the stopping rule of a random search, for comparisons with the baseline agents.

Importing this package does not import torch or stable-baselines3: they load when training or
loading a policy.
"""

from __future__ import annotations

from nasx11_env.rl.evaluate import EvalResult, evaluate_policy, evaluate_protocol, mean_sem
from nasx11_env.rl.policy import ALGOS, PolicyFileError, PolicyInfo, read_sidecar
from nasx11_env.rl.train import TrainResult, train_rl

__all__ = [
    "ALGOS",
    "EvalResult",
    "PolicyFileError",
    "PolicyInfo",
    "TrainResult",
    "evaluate_policy",
    "evaluate_protocol",
    "mean_sem",
    "read_sidecar",
    "train_rl",
]
