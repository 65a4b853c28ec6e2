"""The simulation engine behind every environment: slots, budget, simulated clock, incumbent.

Gymnasium-free on purpose (conventions 13.1): the env classes are thin adapters that turn
actions into ``start``/``train`` calls and engine state into observations and rewards.

Accounting rules (each one tested):

* Training a slot to its next decision point costs the epochs it trains (``budget_unit=
  "epochs"``) or their simulated runtime (``"seconds"``). A slot trained again right after itself
  simply continues. Resuming a *paused* slot (another slot was trained in between) pays only the
  new epochs with ``checkpointing=True``; with ``checkpointing=False`` it retrains from epoch 1.
* When an action's training cannot be paid in full, the engine trains the whole epochs the
  remaining budget affords, charges exactly what remains and reports ``exhausted``; such a run
  never completes, so no half-trained architecture becomes the incumbent.
* An architecture completes when it reaches the last epoch ``E``. The incumbent is the completed
  architecture with the best *observed* final score (ties keep the earlier one); it is credited
  with its *true* (noiseless) normalised final score.
* ``regret_area`` accumulates ``regret x cost`` over every charge, with the regret in force while
  the compute was spent: the area under the regret-versus-budget curve.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from nasx11_env.curves import CurveSource
from nasx11_env.envs.proposals import ArchCurve, PoolProposer, RandomProposer, build_curves
from nasx11_env.envs.schedule import next_point_table

BUDGET_UNITS = ("epochs", "seconds")
MAX_BLOCK = 32  # architectures (and curves) drawn per batched call to the source, at most


@dataclass(eq=False)
class Run:
    """One started architecture in an episode: how far it got and what it cost."""

    index: int
    arch: Hashable
    curve: ArchCurve
    slot: int
    epochs: int = 0  # epochs revealed (the checkpoint's epoch)
    epochs_paid: int = 0  # epochs trained in total, retraining included
    cost: float = 0.0  # budget units charged to this run
    completed: bool = False
    discarded: bool = False


class Charge(NamedTuple):
    """What one ``start`` or ``train`` call did."""

    cost: float
    epochs_paid: int
    completed: bool
    exhausted: bool


class Simulator:
    """Slots of paused or running training jobs under a compute budget.

    Args:
        source: the curve source (search space, epochs, score normalisation, curves).
        n_slots: number of slots (1 for BudgetedNAS and EarlyStop).
        points: decision epochs, ending at ``source.n_epochs``.
        budget: total budget in ``budget_unit`` (``math.inf`` for no budget).
        budget_unit: ``"epochs"`` or ``"seconds"``.
        checkpointing: whether a paused slot resumes from its checkpoint.
        proposer: where new architectures come from (``None``: only ``propose``).
        extra_noise: see ``proposals.parse_noise``.
        pad: zeros before each observed curve (the observation window, see ``ArchCurve``).
    """

    def __init__(
        self,
        source: CurveSource,
        *,
        n_slots: int,
        points: tuple[int, ...],
        budget: float,
        budget_unit: str,
        checkpointing: bool,
        proposer: RandomProposer | PoolProposer | None,
        extra_noise: float | None,
        pad: int = 0,
    ) -> None:
        self.source = source
        self.pad = pad
        self.n_epochs = int(source.n_epochs)
        self.n_slots = n_slots
        self.points = points
        self._next_point = next_point_table(points, self.n_epochs)
        self.budget = float(budget)
        self.seconds = budget_unit == "seconds"
        self.checkpointing = checkpointing
        self.proposer = proposer
        self.extra_noise = extra_noise
        self.optimum = float(source.score.normalize(source.score.optimum))
        self._tol = 1e-9 * max(1.0, self.budget if math.isfinite(self.budget) else 1.0)
        self._rng = np.random.default_rng(0)  # replaced by reset(); never drawn from before it
        self._block: deque[tuple[Hashable, ArchCurve]] = deque()  # pre-drawn proposals
        self._block_size = 1  # doubles per block up to MAX_BLOCK: short runs waste little
        self._clear()

    # ---------------------------------------------------------------- state
    def _clear(self) -> None:
        self.slots: list[Run | None] = [None] * self.n_slots
        self.runs: list[Run] = []
        self.used = 0.0
        self.sim_time = 0.0
        self.epochs_paid = 0
        self.regret_area = 0.0
        self.n_completed = 0
        self.incumbent: Run | None = None
        self.incumbent_observed = 0.0  # normalised scores of the incumbent (0 without one)
        self.incumbent_true = 0.0
        self.regret = self.optimum
        self.exhausted = False
        self._last_slot = -1
        self._cache: dict[Hashable, ArchCurve] = {}  # this episode's curves
        self.queue: deque[Hashable] = deque()
        self.dirty: set[int] = set(range(self.n_slots))  # slots changed since last observed
        self.next_costs = [0.0] * self.n_slots  # cost_to_next per slot, kept current

    def reset(self, rng: np.random.Generator, archs: Iterable[Hashable] = ()) -> None:
        """Empty slots, a fresh budget and curve cache; ``archs`` are queued as first proposals.

        A new generator (a seeded reset) also drops the pre-drawn proposals and restarts the
        proposer; the same generator (an unseeded reset) keeps drawing from where it was, so
        proposals drawn in a block for one episode serve the next ones.
        """
        self._clear()
        if rng is not self._rng:
            self._rng = rng
            self._block.clear()
            self._block_size = 1
            if self.proposer is not None:
                self.proposer.reset(rng)
        self.queue.extend(archs)

    @property
    def remaining(self) -> float:
        return self.budget - self.used

    def next_target(self, slot: int) -> int:
        """The decision point the slot's run would train to next (``E`` when finished)."""
        run = self.slots[slot]
        if run is None:
            return self.points[0]
        return self._next_point[run.epochs] if run.epochs < self.n_epochs else self.n_epochs

    def cost_to_next(self, slot: int) -> float:
        """Budget units that training ``slot`` to its next decision point would cost (0 if none)."""
        return self.next_costs[slot]

    def _compute_cost(self, slot: int) -> float:
        run = self.slots[slot]
        if run is None or run.epochs >= self.n_epochs:
            return 0.0
        start = self._start_epoch(slot, run)
        return self._span_cost(run.curve, start, self._next_point[run.epochs])

    def finished(self, slot: int) -> bool:
        run = self.slots[slot]
        return run is not None and run.epochs >= self.n_epochs

    # ---------------------------------------------------------------- actions
    def start(self, slot: int) -> Charge:
        """Discard the slot's run (if any), start the next proposal there, train it to the first
        decision point."""
        arch = self._next_arch()
        old = self.slots[slot]
        if old is not None and not old.completed:
            old.discarded = True
        run = Run(len(self.runs), arch, self._cache[arch], slot)
        self.runs.append(run)
        self.slots[slot] = run
        return self._advance(slot, run, self.points[0], start=0)

    def train(self, slot: int) -> Charge:
        """Train the slot's run to its next decision point (resuming it if it was paused)."""
        run = self.slots[slot]
        if run is None or run.epochs >= self.n_epochs:
            raise ValueError(f"slot {slot} has no run to train (empty or finished)")
        return self._advance(slot, run, self._next_point[run.epochs], self._start_epoch(slot, run))

    def propose(self, archs: Iterable[Hashable]) -> None:
        """Queue architectures to be started next, before the proposer's own."""
        self.queue.extend(archs)

    # ---------------------------------------------------------------- internals
    def _start_epoch(self, slot: int, run: Run) -> int:
        paused = slot != self._last_slot
        return 0 if (paused and not self.checkpointing) else run.epochs

    def _span_cost(self, curve: ArchCurve, start: int, stop: int) -> float:
        if self.seconds:
            return float(curve.cum_seconds[stop] - curve.cum_seconds[start])
        return float(stop - start)

    def _advance(self, slot: int, run: Run, target: int, start: int) -> Charge:
        cum = run.curve.cum_seconds
        full = self._span_cost(run.curve, start, target)
        remaining = self.budget - self.used
        if full <= remaining + self._tol:
            reached, charge, seconds = target, full, float(cum[target] - cum[start])
        else:  # the budget runs out during this training
            charge = remaining
            if self.seconds:
                reached = min(target - 1, bisect_right(cum, cum[start] + remaining) - 1)
                seconds = remaining
            else:
                reached = min(target - 1, start + int(math.floor(remaining + self._tol)))
                partial = remaining - (reached - start)
                seconds = float(
                    cum[reached] - cum[start] + partial * (cum[reached + 1] - cum[reached])
                )
        reached = max(reached, start)
        self.regret_area += self.regret * charge
        self.used = min(self.budget, self.used + charge)
        self.sim_time += seconds
        paid = reached - start
        self.epochs_paid += paid
        run.epochs_paid += paid
        run.cost += charge
        run.epochs = max(run.epochs, reached)
        self.dirty.add(slot)
        previous, self._last_slot = self._last_slot, slot
        self.next_costs[slot] = self._compute_cost(slot)
        if not self.checkpointing and 0 <= previous != slot:  # that slot is paused now
            self.next_costs[previous] = self._compute_cost(previous)
        completed = run.epochs >= self.n_epochs and not run.completed
        if completed:
            self._complete(run)
        self.exhausted = self.budget - self.used <= self._tol
        return Charge(charge, paid, completed, self.exhausted)

    def _complete(self, run: Run) -> None:
        run.completed = True
        self.n_completed += 1
        observed = float(run.curve.observed[-1])
        if self.incumbent is None or observed > self.incumbent_observed:
            self.incumbent = run
            self.incumbent_observed = observed
            self.incumbent_true = float(run.curve.true[-1])
            self.regret = self.optimum - self.incumbent_true

    def _next_arch(self) -> Hashable:
        if self.queue:
            missing = [a for a in dict.fromkeys(self.queue) if a not in self._cache]
            self._add_curves(missing)
            return self.queue.popleft()
        if self.proposer is None:
            raise RuntimeError(
                "proposer='agent': call env.unwrapped.propose(arch) before every step that starts "
                "an architecture (reset, STOP, replace, or CONTINUE into the last epoch)"
            )
        if not self._block:
            archs = self.proposer.draw(self._block_size, self._rng)
            self._block_size = min(MAX_BLOCK, 2 * self._block_size)
            curves = build_curves(self.source, archs, self._rng, self.extra_noise, self.pad)
            self._block.extend(zip(archs, curves, strict=True))
        arch, curve = self._block.popleft()
        self._cache.setdefault(arch, curve)  # an arch met again this episode keeps its curve
        return arch

    def _add_curves(self, archs: list[Hashable]) -> None:
        if archs:
            curves = build_curves(self.source, archs, self._rng, self.extra_noise, self.pad)
            self._cache.update(zip(archs, curves, strict=True))

    def record(self, run: Run) -> dict[str, object]:
        """A plain-Python summary of one run (for ``history()``)."""
        final_observed = float(run.curve.observed[-1]) if run.completed else None
        last_observed = float(run.curve.observed[run.epochs - 1]) if run.epochs else None
        return {
            "index": run.index,
            "arch": self.source.space.to_str(run.arch),
            "slot": run.slot,
            "epochs": run.epochs,
            "epochs_paid": run.epochs_paid,
            "cost": run.cost,
            "completed": run.completed,
            "discarded": run.discarded,
            "last_score_observed": last_observed,
            "final_score_observed": final_observed,
            "final_score_true": float(run.curve.true[-1]) if run.completed else None,
        }
