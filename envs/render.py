"""Rendering with numpy alone: a text summary (``ansi``), the curves as an image (``rgb_array``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nasx11_env.envs.engine import Simulator

HEIGHT, WIDTH = 240, 320
_MARGIN = 12
_BACKGROUND = 255
_AXES = (0, 0, 0)
_DONE = (170, 170, 170)
_INCUMBENT = (0, 150, 0)
_BUDGET = (60, 90, 200)
_SLOT_COLOURS = ((220, 50, 50), (240, 140, 0), (150, 60, 200), (0, 160, 170), (200, 0, 120))
_SPARK = " .:-=+*#%@"


def ansi(sim: Simulator, title: str, extra: Sequence[str] = ()) -> str:
    """A few lines of text: budget, incumbent, then one line per slot with a sparkline."""
    unit = "s" if sim.seconds else "epochs"
    budget = f"{sim.budget:g}" if np.isfinite(sim.budget) else "inf"
    lines = [
        f"{title}: budget {sim.used:g}/{budget} {unit}, sim_time {sim.sim_time:.1f} s, "
        f"started {len(sim.runs)}, completed {sim.n_completed}",
        f"incumbent observed {sim.incumbent_observed:.4f} true {sim.incumbent_true:.4f} "
        f"regret {sim.regret:.4f}",
        *extra,
    ]
    for s, run in enumerate(sim.slots):
        if run is None:
            lines.append(f"slot {s}: empty")
            continue
        revealed = run.curve.observed[: run.epochs]
        spark = "".join(_SPARK[min(len(_SPARK) - 1, int(v * len(_SPARK)))] for v in revealed)
        last = f"{revealed[-1]:.4f}" if run.epochs else "-"
        lines.append(
            f"slot {s}: arch #{run.index} epoch {run.epochs}/{sim.n_epochs} last {last} |{spark}|"
        )
    return "\n".join(lines) + "\n"


def rgb_array(sim: Simulator) -> np.ndarray:
    """An ``(HEIGHT, WIDTH, 3)`` uint8 image: completed curves grey, slots in colour, incumbent
    level in green, budget used as a blue bar along the bottom."""
    image = np.full((HEIGHT, WIDTH, 3), _BACKGROUND, dtype=np.uint8)
    x0, x1, y0, y1 = _MARGIN, WIDTH - _MARGIN, _MARGIN, HEIGHT - 2 * _MARGIN
    image[y0:y1, x0] = _AXES
    image[y1, x0:x1] = _AXES
    for run in sim.runs:
        if run.completed and all(run is not other for other in sim.slots):
            _polyline(image, run.curve.observed[: run.epochs], sim.n_epochs, _DONE)
    if sim.incumbent is not None:
        y = _to_y(sim.incumbent_observed)
        image[y, x0:x1] = _INCUMBENT
    for s, run in enumerate(sim.slots):
        if run is not None and run.epochs:
            colour = _SLOT_COLOURS[s % len(_SLOT_COLOURS)]
            _polyline(image, run.curve.observed[: run.epochs], sim.n_epochs, colour)
    if np.isfinite(sim.budget) and sim.budget > 0:
        filled = int(round((x1 - x0) * min(1.0, sim.used / sim.budget)))
        image[HEIGHT - _MARGIN : HEIGHT - _MARGIN // 2, x0 : x0 + filled] = _BUDGET
    return image


def _to_x(epoch: np.ndarray | float, n_epochs: int) -> np.ndarray:
    span = WIDTH - 2 * _MARGIN - 1
    return np.rint(_MARGIN + 1 + (np.asarray(epoch) - 1) / max(1, n_epochs - 1) * (span - 1))


def _to_y(score: np.ndarray | float) -> np.ndarray | int:
    top, bottom = _MARGIN, HEIGHT - 2 * _MARGIN - 1
    y = np.rint(bottom - np.clip(score, 0.0, 1.0) * (bottom - top))
    return y.astype(int) if isinstance(y, np.ndarray) else int(y)


def _polyline(image: np.ndarray, values: np.ndarray, n_epochs: int, colour: tuple) -> None:
    """Draw the curve through (epoch, value) points, densely sampled between them."""
    epochs = np.arange(1, len(values) + 1, dtype=np.float64)
    if len(values) == 1:
        xs, ys = _to_x(epochs, n_epochs), _to_y(values.astype(np.float64))
    else:
        dense = np.linspace(1.0, float(len(values)), 4 * WIDTH)
        xs = _to_x(dense, n_epochs)
        ys = _to_y(np.interp(dense, epochs, values.astype(np.float64)))
    image[np.asarray(ys, dtype=int), np.asarray(xs, dtype=int)] = colour
