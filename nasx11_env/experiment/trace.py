"""A wrapper that records a search's anytime regret cheaply, whatever the agent does.

A point ``(sim_time, regret, incumbent_true)`` is kept at reset, after every step that changes
the regret (a new incumbent), and at the end of the episode: a few dozen points per search
instead of one per step. A point is stamped with the simulated time at the end of its step, so
an improvement appears no earlier than it happened.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

TracePoint = tuple[float, float, float]  # (sim_time, regret, incumbent_true)


def _point(info: dict[str, Any]) -> TracePoint:
    return (float(info["sim_time"]), float(info["regret"]), float(info["incumbent_true"]))


class TraceRecorder(gym.Wrapper):
    """Records the trace of the latest episode; ``terminated`` and ``final_info`` tell how it
    ended (``final_info`` holds the terminal ``info``, e.g. ``final_regret``)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.trace: list[TracePoint] = []
        self.n_steps = 0
        self.terminated = False
        self.truncated = False
        self.final_info: dict[str, Any] = {}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        self.trace = [_point(info)]
        self.n_steps = 0
        self.terminated = self.truncated = False
        self.final_info = {}
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.n_steps += 1
        ended = terminated or truncated
        if ended or info["regret"] != self.trace[-1][1]:
            self.trace.append(_point(info))
        if ended:
            self.terminated, self.truncated = bool(terminated), bool(truncated)
            self.final_info = info
        return obs, reward, terminated, truncated, info
