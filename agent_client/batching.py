"""Continuous batching for `LocalBackend`: rows join and leave the running batch at every token.

A request is prefilled alone (from the longest prefix in the `PrefixStore`, in chunks of
`prefill_chunk` tokens), which gives it its own KV and the logits of its first token; it then joins
a `_Group`, a set of rows that share one decode forward per token. A row leaves at once when it
ends (EOS, a stop string, its own max_tokens, or its caller gone), so nobody waits for the longest
row of a batch, and a new request joins without waiting for the others to end.

Groups (bucketing by width): a group's KV is left-padded to its widest row, so a row whose context
is far wider than the others would make every row attend over its width. Groups are merged only
while the padding a merge adds (rows x columns of zeros) stays under `pad_cells`; a much wider row
therefore decodes in its own forward, and when a row leaves, the leading columns no remaining row
uses are cut off. Row i's KV covers its sequence minus the last sampled token, right-aligned.

Exactness: a row's prefill is the same computation whatever else runs; decoding differs from
serial only by float rounding of the batched matmuls. Sampling is per row: its own logits, the
transformers warpers `generate` applies (temperature, top-k, top-p) and, when seeded, its own
`torch.Generator`, so a seeded request draws the same tokens whatever it is batched with.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import LogitsProcessorList, TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper
from transformers.cache_utils import DynamicCache, DynamicLayer
from transformers.generation.utils import GenerateDecoderOnlyOutput

MIN_PREFIX = 16  # shorter shared prefixes are recomputed: copying their cache costs about what it saves
HF_TOP_K = 50    # the top-k `generate` samples with when the model's generation config sets none
_NO_IDS = torch.empty((1, 0), dtype=torch.long)
# transformers renamed the forward's `past_key_values` to `cache` (5.2x); the pin allows both
CACHE_KW = "cache" if "cache" in GenerateDecoderOnlyOutput.__dataclass_fields__ else "past_key_values"


@dataclass(eq=False)
class Row:
    req: Any                  # the backend's _Request (prompt_ids, max_tokens, temperature, top_p, stop, seed)
    seq: list[int]            # prompt + sampled tokens
    cached: int               # tokens whose KV is in the row's cache (seq minus the last sampled token)
    logits: torch.Tensor      # (1, vocab) float32 logits of the next token
    warpers: LogitsProcessorList | None
    generator: torch.Generator | None
    logprobs: list[float] = field(default_factory=list)
    end: str | None = None    # set when the row is finished

    @property
    def new(self) -> list[int]:
        return self.seq[len(self.req.prompt_ids):]


class _Group:
    """Rows decoded by one forward per token; their KV left-padded to a common width."""

    def __init__(self, rows: list[Row], cache: DynamicCache):
        self.rows, self.cache = rows, cache

    @property
    def width(self) -> int:
        """Columns of the KV (each row's real columns are its last `cached`; sliding-window layers keep fewer)."""
        return max(r.cached for r in self.rows)

    @property
    def mergeable(self) -> bool:
        return all(type(layer) is _GrowingLayer for layer in self.cache.layers)


@dataclass(eq=False)
class _Prefill:
    req: Any
    cache: DynamicCache | None = None  # made at the first chunk
    at: int = 0  # prompt tokens whose KV is in `cache`


class _GrowingLayer(DynamicLayer):
    """A DynamicLayer whose keys/values are views of buffers with spare columns: a decode step writes
    its column in place instead of copying the whole cache (`torch.cat`) at every token."""

    SPARE = 128
    _kbuf: torch.Tensor | None = None
    _vbuf: torch.Tensor | None = None

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any,
               **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        n, add = self.get_seq_length(), key_states.shape[-2]
        buf = self._kbuf
        if (buf is None or n + add > buf.shape[-2] or buf.shape[0] != key_states.shape[0]
                or (n and self.keys.data_ptr() != buf.data_ptr())):  # keys were replaced: new buffers
            shape = (*key_states.shape[:2], n + add + self.SPARE, key_states.shape[3])
            self._kbuf, self._vbuf = key_states.new_empty(shape), value_states.new_empty(shape)
            if n:
                self._kbuf[:, :, :n], self._vbuf[:, :, :n] = self.keys, self.values
        assert self._kbuf is not None and self._vbuf is not None
        self._kbuf[:, :, n:n + add], self._vbuf[:, :, n:n + add] = key_states, value_states
        self.keys, self.values = self._kbuf[:, :, :n + add], self._vbuf[:, :, :n + add]
        return self.keys, self.values


class PrefixStore:
    """The KV of recent sequences, for the agent's next call that resends them with a few tokens more.

    Bounded twice: at most `slots` entries and `max_tokens` tokens in all, least recently used out first.
    An entry whose tokens are a prefix of a newer one is dropped (the newer one serves the same prompts)."""

    def __init__(self, max_tokens: int):
        self.max_tokens = max_tokens
        self._kv: OrderedDict[int, tuple[list[int], list[tuple[torch.Tensor, torch.Tensor]]]] = OrderedDict()
        self._next = 0
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._kv.clear()

    @property
    def tokens(self) -> int:
        return sum(len(t) for t, _ in self._kv.values())

    def longest(self, prompt: list[int]) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], int] | None:
        """(layers, n): the cached KV of the longest shared prefix, short of the prompt's last token."""
        best, best_len = None, 0
        with self._lock:
            for key, (toks, _) in self._kv.items():
                n = min(len(toks), len(prompt) - 1)
                i = 0
                while i < n and toks[i] == prompt[i]:
                    i += 1
                if i > best_len:
                    best, best_len = key, i
            if best is None or best_len < MIN_PREFIX:
                return None
            self._kv.move_to_end(best)
            return self._kv[best][1], best_len

    def put(self, tokens: list[int], layers: list[tuple[torch.Tensor, torch.Tensor]], slots: int) -> None:
        if slots < 1 or len(tokens) < MIN_PREFIX or len(tokens) > self.max_tokens:
            return
        with self._lock:
            for key in [k for k, (t, _) in self._kv.items() if len(t) <= len(tokens) and tokens[:len(t)] == t]:
                del self._kv[key]
            self._kv[self._next] = (tokens, layers)
            self._next += 1
            while len(self._kv) > slots or self.tokens > self.max_tokens:
                self._kv.popitem(last=False)


