"""``nasx11/FreezeThaw-<Benchmark>-v0``: pause and resume up to K architectures under a budget.

Actions ``Discrete(2K)``: ``i < K`` trains slot ``i`` to its next decision point (masked when the
slot is empty or its architecture is fully trained); ``K + i`` replaces slot ``i`` with the next
proposal and trains it to its first decision point (always valid; the old run is discarded unless
it completed). ``reset`` starts a proposal in every slot (each trained to its first decision
point and charged), so every action is valid right after a reset. Resuming a paused slot pays only
the new epochs (``checkpointing=True``, default) or retrains from scratch (``False``). Budget,
rewards and termination as in ``BudgetedNASEnv``: successive halving and Hyperband are policies
over these actions (fill slots, train the best ones rung by rung).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nasx11_env.envs.base import check_int
from nasx11_env.envs.budgeted import BudgetedEnvBase


class FreezeThawEnv(BudgetedEnvBase):
    """K slots of paused training runs; see the module docstring. Arguments as
    ``BudgetedNASEnv`` plus ``n_slots`` (K, default 4) and ``checkpointing``.

    ``invalid_action="noop"`` turns a masked action into a step that does nothing and costs
    nothing (reward 0); only the registered step cap then ends a stuck episode.
    """

    _title = "FreezeThaw"

    def __init__(
        self,
        source: object,
        *,
        n_slots: int = 4,
        checkpointing: bool = True,
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
        self.n_slots = check_int("n_slots", n_slots, 1)
        k = self.n_slots
        self._mask = np.array([False] * k + [True] * k)  # valid before the first reset
        self._slot_epochs = np.zeros(k, dtype=np.int64)
        self._slot_arch = np.full(k, -1, dtype=np.int64)
        self._init_budgeted(
            source,
            n_slots=self.n_slots,
            n_actions=2 * self.n_slots,
            budget=budget,
            budget_unit=budget_unit,
            reward=reward,
            reward_source=reward_source,
            cost_penalty=cost_penalty,
            success_tol=success_tol,
            checkpointing=checkpointing,
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
        first = self.n_slots * self.decision_epochs[0]
        if budget_unit == "epochs" and self.budget < first:
            raise ValueError(
                f"budget={self.budget:g} epochs cannot fill {self.n_slots} slots to their first "
                f"decision point ({first} epochs)"
            )

    def _on_reset(self) -> None:
        super()._on_reset()  # slot 0
        for slot in range(1, self.n_slots):
            self.sim.start(slot)
        if self.sim.exhausted:
            raise ValueError(
                f"budget={self.budget:g} {self.budget_unit} cannot fill {self.n_slots} slots to "
                "their first decision point; raise the budget or lower n_slots"
            )
        for slot in range(self.n_slots):
            self._sync_slot(slot)

    def _sync_slot(self, slot: int) -> None:
        """Refresh the per-slot mask and info arrays of ``slot`` after the engine touched it."""
        run = self.sim.slots[slot]
        self._mask[slot] = run is not None and run.epochs < self.n_epochs
        self._slot_epochs[slot] = run.epochs if run is not None else 0
        self._slot_arch[slot] = run.index if run is not None else -1

    def action_masks(self) -> np.ndarray:
        """Train ``i`` valid iff slot ``i`` holds an unfinished run; every replace is valid."""
        return self._mask.copy()

    def _info_mask(self) -> np.ndarray:
        return self._mask.astype(np.int8)

    def _step(self, action: int) -> int:
        k = self.n_slots
        if action >= k:
            self.sim.start(action - k)
            self._sync_slot(action - k)
            return action - k
        if not self._mask[action]:
            why = "empty" if self.sim.slots[action] is None else "fully trained"
            if self.invalid_action == "raise":
                raise ValueError(
                    f"action {action} (train slot {action}) is masked: the slot is {why}; "
                    "see action_masks()"
                )
            return action
        self.sim.train(action)
        self._sync_slot(action)
        return action

    def _info(self, slot: int) -> dict[str, Any]:
        info = super()._info(slot)
        info["slot"] = slot
        info["slot_epochs"] = self._slot_epochs.copy()
        info["slot_arch_index"] = self._slot_arch.copy()
        return info
