"""The plot profile: matplotlib figures come back as checked PNGs, and the host's figure caps hold
against a snippet that writes "figures" straight through the door, bypassing the driver. The
default (math) profile still refuses matplotlib and every figure."""

import builtins
import inspect

import pytest
from support import png

from wasm_sandbox import Limits, Sandbox
from wasm_sandbox.figures import HEADER_BYTES, png_size

DRIVER = "__import__.__globals__"  # the guest driver's module globals
DOOR = f"{DRIVER}['_host'].call"
# the helper's source, run in the guest (struct and zlib are not allow-listed: taken past the list)
MAKE_PNG = inspect.getsource(png).split('"""', 2)[2].replace(
    "import struct\nimport zlib", f"struct = {DRIVER}['_real_import']('struct')\nzlib = {DRIVER}['_real_import']('zlib')")
PLOT = ("import numpy as np\nimport matplotlib.pyplot as plt\n"
        "x = np.linspace(-10, 10, 400)\nplt.plot(x, np.sinc(x / np.pi))\nplt.title('sin(x)/x')\n")


@pytest.fixture(scope="module")
def plots():
    limits = Limits(timeout_s=10.0, memory_mb=256, max_output_chars=2_000, modules="plot",
                    max_figures=2, max_figure_bytes=64 << 10, max_figure_px=1000, pool_size=1)
    with Sandbox(limits) as sb:
        yield sb


def test_a_plot_comes_back_as_a_png(plots):
    r = plots.run(PLOT + "'done'", session_id="plot")
    assert r.status == "ok" and r.value == "'done'" and r.figures_refused == [], r
    (fig,) = r.figures
    assert fig.data.startswith(b"\x89PNG") and png_size(fig.data[:HEADER_BYTES]) == (640, 480)
    assert (fig.width, fig.height, fig.size_bytes) == (640, 480, len(fig.data))
    assert "[figure 1: 640x480 PNG]" in r.render()
    assert "data" not in r.model_dump()["figures"][0]  # the bytes go as an image, not in the JSON
    again = plots.run("plt.get_fignums()", session_id="plot")  # figures are closed after each call
    assert again.value == "[]" and again.figures == []


def test_plotting_modules_import_and_others_stay_refused(plots):
    r = plots.run("import pandas, networkx, PIL.Image, matplotlib\nint(pandas.DataFrame({'a': [1, 2]}).a.sum())")
    assert r.status == "ok" and r.value == "3", r
    r = plots.run("import socket")
    assert r.status == "error" and "matplotlib" in r.error.message and "not allowed" in r.error.message


def test_too_many_figures_are_refused_by_the_host(plots):
    r = plots.run("import matplotlib.pyplot as plt\nfor k in range(4):\n    plt.figure(); plt.plot([0, k])\n")
    assert r.status == "ok" and len(r.figures) == 2
    assert r.figures_refused == ["figure refused: more than 2 figures in one call"] * 2


DOOR_ATTACKS = {
    "oversize": (f"{DOOR}(make_png(100, 100, idat=bytes(100_000)))", "over the 65536-byte limit"),
    "huge dimensions": (f"{DOOR}(make_png(100_000, 100_000, idat=b'x'))", "100000x100000 pixels"),
    "malformed header": (f"{DOOR}(b'\\x89PNG\\r\\n\\x1a\\n' + b'\\xff' * 100)", "not a valid PNG"),
    "no trailer": (f"{DOOR}(make_png(10, 10, trailer=False))", "no IEND trailer"),
    "many": (f"p = make_png(10, 10)\nfor _ in range(10_000):\n    {DOOR}(p)", "9990 more figures refused"),
}


@pytest.mark.parametrize("attack", DOOR_ATTACKS.values(), ids=DOOR_ATTACKS.keys())
def test_figures_written_through_the_door_are_checked_by_the_host(plots, attack):
    code, reason = attack
    r = plots.run(MAKE_PNG + "\n" + code + "\n'after'")
    assert r.status == "ok" and r.value == "'after'", r  # a refused figure does not spoil the call
    assert len(r.figures) <= 2 and any(reason in why for why in r.figures_refused), r.figures_refused
    assert all(png_size(f.data[:HEADER_BYTES]) == (10, 10) for f in r.figures)


def test_the_default_profile_refuses_matplotlib_and_figures(sandbox):
    r = sandbox.run("import matplotlib.pyplot as plt")
    assert r.status == "error" and r.error.type == "ImportError"
    assert "import of 'matplotlib.pyplot' is not allowed in this sandbox; allowed modules: " in r.error.message
    assert "matplotlib" not in r.error.message.split("allowed modules: ")[1]
    r = sandbox.run(MAKE_PNG + f"\n{DOOR}(make_png(10, 10))\n'after'")
    assert r.status == "ok" and r.figures == [] and "not enabled" in r.figures_refused[0]


def test_the_cli_saves_figures_and_names_them_in_the_result(plots, tmp_path, capsys):
    import json

    from wasm_sandbox.cli import main

    code = main(["run", "--modules", "plot", "--figures-dir", str(tmp_path / "figs"), PLOT])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["figures"][0]["path"] == str(tmp_path / "figs" / "figure-1.png")
    assert png_size((tmp_path / "figs" / "figure-1.png").read_bytes()[:HEADER_BYTES]) == (640, 480)


@pytest.mark.parametrize("code", [
    "open('/usr/local/lib/python315.zip/matplotlib/mpl-data/matplotlibrc', 'a').write('backend: evil')",
    "open('/usr/local/lib/python315.zip/matplotlib/mpl-data/new.txt', 'w')",
    f"{DRIVER}['sys'].modules['os'].remove('/usr/local/lib/python315.zip/matplotlib/mpl-data/matplotlibrc')",
])
def test_matplotlib_data_is_read_only_to_the_guest(plots, code):
    from wasm_sandbox import image

    before = (image.mpl_data_dir() / "matplotlibrc").read_bytes()
    r = plots.run(code)
    assert r.status == "error" and issubclass(getattr(builtins, r.error.type, Exception), OSError), r
    assert (image.mpl_data_dir() / "matplotlibrc").read_bytes() == before
    assert not (image.mpl_data_dir() / "new.txt").exists()
