"""Plots over MCP: under `--modules plot` a real SDK client gets a figure as a PNG `ImageContent`
block (and `deepmath-agent`'s executor saves it); the default server still refuses matplotlib."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys

import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from agent_client.mcp_executor import McpExecutor
from wasm_sandbox.figures import HEADER_BYTES, png_size

pytestmark = pytest.mark.anyio

PLOT_FLAGS = ["--modules", "plot", "--timeout", "30", "--memory-mb", "256", "--log-level", "WARNING"]
PLOT = ("import numpy as np\nimport matplotlib.pyplot as plt\nx = np.linspace(-10, 10, 400)\n"
        "plt.plot(x, np.sinc(x / np.pi)); plt.title('sin(x)/x on [-10, 10]')\nprint('drawn')")


@pytest.fixture(scope="module")
def plot_prepared(sandbox_prepared) -> None:
    """The plot profile's snapshot, built into the cache if it is not there yet (minutes, once)."""
    subprocess.run([sys.executable, "-c", "import wasm_sandbox; wasm_sandbox.prepare('plot')"], check=True,
                   timeout=3600)


def _params(*flags: str) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "mcp_server", *flags], env=dict(os.environ))


async def test_a_plot_reaches_a_real_client_as_a_png_image(plot_prepared):
    async with Client(_params(*PLOT_FLAGS)) as client:
        modules = (await client.call_tool("list_allowed_modules", {})).structured_content["result"]
        tools = {t.name: t for t in (await client.list_tools()).tools}
        r = await client.call_tool("run_python", {"code": PLOT})
    assert {"matplotlib", "pandas", "networkx", "PIL"} <= set(modules)
    assert "PNG images" in tools["run_python"].description
    assert r.is_error is False, r
    text, image = r.content
    assert text.text == "drawn\n\n[figure 1: 640x480 PNG]"
    assert image.type == "image" and image.mime_type == "image/png"
    data = base64.b64decode(image.data)
    assert png_size(data[:HEADER_BYTES]) == (640, 480)
    assert r.structured_content["figures"] == [
        {"format": "png", "width": 640, "height": 480, "size_bytes": len(data), "path": None}]


async def test_the_agent_executor_saves_figures_and_keeps_the_text(plot_prepared, tmp_path):
    log = io.StringIO()
    with open(tmp_path / "server.err", "w") as errlog:
        async with McpExecutor.stdio([sys.executable, "-m", "mcp_server", *PLOT_FLAGS], env=dict(os.environ),
                                     errlog=errlog, figures_dir=tmp_path / "figs", figure_log=log) as ex:
            r = await ex.run(PLOT, session_id="s1")
    assert r.status == "ok" and r.text == "drawn\n\n[figure 1: 640x480 PNG]"
    path = r.result["figures"][0]["path"]
    assert path == str(tmp_path / "figs" / "s1-1.png")
    with open(path, "rb") as f:
        assert png_size(f.read()[:HEADER_BYTES]) == (640, 480)
    assert log.getvalue() == f"figure saved: {path}\n"


async def test_the_default_server_refuses_matplotlib(sandbox_prepared):
    async with Client(_params("--log-level", "WARNING")) as client:
        r = await client.call_tool("run_python", {"code": "import matplotlib.pyplot as plt"})
    assert r.is_error is True and len(r.content) == 1
    assert "import of 'matplotlib.pyplot' is not allowed in this sandbox; allowed modules: " in r.content[0].text
    assert r.structured_content["figures"] == []
