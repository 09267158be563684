"""The in-process transformers backend with a real (tiny) Qwen3: stop strings, seeds, LoRA, and the
whole loop against the real deepmath-mcp with a tiny model trained to follow the tool protocol."""

from __future__ import annotations

import pytest
import torch

from agent_client import Agent, AgentConfig, LocalBackend, McpExecutor
from support.concurrently import concurrently


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


# -- batching: concurrent calls share one generate, each row exactly as if it ran alone ------------------
def _rows(tok, proto):
    """Prompts of different widths. The first three rows are forced by what the protocol model memorised
    and by their budgets, so their finish reasons hold on any CPU: EOS right after the boxed answer,
    `</tool_call>` after the snippet, the budget before the EOS. The last two ask an unknown question, so
    what the model babbles there depends on the CPU (see support.greedy); they are free rows."""
    prompt, completion, _ = proto.sequence(tok)
    greedy = dict(temperature=0.0, top_p=1.0, stop=["</tool_call>"])
    return [
        (prompt + completion[:-4], dict(max_tokens=30, **greedy)),               # -> eos
        (prompt, dict(max_tokens=200, **greedy)),                                # -> stop
        (prompt + completion[:-4], dict(max_tokens=2, **greedy)),                # -> length before the eos
        (_prompt(tok), dict(max_tokens=7, **greedy)),                            # free
        (_prompt(tok) * 3, dict(max_tokens=9, temperature=0.0, top_p=1.0, stop=[])),  # free, no stop string
    ]


FORCED = ["eos", "stop", "length"]


def assert_same_row(a, b, n: int) -> None:
    """Batched row `b` equals serial row `a` on its first `n` decided tokens; entirely if all are decided."""
    assert b.token_ids[:n] == a.token_ids[:n], f"batching changed a decided token (first {n} are decided)"
    assert torch.allclose(torch.tensor(b.logprobs[:n]), torch.tensor(a.logprobs[:n]), atol=1e-4)
    if n == len(a.token_ids):  # no near-tie: exactly the sampled tokens, no pads, nothing after the row's end
        assert b.token_ids == a.token_ids
        assert (b.finish_reason, b.stop_reason, b.text) == (a.finish_reason, a.stop_reason, a.text)


@pytest.mark.anyio
async def test_batched_greedy_equals_serial_row_by_row(protocol_model_dir, proto):
    """Batching changes no decided greedy token. Compared exactly up to the first near-tie of the serial
    run (support.greedy: there the CPU's rounding picks the token); the forced rows have none."""
    from support.greedy import decided

    serial = LocalBackend.from_pretrained(protocol_model_dir, kv_cache_slots=0, max_batch=1)
    batched = LocalBackend.from_pretrained(protocol_model_dir, kv_cache_slots=0, max_batch=8)
    rows = _rows(serial.tokenizer, proto)
    alone = [await serial.generate(p, **kw) for p, kw in rows]
    together = await concurrently(batched, rows)
    assert batched.batch_sizes == {len(rows): 1}  # one generate call served all five
    assert [g.finish_reason for g in alone[:3]] == FORCED
    assert alone[1].stop_reason == "</tool_call>" and alone[1].text.endswith("</tool_call>")
    sure = [decided(serial.model, p, g.token_ids) for (p, _), g in zip(rows, alone, strict=True)]
    assert sure[:3] == [len(g.token_ids) for g in alone[:3]], "a forced row has a near-tie"
    for a, b, n, (_, kw) in zip(alone, together, sure, rows, strict=True):
        assert_same_row(a, b, n)
        assert len(b.token_ids) <= kw["max_tokens"]
    assert [g.finish_reason for g in together[:3]] == FORCED and len(together[2].token_ids) == 2
    assert len(together[3].token_ids) <= 7 and len(together[4].token_ids) <= 9


@pytest.mark.anyio
async def test_batched_sampling_logprobs_are_raw_and_seeded_batches_repeat(tiny_model_dir):
    backend = LocalBackend.from_pretrained(tiny_model_dir, kv_cache_slots=0)
    tok = backend.tokenizer
    prompts = [_prompt(tok), _prompt(tok) * 2, tok.encode("Hello there", add_special_tokens=False)]
    kw = dict(max_tokens=8, temperature=0.7, top_p=0.9, stop=[])
    first = await concurrently(backend, [(p, dict(seed=3 + i, **kw)) for i, p in enumerate(prompts)])
    again = await concurrently(backend, [(p, dict(seed=3 + i, **kw)) for i, p in enumerate(prompts)])
    assert backend.batch_sizes == {3: 2}
    assert [g.token_ids for g in first] == [g.token_ids for g in again]  # same batch, same seeds, same tokens
    for p, g in zip(prompts, first, strict=True):  # log_softmax of the model's logits, not the tempered ones
        with torch.no_grad():
            logits = backend.model(torch.tensor([p + g.token_ids])).logits[0, len(p) - 1:-1]
        ref = torch.log_softmax(logits, -1).gather(-1, torch.tensor(g.token_ids)[:, None])[:, 0]
        assert torch.allclose(ref, torch.tensor(g.logprobs), atol=1e-4)


