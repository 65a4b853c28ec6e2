"""Shared machinery of the nasx11 environments: argument checks, spaces, masks, rendering,
the agent's ``propose`` route and run inspection. Subclasses implement ``_on_reset``,
``_step`` (engine calls for one action), rewards, ``_global_values`` and ``_cost_fracs``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from numbers import Integral, Real
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from nasx11_env.curves import CurveSource
from nasx11_env.envs import render as rendering
from nasx11_env.envs.engine import BUDGET_UNITS, Simulator
from nasx11_env.envs.observation import OBS_MODES, ObservationBuilder
from nasx11_env.envs.proposals import make_proposer, parse_arch, parse_noise
from nasx11_env.envs.registry import DEFAULT_BUDGET_TRAININGS, make_source
from nasx11_env.envs.schedule import decision_epochs

INVALID_ACTIONS = ("raise", "noop")
RENDER_MODES = ("ansi", "rgb_array")


def resolve_source(source: object) -> CurveSource:
    """A benchmark name (see ``registry.make_source``) or any ``CurveSource`` object."""
    if isinstance(source, str):
        return make_source(source)
    if not isinstance(source, CurveSource):
        raise TypeError(
            f"source must be a benchmark name or a CurveSource (with space, n_epochs, score "
            f"and curves()), got {type(source).__name__}"
        )
    return source


def check_choice(name: str, value: object, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices``, else a ValueError naming the kwarg."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def check_real(name: str, value: object, minimum: float = 0.0, strict: bool = False) -> float:
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < minimum or (strict and value == minimum):
        bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


def check_bool(name: str, value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


class NASEnvBase(gym.Env):
    """Common base; see ``BudgetedNASEnv``, ``FreezeThawEnv`` and ``EarlyStopEnv``."""

    metadata = {"render_modes": list(RENDER_MODES), "render_fps": 4}
    _title = "nasx11"

    def _init_base(
        self,
        source: object,
        *,
        n_slots: int,
        n_actions: int,
        budget: float | None,
        budget_unit: str,
        checkpointing: bool,
        decision_points: str | Sequence[int],
        min_epochs: int,
        eta: float,
        every_k: int | None,
        proposer: str,
        pool: Sequence[Any] | None,
        arch_split: str,
        split_seed: int,
        noise: str,
        obs_mode: str,
        window: int,
        include_arch: bool,
        arch_encoding: str | None,
        invalid_action: str,
        render_mode: str | None,
        global_fields: Sequence[str],
    ) -> None:
        self.source = resolve_source(source)
        self.space = self.source.space
        self.n_epochs = int(self.source.n_epochs)
        if budget is None:  # the default: DEFAULT_BUDGET_TRAININGS full trainings
            budget = float(DEFAULT_BUDGET_TRAININGS * self.n_epochs)
        self.decision_epochs = decision_epochs(
            self.n_epochs, decision_points, min_epochs=min_epochs, eta=eta, every_k=every_k
        )
        check_choice("budget_unit", budget_unit, BUDGET_UNITS)
        check_choice("proposer", proposer, ("random", "pool", "agent"))
        if proposer == "pool" and pool is None:
            pool = getattr(self.source, "pool", None)
        self.obs_mode = check_choice("obs_mode", obs_mode, OBS_MODES)
        self.invalid_action = check_choice("invalid_action", invalid_action, INVALID_ACTIONS)
        if render_mode is not None:
            check_choice("render_mode", render_mode, RENDER_MODES)
        self.render_mode = render_mode
        window = check_int("window", window, 1)
        include_arch = check_bool("include_arch", include_arch)
        self.sim = Simulator(
            self.source,
            n_slots=n_slots,
            points=self.decision_epochs,
            budget=budget,
            budget_unit=budget_unit,
            checkpointing=check_bool("checkpointing", checkpointing),
            proposer=make_proposer(
                proposer, self.space, pool, arch_split, check_int("split_seed", split_seed, 0)
            ),
            extra_noise=parse_noise(noise),
            pad=window,
        )
        self.budget_unit = budget_unit
        arch_dim = self._arch_dim(arch_encoding) if include_arch else 0
        self._builder = ObservationBuilder(
            self.sim,
            window=window,
            global_fields=global_fields,
            arch_dim=arch_dim,
            arch_encoding=arch_encoding,
        )
        self.obs_layout: dict[str, slice] = self._builder.layout
        size = self._builder.size
        if obs_mode == "box":
            self.observation_space = spaces.Box(0.0, 1.0, (size,), np.float32)
        else:
            self.observation_space = spaces.Dict(
                {
                    name: spaces.Box(0.0, 1.0, (where.stop - where.start,), np.float32)
                    for name, where in self._builder.groups.items()
                }
            )
        self.action_space = spaces.Discrete(n_actions)
        self._done = True  # no episode until reset()

    def _arch_dim(self, encoding: str | None) -> int:
        """Length of the arch encoding, probed on one sample from a private fixed generator."""
        probe = self.space.sample(np.random.default_rng(0))
        vector = self.space.encode(probe, encoding)
        if np.any(vector < 0) or np.any(vector > 1):
            raise ValueError(
                f"arch_encoding {encoding!r} of space {self.space.name!r} is not within [0, 1]; "
                f"choose a binary one of {', '.join(self.space.encodings)}"
            )
        return len(vector)

    # ------------------------------------------------------------ gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Start an episode. ``options={"archs": [...]}`` queues architectures (or their
        strings) to be started first, before the proposer's own."""
        super().reset(seed=seed)
        archs = self._reset_archs(options)
        self.sim.reset(self.np_random, archs)
        self._done = False
        self._on_reset()
        return self._observe(), self._info(slot=0)

    def _reset_archs(self, options: dict[str, Any] | None) -> list[Hashable]:
        if not options:
            return []
        unknown = set(options) - {"archs"}
        if unknown:
            raise ValueError(f"unknown reset option(s) {sorted(unknown)}; known: 'archs'")
        return [parse_arch(self.space, a) for a in options["archs"]]

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        if self._done:
            raise RuntimeError("no episode is running (not reset yet, or terminated): call reset()")
        index = self._action_index(action)
        slot = self._step(index)
        terminated = self._terminated()
        self._done = terminated
        reward = self._reward(terminated)
        info = self._info(slot)
        if terminated:
            info.update(self._terminal_info())
        return self._observe(), reward, terminated, False, info

    def render(self) -> str | np.ndarray | None:
        if self.render_mode == "ansi":
            return rendering.ansi(self.sim, self._title, self._render_lines())
        if self.render_mode == "rgb_array":
            return rendering.rgb_array(self.sim)
        return None

    def close(self) -> None:
        """Nothing to release (idempotent)."""

    # ------------------------------------------------------------ masks and actions
    def action_masks(self) -> np.ndarray:
        """Valid actions as a fresh bool array (MaskablePPO); valid before the first reset."""
        return np.ones(self.action_space.n, dtype=bool)

    def _info_mask(self) -> np.ndarray:
        """A fresh int8 copy of the mask for ``info`` (``action_space.sample(mask=...)`` form)."""
        return self.action_masks().view(np.int8)

    def _action_index(self, action: Any) -> int:
        if type(action) is int or type(action) is np.int64:  # the fast path
            if 0 <= action < self.action_space.n:
                return int(action)
        value = action
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.reshape(()).item() if value.dtype.kind in "iu" else value
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
            raise ValueError(
                f"action must be an int in 0..{self.action_space.n - 1}, got {action!r}"
            )
        if not 0 <= value < self.action_space.n:
            raise ValueError(f"action {action!r} is outside Discrete({self.action_space.n})")
        return int(value)

    # ------------------------------------------------------------ NAS-algorithm route
    def propose(self, *archs: Any) -> None:
        """Queue architectures (objects or strings) to start next, before the proposer's own.

        A NAS algorithm calls this before each step that starts an architecture: STOP, replace,
        or a CONTINUE that completes the current one (``info["decision_point"] == n_epochs``).
        With ``proposer="agent"`` it must; otherwise the env's proposer fills in. ``reset``
        empties the queue (pass first architectures as ``reset(options={"archs": [...]})``).
        """
        self.sim.propose([parse_arch(self.space, a) for a in archs])

    @property
    def pending_proposals(self) -> int:
        """How many proposed architectures wait to be started."""
        return len(self.sim.queue)

    # ------------------------------------------------------------ inspection
    def arch(self, index: int) -> Hashable:
        """The architecture of the ``index``-th run started in this episode."""
        return self.sim.runs[index].arch

    def arch_str(self, index: int) -> str:
        """The string form of the ``index``-th run's architecture."""
        return self.space.to_str(self.sim.runs[index].arch)

    def revealed_curve(self, index: int) -> np.ndarray:
        """Normalised observed scores revealed so far for run ``index`` (a copy)."""
        run = self.sim.runs[index]
        return run.curve.observed[: run.epochs].astype(np.float64)

    def history(self) -> list[dict[str, Any]]:
        """One plain dict per run started this episode, in start order."""
        return [self.sim.record(run) for run in self.sim.runs]

    # ------------------------------------------------------------ observation and info
    def _observe(self) -> Any:
        flat = self._builder.build(self._global_values(), self._cost_fracs())
        return flat if self.obs_mode == "box" else self._builder.split(flat)

    def _cost_fracs(self) -> list[float]:
        remaining = self.sim.remaining
        return [1.0 if cost >= remaining else cost / remaining for cost in self.sim.next_costs]

    def _info(self, slot: int) -> dict[str, Any]:
        sim = self.sim
        run = sim.slots[slot]
        epoch = run.epochs if run is not None else 0
        return {
            "epoch": epoch,
            "arch_index": run.index if run is not None else -1,
            "decision_point": sim.next_target(slot),
            "last_score_observed": float(run.curve.observed[epoch - 1]) if epoch else 0.0,
            "last_score_true": float(run.curve.true[epoch - 1]) if epoch else 0.0,
            "sim_time": sim.sim_time,
            "epochs_paid": sim.epochs_paid,
            "action_mask": self._info_mask(),
        }

    # ------------------------------------------------------------ subclass hooks
    def _on_reset(self) -> None:
        raise NotImplementedError

    def _step(self, action: int) -> int:
        """Apply ``action`` to the engine; return the slot it concerned."""
        raise NotImplementedError

    def _terminated(self) -> bool:
        return self.sim.exhausted

    def _reward(self, terminated: bool) -> float:
        raise NotImplementedError

    def _terminal_info(self) -> dict[str, Any]:
        return {}

    def _global_values(self) -> list[float]:
        return []

    def _render_lines(self) -> list[str]:
        return []
