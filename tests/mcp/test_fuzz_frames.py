"""Random JSON-RPC frames against the real server, over stdio and HTTP (Hypothesis; budget: `support.fuzz`).

The frames are written as raw bytes (to the server's stdin / as an httpx request body), so malformed
ones really reach it: random methods (the real ones with random params, and made-up ones), ids of
every JSON type, notifications, responses nobody asked for, batches, random JSON values, invalid
JSON, invalid UTF-8, UTF-16, huge frames, and over HTTP wrong methods, content types, Accept values,
session ids and protocol versions. After every example: the server is alive, everything it sent is
a well-formed JSON-RPC message whose id is one we sent (or null), every HTTP answer is a proper
status (never a 5xx), and a well-behaved client (over HTTP a second client with its own MCP
session; over stdio the next request on the same pipe) is served a correct result.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import uuid
from collections import Counter

import httpx
import pytest
from hypothesis import event, given, strategies as st
from mcp_types import JSONRPCRequest, jsonrpc_message_adapter
from support.fuzz import fuzz_settings, mostly

FLAGS = ["--timeout", "2", "--memory-mb", "256", "--max-concurrency", "4", "--log-level", "WARNING"]
MODULE_SERVER_FLAGS = FLAGS
PROTOCOL = "2025-06-18"
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
REPLY_TIMEOUT_S = 30

# -- frames ------------------------------------------------------------------------------------------

ANY_CHAR = st.characters(codec=None, exclude_categories=())  # lone surrogates included
TEXT = st.text(ANY_CHAR, max_size=16)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
IDS = mostly(st.integers(-(2**64), 2**64) | st.text(max_size=12), st.text(ANY_CHAR, max_size=12) | JSON, 4)
METHODS = mostly(st.sampled_from([
    "initialize", "ping", "tools/list", "tools/call", "resources/list", "resources/read",
    "resources/templates/list", "resources/subscribe", "prompts/list", "prompts/get", "logging/setLevel",
    "completion/complete", "server/discover", "notifications/initialized", "notifications/cancelled",
    "notifications/progress", "notifications/roots/list_changed",
]), TEXT)
SNIPPETS = st.sampled_from(["1 + 1", "print('x' * 5000)", "while True: pass", "import os", "1/0", "'\\ud800'"])
TOOL_ARGS = st.fixed_dictionaries({}, optional={
    "code": SNIPPETS | TEXT | JSON,
    "session_id": st.sampled_from(["s", "fuzz-1", "../x", ""]) | TEXT | JSON,
    "timeout_s": st.floats(min_value=-1, max_value=3) | st.floats() | JSON,
})
TOOL_PARAMS = st.fixed_dictionaries(
    {"name": st.sampled_from(["run_python", "reset_session", "list_allowed_modules"]) | TEXT},
    optional={"arguments": TOOL_ARGS | JSON, "_meta": JSON})


def _one_in(draw, n: int) -> bool:
    return draw(st.sampled_from(range(n))) == 0  # uniform (st.integers favours its bounds)


@st.composite
def messages(draw) -> dict:
    """One JSON-RPC-shaped object: a request, notification or unsolicited response, often slightly off."""
    if _one_in(draw, 8):  # a response nobody asked for
        msg = {"jsonrpc": "2.0", "id": draw(IDS)}
        msg |= {"result": draw(JSON)} if draw(st.booleans()) else {"error": draw(JSON)}
        return msg
    method = draw(METHODS)
    msg = {"jsonrpc": draw(mostly(st.just("2.0"), JSON, 8)), "method": method}
    if not _one_in(draw, 4):
        msg["id"] = draw(IDS)
    if not _one_in(draw, 4):
        msg["params"] = draw(TOOL_PARAMS if method == "tools/call" else st.dictionaries(TEXT, JSON, max_size=4) | JSON)
    if _one_in(draw, 8):
        msg[draw(TEXT)] = draw(JSON)
    return msg


def _dump(value, ensure_ascii: bool) -> bytes:
    # surrogatepass: a lone surrogate written raw is invalid UTF-8 on the wire
    return json.dumps(value, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")


@st.composite
def frames(draw) -> tuple[str, bytes, list[dict]]:
    """(kind, body bytes, the messages in it). Bodies never end in a newline (the stdio side adds one)."""
    kind = draw(st.sampled_from(["message", "message", "message", "batch", "json", "bytes", "bad-utf8",
                                 "encoding", "huge"]))
    msgs: list = []
    if kind in ("message", "bad-utf8", "encoding", "huge"):
        msgs = [draw(messages())]
    elif kind == "batch":
        msgs = draw(st.lists(messages(), max_size=4))
    if kind == "huge":  # a frame beyond the code limit, or beyond the HTTP body limit
        pad = "x" * draw(st.sampled_from([300_000, 2_000_000, 6_000_000]))
        msgs = [{"jsonrpc": "2.0", "id": "huge", "method": "tools/call",
                 "params": {"name": "run_python", "arguments": {"code": f"len({pad!r})"}}}]
    if kind == "json":
        body = _dump(draw(JSON), draw(st.booleans()))
    elif kind == "bytes":
        body = draw(st.binary(max_size=64))
    elif kind == "batch":
        body = _dump(msgs, draw(st.booleans()))
    elif kind == "encoding":
        body = json.dumps(msgs[0]).encode(draw(st.sampled_from(["utf-16", "utf-32", "utf-8-sig"])))
    else:
        body = _dump(msgs[0], draw(st.booleans()))
    if kind == "bad-utf8":
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.sampled_from([b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"])) + body[at:]
    return kind, body.rstrip(b"\n"), msgs


# -- checks ------------------------------------------------------------------------------------------

def _key(request_id) -> str:
    return json.dumps(request_id)  # 1, "1" and true are different ids


def ids_in(body: bytes, msgs: list[dict]) -> set[str]:
    """The ids of `msgs`, and those the server may read in `body` (invalid UTF-8 decoded as U+FFFD)."""
    ids = {_key(m["id"]) for m in msgs if "id" in m}
    try:
        seen = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return ids
    for m in seen if isinstance(seen, list) else [seen]:
        if isinstance(m, dict) and "id" in m:
            ids.add(_key(m["id"]))
    return ids


def check_message(msg, sent: set[str]) -> None:
    """`msg` is a well-formed JSON-RPC 2.0 message from the server, answering an id we sent (or null)."""
    assert isinstance(msg, dict) and msg.get("jsonrpc") == "2.0", msg
    if "method" in msg:  # a notification or request of the server's own
        assert isinstance(msg["method"], str), msg
        return
    assert ("result" in msg) != ("error" in msg), msg
    assert msg.get("id") is None or _key(msg["id"]) in sent, (msg.get("id"), msg)
    if "error" in msg:
        err = msg["error"]
        assert isinstance(err.get("code"), int) and isinstance(err.get("message"), str), err


def _tool_call(request_id, code: str) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
            "params": {"name": "run_python", "arguments": {"code": code, "session_id": "good"}}}


def check_probe_reply(msg: dict) -> None:
    result = msg["result"]
    assert result["isError"] is False and result["structuredContent"]["value"] == "45", result


PROBE = "sum(range(10))"


# -- stdio -------------------------------------------------------------------------------------------

def must_answer(msg) -> bool:
    """Whether `msg` is a valid request (by the SDK's own model) in encodable text: it must get a reply."""
    try:
        json.dumps(msg, ensure_ascii=False).encode("utf-8")
        return isinstance(jsonrpc_message_adapter.validate_python(msg, by_name=False), JSONRPCRequest)
    except (UnicodeEncodeError, ValueError):
        return False


class StdioWire:
    """The server over raw pipes; a thread turns its stdout into lines (bytes) on a queue."""

    def __init__(self, stderr) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "mcp_server", *FLAGS], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=stderr)
        self.lines: queue.Queue[bytes] = queue.Queue()
        self.sent: set[str] = set()  # every id we sent
        self.answered: Counter[str] = Counter()  # replies read, per id
        self.probes = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(b"")

    def write(self, data: bytes) -> None:
        self.proc.stdin.write(data + b"\n")
        self.proc.stdin.flush()

    def owe(self, keys: set[str]) -> dict[str, int]:
        """How many replies each id in `keys` must have had once it is answered once more."""
        return {k: self.answered[k] + 1 for k in keys}

    def read_until(self, owed: dict[str, int]) -> None:
        """Read (and check) frames until each id in `owed` has had its number of replies."""
        while any(self.answered[k] < n for k, n in owed.items()):
            line = self.lines.get(timeout=REPLY_TIMEOUT_S)
            assert line, f"the server closed stdout (exit status {self.proc.poll()})"
            reply = json.loads(line.decode("utf-8"))  # strict UTF-8 and JSON
            check_message(reply, self.sent)
            if "id" in reply and "method" not in reply:
                self.answered[_key(reply["id"])] += 1
                self.last = reply

    def request(self, msg: dict) -> dict:
        """Send `msg` and return its reply."""
        key = _key(msg["id"])
        self.sent.add(key)
        self.write(json.dumps(msg).encode())
        self.read_until(self.owe({key}))
        assert _key(self.last["id"]) == key, (key, self.last)
        return self.last

    def probe(self) -> None:
        self.probes += 1
        check_probe_reply(self.request(_tool_call(f"probe-{self.probes}", PROBE)))


