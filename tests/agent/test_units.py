"""Small pure parts: answer extraction, the trajectory model, response parsing, the prompt split,
the backend's HTTP handling against a raw loopback socket server, and the scripted server's stop()."""

from __future__ import annotations

import asyncio
import json
import logging
import socket

import pytest

from agent_client import AgentError, Segment, Trajectory, extract_answer, load_prompt
from agent_client.answer import boxed_outside_thinking, thinking_open
from agent_client.openai_backend import OpenAIBackend, parse_completion
from agent_client.prompt import PromptTokens


@pytest.mark.parametrize("text, expected", [
    ("so \\boxed{42}.", "42"),
    ("\\boxed{\\frac{1}{2}} is wrong. Checking again gives \\boxed{3}", "3"),
    # boxes stated together are one answer (math-verify's rule: < 10 chars apart, or < 70 with and/or/,/;)
    ("\\boxed{\\frac{1}{2}} and later \\boxed{3}", "\\frac{1}{2}, 3"),
    ("\\boxed{(2, 2)} \\text{ and } \\boxed{(6, 2)}", "(2, 2), (6, 2)"),
    ("\\boxed{1},\\boxed{2},\\boxed{3}", "1, 2, 3"),
    ("So \\boxed{4}. Final answer: \\boxed{4}", "4"),  # the same answer twice is one answer
    ("<think>try \\boxed{1}</think> final \\boxed{2}", "2"),
    ("<think>only \\boxed{1} while thinking</think> no box after", "1"),  # fallback: last anywhere
    ("\\boxed {x^{2}+1}", "x^{2}+1"),
    ("\\fbox{7}", "7"),
    ("\\boxed{unbalanced", None),
    ("no answer", None),
])
def test_extract_answer(text, expected):
    assert extract_answer(text) == expected


def test_thinking_state_and_stop_rule():
    assert thinking_open("<think>\nabc") and not thinking_open("<think>a</think>b")
    assert thinking_open("", initially_open=True) and not thinking_open("")
    assert boxed_outside_thinking("\\boxed{1}", initially_open=True) is None  # prompt opened <think>
    assert boxed_outside_thinking("x</think>\\boxed{1}", initially_open=True) == "1"
    assert boxed_outside_thinking("<think>\\boxed{1}</think>") is None


def test_trajectory_rejects_misaligned_mask_and_logprobs():
    with pytest.raises(ValueError, match="mask"):
        Trajectory(problem="p", prompt_ids=[1], completion_ids=[1, 2], mask=[1])
    with pytest.raises(ValueError, match="logprobs"):
        Trajectory(problem="p", prompt_ids=[1], completion_ids=[1, 2], mask=[1, 0], logprobs=[0.0])
    t = Trajectory(problem="p", prompt_ids=[5], completion_ids=[1, 2, 3], mask=[1, 0, 1], logprobs=[-1, 0, -2])
    assert t.ids == [5, 1, 2, 3] and t.model_token_ids() == [1, 3]
    assert Trajectory.model_validate_json(t.model_dump_json()) == t


def test_trajectory_counts_are_derived_from_mask_and_segments_and_serialised():
    segs = [Segment(kind="code", text="1/0"), Segment(kind="tool", text="ZeroDivisionError", status="error"),
            Segment(kind="code", text="1"), Segment(kind="tool", text="1", status="ok")]
    t = Trajectory(problem="p", prompt_ids=[5], completion_ids=[1, 2, 3, 4, 5], mask=[1, 1, 0, 1, 0], segments=segs)
    counts = ("model_tokens", "tool_tokens", "tool_calls", "tool_errors", "ran_code")
    assert tuple(getattr(t, k) for k in counts) == (3, 2, 2, 1, True)
    t.segments.pop()  # they follow the record: no second copy to keep in step
    assert (t.tool_calls, t.tool_errors, t.ran_code) == (1, 1, False)
    dumped = json.loads(t.model_dump_json())
    assert {k: dumped[k] for k in counts} == {"model_tokens": 3, "tool_tokens": 2, "tool_calls": 1,
                                                "tool_errors": 1, "ran_code": False}
    assert Trajectory.model_validate(dumped) == t  # the written-out counts are ignored when read back


