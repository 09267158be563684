"""Guest-side, `plot` profile only: runs INSIDE the WebAssembly interpreter, never on the host.

After each snippet, every matplotlib figure it left open is rendered to PNG (Agg) and handed to
the host through the `_host.call` door, one door call per figure, before the result record; then
all figures are closed, so a session starts each call with none. The host alone decides what it
keeps (count, byte size, pixel size: `runtime._figure`); a figure it refuses is reported by the
host, so nothing here is trusted. Loaded by the plot snapshot's build after the driver, as module
`_deepmath_figures`; it wraps the driver's `_send`.
"""

import io
import sys

import _host


def send_open_figures():
    """Render and send the open figures; a figure that fails to render is reported on stderr."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    try:
        for num in plt.get_fignums():
            buf = io.BytesIO()
            try:
                plt.figure(num).savefig(buf, format="png")
            except Exception as exc:  # the snippet's data broke the rendering: say so, keep going
                print(f"figure {num} could not be rendered: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            try:
                _host.call(buf.getvalue())
            except Exception:  # refused by the host, which reports why in the result
                pass
    finally:
        plt.close("all")


def install(driver):
    """Make `driver` send the open figures before each result record."""
    send = driver._send

    def send_with_figures(record):
        try:
            send_open_figures()
        finally:
            send(record)

    driver._send = send_with_figures
