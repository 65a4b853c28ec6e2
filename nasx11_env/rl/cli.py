"""``nasx11 train-rl``: train a policy, save it, and evaluate it on train and held-out archs.

``add_train_rl_parser(subparsers)`` adds the sub-command to the ``nasx11`` parser; the handler
imports stable-baselines3 only when it runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from nasx11_env.rl.policy import ALGOS

EVAL_EPISODES = 5


def _int_at_least(minimum: int) -> Any:
    """An argparse type: an int >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an int, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an int >= {minimum}, got {value}")
        return value

    return parse


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not JSON ({error}): {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}")
    return value


def _print_eval(policy: Any, episodes: int, stream: Any) -> None:
    from nasx11_env.rl.evaluate import evaluate_protocol

    results = evaluate_protocol(policy, n_episodes=episodes)
    for split, result in results.items():
        keys = ["return", *(k for k in result.terminal if k in ("final_regret", "oracle_return"))]
        parts = []
        for key in keys:
            mean, sem = result.summary(key)
            parts.append(f"{key} {mean:.4f} +- {sem:.4f}")
        print(f"  {split:<5} archs, {episodes} episodes: " + ", ".join(parts), file=stream)


def _one_torch_thread() -> None:
    """Small MLP policies run fastest on one CPU thread (more threads contend on shared cores);
    set for this command's process only. Without torch, ``train_rl`` says what to install."""
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


def _cmd_train_rl(args: argparse.Namespace) -> int:
    from nasx11_env.rl.train import train_rl

    try:
        _one_torch_thread()
        result = train_rl(
            args.env,
            algo=args.algo,
            steps=args.steps,
            seed=args.seed,
            out_dir=args.out,
            n_envs=args.n_envs,
            env_kwargs=args.env_kwargs,
            tensorboard=args.tensorboard,
        )
        print(
            f"trained {args.algo} on {args.env} for {result.steps:,} steps in "
            f"{result.seconds:.1f} s ({result.steps_per_second:,.0f} steps/s, "
            f"{result.episodes} episodes)\n  policy {result.policy}\n  sidecar {result.sidecar}"
            f"\n  episodes {result.episodes_csv}"
        )
        if args.eval_episodes:
            print("evaluation (deterministic, fresh seeds):")
            _print_eval(result.policy, args.eval_episodes, sys.stdout)
    except (ValueError, TypeError, ImportError) as error:
        print(f"nasx11 train-rl: error: {error}", file=sys.stderr)
        return 2
    return 0


def add_train_rl_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``train-rl`` to the ``nasx11`` sub-command parsers; returns its parser."""
    parser = subparsers.add_parser(
        "train-rl",
        help="train a PPO stopping policy (needs the rl extra)",
        description="Train PPO / MaskablePPO on a nasx11 env (arch_split='train'), save "
        "policy.zip + policy.json + episodes.csv, then evaluate on train and held-out archs.",
    )
    parser.add_argument("--env", required=True, help="env id, e.g. nasx11/EarlyStop-NB311-v0")
    parser.add_argument("--algo", choices=tuple(ALGOS), default="ppo")
    parser.add_argument("--steps", type=_int_at_least(1), required=True, help="environment steps")
    parser.add_argument("--seed", type=_int_at_least(0), default=0)
    parser.add_argument("--out", default="rl-policy", help="output folder (default rl-policy)")
    parser.add_argument("--n-envs", type=_int_at_least(1), default=2, help="parallel envs")
    parser.add_argument(
        "--env-kwargs",
        type=_json_object,
        default=None,
        help='env kwargs as JSON, e.g. \'{"reward": "vs_threshold", "budget": 5e5}\'',
    )
    parser.add_argument("--tensorboard", metavar="DIR", help="TensorBoard log folder")
    parser.add_argument(
        "--eval-episodes",
        type=_int_at_least(0),
        default=EVAL_EPISODES,
        help=f"episodes per split after training (default {EVAL_EPISODES}; 0 skips)",
    )
    parser.set_defaults(func=_cmd_train_rl)
    return parser
