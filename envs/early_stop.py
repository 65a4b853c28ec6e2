"""``nasx11/EarlyStop-<Benchmark>-v0``: is this one training run worth continuing?

One architecture per episode (from the proposer, or ``reset(options={"archs": [arch]})``),
revealed up to its first decision point at ``reset``. ``CONTINUE`` (0) trains it to the next
decision point; ``STOP`` (1) ends the episode. Reaching the last epoch ends it too.

Rewards (``reward=``), each minus ``cost_penalty`` per epoch trained (charged as it happens):

* ``"score_minus_cost"`` (default): at the end, the normalised score at the stopping epoch
  (true by default, ``reward_source="observed"`` for the noisy one). ``cost_penalty`` defaults
  to ``0.1 / E``: a full training costs 0.1 of the score range.
* ``"vs_threshold"``: at the end, ``final - threshold`` if trained to the last epoch, else 0;
  ``threshold`` (observed, in [0, 1]) defaults per episode to the best true final score of
  ``threshold_sample`` other proposals, a realistic incumbent. ``cost_penalty`` defaults to 0.

The terminal info holds ``oracle_return`` (the best return any stopping epoch would give, from
the true curve) and ``is_success`` (return within ``success_tol`` of it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from nasx11_env.envs.base import NASEnvBase, check_choice, check_int, check_real
from nasx11_env.envs.proposals import build_curves

CONTINUE = 0
STOP = 1
REWARDS = ("score_minus_cost", "vs_threshold")
DEFAULT_COST_PER_TRAINING = 0.1


class EarlyStopEnv(NASEnvBase):
    """Optimal stopping of one training run: ``Discrete(2)``, ``CONTINUE=0``, ``STOP=1``.

    Args (beyond those shared with ``BudgetedNASEnv``: source, decision_points, min_epochs, eta,
    every_k, proposer, pool, arch_split, split_seed, noise, obs_mode, window, include_arch,
    arch_encoding, invalid_action, render_mode):
        reward: ``"score_minus_cost"`` (default) or ``"vs_threshold"``.
        cost_penalty: per epoch; default ``0.1 / E`` (score_minus_cost) or 0 (vs_threshold).
        threshold: fixed threshold in [0, 1] for ``vs_threshold``; default drawn per episode.
        threshold_sample: proposals whose best true final score sets the default threshold.
        reward_source: ``"true"`` (default) or ``"observed"`` score credited.
        success_tol: ``is_success`` when the return is within this of ``oracle_return``.
    """

    CONTINUE = CONTINUE
    STOP = STOP
    _title = "EarlyStop"

    def __init__(
        self,
        source: object,
        *,
        reward: str = "score_minus_cost",
        cost_penalty: float | None = None,
        threshold: float | None = None,
        threshold_sample: int = 8,
        reward_source: str = "true",
        success_tol: float = 0.01,
        decision_points: str | Sequence[int] = "rungs",
        min_epochs: int = 1,
        eta: float = 2.0,
        every_k: int | None = None,
        proposer: str = "random",
        pool: Sequence[Any] | None = None,
        arch_split: str = "all",
        split_seed: int = 0,
        noise: str = "source",
        obs_mode: str = "box",
        window: int = 16,
        include_arch: bool = False,
        arch_encoding: str | None = None,
        invalid_action: str = "raise",
        render_mode: str | None = None,
    ) -> None:
        self.reward_mode = check_choice("reward", reward, REWARDS)
        self.reward_source = check_choice("reward_source", reward_source, ("true", "observed"))
        self.success_tol = check_real("success_tol", success_tol)
        self.threshold_sample = check_int("threshold_sample", threshold_sample, 1)
        if threshold is not None:
            threshold = check_real("threshold", threshold)
            if threshold > 1:
                raise ValueError(f"threshold must be in [0, 1] (normalised), got {threshold!r}")
        self._fixed_threshold = threshold
        self._init_base(
            source,
            n_slots=1,
            n_actions=2,
            budget=math.inf,
            budget_unit="epochs",
            checkpointing=True,
            decision_points=decision_points,
            min_epochs=min_epochs,
            eta=eta,
            every_k=every_k,
            proposer=proposer,
            pool=pool,
            arch_split=arch_split,
            split_seed=split_seed,
            noise=noise,
            obs_mode=obs_mode,
            window=window,
            include_arch=include_arch,
            arch_encoding=arch_encoding,
            invalid_action=invalid_action,
            render_mode=render_mode,
            global_fields=("threshold",),
        )
        if len(self.decision_epochs) < 2:
            raise ValueError(
                f"decision_points {self.decision_epochs} leave no decision before the last "
                "epoch; early stopping needs at least two decision points"
            )
        if reward == "vs_threshold" and threshold is None and self.sim.proposer is None:
            raise ValueError("reward='vs_threshold' with proposer='agent' needs threshold=...")
        if cost_penalty is None:
            default = DEFAULT_COST_PER_TRAINING / self.n_epochs
            cost_penalty = default if reward == "score_minus_cost" else 0.0
        self.cost_penalty = check_real("cost_penalty", cost_penalty)
        self.threshold = 0.0
        self._stopped = False
        self._epochs_rewarded = 0
        self._return = 0.0

    # ------------------------------------------------------------ episode
    def _on_reset(self) -> None:
        self._stopped = False
        self._epochs_rewarded = 0
        self._return = 0.0
        self.sim.start(0)
        if self.reward_mode == "vs_threshold":
            self.threshold = self._draw_threshold()

    def _draw_threshold(self) -> float:
        if self._fixed_threshold is not None:
            return self._fixed_threshold
        rng = self.np_random
        archs = self.sim.proposer.draw(self.threshold_sample, rng)
        curves = build_curves(self.source, archs, rng, self.sim.extra_noise)
        return float(max(curve.true[-1] for curve in curves))

    def _step(self, action: int) -> int:
        if action == STOP:
            self._stopped = True
        else:
            self.sim.train(0)
        return 0

    def _terminated(self) -> bool:
        return self._stopped or self.sim.finished(0)

    def _credit_curve(self) -> np.ndarray:
        curve = self.sim.slots[0].curve
        return curve.true if self.reward_source == "true" else curve.observed

    def _reward(self, terminated: bool) -> float:
        sim = self.sim
        reward = -self.cost_penalty * (sim.epochs_paid - self._epochs_rewarded)
        self._epochs_rewarded = sim.epochs_paid
        if terminated:
            epoch = sim.slots[0].epochs
            if self.reward_mode == "score_minus_cost":
                reward += float(self._credit_curve()[epoch - 1])
            elif epoch >= self.n_epochs:
                reward += float(self._credit_curve()[-1]) - self.threshold
        reward = float(reward)
        self._return += reward
        return reward

    def oracle_return(self) -> float:
        """The best return any stopping decision point would give (from the credited curve)."""
        credit = self._credit_curve()
        penalty = self.cost_penalty
        if self.reward_mode == "score_minus_cost":
            return max(float(credit[d - 1]) - penalty * d for d in self.decision_epochs)
        stop_now = -penalty * self.decision_epochs[0]
        return max(stop_now, float(credit[-1]) - self.threshold - penalty * self.n_epochs)

    def _terminal_info(self) -> dict[str, Any]:
        run = self.sim.slots[0]
        oracle = self.oracle_return()
        return {
            "stop_epoch": run.epochs,
            "score_at_stop_true": float(run.curve.true[run.epochs - 1]),
            "final_score_true": float(run.curve.true[-1]),
            "episode_return": self._return,
            "oracle_return": oracle,
            "is_success": bool(self._return >= oracle - self.success_tol),
        }

    def _info(self, slot: int) -> dict[str, Any]:
        info = super()._info(slot)
        info["threshold"] = self.threshold
        return info

    def _global_values(self) -> list[float]:
        return [self.threshold]

    def _cost_fracs(self) -> list[float]:
        return [self.sim.cost_to_next(0) / self.n_epochs]

    def _render_lines(self) -> list[str]:
        return [f"threshold {self.threshold:.4f}, cost_penalty {self.cost_penalty:g} per epoch"]
