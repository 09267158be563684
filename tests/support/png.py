"""A minimal PNG writer (stdlib only), usable on the host and, by its source, inside the guest."""

import struct
import zlib


def make_png(width, height, ihdr=None, idat=None, trailer=True):
    """A greyscale PNG of `width` x `height` (all black); `ihdr`/`idat` replace those chunks' data."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = ihdr if ihdr is not None else struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    if idat is None:
        idat = zlib.compress(b"".join(b"\x00" + bytes(width) for _ in range(min(height, 64))))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat)
    return out + (chunk(b"IEND", b"") if trailer else b"")
