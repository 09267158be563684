"""The agent loop over real HTTP and real MCP, with a SCRIPTED POLICY standing in for the model.

Everything but the policy is real: the OpenAI-compatible completions server is a loopback HTTP
server (tests/support/scripted_server.py) that tokenizes the script with the tiny model's real
tokenizer and applies `stop`/`max_tokens`/EOS like vLLM; the tool calls go through the official
MCP client to a real `deepmath-mcp` (streamable HTTP) running the WebAssembly sandbox. The script
fixes *what the model says*, so the tests can assert exactly what the loop must do with it.
"""

from __future__ import annotations


import pytest
from support.net import free_port

from agent_client import Agent, AgentConfig, AgentError, McpExecutor, OpenAIBackend, Trajectory
from agent_client.agent import OUTPUT_TEMPLATE

pytestmark = pytest.mark.anyio
EOS = "<|im_end|>"

TWO_CALLS = [
    "Let me compute the product.\n<tool_call>\nx = 6 * 7\nprint(x)\n</tool_call>",
    "Now reuse x from the same session.\n<tool_call>\nx + 1\n</tool_call>",
    "So the result is \\boxed{43}." + EOS,
]


def check_invariants(traj: Trajectory, tok, requests: list[dict]) -> None:
    """Token-in/token-out invariants that must hold for every trajectory."""
    ids = traj.prompt_ids + traj.completion_ids
    assert len(traj.mask) == len(traj.completion_ids)
    # every request's prompt is a prefix of the final sequence, and the first one is the prompt
    assert requests[0]["prompt"] == traj.prompt_ids
    for r in requests:
        assert ids[: len(r["prompt"])] == r["prompt"]
    # the model's own tokens never contain tool output; the tool tokens are exactly the output blocks
    model_text = tok.decode(traj.model_token_ids(), skip_special_tokens=False)
    assert "```output" not in model_text
    tool_ids = [t for t, m in zip(traj.completion_ids, traj.mask) if not m]
    tool_text = tok.decode(tool_ids, skip_special_tokens=False)
    expected = "".join(OUTPUT_TEMPLATE.format(text=s.text) for s in traj.segments if s.kind == "tool")
    assert tool_text == expected
    assert traj.model_tokens == sum(traj.mask) and traj.tool_tokens == len(traj.mask) - sum(traj.mask)
    if traj.logprobs is not None:
        assert all(lp == 0.0 for lp, m in zip(traj.logprobs, traj.mask) if not m)
    assert traj.completion_text == tok.decode(traj.completion_ids, skip_special_tokens=False)


async def test_two_tool_calls_share_a_session(scripted, tok, mcp_url):
    srv = scripted(TWO_CALLS)
    async with McpExecutor.http(mcp_url) as ex:
        agent = Agent(OpenAIBackend(srv.base_url), ex, tok, AgentConfig(max_tokens=400))
        traj = await agent.run("What is 6*7+1?")
    assert traj.finish_reason == "answer" and traj.answer == "43"
    assert [s.kind for s in traj.segments] == ["text", "code", "tool", "text", "code", "tool", "text"]
    tools = [s for s in traj.segments if s.kind == "tool"]
    assert [t.text for t in tools] == ["42", "43"]  # x persisted between the two snippets
    assert all(t.status == "ok" and t.latency_ms > 0 for t in tools)
    assert traj.segments[1].text == "x = 6 * 7\nprint(x)"
    assert (traj.tool_calls, traj.tool_errors) == (2, 0)
    assert len(srv.handler.requests) == 3
    assert all(r["stop"] == ["</tool_call>"] for r in srv.handler.requests)
    assert traj.timings["wall_s"] >= traj.timings["model_s"] + traj.timings["tool_s"]
    assert traj.prompt_version == "v1"
    check_invariants(traj, tok, srv.handler.requests)


async def test_tool_error_goes_back_to_the_model(scripted, tok, mcp_url):
    srv = scripted(["Try it.\n<tool_call>\n1 / 0\n</tool_call>",
                    "Division by zero; the answer is \\boxed{0}." + EOS])
    async with McpExecutor.http(mcp_url) as ex:
        traj = await Agent(OpenAIBackend(srv.base_url), ex, tok).run("1/0?")
    tool = next(s for s in traj.segments if s.kind == "tool")
    assert tool.status == "error" and "ZeroDivisionError" in tool.text
    assert (traj.tool_calls, traj.tool_errors, traj.finish_reason, traj.answer) == (1, 1, "answer", "0")
    # the error text is in the context the model continued from
    assert "ZeroDivisionError" in tok.decode(srv.handler.requests[1]["prompt"])
    check_invariants(traj, tok, srv.handler.requests)


