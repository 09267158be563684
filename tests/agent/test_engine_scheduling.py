"""Continuous batching in the local engine (agent_client/batching.py): no row waits on another.

The stall of issue 20: a batch lasted as long as its longest row and was padded to its widest prompt,
so one trajectory with a long tool output made every row attend over its width until it ended. These
tests are structural, never timed: the engine's trace says at which step each row joined and ended
and how wide each forward was (a row is named by its prompt length)."""

from __future__ import annotations

import anyio
import pytest
import torch

from agent_client import LocalBackend
from agent_client.batching import PrefixStore
from support.concurrently import concurrently

GREEDY = dict(temperature=0.0, top_p=1.0, stop=[])


@pytest.fixture(scope="module")
def serial(tiny_model_dir):
    return LocalBackend.from_pretrained(tiny_model_dir, kv_cache_slots=0, max_batch=1)


def _short(tok) -> list[list[int]]:
    """Three short prompts of different lengths."""
    chat = tok.encode("<|im_start|>user\nWhat is 2 + 2?<|im_end|>\n<|im_start|>assistant\n", add_special_tokens=False)
    return [chat, chat * 2, tok.encode("Hello there, how are", add_special_tokens=False)]


def _long(tok, n: int) -> list[int]:
    """A prompt of n tokens, like a trajectory whose context grew with a long tool output."""
    ids = tok.encode(" ".join(str(i) for i in range(n)), add_special_tokens=False)[:n]
    assert len(ids) == n
    return ids




def _steps(trace, what: str) -> dict[int, int]:
    """prompt length -> step of its (only) `what` event."""
    out = {}
    for step, kind, n, _ in trace:
        if kind == what:
            assert n not in out, f"two rows with prompt length {n}"
            out[n] = step
    return out


def _same(a, b) -> None:
    assert a.token_ids == b.token_ids and (a.finish_reason, a.text) == (b.finish_reason, b.text)
    assert torch.allclose(torch.tensor(a.logprobs), torch.tensor(b.logprobs), atol=1e-4)


@pytest.mark.anyio
async def test_a_long_context_row_does_not_hold_up_or_widen_the_short_ones(tiny_model_dir, serial):
    tok = serial.tokenizer
    shorts, long = _short(tok), _long(tok, 1500)
    ends = {}
    for long_max in (30, 300):
        backend = LocalBackend.from_pretrained(tiny_model_dir, kv_cache_slots=0)
        backend.batcher.trace = trace = []
        rows = [(long, dict(max_tokens=long_max, **GREEDY))] + [(p, dict(max_tokens=5, **GREEDY)) for p in shorts]
        out = await concurrently(backend, rows)
        for (p, kw), got in zip(rows, out, strict=True):
            _same(got, await serial.generate(p, **kw))  # each row exactly as alone
        joined, ended = _steps(trace, "join"), _steps(trace, "end")
        for p in shorts:  # a short row ends after exactly its own 5 tokens: one sampling step each
            assert ended[len(p)] - joined[len(p)] == 5
        assert ended[len(long)] - joined[len(long)] == long_max
        widest_short = max(map(len, shorts)) + 5
        forwards = [(rows_, width) for _, kind, rows_, width in trace if kind == "forward"]
        assert {(1, w) for r, w in forwards if w > widest_short} == {(r, w) for r, w in forwards if w > widest_short}
        assert any(r == len(shorts) and w <= widest_short for r, w in forwards)  # the short rows decoded together
        assert max(w for r, w in forwards) >= len(long)  # ... and the long row alone, at its own width
        ends[long_max] = {len(p): ended[len(p)] for p in shorts}
    assert ends[30] == ends[300]  # the long row's length changes nothing for the short ones


@pytest.mark.anyio
async def test_a_request_joins_while_a_long_row_runs_and_a_cancelled_row_leaves_at_once(tiny_model_dir, serial):
    backend = LocalBackend.from_pretrained(tiny_model_dir, kv_cache_slots=0)
    backend.batcher.trace = trace = []
    tok = backend.tokenizer
    (first, second, third), long = _short(tok), _long(tok, 1500)
    got = {}

    async def long_call(scope):
        with scope:
            await backend.generate(long, max_tokens=2500, **GREEDY)

    scope = anyio.CancelScope()
    async with anyio.create_task_group() as tg:
        tg.start_soon(long_call, scope)
        got[1] = await backend.generate(first, max_tokens=6, **GREEDY)
        got[2] = await backend.generate(second, max_tokens=6, **GREEDY)  # sent after the first returned
        scope.cancel()
    await backend.generate(third, max_tokens=2, **GREEDY)  # the cancelled row is seen at its next step, before
    joined, ended = _steps(trace, "join"), _steps(trace, "end")
    assert joined[len(second)] >= ended[len(first)]  # it did not exist before the first one ended
    assert ended[len(second)] - joined[len(second)] == 6  # it joined the running batch, no wait
    assert ended[len(second)] < ended[len(long)] <= ended[len(third)]  # the long row ran until cancelled
    long_tokens = next(n for _, kind, p, n in trace if kind == "end" and p == len(long))
    assert long_tokens < 2500  # cancelled: it left without running on to its max_tokens
    _same(got[1], await serial.generate(first, max_tokens=6, **GREEDY))
    _same(got[2], await serial.generate(second, max_tokens=6, **GREEDY))


