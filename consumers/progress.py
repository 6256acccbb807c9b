"""Progress of long work on a terminal: a line that rewrites itself, or a few plain lines when piped."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts done out of total and shows it on ``stream`` (stderr by default)."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total, self.label, self.done = total, label, 0
        self.stream = stream or sys.stderr
        self._tty = self.stream.isatty()
        self._started = time.monotonic()
        self._next_line = 0.1  # when piped, one line each tenth of the way

    def advance(self, n: int = 1) -> None:
        """Record ``n`` more done and show it."""
        self.done += n
        share = self.done / self.total if self.total else 1.0
        if self._tty:
            self.stream.write(f"\r{self._line(share)}")
        elif share >= self._next_line:
            self.stream.write(self._line(share) + "\n")
            self._next_line = share + 0.1
        self.stream.flush()

    def close(self) -> None:
        """End the progress line."""
        if self._tty:
            self.stream.write("\n")

    def _line(self, share: float) -> str:
        rate = self.done / max(time.monotonic() - self._started, 1e-6)
        return f"{self.label}: {self.done}/{self.total} ({share:.0%}, {rate:.0f}/s)"