async def test_boxed_inside_thinking_does_not_end_the_run(scripted, tok, mcp_url):
    srv = scripted(["<think>\nMaybe \\boxed{1}? Check.\n<tool_call>\nprint(1 + 1)\n</tool_call>",
                    "</think>\n\nIt is \\boxed{2}." + EOS])
    async with McpExecutor.http(mcp_url) as ex:
        traj = await Agent(OpenAIBackend(srv.base_url), ex, tok).run("1+1?")
    assert traj.tool_calls == 1 and traj.finish_reason == "answer" and traj.answer == "2"


async def test_boxed_after_thinking_ends_the_run_before_another_call(scripted, tok, mcp_url):
    srv = scripted(["<think>\nEasy.\n</think>\n\nAnswer \\boxed{5}.\n<tool_call>\nprint(5)\n</tool_call>"])
    async with McpExecutor.http(mcp_url) as ex:
        traj = await Agent(OpenAIBackend(srv.base_url), ex, tok).run("5?")
    assert (traj.finish_reason, traj.answer, traj.tool_calls) == ("answer", "5", 0)
    assert len(srv.handler.requests) == 1


async def test_eos_without_answer(scripted, tok, mcp_url):
    srv = scripted(["I cannot solve this." + EOS])
    async with McpExecutor.http(mcp_url) as ex:
        traj = await Agent(OpenAIBackend(srv.base_url), ex, tok).run("?")
    assert (traj.finish_reason, traj.answer, traj.tool_calls) == ("eos", None, 0)
    assert traj.completion_ids[-1] == tok.eos_token_id  # EOS is a model token the trainer must see
    check_invariants(traj, tok, srv.handler.requests)


async def test_total_budget_counts_only_model_tokens(scripted, tok, mcp_url):
    steps = ["Compute.\n<tool_call>\nprint('x' * 200)\n</tool_call>", "word " * 400]
    srv = scripted(steps)
    async with McpExecutor.http(mcp_url) as ex:
        traj = await Agent(OpenAIBackend(srv.base_url), ex, tok,
                           AgentConfig(max_tokens=60, max_tokens_per_step=25)).run("?")
    assert traj.finish_reason == "budget" and traj.model_tokens == 60
    assert traj.tool_tokens > 50  # the long tool output did not eat the model's budget
    assert all(r["max_tokens"] <= 25 for r in srv.handler.requests)
    check_invariants(traj, tok, srv.handler.requests)


async def test_per_step_cap_splits_generation_without_changing_it(scripted, tok, mcp_url):
    async with McpExecutor.http(mcp_url) as ex:
        whole = await Agent(OpenAIBackend(scripted(TWO_CALLS).base_url), ex, tok).run("q")
        srv = scripted(TWO_CALLS)
        split = await Agent(OpenAIBackend(srv.base_url), ex, tok,
                            AgentConfig(max_tokens_per_step=4, max_steps=100)).run("q")
    assert split.completion_ids == whole.completion_ids and split.mask == whole.mask
    assert split.answer == whole.answer == "43" and split.tool_calls == 2
    assert len(srv.handler.requests) > 10
    assert [s.kind for s in split.segments] == [s.kind for s in whole.segments]
    check_invariants(split, tok, srv.handler.requests)


async def test_max_steps(scripted, tok, mcp_url):
    srv = scripted([f"Step {i}.\n<tool_call>\nprint({i})\n</tool_call>" for i in range(5)])
    async with McpExecutor.http(mcp_url) as ex:
        traj = await Agent(OpenAIBackend(srv.base_url), ex, tok, AgentConfig(max_steps=3)).run("?")
    assert traj.finish_reason == "max_steps" and traj.tool_calls == 2 and len(srv.handler.requests) == 3


