"""Steps per second of nasx11 envs under a random policy, against CartPole-v1, in one run.

Every env comes from the same ``gym.make`` (same wrapper stack) and is driven by
``action_space.sample(mask=info["action_mask"])``. Per env it reports all steps per second
(resets included), the rate of *train* steps (steps that start no new architecture), the mean
extra cost of starting an architecture (the proposal: sampling it and predicting its curve,
batched) and the mean reset time. Ratios are against the reference env measured the same way.

    python benchmarks/env_throughput.py                      # the Synthetic envs
    python benchmarks/env_throughput.py --env nasx11/NB311-v0 --steps 50000
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import gymnasium as gym

import nasx11_env.envs  # noqa: F401  (registers the ids)

DEFAULT_ENVS = (
    "nasx11/Synthetic-v0",
    "nasx11/EarlyStop-Synthetic-v0",
    "nasx11/FreezeThaw-Synthetic-v0",
)


@dataclass
class Timing:
    """Seconds spent per kind of call during one measured run."""

    env_id: str
    steps: int = 0
    step_time: float = 0.0
    train_steps: int = 0
    train_time: float = 0.0
    proposal_steps: int = 0
    proposal_time: float = 0.0
    proposals: int = 0
    resets: int = 0
    reset_time: float = 0.0

    @property
    def total_time(self) -> float:
        return self.step_time + self.reset_time

    @property
    def rate(self) -> float:
        return self.steps / self.total_time

    @property
    def train_rate(self) -> float:
        return self.train_steps / self.train_time if self.train_steps else float("nan")

    @property
    def proposal_ms(self) -> float:
        """Mean extra time of a step that starts architectures, per architecture started."""
        if not self.proposals:
            return float("nan")
        base = self.proposal_steps * (self.train_time / max(1, self.train_steps))
        return 1e3 * (self.proposal_time - base) / self.proposals

    @property
    def reset_ms(self) -> float:
        return 1e3 * self.reset_time / max(1, self.resets)


def measure(env_id: str, steps: int, seed: int) -> Timing:
    """Run ``steps`` random-policy steps (resetting as episodes end) and time every call."""
    env = gym.make(env_id)
    env.action_space.seed(seed)
    timing = Timing(env_id)
    clock = time.perf_counter
    t0 = clock()
    _, info = env.reset(seed=seed)
    timing.reset_time += clock() - t0
    timing.resets += 1
    for _ in range(steps):
        mask = info.get("action_mask")
        action = (
            env.action_space.sample(mask=mask) if mask is not None else env.action_space.sample()
        )
        started = info.get("n_started", 0)
        t0 = clock()
        _, _, terminated, truncated, info = env.step(action)
        elapsed = clock() - t0
        timing.steps += 1
        timing.step_time += elapsed
        new = info.get("n_started", 0) - started
        if new > 0:
            timing.proposal_steps += 1
            timing.proposal_time += elapsed
            timing.proposals += new
        else:
            timing.train_steps += 1
            timing.train_time += elapsed
        if terminated or truncated:
            t0 = clock()
            _, info = env.reset()
            timing.reset_time += clock() - t0
            timing.resets += 1
    env.close()
    return timing


def best_of(env_ids: list[str], steps: int, seed: int, repeats: int) -> list[Timing]:
    """Per env, the fastest of ``repeats`` runs; the envs take turns within each round, so a
    change of load on the machine affects the reference and the envs alike."""
    rounds = [[measure(env_id, steps, seed) for env_id in env_ids] for _ in range(repeats)]
    return [min(runs, key=lambda t: t.total_time) for runs in zip(*rounds, strict=True)]


def table(reference: Timing, results: list[Timing]) -> str:
    header = (
        f"{'env':<34} {'steps/s':>9} {'x ref':>6} {'train steps/s':>14} {'x ref':>6} "
        f"{'proposals':>9} {'ms/proposal':>11} {'ms/reset':>9}"
    )
    lines = [header, "-" * len(header)]
    for t in [reference, *results]:
        lines.append(
            f"{t.env_id:<34} {t.rate:>9.0f} {t.rate / reference.rate:>6.2f} "
            f"{t.train_rate:>14.0f} {t.train_rate / reference.rate:>6.2f} "
            f"{t.proposals:>9d} {t.proposal_ms:>11.4f} {t.reset_ms:>9.4f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", action="append", help="env id (repeatable); default: Synthetic")
    parser.add_argument("--reference", default="CartPole-v1", help="reference env id")
    parser.add_argument("--steps", type=int, default=20_000, help="steps per run")
    parser.add_argument("--repeats", type=int, default=5, help="runs per env; the best counts")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    env_ids = args.env or list(DEFAULT_ENVS)
    reference, *results = best_of([args.reference, *env_ids], args.steps, args.seed, args.repeats)
    print(f"random policy, {args.steps} steps per run, best of {args.repeats}; ratios vs "
          f"{args.reference} (target: train steps >= 0.5 x ref, proposals < 1 ms)")  # fmt: skip
    print(table(reference, results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
