"""``CurveDataset``: the one in-memory form every loader returns.

Curves are stored per metric as ``[n_archs, n_epochs]`` float64 arrays whose columns are
the 1-based epochs in ``epochs``. A group id per row keeps several seeds of one
architecture together (for splits); ``provenance`` records where the numbers came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nasx11_env.errors import DataError
from nasx11_env.spaces.base import SearchSpace


@dataclass(frozen=True)
class Metric:
    """Name, unit and direction of one curve metric."""

    name: str
    unit: str
    higher_is_better: bool


@dataclass(frozen=True)
class Provenance:
    """Where a dataset came from and under which terms it may be used."""

    source: str
    licence: str
    attribution: str
    path: str = ""


@dataclass(frozen=True)
class ExcludedRun:
    """A run a loader read but kept out of the dataset, with the reason (e.g. diverged)."""

    name: str
    reason: str


@dataclass
class CurveDataset:
    """Learning curves of many architectures of one search space.

    Attributes:
        space: the search space the architectures belong to.
        archs: one architecture per row.
        epochs: 1-based epoch number of each curve column, shape ``[E]``.
        curves: metric name -> ``[n, E]`` float64 array.
        metrics: metric name -> :class:`Metric` (unit and direction).
        runtime: seconds of training per epoch, ``[n, E]``, or ``None`` if unknown.
        groups: ``[n]`` int ids; rows sharing an id are seeds of one architecture.
        provenance: source, licence and attribution of the numbers.
        extras: per-row scalars (``[n]`` arrays) such as parameter counts or test accuracy.
        excluded: runs the loader read but left out, with reasons.
    """

    space: SearchSpace
    archs: list[Any]
    epochs: np.ndarray
    curves: dict[str, np.ndarray]
    metrics: dict[str, Metric]
    provenance: Provenance
    runtime: np.ndarray | None = None
    groups: np.ndarray | None = None
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    excluded: list[ExcludedRun] = field(default_factory=list)

    def __post_init__(self) -> None:
        where = self.provenance.path or self.provenance.source
        n = len(self.archs)
        self.epochs = np.asarray(self.epochs, dtype=np.int64)
        if self.epochs.ndim != 1 or len(self.epochs) == 0:
            raise DataError(where, "epochs must be a non-empty 1-D array")
        if set(self.curves) != set(self.metrics):
            raise DataError(where, "curves and metrics must name the same metrics")
        if not self.curves:
            raise DataError(where, "a dataset needs at least one metric")
        shape = (n, len(self.epochs))
        for name, values in list(self.curves.items()):
            self.curves[name] = _checked(values, shape, f"curve {name!r}", where)
        if self.runtime is not None:
            self.runtime = _checked(self.runtime, shape, "runtime", where)
        if self.groups is None:
            self.groups = np.arange(n, dtype=np.int64)
        self.groups = np.asarray(self.groups, dtype=np.int64)
        if self.groups.shape != (n,):
            raise DataError(where, f"groups has shape {self.groups.shape}, expected ({n},)")
        for name, values in list(self.extras.items()):
            values = np.asarray(values)
            if values.shape[:1] != (n,):
                raise DataError(where, f"extra {name!r} has {values.shape[:1]} rows, expected {n}")
            self.extras[name] = values

    def __len__(self) -> int:
        return len(self.archs)

    @property
    def n_epochs(self) -> int:
        """Number of curve columns."""
        return len(self.epochs)

    def encode(self, encoding: str | None = None) -> np.ndarray:
        """Encodings of all architectures, ``[n, dim]``, in the space's named encoding."""
        return self.space.encode_batch(self.archs, encoding)

    def subset(self, rows: Sequence[int] | np.ndarray) -> CurveDataset:
        """A new dataset holding only ``rows`` (an index array or boolean mask)."""
        index = np.arange(len(self))[np.asarray(rows)]
        return CurveDataset(
            space=self.space,
            archs=[self.archs[i] for i in index],
            epochs=self.epochs.copy(),
            curves={k: v[index] for k, v in self.curves.items()},
            metrics=dict(self.metrics),
            provenance=self.provenance,
            runtime=None if self.runtime is None else self.runtime[index],
            groups=self.groups[index],
            extras={k: v[index] for k, v in self.extras.items()},
            excluded=list(self.excluded),
        )

    def summary(self) -> str:
        """One line: rows, epochs, metrics with units, groups, excluded runs."""
        metrics = ", ".join(f"{m.name} [{m.unit}]" for m in self.metrics.values())
        return (
            f"{len(self)} curves x {self.n_epochs} epochs of space {self.space.name}; "
            f"{len(np.unique(self.groups))} groups; metrics: {metrics}; "
            f"runtime: {'yes' if self.runtime is not None else 'no'}; "
            f"excluded: {len(self.excluded)}"
        )


def _checked(values: Any, shape: tuple[int, int], what: str, where: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.shape != shape:
        raise DataError(where, f"{what} has shape {array.shape}, expected {shape}")
    bad = ~np.isfinite(array)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        count = int(bad.sum())
        raise DataError(where, f"{what} has {count} non-finite values (first in row {row})")
    return array
