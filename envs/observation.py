"""The fixed-size observation: layout, spaces and the per-step fill (gymnasium-free).

Layout (flat, float32, every entry in [0, 1]; ``K`` slots, window ``W``):

* ``curve``      K x W  last W observed normalised scores of each slot, left-padded with 0
* ``curve_mask`` K x W  1 where ``curve`` holds a revealed epoch
* ``cand``       K x 7  per slot: occupied, finished, epoch / E, best score so far, last score,
                        score at the first decision point, next decision's cost (see env docs)
* ``global``     G      env-level fields (budget used / B, incumbent, counts, threshold ...)
* ``arch``       K x D  architecture encoding of each slot (only with ``include_arch=True``)

Groups are slot-major. ``layout`` maps each group and each single field to its slice: single
fields are named ``field`` when ``K == 1`` and ``field[s]`` otherwise, e.g. ``epoch_frac[2]``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from nasx11_env.envs.engine import Simulator

CAND_FIELDS = (
    "occupied",
    "finished",
    "epoch_frac",
    "best_score",
    "last_score",
    "first_score",
    "next_cost_frac",
)
OBS_MODES = ("box", "dict")
_ARCH_CACHE_SIZE = 50_000  # encodings kept across episodes (bounded for huge spaces)


class ObservationBuilder:
    """Turns simulator state into the published layout, a fresh array every call."""

    def __init__(
        self,
        sim: Simulator,
        *,
        window: int,
        global_fields: Sequence[str],
        arch_dim: int,
        arch_encoding: str | None,
    ) -> None:
        self.sim = sim
        self.k = sim.n_slots
        self.window = window
        self.global_fields = tuple(global_fields)
        self.arch_dim = arch_dim
        self.arch_encoding = arch_encoding
        self._first = sim.points[0]
        sizes = {
            "curve": self.k * window,
            "curve_mask": self.k * window,
            "cand": self.k * len(CAND_FIELDS),
            "global": len(self.global_fields),
            "arch": self.k * arch_dim,
        }
        self.groups: dict[str, slice] = {}
        offset = 0
        for name, size in sizes.items():
            if size:
                self.groups[name] = slice(offset, offset + size)
                offset += size
        self.size = offset
        self.layout = dict(self.groups)
        self._mask0 = self.groups["curve_mask"].start
        self._cand0 = self.groups["cand"].start
        self._arch0 = self.groups["arch"].start if arch_dim else 0
        self._global = self.groups.get("global", slice(0, 0))
        n_cand = len(CAND_FIELDS)
        self._cost_index = slice(self._cand0 + n_cand - 1, self._cand0 + self.k * n_cand, n_cand)
        self._buffer = np.zeros(self.size, dtype=np.float32)
        # _masks[n]: validity mask of a window holding n epochs (right-aligned)
        self._masks = np.arange(window)[None, :] >= window - np.arange(window + 1)[:, None]
        self._masks = self._masks.astype(np.float32)
        if sim.pad != window:
            raise ValueError(f"the simulator pads curves by {sim.pad}, the window is {window}")
        self.layout.update(self._field_slices())
        self._arch_cache: dict[Hashable, np.ndarray] = {}

    def _field_slices(self) -> dict[str, slice]:
        fields: dict[str, slice] = {}
        cand0 = self.groups["cand"].start
        for s in range(self.k):
            for j, name in enumerate(CAND_FIELDS):
                at = cand0 + s * len(CAND_FIELDS) + j
                fields[name if self.k == 1 else f"{name}[{s}]"] = slice(at, at + 1)
        if "global" in self.groups:
            g0 = self.groups["global"].start
            for j, name in enumerate(self.global_fields):
                fields[name] = slice(g0 + j, g0 + j + 1)
        return fields

    def build(self, global_values: Sequence[float], cost_fracs: Sequence[float]) -> np.ndarray:
        """A new flat observation from the simulator, env-level values and per-slot cost fractions.

        Slot fields are refreshed only for the slots the simulator marked ``dirty``; the result
        is always a fresh copy of the internal buffer.
        """
        buffer = self._buffer
        for s in self.sim.dirty:
            self._fill_slot(buffer, s)
        self.sim.dirty.clear()
        buffer[self._cost_index] = cost_fracs
        if global_values:
            buffer[self._global] = global_values
        return buffer.copy()

    def _fill_slot(self, buffer: np.ndarray, s: int) -> None:
        w = self.window
        n_cand = len(CAND_FIELDS)
        end = (s + 1) * w
        mask_end = self._mask0 + end
        c = self._cand0 + s * n_cand
        a0 = self._arch0 + s * self.arch_dim
        run = self.sim.slots[s]
        if run is None:
            buffer[end - w : end] = 0.0
            buffer[mask_end - w : mask_end] = 0.0
            buffer[c : c + n_cand] = 0.0
            buffer[a0 : a0 + self.arch_dim] = 0.0
            return
        e = run.epochs
        curve = run.curve
        buffer[end - w : end] = curve.padded[e : e + w]
        buffer[mask_end - w : mask_end] = self._masks[e if e < w else w]
        first = self._first
        n_epochs = self.sim.n_epochs
        best = curve.best[e - 1] if e else 0.0
        last = curve.observed[e - 1] if e else 0.0
        first_score = curve.observed[first - 1] if e >= first else 0.0
        buffer[c : c + n_cand - 1] = (1.0, e >= n_epochs, e / n_epochs, best, last, first_score)
        if self.arch_dim:
            buffer[a0 : a0 + self.arch_dim] = self._encode(run.arch)

    def _encode(self, arch: Hashable) -> np.ndarray:
        vector = self._arch_cache.get(arch)
        if vector is None:
            if len(self._arch_cache) >= _ARCH_CACHE_SIZE:
                self._arch_cache.clear()
            vector = np.clip(self.sim.source.space.encode(arch, self.arch_encoding), 0.0, 1.0)
            self._arch_cache[arch] = vector
        return vector

    def split(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """The one-level Dict form: one array per group (views of a fresh flat array)."""
        return {name: flat[where] for name, where in self.groups.items()}