def test_parse_completion_maps_vllm_finish_reasons():
    def resp(**choice):
        return {"choices": [{"text": "x", "token_ids": [1, 2], "logprobs": {"token_logprobs": [-0.5, -1.0]},
                             **choice}]}

    g = parse_completion(resp(finish_reason="stop", stop_reason="</tool_call>"), ["</tool_call>"])
    assert (g.finish_reason, g.stop_reason, g.logprobs) == ("stop", "</tool_call>", [-0.5, -1.0])
    assert parse_completion(resp(finish_reason="stop", stop_reason=None), []).finish_reason == "eos"
    assert parse_completion(resp(finish_reason="stop", stop_reason=151645), []).finish_reason == "eos"  # stop id
    assert parse_completion(resp(finish_reason="length", stop_reason=None), []).finish_reason == "length"
    with pytest.raises(AgentError, match="token_ids"):
        parse_completion({"choices": [{"text": "x", "finish_reason": "stop"}]}, [])
    with pytest.raises(AgentError, match="finish_reason"):
        parse_completion(resp(finish_reason="abort"), [])


def test_prompt_file_and_split_tokenization(tok):
    p = load_prompt("v1")
    assert p.version == "v1" and len(p.examples) >= 3
    system = p.system("agent")
    assert system.count("---") == len(p.examples) and "<tool_call>" in system and "```output" in system
    assert "<tool_call>" not in p.system("plain")
    with pytest.raises(FileNotFoundError, match="known versions"):
        load_prompt("v999")
    for mode in ("agent", "plain"):
        pt = PromptTokens(tok, p, mode)
        assert pt.split.head_ids, "the template's text before the problem is tokenized once"
        for problem in ("What is 2+2?", " leading space", "ünïcödé ∑", ""):
            text, ids = pt.ids(problem)
            assert ids == tok.encode(text, add_special_tokens=False)  # no control token in it: ids as before
            assert text.endswith("<|im_start|>assistant\n") and f"Question: {problem}" in text


async def _serve(responses: list[bytes], close_after_first: bool = False):
    """A raw loopback socket server answering each request with the next canned HTTP bytes."""
    seen: list[bytes] = []

    async def handle(reader, writer):
        while responses:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            n = int(next((ln.split(b":")[1] for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length")),
                         b"0"))
            seen.append(head + await reader.readexactly(n))
            writer.write(responses.pop(0))
            await writer.drain()
            if close_after_first:
                break
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], seen


@pytest.mark.anyio
async def test_backend_reconnects_after_the_server_closed_a_keepalive_connection():
    """Chunked framing, the API key header, and a pooled connection the server closed while idle."""
    models = b'{"data":[{"id":"m1","max_model_len":77}]}'
    chunked = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"%x\r\n%s\r\n0\r\n\r\n" % (len(models), models))
    server, port, seen = await _serve([chunked, chunked], close_after_first=True)
    backend = OpenAIBackend(f"http://127.0.0.1:{port}/v1", api_key="k", max_retries=1, backoff_s=0.01)
    assert await backend.resolve_model() == "m1"
    assert seen[0].startswith(b"GET /v1/models HTTP/1.1\r\n") and b"Authorization: Bearer k" in seen[0]
    assert await backend.context_window() == 77  # a second connection: the first one was closed
    assert len(seen) == 2
    await backend.aclose()
    server.close()
    with pytest.raises(AgentError, match="unreachable after 2 tries"):
        await backend.context_window()  # nothing listens any more
    await backend.aclose()


def test_scripted_server_stops_quietly_with_an_open_keepalive_connection(tok, caplog):
    from support.scripted_server import ScriptedCompletions, ScriptedOpenAIServer, step_policy

    srv = ScriptedOpenAIServer(ScriptedCompletions(tok, step_policy(["x"]))).start()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as conn:
        conn.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        with caplog.at_level(logging.DEBUG, logger="asyncio"):
            srv.stop()  # the connection is still open and its handler waits for the next request
        assert conn.recv(4096) == b""  # the server ended it
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.WARNING] == []
    assert srv._thread is not None and not srv._thread.is_alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=5).close()