@pytest.fixture(scope="module")
def stdio_wire(sandbox_prepared, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("fuzz-stdio") / "stderr.log"
    with open(log_path, "wb") as log:
        wire = StdioWire(stderr=log)
    try:
        wire.request({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
            "protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "0"}}})
        wire.write(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}')
        yield wire
        wire.probe()
    finally:
        wire.proc.stdin.close()
        try:
            wire.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            wire.proc.kill()
            pytest.fail("the stdio server did not exit after stdin closed")
    log = log_path.read_text(errors="replace")
    assert wire.proc.returncode == 0, log[-3000:]
    assert "Traceback" not in log, log[-3000:]  # no exception escaped a handler into the log


@fuzz_settings(ci_examples=300)
@given(frame=frames())
def test_random_frames_over_stdio(stdio_wire, frame):
    kind, body, msgs = frame
    event(kind)
    stdio_wire.sent.update(ids_in(body, msgs))
    owed = stdio_wire.owe({_key(m["id"]) for m in msgs if kind == "message" and must_answer(m)})
    if owed:
        event("a valid request")
    stdio_wire.write(body.replace(b"\n", b" "))  # one frame per line, as the transport frames them
    stdio_wire.probe()
    stdio_wire.read_until(owed)  # a valid request is answered (a tools/call may outlast the probe)
    assert stdio_wire.proc.poll() is None


# -- HTTP --------------------------------------------------------------------------------------------

def replies_of(resp: httpx.Response) -> list:
    """The JSON-RPC messages in a 200 response: a JSON body, or the data of each SSE event."""
    ctype = resp.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        return [json.loads(resp.content.decode("utf-8"))]
    assert ctype.startswith("text/event-stream"), (resp.status_code, ctype, resp.content[:200])
    out = []
    for block in resp.content.decode("utf-8").replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].lstrip(" ") for line in block.split("\n") if line.startswith("data:")]
        if data and any(data):
            out.append(json.loads("\n".join(data)))
    return out


class RawSession:
    """An MCP session over raw httpx requests (initialize, initialized, then calls)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(timeout=REPLY_TIMEOUT_S)
        r = self.http.post(url, headers=MCP_HEADERS, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "0"}}})
        assert r.status_code == 200, r.text[:300]
        self.id = r.headers["mcp-session-id"]
        self.headers = MCP_HEADERS | {"mcp-session-id": self.id, "mcp-protocol-version": PROTOCOL}
        r = self.http.post(url, headers=self.headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert r.status_code == 202, r.text[:300]
        self.calls = 0

    def probe(self) -> None:
        self.calls += 1
        msg = _tool_call(f"probe-{self.calls}", PROBE)
        r = self.http.post(self.url, headers=self.headers, json=msg)
        assert r.status_code == 200, (r.status_code, r.text[:300])
        replies = [m for m in replies_of(r) if m.get("id") == msg["id"]]
        assert len(replies) == 1, replies
        check_probe_reply(replies[0])


@pytest.fixture(scope="module")
def http_sessions(module_server):
    """(the fuzzing client's session, a second, well-behaved client's session) on this module's server."""
    fuzzer, good = RawSession(module_server.url), RawSession(module_server.url)
    yield fuzzer, good
    for s in (fuzzer, good):
        s.http.close()
    log = module_server.log()
    assert "Traceback" not in log, log  # no exception escaped a handler into the log


# header values as an HTTP client can send them (h11 refuses leading or trailing blanks)
ASCII = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(str.strip)
HTTP_REQUESTS = st.fixed_dictionaries({
    "verb": mostly(st.just("POST"), st.sampled_from(["PUT", "PATCH", "DELETE", "GET", "OPTIONS"]), 8),
    "accept": mostly(st.just(MCP_HEADERS["Accept"]), st.sampled_from(
        ["application/json", "text/event-stream", "*/*", "", "text/html", "application/json;q=0, text/event-stream;q=0"])
        | ASCII),
    "content_type": mostly(st.just("application/json"), st.sampled_from(
        ["application/json; charset=utf-8", "application/json; charset=utf-16", "text/plain", "",
         "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json, text/plain"])
        | ASCII),
    "session": mostly(st.just("own"), st.sampled_from(["none", "unknown"]) | ASCII, 4),
    "version": mostly(st.just(PROTOCOL), st.sampled_from(["none", "2024-11-05", "2025-11-25", "2026-07-28"]) | ASCII),
})


@fuzz_settings(ci_examples=300)
@given(frame=frames(), req=HTTP_REQUESTS)
def test_random_requests_over_http(module_server, http_sessions, frame, req):
    fuzzer, good = http_sessions
    kind, body, msgs = frame
    headers = {"Accept": req["accept"], "Content-Type": req["content_type"]}
    session = {"own": fuzzer.id, "none": None, "unknown": uuid.uuid4().hex}.get(req["session"], req["session"])
    if req["verb"] in ("GET", "DELETE") and session == fuzzer.id:  # GET would hold a stream open, DELETE end it
        session = uuid.uuid4().hex
    if session is not None:
        headers["mcp-session-id"] = session
    if req["version"] != "none":
        headers["mcp-protocol-version"] = req["version"]
    event(f"{req['verb']} {kind}")
    r = fuzzer.http.request(req["verb"], module_server.url, content=body, headers=headers)
    event(f"HTTP {r.status_code}")
    assert r.status_code < 500, (r.status_code, r.text[:300])
    sent = ids_in(body, msgs)
    valid_request = kind == "message" and must_answer(msgs[0])
    proper = req == {"verb": "POST", "accept": MCP_HEADERS["Accept"], "content_type": "application/json",
                     "session": "own", "version": PROTOCOL}
    if valid_request and proper:  # a valid request, sent as a client should, in a live session: answered
        event("a valid request, properly sent")
        assert r.status_code == 200, (r.status_code, r.text[:300])
    if r.status_code == 200:
        replies = replies_of(r)
        for msg in replies:
            check_message(msg, sent)
        if valid_request:
            assert any(m.get("id") == msgs[0]["id"] and "method" not in m for m in replies), replies
    elif r.status_code == 202:
        assert r.content == b"", r.content[:300]
    elif r.headers.get("content-type", "").startswith("application/json"):
        check_message(r.json(), sent)
    assert module_server.alive(), module_server.log()
    good.probe()

