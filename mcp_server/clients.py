"""Who is calling, and which sandbox sessions belong to them.

Why: `session_id` is chosen by the client, so two clients can pick the same one. Sandbox sessions
are therefore keyed by (client, session_id): an independent client using the same id gets its own
interpreter and can neither read, redefine, reset nor evict the other's. The table also enforces
the per-client share (`per_client` live sessions; a client over it loses its own least recently
used one) and the server total (`max_sessions`; when every slot is held, a client's new session
replaces its own oldest, and a client holding none is refused rather than given someone else's),
so no client can push another's state out.

What counts as one client:
- stdio: the one client that spawned the server.
- streamable HTTP, initialize-era protocol: the MCP session. The SDK's session manager routes a
  request to the session its `Mcp-Session-Id` header names (an unguessable id it minted), and with
  auth on it also checks the token; so the header identifies the session the request came through.
  When the session ends (the client's DELETE) its sandbox sessions are dropped.
- stateless 2026-era HTTP requests carry no session: with a bearer token they are the token's
  principal; without one there is no identity to keep state under, so `session_id` is refused
  (calls without it still run). The server advertises only the initialize-era protocol in
  `server/discover`, so SDK clients in "auto" mode open a session.

This table, not the sandbox's own LRU, decides when a session ends: the sandbox is configured with
room for exactly `max_sessions` and a longer idle time, so its own eviction never fires first.
Sessions the table ended are remembered (boundedly) so the next call on them reports
`session_reset: true`, as the sandbox does for its own traps.

`until_disconnect` is the other half of "a client that left holds nothing": a call whose HTTP
client disconnected is cancelled (the transport sets the event, see `transports.ClientWatch`).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import anyio

from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

from mcp.server.auth.middleware.auth_context import get_access_token

log = logging.getLogger("deepmath.mcp")

STDIO_CLIENT = "stdio"
MAX_LOST = 4096  # session ids remembered as "state was dropped", over all clients
SESSION_HEADER = "mcp-session-id"
DISCONNECTED = "deepmath.disconnected"  # ASGI scope key: the request's `Disconnect`
T = TypeVar("T")


def client_of(transport: str, protocol_version: str | None, headers: Mapping[str, str] | None) -> str | None:
    """The client a request comes from, or None when it has no identity to keep state under."""
    if transport == "stdio":
        return STDIO_CLIENT
    if protocol_version in HANDSHAKE_PROTOCOL_VERSIONS and headers is not None:
        session = headers.get(SESSION_HEADER)
        if session:
            return f"mcp:{session}"
    token = get_access_token()
    if token is not None:
        return f"principal:{token.client_id}"
    return None


class SessionsFull(RuntimeError):
    """Every session slot of the server is held by live sessions."""


class SessionTable:
    """(client, session_id) -> the sandbox session id, with per-client and total quotas.

    Used from the event loop thread only; `reset` is the sandbox's (blocking, quick) reset."""

    def __init__(self, reset: Callable[[str], bool], *, max_sessions: int, per_client: int, idle_s: float,
                 clock: Callable[[], float] = time.monotonic):
        self._reset = reset
        self.max_sessions = max_sessions
        self.per_client = min(per_client, max_sessions)
        self.idle_s = idle_s
        self._clock = clock
        self._live: dict[str, OrderedDict[str, float]] = {}  # client -> session_id -> last use
        self._lost: OrderedDict[str, None] = OrderedDict()  # sandbox ids whose state we dropped

    @staticmethod
    def sandbox_id(client: str, session_id: str) -> str:
        # Session ids never contain "/" (SESSION_ID_PATTERN), so the pair is recoverable.
        return f"{client}/{session_id}"

    def __len__(self) -> int:
        return sum(len(s) for s in self._live.values())

    def _drop(self, client: str, session_id: str, *, lost: bool) -> None:
        sessions = self._live[client]
        del sessions[session_id]
        if not sessions:
            del self._live[client]
        sid = self.sandbox_id(client, session_id)
        self._reset(sid)
        if lost:
            self._lost[sid] = None
            while len(self._lost) > MAX_LOST:
                self._lost.popitem(last=False)

    def _expire(self) -> None:
        cutoff = self._clock() - self.idle_s
        stale = [(c, s) for c, sessions in self._live.items() for s, t in sessions.items() if t < cutoff]
        for client, session_id in stale:
            self._drop(client, session_id, lost=True)

    def use(self, client: str, session_id: str) -> tuple[str, bool]:
        """Admit a call on `session_id`; return its sandbox id and whether this table dropped its state.

        Raises `SessionsFull` when the session is new and the server holds `max_sessions` already."""
        sessions = self._live.get(client)
        now = self._clock()
        if sessions is not None and session_id in sessions:
            sessions[session_id] = now
            sessions.move_to_end(session_id)
            return self.sandbox_id(client, session_id), False
        self._expire()
        sessions = self._live.get(client)
        if sessions and (len(sessions) >= self.per_client or len(self) >= self.max_sessions):
            self._drop(client, next(iter(sessions)), lost=True)  # the client's own oldest
        elif len(self) >= self.max_sessions:  # full, and this client holds nothing it could give up
            raise SessionsFull(
                f"the server holds its maximum of {self.max_sessions} sandbox sessions; reset one of "
                "yours with reset_session, run without session_id, or retry later"
            )
        self._live.setdefault(client, OrderedDict())[session_id] = now
        sid = self.sandbox_id(client, session_id)
        lost = sid in self._lost
        self._lost.pop(sid, None)
        return sid, lost

    def touch(self, client: str, session_id: str) -> None:
        """Mark the end of a call: idle time counts from when the session was last busy."""
        sessions = self._live.get(client)
        if sessions is not None and session_id in sessions:
            sessions[session_id] = self._clock()

    def reset(self, client: str, session_id: str) -> bool:
        """The client's `reset_session`: drop the state, forget it was ever lost."""
        sid = self.sandbox_id(client, session_id)
        self._lost.pop(sid, None)
        sessions = self._live.get(client)
        if sessions is None or session_id not in sessions:
            self._reset(sid)  # e.g. a session that trapped: the sandbox may still hold a tombstone
            return False
        del sessions[session_id]
        if not sessions:
            del self._live[client]
        return self._reset(sid)

    def release(self, client: str) -> int:
        """The client is gone (its MCP session ended): drop all its sessions; return how many."""
        sessions = list(self._live.get(client, ()))
        if sessions:
            log.debug("client %s left: dropping its %d sandbox sessions", client, len(sessions))
        for session_id in sessions:
            self._drop(client, session_id, lost=False)
        for sid in [s for s in self._lost if s.startswith(client + "/")]:
            del self._lost[sid]
        return len(sessions)


