"""Bounded capture of a guest stream: keeps the head and the tail, counts what was cut.

Why head *and* tail: a flood of output usually hides the interesting part at the end (the final
result or the error), so cutting the middle loses the least. A write hands over its length and a
reader of its bytes, and only the bytes kept are ever read: a 100 MiB write costs the host the
same as a 20 KB one. The host holds at most twice the cap per stream.
"""

from __future__ import annotations

from collections.abc import Callable

# read(start, stop) -> bytes [start, stop) of one write
Reader = Callable[[int, int], bytes]


class Capture:
    def __init__(self, max_chars: int) -> None:
        self.max_chars = max(int(max_chars), 16)
        self.clear()

    def clear(self) -> None:
        self.head = bytearray()  # the first max_chars bytes
        self.tail = bytearray()  # the last (at most max_chars) bytes after the head
        self.total = 0

    def write(self, length: int, read: Reader) -> None:
        """Take one write of `length` bytes, reading only what is kept."""
        taken = min(self.max_chars - len(self.head), length)
        if taken > 0:
            self.head += read(0, taken)
        else:
            taken = 0
        keep = min(length - taken, self.max_chars)
        if keep > 0:
            self.tail += read(length - keep, length)
            if len(self.tail) > self.max_chars:
                del self.tail[: len(self.tail) - self.max_chars]
        self.total += length

    def text(self) -> tuple[str, bool]:
        """The captured text (middle cut with a marker if over the cap) and whether it was cut."""
        if self.total <= self.max_chars:
            return bytes(self.head).decode("utf-8", "replace"), False
        half = self.max_chars // 2
        rest = bytes(self.head[half:] + self.tail)[-half:]  # the last `half` bytes of the stream
        cut = self.total - half - len(rest)
        head = bytes(self.head[:half]).decode("utf-8", "replace")
        return f"{head}\n... [{cut} bytes cut] ...\n{rest.decode('utf-8', 'replace')}", True
