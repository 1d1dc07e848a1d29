"""A progress bar on stderr for long constructions (shown after a delay).

Examples:
    >>> import io
    >>> stream = io.StringIO()
    >>> bar = ProgressBar(stream, delay=0.0, width=10)
    >>> bar(0.5, 1234)
    >>> stream.getvalue().split("]")[0]
    '\\r  [#####.....'
    >>> bar.close()
"""

from __future__ import annotations

import time
from typing import TextIO

__all__ = ["PROGRESS_DELAY", "ProgressBar"]

#: Seconds of work before the bar appears (short runs print nothing).
PROGRESS_DELAY = 2.0


class ProgressBar:
    """A ``progress(fraction_done, cells)`` callback drawing one line on ``stream``.

    Args:
        stream: where to draw (``sys.stderr``).
        delay: seconds after creation before anything is drawn (default
            :data:`PROGRESS_DELAY`).
        width: characters of the bar.
    """

    def __init__(self, stream: TextIO, *, delay: float | None = None, width: int = 30) -> None:
        self.stream = stream
        self.start = time.monotonic()
        self.delay = PROGRESS_DELAY if delay is None else delay
        self.width = width
        self.length = 0

    def __call__(self, fraction: float, cells: int) -> None:
        """Draw the bar (after the delay)."""
        elapsed = time.monotonic() - self.start
        if elapsed < self.delay:
            return
        done = round(self.width * min(max(fraction, 0.0), 1.0))
        line = (
            f"\r  [{'#' * done}{'.' * (self.width - done)}] {100 * fraction:5.1f}% of the "
            f"domain, {cells:,} cells, {elapsed:.0f} s "
        )
        self.length = max(self.length, len(line))
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        """Erase the bar, if it was drawn."""
        if self.length:
            self.stream.write("\r" + " " * self.length + "\r")
            self.stream.flush()
