"""One trial: make the agent's environment, let the agent search, return a JSON-ready row.

``run_trial`` is a module-level function of a picklable ``TrialTask`` so that any backend (a
process pool, Ray) can run it; the row depends on the task alone.
"""

from __future__ import annotations

import copy
from typing import Any

import gymnasium as gym

from nasx11_env.envs.registry import BENCHMARKS, env_id
from nasx11_env.experiment import plan
from nasx11_env.experiment.plan import ExperimentError, TrialTask
from nasx11_env.experiment.trace import TraceRecorder

# The registered step caps assume the default epoch budget; a seconds budget may need more
# steps, and the budget (not a step count) must end every search.
MAX_EPISODE_STEPS = 10**8
RESERVED_KWARGS = ("budget", "budget_unit", "max_episode_steps")


def make_env(task: TrialTask, agent: Any) -> TraceRecorder:
    """The agent's environment for ``task``'s benchmark and budget, wrapped in a recorder."""
    benchmark = BENCHMARKS[task.benchmark]
    kwargs = dict(agent.env_kwargs(benchmark.n_epochs))
    clashes = sorted(set(kwargs) & set(RESERVED_KWARGS))
    if clashes:
        raise ExperimentError(
            f"agent {task.agent_name!r}: env_kwargs must not set {', '.join(clashes)}; "
            "the runner owns the budget"
        )
    env = gym.make(
        env_id(agent.env_family, benchmark),
        budget=task.budget,
        budget_unit="seconds",
        max_episode_steps=MAX_EPISODE_STEPS,
        disable_env_checker=True,
        **kwargs,
    )
    return TraceRecorder(env)


def run_trial(task: TrialTask) -> dict[str, Any]:
    """Run one search; the row holds the final regret and the trace (see ``TraceRecorder``)."""
    if isinstance(task.agent, str):
        agent = plan.make_agent(task.agent)
    else:
        agent = copy.deepcopy(task.agent)
    env = make_env(task, agent)
    try:
        agent.run(env, task.seed)
    finally:
        env.close()
    if not env.terminated:
        how = "was truncated" if env.truncated else "did not end"
        raise RuntimeError(
            f"agent {task.agent_name!r}, trial {task.trial}: the episode {how}; run() must act "
            "until the budget is spent (terminated=True)"
        )
    final = env.final_info
    return {
        "agent": task.agent_name,
        "trial": task.trial,
        "seed": task.seed,
        "final_regret": float(final["final_regret"]),
        "final_incumbent_true": float(final["final_incumbent_true"]),
        "sim_time": float(final["sim_time"]),
        "n_steps": env.n_steps,
        "n_started": int(final["n_started"]),
        "trace": [list(point) for point in env.trace],
    }
