"""Per-agent summary statistics, the printed table and the progress bar, on hand-made rows."""

from __future__ import annotations

import io
import math

import pytest

from nasx11_env.experiment.progress import ProgressBar
from nasx11_env.experiment.summary import format_table, summarize, time_to_threshold


def _row(agent: str, final: float, trace: list[list[float]]) -> dict:
    return {"agent": agent, "final_regret": final, "trace": trace}


ROWS = [
    _row("A", 0.1, [[10.0, 0.9, 0.0], [50.0, 0.3, 0.6], [80.0, 0.1, 0.8]]),
    _row("A", 0.2, [[10.0, 0.9, 0.0], [40.0, 0.2, 0.7]]),
    _row("A", 0.4, [[10.0, 0.9, 0.0], [100.0, 0.4, 0.5]]),
    _row("B", 0.05, [[10.0, 0.9, 0.0], [20.0, 0.05, 0.85]]),
]


def test_summary_numbers_by_hand() -> None:
    a, b = summarize(ROWS, ["A", "B"], threshold=0.25)
    mean = (0.1 + 0.2 + 0.4) / 3
    variance = ((0.1 - mean) ** 2 + (0.2 - mean) ** 2 + (0.4 - mean) ** 2) / 2
    assert a.agent == "A" and a.n_trials == 3
    assert a.mean == pytest.approx(mean)
    assert a.sem == pytest.approx(math.sqrt(variance / 3))
    assert a.median == pytest.approx(0.2)
    assert (a.n_reached, a.time_to_threshold) == (2, pytest.approx((80.0 + 40.0) / 2))
    assert b.n_trials == 1 and math.isnan(b.sem)  # no spread from one trial
    assert (b.n_reached, b.time_to_threshold) == (1, 20.0)


def test_agents_without_rows_are_left_out_and_order_follows_agents() -> None:
    summaries = summarize(ROWS, ["B", "C", "A"], threshold=0.25)
    assert [s.agent for s in summaries] == ["B", "A"]


def test_time_to_threshold_is_the_first_point_at_or_below_it() -> None:
    trace = [[10.0, 0.9, 0.0], [30.0, 0.25, 0.65], [60.0, 0.3, 0.6], [90.0, 0.1, 0.8]]
    assert time_to_threshold(trace, 0.25) == 30.0
    assert time_to_threshold(trace, 0.05) is None


def test_table_shows_every_agent_with_its_numbers() -> None:
    text = format_table(summarize(ROWS, ["A", "B"], threshold=0.25))
    lines = text.splitlines()
    assert "time to regret<=0.25 (s)" in lines[0]
    a_line = next(line for line in lines if line.startswith("A "))
    assert "0.23333" in a_line and "2/3" in a_line and " 60 " in f"{a_line} "
    b_line = next(line for line in lines if line.startswith("B "))
    assert " - " in b_line and "1/1" in b_line  # SEM of one trial shown as "-"
    assert format_table([]) == "no finished trials"


def test_progress_bar_counts_finished_trials() -> None:
    stream = io.StringIO()
    bar = ProgressBar(4, done=1, stream=stream, width=8)
    bar.update()
    assert stream.getvalue().split("\r")[-1].startswith("[####----] 2/4 trials")
    bar.update(2)
    bar.close()
    assert stream.getvalue().split("\r")[-1].startswith("[########] 4/4 trials")
    assert stream.getvalue().endswith("\n")