class Batcher:
    """The running rows of a LocalBackend and the steps that advance them (one server thread calls it)."""

    def __init__(self, model: Any, tokenizer: Any, eos_ids: set[int], *, pad_cells: int, prefill_chunk: int):
        self.model, self.tokenizer, self.eos_ids = model, tokenizer, eos_ids
        self.pad_cells, self.prefill_chunk = pad_cells, prefill_chunk
        self.groups: list[_Group] = []
        self.prefilling: list[_Prefill] = []
        self.joined = False  # rows joined since the last regroup
        self.kv_hits = 0  # prompt tokens taken from the prefix store
        self.steps = 0  # sampling steps so far
        # when a list: what happened at which step, for tests and benchmarks (a row is named by its
        # prompt length): ("prefill", prompt length, tokens fed), ("join", prompt length),
        # ("forward", rows, attended width), ("end", prompt length, tokens generated)
        self.trace: list[tuple[int, str, int, int]] | None = None
        top_k = getattr(getattr(model, "generation_config", None), "top_k", None)
        self.top_k = HF_TOP_K if top_k is None else top_k

    @property
    def rows(self) -> list[Row]:
        return [r for g in self.groups for r in g.rows]

    @property
    def requests(self) -> list[Any]:
        """Every admitted request: prefilling or running."""
        return [p.req for p in self.prefilling] + [r.req for r in self.rows]

    # -- joining --------------------------------------------------------------------------------------
    def admit(self, req: Any) -> None:
        """Queue `req` for prefill."""
        self.prefilling.append(_Prefill(req))

    def _start(self, p: _Prefill, store: PrefixStore | None) -> None:
        """`p`'s cache, from its longest prefix in `store` (looked up at its first chunk, so that a prompt
        prefilled just before, e.g. of a concurrent problem with the same system prompt, is found)."""
        p.cache = DynamicCache(config=self.model.config)
        if not all(type(layer) is DynamicLayer for layer in p.cache.layers):
            return  # sliding-window or quantized layers: decoded alone, never cached
        p.cache.layers = [_GrowingLayer() for _ in p.cache.layers]
        found = store.longest(p.req.prompt_ids) if store is not None else None
        if found is not None:
            layers, p.at = found
            for layer, (k, v) in zip(p.cache.layers, layers, strict=True):
                _set(layer, k[:, :, :p.at], v[:, :, :p.at])
            self.kv_hits += p.at

    def prefill(self, store: PrefixStore | None, slots: int) -> list[tuple[Any, BaseException]]:
        """Feed the prefilling prompts up to `prefill_chunk` tokens in all (at least one chunk), shortest
        remainder first, so a long prompt advances a chunk per step while the running rows keep decoding.
        A finished prompt becomes a running row (and goes to `store`). Returns the requests that failed."""
        failed, budget = [], self.prefill_chunk
        for p in sorted(self.prefilling, key=lambda p: len(p.req.prompt_ids) - p.at):
            if budget <= 0:
                break
            prompt = p.req.prompt_ids
            try:
                if p.cache is None:
                    self._start(p, store)
                chunk = prompt[p.at:p.at + min(budget, self.prefill_chunk)]
                device = next(self.model.parameters()).device
                with _eval(self.model):
                    out = self.model(input_ids=torch.tensor([chunk], device=device),
                                     position_ids=torch.arange(p.at, p.at + len(chunk), device=device)[None],
                                     use_cache=True, logits_to_keep=1, **{CACHE_KW: p.cache})
            except BaseException as exc:  # noqa: BLE001 - this request fails with it
                self.prefilling.remove(p)
                failed.append((p.req, exc))
                continue
            p.at += len(chunk)
            budget -= len(chunk)
            self._log("prefill", len(prompt), len(chunk))
            if p.at < len(prompt) and not p.req.abandoned:
                continue
            self.prefilling.remove(p)
            if p.req.abandoned:
                continue
            logits = out.logits[:, -1].to(dtype=torch.float32, copy=True)
            gen = None if p.req.seed is None else torch.Generator(device=logits.device).manual_seed(p.req.seed)
            group = _Group([Row(p.req, list(prompt), len(prompt), logits, self._warpers(p.req), gen)], p.cache)
            if store is not None and group.mergeable:  # concurrent problems share the system prompt from here
                store.put(list(prompt), [(k.clone(), v.clone()) for k, v in _kv(p.cache)], slots)
            self.groups.append(group)
            self.joined = True
            self._log("join", len(prompt), 0)
        return failed

    def _warpers(self, req: Any) -> LogitsProcessorList | None:
        if req.temperature <= 0:
            return None
        w = LogitsProcessorList()
        if req.temperature != 1.0:
            w.append(TemperatureLogitsWarper(req.temperature))
        if self.top_k:
            w.append(TopKLogitsWarper(top_k=self.top_k))
        if req.top_p < 1.0:
            w.append(TopPLogitsWarper(top_p=req.top_p))
        return w

    def regroup(self) -> None:
        """Merge groups of similar width (narrowest first) while a merge pads at most `pad_cells`."""
        self.joined = False
        groups = sorted(self.groups, key=lambda g: g.width)
        merged: list[_Group] = []
        for g in groups:
            last = merged[-1] if merged else None
            if (last is not None and last.mergeable and g.mergeable
                    and sum(g.width - r.cached for r in last.rows + g.rows) <= self.pad_cells):
                merged[-1] = _join(last, g)
            else:
                merged.append(g)
        self.groups = merged

    # -- one token for every row ----------------------------------------------------------------------
    def sample(self, store: PrefixStore | None, slots: int) -> list[Row]:
        """Sample each row's next token from its logits; finished rows leave (their sequence minus the
        last token, whose KV was never computed, goes to `store`). Returns them."""
        done: list[Row] = []
        for g in self.groups:
            logits = torch.cat([r.logits for r in g.rows])
            logprobs = torch.log_softmax(logits, dim=-1)
            for i, r in enumerate(g.rows):
                tok = self._draw(r, logits[i:i + 1])
                r.seq.append(tok)
                r.logprobs.append(float(logprobs[i, tok]))
                r.end = self._end(r)
            done += [r for r in g.rows if r.end is not None]
        self.steps += 1
        for r in done:
            self._log("end", len(r.req.prompt_ids), len(r.new))
        for r in done:
            kv = None if store is None or r.end == "abandoned" else self.row_kv(r)
            if kv is not None:
                store.put(r.seq[:-1], kv, slots)
        if done:
            self.drop(done)
        return done

    def _draw(self, row: Row, logits: torch.Tensor) -> int:
        if row.warpers is None:
            return int(torch.argmax(logits, dim=-1))
        scores = row.warpers(_NO_IDS, logits)  # these warpers look at the scores only
        probs = torch.softmax(scores, dim=-1)
        return int(torch.multinomial(probs, num_samples=1, generator=row.generator))

    def _end(self, row: Row) -> str | None:
        new = row.new
        if new[-1] in self.eos_ids:
            return "eos"
        stop = row.req.stop
        if stop:  # a stop string of n characters spans at most n tokens and ends in the newest one
            window = max(len(x) for x in stop) + 1
            text = self.tokenizer.decode(new[-window:], skip_special_tokens=False)
            if any(x in text for x in stop):
                return "stop"
        if len(new) >= row.req.max_tokens:
            return "length"
        return "abandoned" if row.req.abandoned else None

    def forward(self, group: _Group) -> None:
        """Feed each row of `group` its last sampled token: their KV grows by one, their logits are the next."""
        rows, width = group.rows, group.width
        device = group.cache.layers[0].keys.device
        cached = torch.tensor([r.cached for r in rows], device=device)
        mask = None if len(rows) == 1 else (  # one row has no padding
            torch.arange(width + 1, device=device)[None] >= (width - cached)[:, None]).long()
        ids = torch.tensor([[r.seq[-1]] for r in rows], device=device)
        with _eval(self.model):
            out = self.model(input_ids=ids, attention_mask=mask, position_ids=cached[:, None],
                             use_cache=True, **{CACHE_KW: group.cache}, logits_to_keep=1)
        logits = out.logits[:, -1].to(dtype=torch.float32, copy=True)
        for i, r in enumerate(rows):
            r.cached += 1
            r.logits = logits[i:i + 1]
        self._log("forward", len(rows), width + 1)

    def _log(self, what: str, a: int, b: int) -> None:
        if self.trace is not None:
            self.trace.append((self.steps, what, a, b))

    # -- leaving --------------------------------------------------------------------------------------
    def row_kv(self, row: Row) -> list[tuple[torch.Tensor, torch.Tensor]] | None:
        """A copy of `row`'s own KV (its real columns), or None if its cache layers are not plain ones."""
        g = next(g for g in self.groups if row in g.rows)
        if not g.mergeable:
            return None
        i, w = g.rows.index(row), g.width
        return [(k[i:i + 1, :, w - row.cached:].clone(), v[i:i + 1, :, w - row.cached:].clone()) for k, v in _kv(g.cache)]

    def drop(self, rows: list[Row]) -> None:
        """Remove `rows`; a group keeps only the columns its remaining rows use."""
        gone = set(map(id, rows))
        kept_groups = []
        for g in self.groups:
            keep = [i for i, r in enumerate(g.rows) if id(r) not in gone]
            if len(keep) == len(g.rows):
                kept_groups.append(g)
                continue
            if not keep:
                continue
            # (a group of several rows has plain layers: see regroup)
            cut = g.width - max(g.rows[i].cached for i in keep)
            g.rows = [g.rows[i] for i in keep]
            index = torch.tensor(keep, device=g.cache.layers[0].keys.device)
            for layer in g.cache.layers:
                _set(layer, layer.keys[index, :, cut:], layer.values[index, :, cut:])
            kept_groups.append(g)
        self.groups = kept_groups


def _join(a: _Group, b: _Group) -> _Group:
    """One group of a's rows then b's, left-padded to the wider width (a new tensor per layer)."""
    width = max(a.width, b.width)
    na = len(a.rows)
    for la, lb in zip(a.cache.layers, b.cache.layers, strict=True):
        out = []
        for ta, tb in ((la.keys, lb.keys), (la.values, lb.values)):
            t = ta.new_zeros(na + tb.shape[0], ta.shape[1], width, ta.shape[3])
            t[:na, :, width - ta.shape[2]:] = ta
            t[na:, :, width - tb.shape[2]:] = tb
            out.append(t)
        _set(la, *out)
    return _Group(a.rows + b.rows, a.cache)


def _kv(cache: DynamicCache) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(layer.keys, layer.values) for layer in cache.layers]


def _set(layer: DynamicLayer, keys: torch.Tensor, values: torch.Tensor) -> None:
    if not layer.is_initialized:
        layer.lazy_initialization(keys, values)
    layer.keys, layer.values = keys, values


@contextlib.contextmanager
def _eval(model: Any) -> Iterator[None]:
    """Eval mode and no autograd for one forward; a training model goes back to train mode after it."""
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            yield
    finally:
        if was_training:
            model.train()