class ClientGone(Exception):
    """The HTTP client disconnected before its call finished."""


class Disconnect:
    """One HTTP request's "the client went away": set by the transport, heard by the calls it carries.

    Callbacks instead of a watcher task per call: a task group and a task per tool call cost a few
    event-loop turns on every round trip, and the disconnect is rare. Event-loop thread only."""

    def __init__(self) -> None:
        self.gone = False
        self._callbacks: list[Callable[[], Any]] = []

    def set(self) -> None:
        self.gone = True
        callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            cb()

    def on_set(self, cb: Callable[[], Any]) -> Callable[[], None]:
        """Call `cb` when the client goes (at once if it has); returns the unsubscribe function."""
        if self.gone:
            cb()
            return lambda: None
        self._callbacks.append(cb)
        return lambda: self._callbacks.remove(cb) if cb in self._callbacks else None


async def until_disconnect(request: Any, fn: Callable[[], Awaitable[T]]) -> T:
    """`await fn()`, cancelled if the HTTP client that sent `request` disconnects first."""
    gone: Disconnect | None = getattr(request, "scope", {}).get(DISCONNECTED) if request is not None else None
    if gone is None:
        return await fn()
    done: list[T] = []
    with anyio.CancelScope() as scope:
        unsubscribe = gone.on_set(scope.cancel)
        try:
            done.append(await fn())
        finally:
            unsubscribe()
    if not done:
        raise ClientGone("the client disconnected; its snippet was stopped")
    return done[0]
