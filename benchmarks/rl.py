"""PPO stopping policies against RS, SH and LCE stopping on held-out architectures (issue 6).

Per benchmark (NB311, NLP11):

1. Decision points: the union of successive halving's rung epochs and the LCE agents' first
   epochs (x11 defaults), so the policy decides exactly where the baselines decide.
2. Steps/s of training are measured on a short run, and the step count scaled to ``--minutes``.
3. PPO trains on ``arch_split="train"`` on the training env (``--train-env``):
   ``earlystop`` (default): ``nasx11/EarlyStop-<B>-v0`` with ``reward="vs_threshold"`` (one run
   per episode: is finishing it worth it against a threshold, the true final score of
   ``--threshold-sample`` other runs; ``--cost`` of the score range per full training), applied
   in the search with the incumbent as threshold (``nasx11_env.rl.acting``); ``budgeted``:
   ``nasx11/<B>-v0`` itself, the whole search under the same budget, reward ``incumbent_delta``.
   Both start from a policy that continues with probability ``--continue-prob`` and train on
   standardised observations (``train_rl``): without either, PPO learnt to stop every run at
   its first decision point (EarlyStop-NLP11, 50k steps; NB311 finals differ by 0.005 of the
   [0, 1] range, too little for an unscaled MLP input). The ``budgeted`` variant is much harder
   (hundreds to thousands of steps per episode, the value of a stop shows only as budget left
   for later runs): a 3-minute run of it, before those two fixes, gave a deterministic policy
   that stopped everything; it is untested with them.
4. Every agent then searches the held-out ``"test"`` architectures under the same simulated
   budget (seconds) and the same seeds (fresh: ``EVAL_SEED_BASE + i``): RL (``RLStopper``:
   random proposals, learned stopping), RS (random search, full trainings), SH (successive
   halving), RS-SVR (random search with LcSVR extrapolation, the x11 LCE stopper). The baselines
   propose from the same held-out architectures as the env (``HeldOutSpace``).
5. Printed: mean final regret +- standard error per agent, and the policy's own return on train
   vs test architectures (the memorisation check).

    python benchmarks/rl.py                               # full run: 15 min of PPO per benchmark
    python benchmarks/rl.py --minutes 4 --seeds 10        # a short run
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Hashable
from functools import partial
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from nasx11_env.agents import defaults, make_agent, with_lce
from nasx11_env.agents.hyperband import BracketAgent, RandomSampler, hyperband_brackets
from nasx11_env.agents.search import RandomSearch
from nasx11_env.agents.sequential import SequentialAgent
from nasx11_env.envs import make_source
from nasx11_env.envs.proposals import in_split
from nasx11_env.envs.registry import BENCHMARKS, env_id
from nasx11_env.rl import evaluate_protocol, mean_sem, train_rl
from nasx11_env.spaces.base import SearchSpace

# simulated seconds per search: the defaults of ``nasx11 compare`` (x11's run scripts)
BUDGETS = {"nb311": 5e6, "nlp11": 1e6}
# earlystop training: the threshold is the true final score of one other run, so about half
# the runs beat it and the comparison is learnt over the whole score range (in the search it
# is asked against the incumbent); a full training costs about 5% of the spread of finals
THRESHOLD_SAMPLE = 1
COSTS = {"nb311": 0.0002, "nlp11": 0.002}
EVAL_SEED_BASE = 10_000
CALIBRATION_STEPS = 2_048
SPLIT_SEED = 0


class HeldOutSpace:
    """``space`` whose ``sample`` draws only held-out (``"test"``) architectures: uniformly
    from the test members of ``pool`` when given (NLP11's real architectures), else by
    rejection from the space. Everything else is the wrapped space's."""

    def __init__(self, space: SearchSpace, pool: list[Hashable] | None) -> None:
        self._space = space
        self._pool = None
        if pool is not None:
            self._pool = [a for a in pool if in_split(space, a, "test", SPLIT_SEED)]

    def sample(self, rng: np.random.Generator) -> Hashable:
        if self._pool is not None:
            return self._pool[int(rng.integers(len(self._pool)))]
        while True:
            arch = self._space.sample(rng)
            if in_split(self._space, arch, "test", SPLIT_SEED):
                return arch

    def __getattr__(self, name: str) -> Any:
        return getattr(self._space, name)


def _held_out_search(pool: Any, space: SearchSpace, rng: np.random.Generator) -> RandomSearch:
    return RandomSearch(HeldOutSpace(space, pool), rng)


def _held_out_sampler(
    pool: Any, space: SearchSpace, rng: np.random.Generator, n_epochs: int
) -> RandomSampler:
    return RandomSampler(HeldOutSpace(space, pool), rng)


def baselines(pool: Any) -> list[Any]:
    """RS, SH and RS-SVR, proposing held-out architectures only."""
    rs = SequentialAgent("RS", partial(_held_out_search, pool), "RS")
    sh = BracketAgent("SH", partial(_held_out_sampler, pool), all_brackets=False)
    return [rs, sh, with_lce(rs, "svr")]


def decision_points(n_epochs: int) -> list[int]:
    """SH's rung epochs and the LCE decision epoch (x11 defaults of the benchmark)."""
    eta, min_epochs = defaults.hyperband_geometry(n_epochs)
    rungs = hyperband_brackets(n_epochs, min_epochs, eta)[0].epochs
    return sorted({*rungs, defaults.lce_first_epochs(n_epochs)})


def training_setup(args: argparse.Namespace, key: str) -> tuple[str, dict[str, Any]]:
    """Training env id and kwargs for benchmark ``key``."""
    bench = BENCHMARKS[key]
    points = decision_points(bench.n_epochs)
    if args.train_env == "budgeted":
        kwargs = {"budget": BUDGETS[key], "budget_unit": "seconds", "decision_points": points}
        return env_id("", bench), kwargs
    kwargs = {
        "decision_points": points,
        "reward": "vs_threshold",
        "threshold_sample": args.threshold_sample,
        "cost_penalty": (args.cost if args.cost is not None else COSTS[key]) / bench.n_epochs,
    }
    return env_id("EarlyStop-", bench), kwargs


def final_regret(agent: Any, key: str, seed: int) -> float:
    """Run ``agent`` once as ``nasx11 compare`` does; the final normalised regret."""
    bench = BENCHMARKS[key]
    env = gym.make(
        env_id(agent.env_family, bench),
        budget=BUDGETS[key],
        budget_unit="seconds",
        max_episode_steps=10**8,
        disable_env_checker=True,
        **agent.env_kwargs(bench.n_epochs),
    )
    agent.run(env, seed)
    sim = env.unwrapped.sim
    if not sim.exhausted:
        raise RuntimeError(f"{agent.name} stopped before the budget was spent")
    return float(sim.regret)


def train(args: argparse.Namespace, key: str, out: Path) -> Path:
    name, kwargs = training_setup(args, key)
    hyper = json.loads(args.hyperparams)
    start = time.perf_counter()
    run = partial(
        train_rl,
        name,
        continue_prob=args.continue_prob,
        seed=args.seed,
        env_kwargs=kwargs,
        hyperparams=hyper,
    )
    probe = run(steps=CALIBRATION_STEPS, out_dir=out / "calibration", progress=False)
    rate = probe.steps_per_second
    steps = args.steps or max(CALIBRATION_STEPS, int(rate * args.minutes * 60))
    print(
        f"{key}: {name} {kwargs}\n  calibration {probe.steps} steps: {rate:,.0f} steps/s "
        f"-> {steps:,} steps (~{steps / rate / 60:.1f} min)"
    )
    result = run(steps=steps, out_dir=out / "policy")
    print(
        f"  trained {result.steps:,} steps in {result.seconds:.0f} s "
        f"({result.steps_per_second:,.0f}/s, {result.episodes} episodes; "
        f"total {time.perf_counter() - start:.0f} s)"
    )
    return result.policy


def compare(args: argparse.Namespace, key: str, policy: Path) -> None:
    seeds = [EVAL_SEED_BASE + i for i in range(args.seeds)]
    protocol = evaluate_protocol(policy, n_episodes=args.policy_episodes)
    for split, res in protocol.items():
        mean, sem = res.summary()
        print(f"  policy return on its training env, {split:<5} archs: {mean:.4f} +- {sem:.4f}")
    pool = getattr(make_source(key), "pool", None)
    agents = [make_agent("RL", policy=policy), *baselines(pool)]
    print(f"  final regret, held-out archs, budget {BUDGETS[key]:g} s, {len(seeds)} seeds:")
    for agent in agents:
        start = time.perf_counter()
        regrets = [final_regret(agent, key, seed) for seed in seeds]
        mean, sem = mean_sem(regrets)
        print(
            f"    {agent.name:<7} {mean:.5f} +- {sem:.5f}   ({time.perf_counter() - start:.0f} s)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmarks", nargs="+", choices=tuple(BUDGETS), default=list(BUDGETS))
    parser.add_argument("--train-env", choices=("earlystop", "budgeted"), default="earlystop")
    parser.add_argument("--minutes", type=float, default=15.0, help="PPO training per benchmark")
    parser.add_argument("--steps", type=int, default=0, help="training steps (overrides minutes)")
    parser.add_argument("--hyperparams", default="{}", help="PPO kwargs as JSON (over train_rl's)")
    parser.add_argument("--seeds", type=int, default=20, help="evaluation searches per agent")
    parser.add_argument(
        "--policy-episodes",
        type=int,
        default=200,
        help="episodes of the train/test check on the training env",
    )
    parser.add_argument(
        "--threshold-sample",
        type=int,
        default=THRESHOLD_SAMPLE,
        help="earlystop: other runs whose best final score is the threshold",
    )
    parser.add_argument(
        "--cost",
        type=float,
        default=None,
        help=f"earlystop: cost of a full training, normalised (default {COSTS})",
    )
    parser.add_argument(
        "--continue-prob",
        type=float,
        default=0.9,
        help="initial probability of CONTINUE (exploration, see train_rl)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="rl-benchmark", help="folder for the policies")
    args = parser.parse_args()
    torch.set_num_threads(1)  # small MLPs: one thread is fastest, and the cores are shared
    if not math.isfinite(args.minutes) or args.minutes <= 0:
        parser.error("--minutes must be > 0")
    for key in args.benchmarks:
        policy = train(args, key, Path(args.out) / key)
        compare(args, key, policy)


if __name__ == "__main__":
    main()
