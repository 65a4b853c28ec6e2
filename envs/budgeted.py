"""``nasx11/<Benchmark>-v0``: budgeted multi-fidelity NAS, one architecture trained at a time.

Every step consumes compute (conventions 13.3): ``CONTINUE`` (0) trains the current architecture
to its next decision point; ``STOP`` (1) discards it and trains the next proposal to its first
decision point. When ``CONTINUE`` completes the architecture (epoch ``E``), the same step starts
the next proposal and trains it to its first decision point, so every observation shows an
architecture to decide about. ``reset`` starts the first proposal (its first decision point is
charged to the budget). The episode terminates when the budget is spent; the last step trains
what the remaining budget affords and charges exactly what remains.

Reward (``reward=``): ``"incumbent_delta"`` (default; increase of the incumbent's credited score,
so the return telescopes to the final incumbent's normalised score), ``"final_only"`` (that score
at the end), ``"regret"`` (minus the final normalised regret at the end), ``"anytime"`` (minus the
area under the regret-versus-budget curve, normalised by the budget); minus ``cost_penalty`` per
epoch trained. The incumbent is selected by observed final score and credited with its true
score (``reward_source="true"``, default) or its observed one (``"observed"``). Use ``gamma=1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nasx11_env.envs.base import NASEnvBase, check_choice, check_real

CONTINUE = 0
STOP = 1
REWARDS = ("incumbent_delta", "final_only", "regret", "anytime")
REWARD_SOURCES = ("true", "observed")
COUNT_SCALE = 10.0  # counts enter the observation as n / (n + COUNT_SCALE)
BUDGET_GLOBALS = ("budget_used_frac", "incumbent_observed", "started_frac", "completed_frac")


class BudgetedEnvBase(NASEnvBase):
    """Budget, reward and terminal bookkeeping shared by BudgetedNAS and FreezeThaw."""

    def _init_budgeted(
        self,
        source: object,
        *,
        n_slots: int,
        n_actions: int,
        budget: float | None,
        budget_unit: str,
        reward: str,
        reward_source: str,
        cost_penalty: float,
        success_tol: float,
        checkpointing: bool,
        **common: Any,
    ) -> None:
        self.reward_mode = check_choice("reward", reward, REWARDS)
        self.reward_source = check_choice("reward_source", reward_source, REWARD_SOURCES)
        self.cost_penalty = check_real("cost_penalty", cost_penalty)
        self.success_tol = check_real("success_tol", success_tol)
        check_choice("budget_unit", budget_unit, ("epochs", "seconds"))
        if budget is None:
            if budget_unit == "seconds":
                raise ValueError("budget_unit='seconds' needs an explicit budget=<seconds>")
        else:
            budget = check_real("budget", budget, 0.0, strict=True)
        self._init_base(
            source,
            n_slots=n_slots,
            n_actions=n_actions,
            budget=budget,
            budget_unit=budget_unit,
            checkpointing=checkpointing,
            global_fields=BUDGET_GLOBALS,
            **common,
        )
        if budget_unit == "epochs" and self.sim.budget < self.decision_epochs[0]:
            raise ValueError(
                f"budget={self.sim.budget:g} epochs cannot pay the first decision point "
                f"({self.decision_epochs[0]} epochs)"
            )
        self.budget = self.sim.budget
        self._credited = 0.0
        self._area_rewarded = 0.0
        self._epochs_rewarded = 0

    def _on_reset(self) -> None:
        self._credited = 0.0
        self._area_rewarded = 0.0
        self._epochs_rewarded = 0
        self.sim.start(0)
        if self.sim.exhausted:
            raise ValueError(
                f"budget={self.budget:g} {self.budget_unit} cannot pay the first decision point "
                "of the first architecture; raise the budget"
            )

    def _credit(self) -> float:
        sim = self.sim
        return sim.incumbent_true if self.reward_source == "true" else sim.incumbent_observed

    def _reward(self, terminated: bool) -> float:
        sim = self.sim
        mode = self.reward_mode
        if mode == "incumbent_delta":
            credit = self._credit()
            reward = credit - self._credited
            self._credited = credit
        elif mode == "anytime":
            reward = -(sim.regret_area - self._area_rewarded) / sim.budget
            self._area_rewarded = sim.regret_area
        elif not terminated:
            reward = 0.0
        elif mode == "final_only":
            reward = self._credit()
        else:  # regret
            reward = -sim.regret
        if self.cost_penalty:
            reward -= self.cost_penalty * (sim.epochs_paid - self._epochs_rewarded)
            self._epochs_rewarded = sim.epochs_paid
        return float(reward)

    def _info(self, slot: int) -> dict[str, Any]:
        sim = self.sim
        run = sim.slots[slot]
        epoch = run.epochs
        return {
            "epoch": epoch,
            "arch_index": run.index,
            "decision_point": sim.next_target(slot),
            "last_score_observed": float(run.curve.observed[epoch - 1]) if epoch else 0.0,
            "last_score_true": float(run.curve.true[epoch - 1]) if epoch else 0.0,
            "sim_time": sim.sim_time,
            "epochs_paid": sim.epochs_paid,
            "budget_used": sim.used,
            "budget_total": sim.budget,
            "n_started": len(sim.runs),
            "n_completed": sim.n_completed,
            "incumbent_observed": sim.incumbent_observed,
            "incumbent_true": sim.incumbent_true,
            "regret": sim.regret,
            "action_mask": self._info_mask(),
        }

    def _terminal_info(self) -> dict[str, Any]:
        sim = self.sim
        return {
            "final_regret": sim.regret,
            "final_incumbent_true": sim.incumbent_true,
            "final_incumbent_observed": sim.incumbent_observed,
            "incumbent_arch_index": sim.incumbent.index if sim.incumbent else -1,
            "is_success": bool(sim.incumbent is not None and sim.regret <= self.success_tol),
        }

    def _global_values(self) -> list[float]:
        sim = self.sim
        started, done = len(sim.runs), sim.n_completed
        return [
            sim.used / sim.budget,
            sim.incumbent_observed,
            started / (started + COUNT_SCALE),
            done / (done + COUNT_SCALE),
        ]


class BudgetedNASEnv(BudgetedEnvBase):
    """Budgeted NAS over one benchmark: ``Discrete(2)``, ``CONTINUE=0``, ``STOP=1``.

    Args:
        source: benchmark name (``"nb311"``, ``"synthetic"``, ...) or any ``CurveSource``.
        budget: total budget; default ``10 x E`` epochs (required for ``budget_unit="seconds"``).
        budget_unit: ``"epochs"`` (default) or ``"seconds"`` (the source's runtime per epoch).
        decision_points: ``"rungs"`` (default: ``min_epochs x eta**i`` capped at ``E``),
            ``"every_epoch"`` (hard exploration), ``"every_k"`` (with ``every_k``) or a list.
        proposer: ``"random"`` (the space; default), ``"pool"`` (``pool=[...]`` or the source's
            ``pool``) or ``"agent"`` (only ``propose()``/``reset(options={"archs": ...})``).
        arch_split, split_seed: ``"all"``, ``"train"`` or ``"test"`` architectures (fixed hash).
        noise: ``"source"`` (default), ``"none"`` (mean curves) or ``"gaussian:<sigma>"``.
        reward, reward_source, cost_penalty: see the module docstring.
        success_tol: ``info["is_success"]`` when the final regret is at most this.
        obs_mode: ``"box"`` (flat, default) or ``"dict"`` (one level, for MultiInputPolicy).
        window: curve epochs shown per slot; include_arch, arch_encoding: add the encoding.
        invalid_action: ``"raise"`` (default) or ``"noop"``; this env has no masked actions.
        render_mode: ``None``, ``"ansi"`` or ``"rgb_array"``.
    """

    CONTINUE = CONTINUE
    STOP = STOP
    _title = "BudgetedNAS"
    _ALL_VALID = np.ones(2, dtype=np.int8)

    def _info_mask(self) -> np.ndarray:
        return self._ALL_VALID.copy()

    def __init__(
        self,
        source: object,
        *,
        budget: float | None = None,
        budget_unit: str = "epochs",
        decision_points: str | Sequence[int] = "rungs",
        min_epochs: int = 1,
        eta: float = 2.0,
        every_k: int | None = None,
        proposer: str = "random",
        pool: Sequence[Any] | None = None,
        arch_split: str = "all",
        split_seed: int = 0,
        noise: str = "source",
        reward: str = "incumbent_delta",
        reward_source: str = "true",
        cost_penalty: float = 0.0,
        success_tol: float = 0.05,
        obs_mode: str = "box",
        window: int = 16,
        include_arch: bool = False,
        arch_encoding: str | None = None,
        invalid_action: str = "raise",
        render_mode: str | None = None,
    ) -> None:
        self._init_budgeted(
            source,
            n_slots=1,
            n_actions=2,
            budget=budget,
            budget_unit=budget_unit,
            reward=reward,
            reward_source=reward_source,
            cost_penalty=cost_penalty,
            success_tol=success_tol,
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
        )

    def _step(self, action: int) -> int:
        sim = self.sim
        if action == STOP or sim.finished(0):
            sim.start(0)
        elif sim.train(0).completed and not sim.exhausted:
            sim.start(0)
        return 0
