"""SB3 callbacks of ``train_rl``: a per-episode CSV log and a plain-text progress line.

This module imports stable-baselines3 at import time; ``train_rl`` imports it only when called.
"""

from __future__ import annotations

import csv
import math
import sys
import time
from collections import deque
from numbers import Integral
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

PROGRESS_LINES = 10  # text progress lines per training run


def _plain(value: Any) -> int | float:
    """An info value as a CSV-friendly number (flags as 0/1, counts as ints)."""
    if isinstance(value, (bool, np.bool_, Integral)):
        return int(value)
    return float(value)


class EpisodeLog(BaseCallback):
    """One CSV row per finished episode: ``timestep, env, return, length`` and the terminal info
    ``keys`` the Monitor recorded (e.g. ``final_regret``); their means also go to SB3's logger
    (so to TensorBoard when it is on) under ``episode/<key>``."""

    def __init__(self, path: Path, keys: tuple[str, ...]) -> None:
        super().__init__()
        self.path = path
        self.keys = keys
        self.episodes = 0
        self.recent: deque[float] = deque(maxlen=20)  # last returns, for progress lines
        self._file: TextIO | None = None
        self._writer: Any = None

    def _on_training_start(self) -> None:
        self._file = self.path.open("w", newline="")
        self._writer = csv.writer(self._file)
        self._writer.writerow(["timestep", "env", "return", "length", *self.keys])

    def _on_step(self) -> bool:
        for index, info in enumerate(self.locals["infos"]):
            episode = info.get("episode")
            if episode is None:
                continue
            values = [_plain(episode[key]) for key in self.keys]
            self._writer.writerow(
                [self.num_timesteps, index, float(episode["r"]), int(episode["l"]), *values]
            )
            for key, value in zip(self.keys, values, strict=True):
                self.logger.record_mean(f"episode/{key}", value)
            self.episodes += 1
            self.recent.append(float(episode["r"]))
        return True

    def _on_training_end(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class TextProgress(BaseCallback):
    """Prints ``PROGRESS_LINES`` lines (steps, steps/s, episodes, recent mean return) when the
    rich progress bar of SB3 is not available (it needs tqdm and rich)."""

    def __init__(self, total: int, log: EpisodeLog, stream: TextIO = sys.stdout) -> None:
        super().__init__()
        self.total = total
        self.log = log
        self.stream = stream
        self._next = 0
        self._start = 0.0

    def _on_training_start(self) -> None:
        self._start = time.perf_counter()
        self._next = self.total // PROGRESS_LINES

    def _on_step(self) -> bool:
        if self.num_timesteps >= self._next:
            self._next += max(1, self.total // PROGRESS_LINES)
            elapsed = time.perf_counter() - self._start
            recent = self.log.recent
            mean = sum(recent) / len(recent) if recent else math.nan
            print(
                f"  {self.num_timesteps:>9,}/{self.total:,} steps "
                f"({self.num_timesteps / max(elapsed, 1e-9):,.0f}/s), "
                f"{self.log.episodes} episodes, recent mean return {mean:.4f}",
                file=self.stream,
                flush=True,
            )
        return True