async def test_context_window_caps_the_step(scripted, tok):
    srv = scripted(["word " * 400])
    agent = Agent(OpenAIBackend(srv.base_url), None, tok, AgentConfig(mode="plain"))
    n_prompt = len(agent.prompt_ids("?"))
    agent.config = AgentConfig(mode="plain", max_context=n_prompt + 30)
    traj = await agent.run("?")
    assert traj.finish_reason == "budget" and len(traj.completion_ids) == 30


async def test_plain_mode_sends_no_stop_and_runs_no_tool(scripted, tok):
    srv = scripted(["<tool_call>\nprint(1)\n</tool_call>\nDone: \\boxed{1}" + EOS])
    traj = await Agent(OpenAIBackend(srv.base_url), None, tok, AgentConfig(mode="plain")).run("?")
    assert "stop" not in srv.handler.requests[0]
    assert traj.tool_calls == 0 and traj.finish_reason == "answer" and traj.answer == "1"
    assert all(traj.mask)
    assert "Question: ?" in tok.decode(traj.prompt_ids) and "tool_call" not in tok.decode(traj.prompt_ids)


async def test_closing_tag_without_opening_is_reported_to_the_model(scripted, tok, mcp_url):
    srv = scripted(["Oops </tool_call>", "Fine, \\boxed{3}." + EOS])
    async with McpExecutor.http(mcp_url) as ex:
        traj = await Agent(OpenAIBackend(srv.base_url), ex, tok).run("?")
    tool = next(s for s in traj.segments if s.kind == "tool")
    assert tool.status == "error" and "without a preceding <tool_call>" in tool.text
    assert traj.tool_errors == 1 and traj.answer == "3"


async def test_concurrent_trajectories_have_separate_sessions(scripted, tok, mcp_url):
    srv = scripted(["Check state.\n<tool_call>\ntry:\n    seen = x\nexcept NameError:\n    seen = None\n"
                    "x = 7\nprint(seen)\n</tool_call>",
                    "Again.\n<tool_call>\nprint(x)\n</tool_call>", "\\boxed{7}" + EOS])
    async with McpExecutor.http(mcp_url) as ex:
        agent = Agent(OpenAIBackend(srv.base_url), ex, tok)
        trajs = await agent.run_many([f"p{i}" for i in range(16)], concurrency=16)
    assert len(trajs) == 16
    for i, t in enumerate(trajs):
        assert isinstance(t, Trajectory) and t.problem == f"p{i}"
        assert [s.text for s in t.segments if s.kind == "tool"] == ["None", "7"]
        assert t.answer == "7"


async def test_endpoint_down_raises(tok, mcp_url):
    port = free_port()  # nobody listens there
    backend = OpenAIBackend(f"http://127.0.0.1:{port}/v1", model="m", max_retries=2, backoff_s=0.01)
    async with McpExecutor.http(mcp_url) as ex:
        with pytest.raises(AgentError, match="unreachable after 3 tries"):
            await Agent(backend, ex, tok).run("?")
        res = await Agent(backend, ex, tok).run_many(["a", "b"], return_exceptions=True)
    assert all(isinstance(r, AgentError) for r in res)


async def test_overloaded_endpoint_is_retried(scripted, tok):
    srv = scripted(["\\boxed{1}" + EOS])
    srv.fail_next = 2
    traj = await Agent(OpenAIBackend(srv.base_url, backoff_s=0.01), None, tok, AgentConfig(mode="plain")).run("?")
    assert traj.answer == "1" and srv.fail_next == 0


async def test_bad_request_is_an_error_not_an_answer(scripted, tok):
    srv = scripted(["only one step" + EOS])
    agent = Agent(OpenAIBackend(srv.base_url), None, tok, AgentConfig(mode="plain"))

    def broken(text: str) -> str:
        raise ValueError("the scripted model refuses")  # the server answers HTTP 400

    srv.handler.policy = broken
    with pytest.raises(AgentError, match="HTTP 400"):
        await agent.run("?")


async def test_events_report_the_run_as_it_happens(scripted, tok, mcp_url):
    srv = scripted(TWO_CALLS)
    seen: list[tuple[str, int]] = []
    async with McpExecutor.http(mcp_url) as ex:
        agent = Agent(OpenAIBackend(srv.base_url), ex, tok, AgentConfig(max_tokens_per_step=8))
        traj = await agent.run("q", on_event=lambda kind, t, payload: seen.append((kind, len(t.segments))))
    kinds = [k for k, _ in seen]
    assert kinds[-1] == "done" and kinds.count("done") == 1
    assert kinds.count("delta") == len(srv.handler.requests)  # one per generate call
    assert [n for k, n in seen if k == "segments"][:4] == [2, 3, 5, 6]  # text+code, tool, text+code, tool
    assert traj.answer == "43"


