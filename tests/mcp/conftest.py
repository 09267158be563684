"""Fixtures for the MCP server tests: the real `deepmath-mcp` as a subprocess, over both transports.

Every test talks to a server process started the way a user would start it (`python -m mcp_server`
is the `deepmath-mcp` console script), through the official SDK client. One HTTP server is shared
per module (starting one costs about a second); stdio tests spawn their own, because under stdio a
client owns its server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import asynccontextmanager

import pytest
from support.net import free_port
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

# Limits used by the shared servers: a long maximum so client-side cancellation is observable,
# a small memory cap so memory bombs end quickly, and a concurrency cap below the load we send.
SERVER_FLAGS = ["--timeout", "10", "--memory-mb", "256", "--max-concurrency", "4", "--log-level", "WARNING"]


def server_command(*flags: str) -> list[str]:
    return [sys.executable, "-m", "mcp_server", *flags]


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sandbox_prepared() -> None:
    """Make sure the compiled snapshot exists before any server starts (it is cached per machine)."""
    subprocess.run([sys.executable, "-c", "import wasm_sandbox; wasm_sandbox.prepare()"], check=True, timeout=1800)


class HttpServer:
    """A `deepmath-mcp --transport http` subprocess listening on a free local port."""

    def __init__(self, *flags: str, env: dict[str, str] | None = None, ready_timeout_s: float = 120):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self.stderr_path = f"/tmp/deepmath-mcp-test-{self.port}.log"
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            server_command("--transport", "http", "--port", str(self.port), *flags),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr,
            env={**os.environ, **(env or {})},
            start_new_session=True,  # its own process group: kill_group() also ends a snapshot build
        )
        self._wait_ready(timeout_s=ready_timeout_s)

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        log = self.log()
        self.kill_group()
        raise RuntimeError(f"server did not listen within {timeout_s} s: {log}")

    def log(self) -> str:
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def alive(self) -> bool:
        return self.proc.poll() is None

    @classmethod
    @contextlib.contextmanager
    def running(cls, *flags: str, **kw) -> Iterator[HttpServer]:
        """A server for a module's tests, stopped afterwards; it must survive them."""
        server = cls(*flags, **kw)
        try:
            yield server
            assert server.alive(), f"the server died during the tests: {server.log()}"
        finally:
            server.stop()

    def kill_group(self) -> None:
        """SIGKILL the server and anything it started (a snapshot build's subprocess)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._stderr.close()
        os.unlink(self.stderr_path)

    def stop(self) -> bytes:
        """Stop the server; return what it wrote to stdout (must be nothing under HTTP)."""
        self.proc.terminate()
        try:
            out, _ = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        self._stderr.close()
        os.unlink(self.stderr_path)
        return out


@pytest.fixture(scope="module")
def http_server(sandbox_prepared) -> Iterator[HttpServer]:
    server = HttpServer(*SERVER_FLAGS)
    yield server
    assert server.alive(), f"the server died during the tests: {server.log()}"
    out = server.stop()
    assert out == b"", f"the HTTP server wrote to stdout: {out[:500]!r}"


def http_client(url: str, token: str | None = None, **kw) -> Client:
    """An SDK client for `url`, sending `Authorization: Bearer <token>` when a token is given."""
    if token is None:
        return Client(url, **kw)
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    return Client(streamable_http_client(url, http_client=http), **kw)


def stdio_params(*flags: str) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "mcp_server", *flags])


@pytest.fixture
def connect(request, sandbox_prepared):
    """`connect(transport)`: an async context manager giving an initialised SDK `Client`.

    "stdio" spawns a fresh server (with `flags`, default SERVER_FLAGS) owned by the client;
    "http" connects to this module's shared HTTP server.
    """

    @asynccontextmanager
    async def _connect(transport: str, *flags: str):
        if transport == "stdio":
            target = stdio_params(*(flags or SERVER_FLAGS))
        else:
            target = request.getfixturevalue("http_server").url
        async with Client(target) as client:
            yield client

    return _connect


@pytest.fixture(scope="module")
def module_server(request, sandbox_prepared) -> Iterator[HttpServer]:
    """An HTTP server of the test module's own, started with its `MODULE_SERVER_FLAGS` (and
    `MODULE_SERVER_ENV`, if set)."""
    env = getattr(request.module, "MODULE_SERVER_ENV", None)
    with HttpServer.running(*request.module.MODULE_SERVER_FLAGS, env=env) as server:
        yield server


@pytest.fixture(scope="session")
def make_http_server(sandbox_prepared):
    """`make_http_server(*flags, env=...)`: start an extra HTTP server (the caller stops it)."""
    return HttpServer


@pytest.fixture(scope="session")
def sdk_client():
    """`sdk_client(url, token=None, **kw)`: an SDK `Client` for an HTTP server (see `http_client`)."""
    return http_client
