"""Two (and more) independent MCP clients on one HTTP server cannot touch each other's sessions.

Each client is the official SDK client with its own MCP session over streamable HTTP, as two
users of one server would be. The attacks: read the other's variables by using the same
`session_id`, redefine its functions, reset it, and evict it by opening many sessions. The
server runs with a small session budget (6 in all, 3 per client) so the eviction attack is cheap.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio

SHARED_ID = "s1"  # the id both clients pick, as independent users easily would


MODULE_SERVER_FLAGS = (
    "--timeout", "5", "--memory-mb", "128", "--max-sessions", "6", "--max-sessions-per-client", "3",
    "--log-level", "WARNING",
)


async def _run(client, code: str, sid: str | None = SHARED_ID):
    args = {"code": code} if sid is None else {"code": code, "session_id": sid}
    return await client.call_tool("run_python", args)


async def test_same_session_id_in_two_clients_is_two_sessions(module_server, sdk_client):
    async with sdk_client(module_server.url) as alice, sdk_client(module_server.url) as mallory:
        assert (await _run(alice, "secret = 1234\ndef f(): return 'alice'")).is_error is False

        peek = await _run(mallory, "secret")
        assert peek.is_error and peek.structured_content["error"]["type"] == "NameError"
        await _run(mallory, "def f(): return 'mallory'\nsecret = 0")
        reset = await mallory.call_tool("reset_session", {"session_id": SHARED_ID})
        assert reset.structured_content["existed"] is True  # mallory's own session

        mine = await _run(alice, "(secret, f())")
        assert mine.structured_content["value"] == "(1234, 'alice')"
        assert mine.structured_content["session_reset"] is False


async def test_one_client_cannot_evict_another_by_opening_many_sessions(module_server, sdk_client):
    async with (sdk_client(module_server.url) as alice, sdk_client(module_server.url) as mallory,
                sdk_client(module_server.url) as eve):
        await _run(alice, "kept = 'still here'")
        for i in range(12):  # far over the per-client share and the server total
            r = await _run(mallory, f"n = {i}", sid=f"m{i}")
            assert r.is_error is False, r.content[0].text
        # mallory keeps only its 3 most recent sessions; the oldest ones were its own to lose
        old = await _run(mallory, "n", sid="m0")
        assert old.structured_content["session_reset"] is True
        assert old.structured_content["error"]["type"] == "NameError"

        # A second attacker fills the rest of the server: then its new sessions replace its own.
        for i in range(4):
            assert (await _run(eve, f"e = {i}", sid=f"e{i}")).is_error is False
        assert (await _run(eve, "e", sid="e0")).structured_content["session_reset"] is True
        # A client holding nothing is refused a new session rather than given someone else's slot.
        async with sdk_client(module_server.url) as latecomer:
            refused = await _run(latecomer, "1", sid="l0")
            assert refused.is_error and "maximum of 6 sandbox sessions" in refused.content[0].text
            assert (await _run(latecomer, "2 + 2", sid=None)).structured_content["value"] == "4"

        r = await _run(alice, "kept")
        assert r.structured_content["value"] == "'still here'"
        assert r.structured_content["session_reset"] is False

    # The three clients closed their MCP sessions: their sandbox sessions went with them.
    async with sdk_client(module_server.url) as newcomer:
        for i in range(3):
            assert (await _run(newcomer, f"v = {i}", sid=f"x{i}")).is_error is False
