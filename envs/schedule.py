"""Decision points: the epochs at which an agent gets to decide about a training run.

``rungs`` (geometric, the default) keeps the number of decisions per architecture small so
that RL does not collapse to "always stop" (conventions 13.4); ``every_epoch`` is the hard
exploration setting; ``every_k`` decides every ``k`` epochs; an explicit list of epochs is
also accepted. Every schedule ends at the last epoch ``E``.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real

DECISION_MODES = ("rungs", "every_epoch", "every_k")


def decision_epochs(
    n_epochs: int,
    decision_points: str | Sequence[int] = "rungs",
    *,
    min_epochs: int = 1,
    eta: float = 2.0,
    every_k: int | None = None,
) -> tuple[int, ...]:
    """The sorted epochs ``1 <= d <= n_epochs`` at which decisions happen, ending at ``n_epochs``.

    ``rungs``: ``min(E, min_epochs * eta**i)`` rounded down, deduplicated.
    ``every_k``: ``k, 2k, ..., E``. ``every_epoch``: ``1, 2, ..., E``.
    """
    n_epochs = _positive_int(n_epochs, "n_epochs")
    if isinstance(decision_points, str):
        return _named_schedule(n_epochs, decision_points, min_epochs, eta, every_k)
    points = sorted({_positive_int(p, "decision_points entry") for p in decision_points})
    if not points or points[-1] > n_epochs:
        raise ValueError(
            f"decision_points must be epochs in 1..{n_epochs}, got {list(decision_points)!r}"
        )
    if points[-1] != n_epochs:
        points.append(n_epochs)
    return tuple(points)


def _named_schedule(
    n_epochs: int, mode: str, min_epochs: int, eta: float, every_k: int | None
) -> tuple[int, ...]:
    if mode not in DECISION_MODES:
        raise ValueError(
            f"unknown decision_points {mode!r}; choose one of {', '.join(DECISION_MODES)} "
            "or pass a list of epochs"
        )
    if mode != "every_k" and every_k is not None:
        raise ValueError(f"every_k is only used with decision_points='every_k', not {mode!r}")
    if mode == "every_epoch":
        return tuple(range(1, n_epochs + 1))
    if mode == "every_k":
        if every_k is None:
            raise ValueError("decision_points='every_k' needs every_k=<epochs per decision>")
        k = _positive_int(every_k, "every_k")
        return tuple(sorted(set(range(k, n_epochs, k)) | {n_epochs}))
    r0 = _positive_int(min_epochs, "min_epochs")
    if isinstance(eta, bool) or not isinstance(eta, Real) or not eta > 1:
        raise ValueError(f"eta must be a number > 1, got {eta!r}")
    points: list[int] = []
    rung = float(r0)
    while int(rung) < n_epochs:
        if not points or int(rung) > points[-1]:
            points.append(int(rung))
        rung *= eta
    points.append(n_epochs)
    return tuple(points)


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def next_point_table(points: Sequence[int], n_epochs: int) -> tuple[int, ...]:
    """``table[e]`` = the first decision point after epoch ``e`` (for ``e`` in ``0..E-1``)."""
    table = []
    i = 0
    for epoch in range(n_epochs):
        while points[i] <= epoch:
            i += 1
        table.append(points[i])
    return tuple(table)
