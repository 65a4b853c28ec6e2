"""The output folder of a comparison: trial rows (JSONL), run manifest (JSON), checkpoints (CSV).

Rows are appended and flushed one by one as trials finish, so an interrupted run keeps every
finished trial; a line cut short by a hard kill is dropped (and removed) when the file is read
back for a resumed run.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from nasx11_env.experiment.plan import ExperimentError

ROWS_FILE = "trials.jsonl"
MANIFEST_FILE = "manifest.json"
CHECKPOINTS_FILE = "checkpoints.csv"
# Manifest fields a resumed run must share with the rows already in the folder.
RESUME_KEYS = ("benchmark", "budget_seconds", "base_seed")


def regret_at(trace: Sequence[Sequence[float]], times: Any, budget: float) -> np.ndarray:
    """Regret in force at each of ``times`` (seconds): the last trace point at or before it.

    Before the first point (the reset) the regret is that point's: no incumbent yet. A relative
    tolerance of 1e-9 of the budget absorbs float rounding of the final clock.
    """
    points = np.asarray(trace, dtype=np.float64)
    where = np.searchsorted(points[:, 0], np.asarray(times) + 1e-9 * budget, side="right") - 1
    return points[np.clip(where, 0, None), 1]


class ResultStore:
    """Reads and writes the files of one output folder."""

    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)
        self.rows_path = self.out_dir / ROWS_FILE
        self.manifest_path = self.out_dir / MANIFEST_FILE
        self.checkpoints_path = self.out_dir / CHECKPOINTS_FILE

    def has_rows(self) -> bool:
        return self.rows_path.is_file() and self.rows_path.stat().st_size > 0

    def load_rows(self) -> list[dict[str, Any]]:
        """The finished rows; a cut-short last line is dropped from the file with a warning."""
        if not self.rows_path.is_file():
            return []
        text = self.rows_path.read_text(encoding="utf-8")
        complete, _, tail = text.rpartition("\n")
        if tail:
            print(f"warning: dropping an unfinished last line of {self.rows_path}", file=sys.stderr)
            self.rows_path.write_text(complete + "\n" if complete else "", encoding="utf-8")
        rows = []
        for number, line in enumerate(complete.splitlines(), start=1):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                where = f"{self.rows_path}:{number}"
                raise ExperimentError(f"{where}: not a JSON row ({error})") from None
        return rows

    def open_rows(self) -> TextIO:
        """The rows file, open for appending (the folder is created)."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        return self.rows_path.open("a", encoding="utf-8")

    @staticmethod
    def append(handle: TextIO, row: dict[str, Any]) -> None:
        """Write one row as one line and flush it, so it survives an interrupt."""
        handle.write(json.dumps(row, separators=(",", ":")) + "\n")
        handle.flush()

    def check_resumable(self, manifest: dict[str, Any]) -> None:
        """An ExperimentError unless the folder's manifest matches ``manifest`` on RESUME_KEYS."""
        if not self.manifest_path.is_file():
            raise ExperimentError(f"{self.out_dir} holds trial rows but no {MANIFEST_FILE}")
        previous = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        differ = [key for key in RESUME_KEYS if previous.get(key) != manifest[key]]
        if differ:
            detail = ", ".join(
                f"{key}: {previous.get(key)!r} there, {manifest[key]!r} now" for key in differ
            )
            raise ExperimentError(
                f"cannot resume in {self.out_dir}: its results were run with other settings "
                f"({detail}); choose another output folder"
            )

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")

    def write_checkpoints(
        self, rows: Iterable[dict[str, Any]], budget: float, fractions: Sequence[float]
    ) -> Path:
        """One CSV line per trial: agent, trial, seed and the regret at each budget fraction."""
        times = np.asarray(fractions, dtype=np.float64) * budget
        with self.checkpoints_path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["agent", "trial", "seed", *(f"regret@{f:g}" for f in fractions)])
            for row in rows:
                regrets = regret_at(row["trace"], times, budget)
                values = [repr(float(regret)) for regret in regrets]
                writer.writerow([row["agent"], row["trial"], row["seed"], *values])
        return self.checkpoints_path
