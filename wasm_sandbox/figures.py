"""Host side of the figures a `plot` snippet hands over: the guest's PNG bytes are untrusted.

The guest sends each figure through the result door (`runtime._door`), before its result record.
The host keeps at most `count` figures per call, each at most `size` bytes and `px` pixels wide
and high, and only what looks like a whole PNG: the signature, a well-formed IHDR chunk (checked
with its CRC) and the IEND trailer. Only those bytes are parsed here; the image data is never
decoded on the host. Anything else is refused, with the reason reported in the result
(`ExecResult.figures_refused`, the first `MAX_REASONS` of them), and never copied out of the guest.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from .result import Figure

SIGNATURE = b"\x89PNG\r\n\x1a\n"
HEADER_BYTES = len(SIGNATURE) + 4 + 4 + 13 + 4  # the signature and the IHDR chunk
IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}  # colour type: bit depths
MAX_REASONS = 8


def png_size(head: bytes) -> tuple[int, int]:
    """(width, height) from the first `HEADER_BYTES` of a PNG; ValueError says what is wrong."""
    if len(head) < HEADER_BYTES or not head.startswith(SIGNATURE):
        raise ValueError("no PNG signature and header")
    length, kind = struct.unpack(">I4s", head[8:16])
    body, crc = head[16:29], struct.unpack(">I", head[29:33])[0]
    if length != 13 or kind != b"IHDR":
        raise ValueError("the first chunk is not a 13-byte IHDR")
    if zlib.crc32(kind + body) != crc:
        raise ValueError("the IHDR chunk fails its CRC")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", body)
    if not (0 < width < 1 << 31 and 0 < height < 1 << 31):
        raise ValueError(f"invalid dimensions {width}x{height}")
    if depth not in _DEPTHS.get(colour, ()) or compression or filtering or interlace > 1:
        raise ValueError("invalid IHDR fields")
    return width, height


@dataclass
class Inbox:
    """One call's figures: what the host kept, and why it refused the rest."""

    count: int = 0  # 0: figures are off (the math profile)
    size: int = 0
    px: int = 0
    figures: list[Figure] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    refused_total: int = 0

    def clear(self) -> None:
        self.figures, self.refused, self.refused_total = [], [], 0

    def offer(self, length: int, head: bytes, read: Callable[[], bytes]) -> bool:
        """Keep the figure of `length` bytes starting with `head` (`read()` copies it all) if it
        passes every cap and check; otherwise note why and return False."""
        try:
            problem = self._problem(length, head)
            data = read() if problem is None else b""
        except Exception as exc:  # reading guest memory failed: refuse, never raise into the door
            problem, data = f"unreadable ({type(exc).__name__})", b""
        if problem is None and not data.endswith(IEND):
            problem = "not a whole PNG (no IEND trailer)"
        if problem is not None:
            self.refused_total += 1
            if len(self.refused) < MAX_REASONS:
                self.refused.append(f"figure refused: {problem}")
            return False
        width, height = png_size(head)
        self.figures.append(Figure(width=width, height=height, size_bytes=len(data), data=data))
        return True

    def _problem(self, length: int, head: bytes) -> str | None:
        if self.count == 0:
            return "figures are not enabled (use the plot profile)"
        if len(self.figures) >= self.count:
            return f"more than {self.count} figures in one call"
        if length > self.size:
            return f"{length} bytes, over the {self.size}-byte limit"
        try:
            width, height = png_size(head)
        except ValueError as exc:
            return f"not a valid PNG ({exc})"
        if width > self.px or height > self.px:
            return f"{width}x{height} pixels, over the {self.px}-pixel limit"
        return None

    def summary(self) -> list[str]:
        extra = self.refused_total - len(self.refused)
        return self.refused + ([f"{extra} more figures refused"] if extra > 0 else [])
