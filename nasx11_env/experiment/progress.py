"""A dependency-free text progress bar for finished trials, redrawn in place on a stream."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """``[#######-------]  12/60 trials  3.1s`` on ``stream`` (stderr by default).

    ``update()`` after each finished trial redraws the line; ``close()`` ends it with a newline.
    """

    def __init__(
        self, total: int, done: int = 0, stream: TextIO | None = None, width: int = 30
    ) -> None:
        self.total = total
        self.done = done
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self._start = time.monotonic()
        self._draw()

    def update(self, n: int = 1) -> None:
        self.done += n
        self._draw()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()

    def _draw(self) -> None:
        filled = self.width * self.done // self.total if self.total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.monotonic() - self._start
        self.stream.write(
            f"\r[{bar}] {self.done:>{len(str(self.total))}}/{self.total} trials  {elapsed:.1f}s"
        )
        self.stream.flush()
