"""Fixtures for the agent tests: the tiny tokenizer, a real `deepmath-mcp` over streamable HTTP,
and the scripted OpenAI-compatible server (a scripted policy stands in for the model).

The MCP server is the real one (real sandbox, real transport), started once per session as our
own subprocess on a free loopback port; tests that need it are skipped with the reason when the
`deepmath-mcp` command is not installed or does not come up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.net import free_port, wait_port
from support.protocol_model import Protocol, protocol_sequence, teach_protocol


def start_mcp_http(log_path: Path, timeout: float = 600.0) -> tuple[subprocess.Popen, str]:
    """Start `deepmath-mcp --transport http` on a free port; returns (process, endpoint URL)."""
    exe = shutil.which("deepmath-mcp")
    if exe is None:
        pytest.skip("deepmath-mcp is not installed (pip install -e .)")
    port = free_port()
    log = open(log_path, "wb")
    proc = subprocess.Popen([exe, "--transport", "http", "--host", "127.0.0.1", "--port", str(port),
                             "--log-level", "WARNING"], stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        wait_port(port, proc, timeout)
    except (RuntimeError, TimeoutError) as exc:
        proc.kill()
        proc.wait()
        pytest.skip(f"deepmath-mcp did not come up: {exc}; log: {log_path.read_text()[-500:]}")
    return proc, f"http://127.0.0.1:{port}/mcp"


@pytest.fixture(scope="session")
def mcp_url(tmp_path_factory):
    """URL of a real deepmath-mcp serving streamable HTTP for the whole test session."""
    proc, url = start_mcp_http(tmp_path_factory.mktemp("mcp") / "server.log")
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def tok(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def scripted(tok):
    """Factory: start a scripted OpenAI-compatible server on loopback for a list of steps."""
    from support.scripted_server import ScriptedCompletions, ScriptedOpenAIServer, step_policy

    servers = []

    def make(steps, policy=None, **kw):
        srv = ScriptedOpenAIServer(ScriptedCompletions(tok, policy or step_policy(steps)), **kw).start()
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        srv.stop()


PYTHON = sys.executable


# -- a tiny Qwen3 taught to follow the tool protocol ---------------------------------------------------
# Random weights never write `<tool_call>`, so the end-to-end tests with a *real* model (vLLM, the
# local transformers engine) first overfit the tiny model on one agent trajectory: the real v1
# prompt, one tool call, the sandbox's output (mask 0, no loss), then a boxed answer and EOS.
# Greedy decoding then reproduces that trajectory, which the tests check token for token.
PROTO = Protocol(problem="What is 6 times 7, plus 1?",
                 call="Compute it.\n<tool_call>\nx = 6 * 7\nprint(x + 1)\n</tool_call>",
                 tool_text="43", answer_text="The answer is \\boxed{43}.", answer="43")


def proto_sequence(tok) -> tuple[list[int], list[int], list[int]]:
    """(prompt ids, completion ids, mask) of the trajectory the protocol model is trained on."""
    return protocol_sequence(PROTO, tok)


@pytest.fixture(scope="session")
def protocol_model_dir(tiny_model_dir, tmp_path_factory):
    return teach_protocol(tiny_model_dir, tmp_path_factory.mktemp("tiny-qwen3-protocol"), PROTO)


@pytest.fixture(scope="session")
def proto():
    """What the protocol model was trained on: the problem and a function tok -> (prompt, completion, mask)."""
    from types import SimpleNamespace

    return SimpleNamespace(problem=PROTO.problem, sequence=proto_sequence, step1=PROTO.call, step2=PROTO.answer_text)


@pytest.fixture(scope="session")
def net():
    """Loopback helpers for tests that start their own servers."""
    from types import SimpleNamespace

    return SimpleNamespace(free_port=free_port, wait_port=wait_port)
