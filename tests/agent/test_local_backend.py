"""The in-process transformers backend with a real (tiny) Qwen3: stop strings, seeds, LoRA, and the
whole loop against the real deepmath-mcp with a tiny model trained to follow the tool protocol."""

from __future__ import annotations

import pytest
import torch

from agent_client import Agent, AgentConfig, LocalBackend, McpExecutor


@pytest.fixture(scope="module")
def tiny_backend(tiny_model_dir):
    return LocalBackend.from_pretrained(tiny_model_dir)


def _prompt(tok) -> list[int]:
    return tok.encode("<|im_start|>user\nWhat is 2 + 2?<|im_end|>\n<|im_start|>assistant\n", add_special_tokens=False)


@pytest.mark.anyio
async def test_greedy_is_deterministic_and_logprobs_align(tiny_backend):
    tok = tiny_backend.tokenizer
    a = await tiny_backend.generate(_prompt(tok), max_tokens=12, temperature=0.0, top_p=1.0, stop=[])
    b = await tiny_backend.generate(_prompt(tok), max_tokens=12, temperature=0.0, top_p=1.0, stop=[])
    assert a.token_ids == b.token_ids and len(a.token_ids) == 12 and a.finish_reason == "length"
    assert a.logprobs is not None and len(a.logprobs) == 12 and all(lp <= 0 for lp in a.logprobs)
    # the reported logprob is log_softmax of the raw logits at the sampled token
    with torch.no_grad():
        ids = torch.tensor([_prompt(tok) + a.token_ids])
        logits = tiny_backend.model(ids).logits[0, len(_prompt(tok)) - 1:-1]
        ref = torch.log_softmax(logits, -1).gather(-1, torch.tensor(a.token_ids)[:, None])[:, 0]
    assert torch.allclose(ref, torch.tensor(a.logprobs), atol=1e-4)


@pytest.mark.anyio
async def test_seeded_sampling_is_reproducible(tiny_backend):
    tok = tiny_backend.tokenizer
    kw = dict(max_tokens=16, temperature=1.0, top_p=0.95, stop=[])
    a = await tiny_backend.generate(_prompt(tok), seed=11, **kw)
    b = await tiny_backend.generate(_prompt(tok), seed=11, **kw)
    c = await tiny_backend.generate(_prompt(tok), seed=12, **kw)
    assert a.token_ids == b.token_ids and a.token_ids != c.token_ids


@pytest.mark.anyio
async def test_stop_string_ends_generation_where_it_completes(tiny_backend):
    tok = tiny_backend.tokenizer
    kw = dict(max_tokens=40, temperature=1.0, top_p=1.0, seed=5)
    free = await tiny_backend.generate(_prompt(tok), stop=[], **kw)
    stop = free.text[12:16]  # four characters the seeded continuation is known to contain
    assert len(stop) == 4 and "\n" not in free.text[:16]  # (the prompt ends in a newline: must not count)
    cut = await tiny_backend.generate(_prompt(tok), stop=[stop, "\n"], **kw)
    assert cut.finish_reason == "stop" and cut.stop_reason == stop
    assert len(cut.token_ids) < len(free.token_ids)
    assert cut.token_ids == free.token_ids[: len(cut.token_ids)]  # same sampled path, stopped early
    assert stop in cut.text and stop not in tok.decode(cut.token_ids[:-1])  # the last token completed it


@pytest.mark.anyio
async def test_lora_adapter_changes_the_model(tiny_model_dir, tiny_backend, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear",
                                                 init_lora_weights=False))
    peft_model.save_pretrained(tmp_path / "lora")
    adapted = LocalBackend.from_pretrained(tiny_model_dir, lora=tmp_path / "lora")
    tok = tiny_backend.tokenizer
    kw = dict(max_tokens=6, temperature=0.0, top_p=1.0, stop=[])
    a = await tiny_backend.generate(_prompt(tok), **kw)
    b = await adapted.generate(_prompt(tok), **kw)
    assert a.logprobs != b.logprobs


@pytest.mark.anyio
async def test_wrapping_a_training_model_restores_train_mode(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir).train()
    backend = LocalBackend(model, AutoTokenizer.from_pretrained(tiny_model_dir))
    g = await backend.generate(_prompt(backend.tokenizer), max_tokens=3, temperature=1.0, top_p=1.0, stop=[], seed=0)
    assert len(g.token_ids) == 3 and model.training


@pytest.mark.anyio
async def test_local_engine_runs_the_protocol_with_real_mcp(protocol_model_dir, mcp_url, proto):
    """A tiny model trained on one trajectory reproduces it through the loop: real generation with a
    real stop string, the snippet run by the real sandbox, its output appended as mask-0 tokens."""
    backend = LocalBackend.from_pretrained(protocol_model_dir)
    tok = backend.tokenizer
    prompt, completion, mask = proto.sequence(tok)
    async with McpExecutor.http(mcp_url) as ex:
        traj = await Agent(backend, ex, tok, AgentConfig(temperature=0.0, max_tokens=200)).run(proto.problem)
    assert traj.prompt_ids == prompt
    assert traj.completion_ids == completion and traj.mask == mask
    assert (traj.finish_reason, traj.answer, traj.tool_calls, traj.tool_errors) == ("answer", "43", 1, 0)
    assert [s.kind for s in traj.segments] == ["text", "code", "tool", "text"]
    assert traj.segments[2].text == "43" and traj.segments[2].status == "ok"
    assert traj.logprobs is not None and len(traj.logprobs) == len(completion)


@pytest.mark.anyio
async def test_prefix_kv_cache_changes_nothing_but_speed(tiny_model_dir):
    cached = LocalBackend.from_pretrained(tiny_model_dir, kv_cache_slots=2)
    plain = LocalBackend.from_pretrained(tiny_model_dir, kv_cache_slots=0)
    tok = cached.tokenizer
    kw = dict(temperature=1.0, top_p=0.9, stop=[])
    p = _prompt(tok) * 4  # long enough to be worth caching
    a1 = await cached.generate(p, max_tokens=10, seed=1, **kw)
    tool = tok.encode("\n```output\n42\n```\n", add_special_tokens=False)  # appended like a tool result
    a2 = await cached.generate(p + a1.token_ids + tool, max_tokens=10, seed=2, **kw)
    assert cached.kv_hits >= len(p) + len(a1.token_ids) - 1  # the second call reused the first's prefix
    b1 = await plain.generate(p, max_tokens=10, seed=1, **kw)
    b2 = await plain.generate(p + b1.token_ids + tool, max_tokens=10, seed=2, **kw)
    assert (a1.token_ids, a2.token_ids) == (b1.token_ids, b2.token_ids)
    assert torch.allclose(torch.tensor(a2.logprobs), torch.tensor(b2.logprobs), atol=1e-4)
    cached.clear_cache()
    hits = cached.kv_hits
    await cached.generate(p, max_tokens=2, seed=1, **kw)
    assert cached.kv_hits == hits