@pytest.mark.anyio
async def test_a_long_prompt_is_prefilled_in_chunks_between_decode_steps(tiny_model_dir):
    backend = LocalBackend.from_pretrained(tiny_model_dir, kv_cache_slots=0, prefill_chunk=64)
    alone = LocalBackend.from_pretrained(tiny_model_dir, kv_cache_slots=0, prefill_chunk=64, max_batch=1)
    backend.batcher.trace = trace = []
    tok = backend.tokenizer
    short, long = _short(tok)[0], _long(tok, 640)
    rows = [(short, dict(max_tokens=20, **GREEDY)), (long, dict(max_tokens=3, **GREEDY))]
    out = await concurrently(backend, rows)
    chunks = [(step, n) for step, kind, p, n in trace if kind == "prefill" and p == len(long)]
    assert sum(n for _, n in chunks) == len(long) and max(n for _, n in chunks) <= 64
    assert len({step for step, _ in chunks}) >= 9  # at most one chunk's worth of prefill per step ...
    short_forwards = {step for step, kind, r, w in trace if kind == "forward" and w <= len(short) + 20}
    assert len(short_forwards & set(range(chunks[0][0], chunks[-1][0]))) >= 8  # ... while the short row decodes
    for (p, kw), got in zip(rows, out, strict=True):
        _same(got, await alone.generate(p, **kw))


@pytest.mark.anyio
async def test_the_token_budget_bounds_the_running_rows(tiny_model_dir, serial):
    tok = serial.tokenizer
    p = _short(tok)[0]
    prompts = [p * 5, p, p + p[:1], p + p[:2]]  # the first alone exceeds the budget: it still runs, by itself
    budget = (len(p) + 8) + (len(p) + 1 + 8)  # room for two of the others (prompt + max_tokens)
    backend = LocalBackend.from_pretrained(tiny_model_dir, kv_cache_slots=0, max_batch_tokens=budget)
    backend.batcher.trace = trace = []
    rows = [(q, dict(max_tokens=8, **GREEDY)) for q in prompts]
    out = await concurrently(backend, rows)
    running, most = {}, 0
    for _, kind, n, _ in trace:
        if kind == "join":
            running[n] = n + 8
        elif kind == "end":
            del running[n]
        if len(running) > 1:
            assert sum(running.values()) <= budget
        most = max(most, len(running))
    assert most == 2 and sorted(backend.batch_sizes.elements()) == [1, 1, 2]
    for (q, kw), got in zip(rows, out, strict=True):
        _same(got, await serial.generate(q, **kw))


@pytest.mark.anyio
async def test_a_seeded_row_draws_the_same_tokens_whatever_it_is_batched_with(tiny_model_dir):
    backend = LocalBackend.from_pretrained(tiny_model_dir, kv_cache_slots=0)
    tok = backend.tokenizer
    shorts = _short(tok)
    kw = dict(max_tokens=12, temperature=0.8, top_p=0.9, stop=[], seed=7)
    alone = await backend.generate(shorts[0], **kw)
    with_two = await concurrently(backend, [(shorts[0], kw), (shorts[1], dict(kw, seed=1)),
                                             (shorts[2], dict(kw, seed=2))])
    with_long = await concurrently(backend, [(_long(tok, 900), dict(kw, seed=3)), (shorts[0], kw)])
    _same(with_two[0], alone)
    _same(with_long[1], alone)
    other_seed = await backend.generate(shorts[0], **dict(kw, seed=8))
    assert other_seed.token_ids != alone.token_ids


def test_the_prefix_store_is_bounded_in_entries_and_tokens():
    def kv(n):
        return [(torch.full((1, 2, n, 4), float(n)), torch.full((1, 2, n, 4), float(n)))]

    store = PrefixStore(max_tokens=100)
    a = list(range(40))
    store.put(a, kv(40), slots=4)
    store.put(a + [7] * 20, kv(60), slots=4)  # extends a: replaces it
    assert store.tokens == 60 and store.longest(a + [1])[1] == 40
    store.put(list(range(100, 150)), kv(50), slots=4)  # 110 tokens in all > 100: the oldest goes
    assert store.tokens == 50 and store.longest(a + [1]) is None
    layers, n = store.longest(list(range(100, 150)) + [1])
    assert n == 50 and layers[0][0].shape[2] == 50
    for i in range(3):
        store.put([1000 * (i + 2) + j for j in range(20)], kv(20), slots=2)
    assert len(store._kv) == 2 and store.tokens == 40
    store.put(list(range(200)), kv(200), slots=4)  # larger than the whole store: not kept
    assert store.tokens == 40


@pytest.mark.anyio
async def test_a_sliding_window_model_decodes_each_row_alone_as_generate_does(tiny_model_dir):
    """Gemma 3's sliding-window cache layers are not merged into padded groups: each row decodes in its
    own forward (and skips the prefix cache), token for token what `generate` gives."""
    from transformers import AutoTokenizer, Gemma3ForCausalLM, Gemma3TextConfig

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    cfg = Gemma3TextConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                           num_attention_heads=2, num_key_value_heads=1, head_dim=32, sliding_window=8,
                           layer_types=["sliding_attention", "full_attention"], max_position_embeddings=512,
                           eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, bos_token_id=None)
    torch.manual_seed(0)
    model = Gemma3ForCausalLM(cfg).eval()
    backend = LocalBackend(model, tok, kv_cache_slots=4)
    backend.batcher.trace = trace = []
    prompts = _short(tok)[:2]  # longer than the window
    assert min(map(len, prompts)) > 8
    out = await concurrently(backend, [(p, dict(max_tokens=12, **GREEDY)) for p in prompts])
    assert {r for _, kind, r, _ in trace if kind == "forward"} == {1}
    for p, g in zip(prompts, out, strict=True):
        with torch.no_grad():
            ref = model.generate(torch.tensor([p]), attention_mask=torch.ones(1, len(p), dtype=torch.long),
                                 max_new_tokens=12, do_sample=False, pad_token_id=tok.pad_token_id)
        assert g.token_ids == ref[0, len(p):].tolist()