async def test_max_steps_counts_turns_not_requests(scripted, tok, mcp_url):
    srv = scripted(TWO_CALLS)  # three turns, cut into many small requests
    async with McpExecutor.http(mcp_url) as ex:
        traj = await Agent(OpenAIBackend(srv.base_url), ex, tok,
                           AgentConfig(max_steps=3, max_tokens_per_step=5)).run("q")
    assert traj.finish_reason == "answer" and traj.tool_calls == 2 and len(srv.handler.requests) > 3


async def test_stdio_transport(scripted, tok):
    import shutil

    if shutil.which("deepmath-mcp") is None:
        pytest.skip("deepmath-mcp is not installed")
    srv = scripted(TWO_CALLS)
    async with McpExecutor.stdio(["deepmath-mcp", "--log-level", "WARNING"]) as ex:
        traj = await Agent(OpenAIBackend(srv.base_url), ex, tok).run("q")
        assert "sympy" in await ex.list_allowed_modules()
    assert [s.text for s in traj.segments if s.kind == "tool"] == ["42", "43"]


@pytest.mark.parametrize("transport", ["http", "stdio"])
async def test_mcp_server_death_raises(scripted, tok, transport, tmp_path, net):
    """The sandbox server dies between two tool calls: the run fails loudly, no canned answer."""
    import os
    import shutil
    import signal
    import subprocess

    exe = shutil.which("deepmath-mcp")
    if exe is None:
        pytest.skip("deepmath-mcp is not installed")
    pid_file = tmp_path / "pid"
    proc = None
    if transport == "http":
        port = net.free_port()
        proc = subprocess.Popen([exe, "--transport", "http", "--port", str(port), "--log-level", "WARNING"],
                                stderr=subprocess.DEVNULL)
        net.wait_port(port, proc, 120)
        pid_file.write_text(str(proc.pid))
        executor = McpExecutor.http(f"http://127.0.0.1:{port}/mcp", call_timeout_s=20)
    else:
        executor = McpExecutor.stdio(["sh", "-c", f"echo $$ > {pid_file}; exec {exe} --log-level WARNING"],
                                     call_timeout_s=20)

    steps = list(TWO_CALLS)

    def policy(text: str) -> str:
        k = text[text.rfind("<|im_start|>assistant"):].count("```output")
        if k == 1:  # after the first tool call: kill the server before the model's second call
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
        return steps[k]

    srv = scripted(None, policy=policy)
    try:
        async with executor as ex:
            with pytest.raises(AgentError, match="MCP call run_python failed|MCP connection .* was lost") as info:
                await Agent(OpenAIBackend(srv.base_url), ex, tok).run("q")
            print(info.value)
            with pytest.raises(AgentError):  # and it stays failed
                await ex.run("1", "s")
    finally:
        if proc is not None:
            proc.wait(10)


async def test_characters_split_across_requests_are_decoded_whole(scripted, tok, mcp_url):
    """One token per request: multi-byte characters span requests, yet the text and code are intact."""
    srv = scripted(["Über die Summe ∑:\n<tool_call>\ns = 'π≈3'\nprint(s)\n</tool_call>", "Also ∑ = \\boxed{π}" + EOS])
    seen = []
    async with McpExecutor.http(mcp_url) as ex:
        traj = await Agent(OpenAIBackend(srv.base_url), ex, tok,
                           AgentConfig(max_tokens_per_step=1, max_tokens=400)).run(
            "q", on_event=lambda k, t, p: seen.append(p) if k == "delta" else None)
    assert traj.segments[0].text.startswith("Über die Summe ∑")
    assert traj.segments[1].text == "s = 'π≈3'\nprint(s)" and traj.segments[2].text == "π≈3"
    assert traj.answer == "π" and "\ufffd" not in "".join(s.text for s in traj.segments)
    assert any("Über" in p for p in seen)
    check_invariants(traj, tok, srv.handler.requests)
