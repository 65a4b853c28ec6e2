"""Learning-curve extrapolation (LCE) as an early-stopping rule: the x11 ``*-SVR``/``*-WPM`` step.

Every proposal is trained to ``F`` epochs (``first_epochs``); its score at ``target_epoch`` is
predicted from that partial curve; it is trained fully only if the prediction beats the
threshold = the minimum of the top ``top_n`` share of the target-epoch scores of the fully trained
architectures (x11's slice ``sorted[-int(n * top_n):]``, everything when that int is 0). Until
``MIN_TRAIN`` architectures are fully trained, and for proposals the search wants fully trained
(its initial design), there is no decision. ``extrapolator="svr"`` is ``LcSVR``, refitted
before a decision on the (first F epochs, target-epoch score) pairs of every fully trained
architecture so far; ``"wpm"`` is the parametric ensemble. Per-benchmark defaults:
``defaults.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from numbers import Integral

import numpy as np

from nasx11_env.agents import defaults
from nasx11_env.agents.base import check_fraction
from nasx11_env.agents.lcsvr import LcSVR
from nasx11_env.agents.parametric import ParametricEnsemble
from nasx11_env.agents.sequential import SequentialAgent
from nasx11_env.envs.base import check_choice

EXTRAPOLATORS = {"svr": "SVR", "wpm": "WPM"}  # option -> name suffix
MIN_TRAIN = 5  # fully trained architectures before the first extrapolation decision


def promotion_threshold(targets: np.ndarray, top_n: float) -> float:
    """Minimum of the top ``top_n`` share of ``targets`` (all of them if that share rounds to 0)."""
    ranked = np.sort(np.asarray(targets, dtype=np.float64))
    k = int(len(ranked) * top_n)
    return float(ranked[-k:].min() if k > 0 else ranked.min())


def _optional_epoch(name: str, value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, Integral)):
        raise ValueError(f"{name} must be an int epoch or None, got {value!r}")


@dataclass(frozen=True)
class Extrapolation:
    """The LCE early-stopping rule (see the module docstring); ``base`` names the search whose
    x11 ``top_n`` default applies (``"REA"``, ``"LS"``, ``"BANANAS"``)."""

    extrapolator: str = "svr"
    base: str = ""
    first_epochs: int | None = None
    top_n: float | None = None
    target_epoch: int | None = None

    def __post_init__(self) -> None:
        check_choice("extrapolator", self.extrapolator, tuple(EXTRAPOLATORS))
        _optional_epoch("first_epochs", self.first_epochs)
        _optional_epoch("target_epoch", self.target_epoch)
        if self.top_n is not None:
            check_fraction("top_n", self.top_n)

    def resolve(self, n_epochs: int) -> tuple[int, int, float]:
        """``(F, target_epoch, top_n)`` for curves of ``n_epochs``; ValueError if inconsistent."""
        first = self.first_epochs
        if first is None:
            first = defaults.lce_first_epochs(n_epochs)
        target = self.target_epoch
        if target is None:
            target = defaults.lce_target_epoch(n_epochs)
        top_n = self.top_n if self.top_n is not None else defaults.lce_top_n(self.base, n_epochs)
        if not 2 <= first < n_epochs:
            raise ValueError(f"first_epochs must be in 2..{n_epochs - 1}, got {first}")
        if not first < target <= n_epochs:
            raise ValueError(
                f"target_epoch must be in {first + 1}..{n_epochs} (after first_epochs={first}), "
                f"got {target}"
            )
        return first, target, top_n

    def decision_epochs(self, n_epochs: int) -> list[int]:
        return [self.resolve(n_epochs)[0]]

    def start(self, n_epochs: int, rng: np.random.Generator) -> _LceState:
        first, target, top_n = self.resolve(n_epochs)
        model = LcSVR(rng) if self.extrapolator == "svr" else ParametricEnsemble(target)
        return _LceState(model, first, target, top_n)


class _LceState:
    def __init__(self, model: LcSVR | ParametricEnsemble, first: int, target: int, top_n: float):
        self.model = model
        self.first = first
        self.target = target
        self.top_n = top_n
        self.partials: list[np.ndarray] = []
        self.targets: list[float] = []
        self._stale = False  # pairs arrived since the last fit (fitted lazily, when asked)

    def keep(self, curve: np.ndarray) -> bool:
        if len(self.targets) < MIN_TRAIN or len(curve) != self.first:
            return True
        if self._stale and self.model.trainable:
            self.model.fit(np.stack(self.partials), np.array(self.targets))
        self._stale = False
        prediction = float(self.model.predict(curve[None, :])[0])
        return prediction > promotion_threshold(np.array(self.targets), self.top_n)

    def observe_full(self, curve: np.ndarray) -> None:
        self.partials.append(np.asarray(curve[: self.first], dtype=np.float64))
        self.targets.append(float(curve[self.target - 1]))
        self._stale = True


def with_lce(
    agent: SequentialAgent,
    extrapolator: str = "svr",
    *,
    first_epochs: int | None = None,
    top_n: float | None = None,
    target_epoch: int | None = None,
) -> SequentialAgent:
    """``agent`` (a full-training one-at-a-time agent: RS, LS, REA, BANANAS) with LCE early
    stopping, named ``"<name>-SVR"`` or ``"<name>-WPM"``."""
    if not isinstance(agent, SequentialAgent):
        raise TypeError(
            f"with_lce needs a one-architecture-at-a-time agent (RS, LS, REA, BANANAS), got "
            f"{type(agent).__name__}"
        )
    if agent.stopping is not None:
        raise ValueError(f"agent {agent.name!r} already has an early-stopping rule")
    rule = Extrapolation(extrapolator, agent.base, first_epochs, top_n, target_epoch)
    return replace(agent, name=f"{agent.name}-{EXTRAPOLATORS[extrapolator]}", stopping=rule)
