"""The session table alone (no server): ids are per client, quotas hold, and whatever the table
drops is reported as `lost` on the next use. The sandbox is stood in for by a dict (the table
only ever calls its `reset`); the server-level tests in test_isolation.py use the real one."""

from __future__ import annotations

import pytest

from mcp_server.clients import SessionsFull, SessionTable


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _table(**kw):
    live: set[str] = set()

    def reset(sid: str) -> bool:
        existed = sid in live
        live.discard(sid)
        return existed

    clock = Clock()
    table = SessionTable(reset, clock=clock, **{"max_sessions": 4, "per_client": 2, "idle_s": 10.0, **kw})

    def use(client, sid):
        internal, lost = table.use(client, sid)
        live.add(internal)
        return internal, lost

    return table, use, live, clock


def test_same_id_two_clients_two_sessions_and_own_lru_eviction():
    table, use, live, _ = _table()
    a, _ = use("A", "s")
    b, _ = use("B", "s")
    assert a != b
    use("B", "t")
    use("B", "u")  # over B's share: B loses its own oldest ("s"), A keeps "s"
    assert a in live and b not in live
    assert use("B", "s") == (b, True)  # ... and is told so
    assert use("A", "s") == (a, False)


def test_full_server_recycles_the_callers_own_sessions_or_refuses():
    table, use, live, _ = _table(per_client=3)
    a1, _ = use("A", "1")
    use("A", "2"), use("B", "1"), use("B", "2")
    with pytest.raises(SessionsFull):  # C holds nothing it could give up; A's and B's stay
        use("C", "1")
    assert len(live) == 4
    use("A", "3")  # A is under its share, but the server is full: A loses its own oldest
    assert a1 not in live and len(live) == 4
    assert table.release("A") == 2  # A's MCP session ended
    use("C", "1")


def test_idle_sessions_expire_and_say_so():
    table, use, live, clock = _table()
    sid, _ = use("A", "x")
    clock.now = 11.0
    use("B", "y")  # any admission sweeps expired sessions
    assert sid not in live
    assert use("A", "x") == (sid, True)
    assert table.reset("A", "x") is True
    assert use("A", "x") == (sid, False)  # a reset the client asked for is not a loss
