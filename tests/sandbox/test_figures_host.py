"""The host's checks of a guest's figures (`wasm_sandbox.figures`), without a guest: every refusal
is decided on the header and the length, before a byte of the image is copied."""

import struct

import pytest
from support.png import make_png

from wasm_sandbox.figures import HEADER_BYTES, MAX_REASONS, Inbox, png_size


def _inbox(**kw):
    return Inbox(**({"count": 2, "size": 4096, "px": 100} | kw))


def _offer(inbox, data):
    return inbox.offer(len(data), data[:HEADER_BYTES], lambda: data)


def test_a_valid_png_is_kept_with_its_size():
    inbox = _inbox()
    png = make_png(64, 48)
    assert png_size(png[:HEADER_BYTES]) == (64, 48)
    assert _offer(inbox, png) and inbox.summary() == []
    (fig,) = inbox.figures
    assert (fig.width, fig.height, fig.size_bytes, fig.data) == (64, 48, len(png), png)


MALFORMED = {
    "no signature": b"GIF89a" + make_png(4, 4)[6:],
    "a bad IHDR CRC": make_png(4, 4)[:29] + b"\0\0\0\0" + make_png(4, 4)[33:],
    "zero width": make_png(0, 4),
    "an impossible bit depth": make_png(4, 4, ihdr=struct.pack(">IIBBBBB", 4, 4, 3, 2, 0, 0, 0)),
    "a short header": make_png(4, 4)[:20],
    "no IEND trailer": make_png(4, 4, trailer=False),
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_png_is_refused(data):
    inbox = _inbox()
    assert not _offer(inbox, data)
    assert inbox.figures == [] and len(inbox.summary()) == 1


def test_oversize_and_too_many_are_refused_without_copying():
    def never():
        raise AssertionError("the host copied a figure it refuses")

    inbox = _inbox(size=1024)
    big = make_png(90, 90, idat=bytes(2000))
    assert not inbox.offer(len(big), big[:HEADER_BYTES], never)
    assert "over the 1024-byte limit" in inbox.summary()[0]
    wide = make_png(101, 1)
    assert not inbox.offer(len(wide), wide[:HEADER_BYTES], never)
    assert "101x1 pixels" in inbox.summary()[1]
    small = make_png(8, 8)
    assert _offer(inbox, small) and _offer(inbox, small)
    assert not inbox.offer(len(small), small[:HEADER_BYTES], never)
    assert len(inbox.figures) == 2 and "more than 2 figures" in inbox.summary()[2]


def test_figures_are_off_without_caps_and_reasons_are_bounded():
    inbox = Inbox()  # the math profile's
    png = make_png(4, 4)
    for _ in range(1000):
        assert not _offer(inbox, png)
    reasons = inbox.summary()
    assert len(reasons) == MAX_REASONS + 1 and "not enabled" in reasons[0]
    assert reasons[-1] == f"{1000 - MAX_REASONS} more figures refused"
    inbox.clear()
    assert inbox.summary() == [] and inbox.figures == []


def test_mpl_data_is_checked_and_extracted_again_when_damaged(tmp_path, monkeypatch):
    from wasm_sandbox import image

    monkeypatch.setenv("DEEPMATH_CACHE", str(tmp_path))
    folder = image.mpl_data_dir()
    rc = folder / "matplotlibrc"
    good = rc.read_bytes()
    assert folder.stat().st_mode & 0o222 == 0 and rc.stat().st_mode & 0o222 == 0  # read-only
    rc.chmod(0o644)
    rc.write_bytes(good + b"\nbackend: evil\n")
    assert image.mpl_data_dir() == folder and rc.read_bytes() == good
    (folder / "fonts").chmod(0o755)
    (folder / "fonts" / "extra").symlink_to("/etc/passwd")
    assert image.mpl_data_dir() == folder and not (folder / "fonts" / "extra").exists()
