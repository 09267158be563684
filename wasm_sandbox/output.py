"""Bounded capture of a guest stream: keeps the head and the tail, counts what was cut.

Why head *and* tail: a flood of output usually hides the interesting part at the end (the final
result or the error), so cutting the middle loses the least. The host never holds more than
about three times the cap per stream, whatever the guest writes.
"""

from __future__ import annotations


class Capture:
    def __init__(self, max_chars: int) -> None:
        self.max_chars = max(int(max_chars), 16)
        self.clear()

    def clear(self) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def write(self, data: bytes) -> int:
        n = len(data)
        self.total += n
        room = self.max_chars - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > 2 * self.max_chars:
                del self.tail[: len(self.tail) - self.max_chars]
        return n

    def text(self) -> tuple[str, bool]:
        """The captured text (middle cut with a marker if over the cap) and whether it was cut."""
        if self.total <= self.max_chars:
            return bytes(self.head).decode("utf-8", "replace"), False
        half = self.max_chars // 2
        tail = bytes(self.tail[-half:]) if len(self.tail) >= half else bytes(self.head[-(half - len(self.tail)):] + self.tail)
        cut = self.total - half - len(tail)
        head = bytes(self.head[:half]).decode("utf-8", "replace")
        return f"{head}\n... [{cut} bytes cut] ...\n{tail.decode('utf-8', 'replace')}", True
