"""Several `deepmath-mcp` replicas behind a real HAProxy (`deploy/`), driven by real SDK clients.

What is proven: every MCP session stays on the replica that answered its `initialize` (the replica
named in each response's `X-Deepmath-Replica` never changes, and the sandbox state kept under a
`session_id` is there on every call); sessions are spread over the replicas; and killing one
replica (SIGKILL) loses only its own sessions: their next call fails with the protocol's "session
gone" (HTTP 404 "Session not found" from the live replica that the request is redispatched to), while
the other replica's clients keep their state and see no error, and a new session is served by the
survivor.
"""

from __future__ import annotations

import contextlib
import shutil
from collections import Counter

import pytest
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError

from replicas import REPLICA_HEADER, Deployment

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(shutil.which("haproxy") is None,
                       reason="haproxy is not installed (apt-get install haproxy; .ci/e2e-deps.sh does it)"),
]

CLIENTS = 6
FLAGS = ("--timeout", "10", "--memory-mb", "256", "--max-concurrency", "4", "--log-level", "WARNING")


class Tracked:
    """An SDK client whose HTTP responses are recorded by the replica that served them."""

    def __init__(self, url: str, k: int):
        self.k = k
        self.seen: list[str | None] = []
        self.http = create_mcp_http_client()
        self.http.event_hooks["response"].append(self._record)
        self.client = Client(streamable_http_client(url, http_client=self.http), mode="legacy")

    async def _record(self, response) -> None:
        self.seen.append(response.headers.get(REPLICA_HEADER))

    @property
    def replica(self) -> str:
        assert self.seen and len(set(self.seen)) == 1, f"client {self.k} was served by {self.seen}"
        return self.seen[0]

    async def keep(self) -> None:
        r = await self.client.call_tool("run_python", {"code": f"mine = {self.k}", "session_id": "s"})
        assert not r.is_error, r

    async def recall(self):
        return await self.client.call_tool("run_python", {"code": "mine", "session_id": "s"})


@contextlib.asynccontextmanager
async def tracked_clients(url: str, n: int):
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for k in range(n):
            c = Tracked(url, k)
            await stack.enter_async_context(c.http)
            await stack.enter_async_context(c.client)
            await c.keep()
            clients.append(c)
        yield clients


@pytest.fixture
def deployment(sandbox_prepared):
    with Deployment(2, flags=FLAGS) as d:
        yield d


async def test_sessions_stay_on_their_replica(deployment):
    async with tracked_clients(deployment.url, CLIENTS) as clients:
        for _ in range(3):
            for c in clients:
                r = await c.recall()
                assert not r.is_error and r.structured_content["value"] == str(c.k), r
        spread = Counter(c.replica for c in clients)
    assert set(spread) == {"r1", "r2"}, f"sessions were not spread over both replicas: {spread}"
    assert all(p.poll() is None for p in deployment.replicas.values())


async def test_killed_replica_loses_only_its_own_sessions(deployment):
    async with tracked_clients(deployment.url, CLIENTS) as clients:
        victim = clients[0].replica
        lost = [c for c in clients if c.replica == victim]
        kept = [c for c in clients if c.replica != victim]
        assert lost and kept, [c.replica for c in clients]
        deployment.kill(victim)
        for c in kept:
            r = await c.recall()
            assert not r.is_error and r.structured_content["value"] == str(c.k), r
        for c in lost:
            with pytest.raises(MCPError, match="Session (not found|terminated)"):
                await c.recall()
        for c in kept:  # still nothing seen after the others' failures
            r = await c.recall()
            assert not r.is_error and r.structured_content["value"] == str(c.k), r
            assert c.replica != victim
        async with tracked_clients(deployment.url, 1) as (fresh,):
            r = await fresh.recall()
            assert not r.is_error and fresh.replica != victim