@pytest.mark.anyio
async def test_batches_mix_sampling_params_and_respect_max_batch(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir).train()
    backend = LocalBackend(model, AutoTokenizer.from_pretrained(tiny_model_dir), max_batch=2)
    p = _prompt(backend.tokenizer)
    greedy = dict(max_tokens=3, temperature=0.0, top_p=1.0, stop=[])
    hot = dict(max_tokens=3, temperature=1.0, top_p=1.0, stop=[], seed=0)
    out = await concurrently(backend, [(p, greedy), (p, hot), (p, greedy), (p, greedy), (p, hot)])
    assert sorted(backend.batch_sizes.elements()) == [1, 2, 2]  # rows 0-1, 2-3, then 4: never more than 2
    assert out[0].token_ids == out[2].token_ids == out[3].token_ids
    assert out[1].token_ids == out[4].token_ids  # a seeded row draws from its own generator, whatever its batch
    assert model.training  # train mode restored after every batch


@pytest.mark.anyio
async def test_a_cancelled_callers_row_ends_at_once_and_the_others_are_served(tiny_model_dir):
    import anyio

    backend = LocalBackend.from_pretrained(tiny_model_dir, kv_cache_slots=0)
    forwards = []
    backend.model.register_forward_hook(lambda *a: forwards.append(1))
    p = _prompt(backend.tokenizer)
    kw = dict(temperature=0.0, top_p=1.0, stop=[])
    got = []

    async def short():
        got.append(await backend.generate(p, max_tokens=5, **kw))

    async with anyio.create_task_group() as tg:
        with anyio.move_on_after(0.05):
            tg.start_soon(short)
            await backend.generate(p, max_tokens=1500, **kw)  # cancelled while its batch runs
    assert len(got[0].token_ids) == 5
    assert len(forwards) < 1000  # the cancelled row did not run on to its 1500 tokens
    g = await backend.generate(p, max_tokens=4, **kw)
    assert len(g.token_ids) == 4 and g.finish_reason == "length"


@pytest.mark.anyio
async def test_batched_prefix_cache_changes_nothing_but_speed(tiny_model_dir):
    """Batched rows reuse cached prefixes: a prompt another row just prefilled, their own previous sequence."""
    cached = LocalBackend.from_pretrained(tiny_model_dir, kv_cache_slots=8)
    plain = LocalBackend.from_pretrained(tiny_model_dir, kv_cache_slots=0, max_batch=1)
    tok = cached.tokenizer
    kw = dict(temperature=0.0, top_p=1.0, stop=[])
    tool = tok.encode("\n```output\n42\n```\n", add_special_tokens=False)
    firsts = [_prompt(tok) * 3, _prompt(tok) * 4 + tool, tok.encode("Hi " * 40, add_special_tokens=False)]
    step1 = [(p, dict(max_tokens=6 + 3 * i, **kw)) for i, p in enumerate(firsts)]
    a1 = await concurrently(cached, step1)
    b1 = [await plain.generate(p, **k) for p, k in step1]
    assert [g.token_ids for g in a1] == [g.token_ids for g in b1]
    assert cached.kv_hits == len(firsts[0])  # the second prompt starts with the first, prefilled just before
    step2 = [(p + g.token_ids + tool * (i + 1), dict(max_tokens=5, **kw)) for i, (p, g) in enumerate(zip(firsts, a1))]
    hits = cached.kv_hits
    a2 = await concurrently(cached, step2)
    b2 = [await plain.generate(p, **k) for p, k in step2]
    assert cached.batch_sizes == {3: 2}
    # each row reused its own whole first sequence (all but its last token, never fed to the model)
    assert cached.kv_hits - hits == sum(len(p) + len(g.token_ids) - 1 for p, g in zip(firsts, a1))
    for a, b in zip(a2, b2, strict=True):
        assert a.token_ids == b.token_ids
        assert torch.allclose(torch.tensor(a.logprobs), torch.tensor(b.logprobs), atol=1e-4)


@pytest.mark.anyio
async def test_agent_loop_through_batches_equals_serial(protocol_model_dir, mcp_url, proto):
    """Concurrent trajectories (real generation, real sandbox over MCP) are the serial ones, token for
    token, while their model calls are served in shared batches. The memorised problem is compared whole;
    the two unknown questions up to the first near-tie among the model's own tokens (support.greedy)."""
    from support.greedy import decided

    problems = [proto.problem, "What is 7 * 6?", proto.problem, "Add 1 and 2."]
    cfg = AgentConfig(temperature=0.0, max_tokens=60, max_tokens_per_step=60)
    runs = {}
    for max_batch in (1, 8):
        backend = LocalBackend.from_pretrained(protocol_model_dir, max_batch=max_batch)
        async with McpExecutor.http(mcp_url) as ex:
            runs[max_batch] = await Agent(backend, ex, backend.tokenizer, cfg).run_many(problems, concurrency=4)
        runs[max_batch, "batches"] = backend.batch_sizes
        runs[max_batch, "model"] = backend.model
    assert set(runs[1, "batches"]) == {1}
    assert max(runs[8, "batches"]) > 1  # some calls really were batched
    for i, (a, b) in enumerate(zip(runs[1], runs[8], strict=True)):
        n = decided(runs[1, "model"], a.prompt_ids, a.completion_ids, [m == 1 for m in a.mask])
        if problems[i] == proto.problem:
            assert n == len(a.completion_ids), "the memorised trajectory has a near-tie"
        assert b.prompt_ids == a.prompt_ids
        assert (b.completion_ids[:n], b.mask[:n]) == (a.completion_ids[:n], a.mask[:n])
        assert torch.allclose(torch.tensor(b.logprobs[:n]), torch.tensor(a.logprobs[:n]), atol=1e-4)
        if n == len(a.completion_ids):
            assert (b.completion_ids, b.mask) == (a.completion_ids, a.mask)
            assert (b.finish_reason, b.answer, b.tool_calls) == (a.finish_reason, a.answer, a.tool_calls)
    assert runs[8][0].answer == "43" and runs[8][0].tool_calls == 1
