"""In-process backend: transformers `generate` on CPU (or whatever device the model is on), offline.

Why it exists: the CLI must work on a machine with no server and no hub, and the trainer rolls
out with its own policy model (wrapped with `LocalBackend(model, tokenizer)`, so the LoRA being
trained is the one sampling).

Batching: one sequence at a time leaves a CPU mostly idle (the weights are read once per token
whatever the batch), so concurrent `generate` calls (many trajectories of `Agent.run_many`, eval,
GRPO rollouts) are served together. Each call queues a request; one server thread, alive only while
requests are pending, takes up to `max_batch` of them that share sampling parameters (temperature,
top_p) and runs one left-padded `model.generate`. Rows finish independently: `_RowStops` ends a row
at its own EOS, its own stop strings (matched on the decoded text of its generated tokens only, not
the prompt, as vLLM does, whether the tokenizer has `</tool_call>` as one token or several) and its
own `max_tokens`, and records where it ended, so each caller gets exactly the tokens it sampled —
never a pad token, never a re-tokenization. Requests that arrive while a batch runs wait for the next
one (batching is per call, not per token: a batch lasts as long as its longest row).

Logprobs are the log-softmax of the raw logits of each sampled token (vLLM's default `raw_logprobs`
mode), so both backends report the same quantity; `_RawLogprobs` reads the logits before the
temperature/top-p warpers and keeps one step's worth, so memory does not grow with length.

Seeds: a single request seeds torch with its own seed, as it always did (same seed, same prompt,
same tokens). A batch draws all its rows from one generator seeded from the seeds of its rows in
order, so a seeded run is reproducible for the same batch composition; which requests share a batch
depends on timing, so for bit-for-bit reproducible concurrent runs use `max_batch=1`. Greedy
decoding does not depend on batching beyond float rounding (tested: same tokens as serial).

Prefix KV cache (`kv_cache_slots`, on for `from_pretrained`): the agent resends the whole sequence
at every step, so for a request served alone the backend keeps the attention cache of its last few
sequences and starts from the longest shared prefix; only the new tokens are computed. Batched calls
recompute their prompts (combining caches of different lengths under left padding is not done; see
benchmarks/local_backend.py for what batching gains anyway). Off for wrapped in-memory models, whose
weights a trainer changes between calls (enable it and call `clear_cache()` after each update).

The caller's event loop is never blocked: it awaits an event that the server thread sets through
the loop's token, so any number of loops (or the trainer's blocking portal) can share one backend.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import torch
from transformers import (AutoModelForCausalLM, AutoTokenizer, LogitsProcessor, LogitsProcessorList,
                          StoppingCriteria, StoppingCriteriaList)
from transformers.cache_utils import DynamicCache, DynamicLayer
from transformers.generation.utils import GenerateDecoderOnlyOutput

from agent_client.interfaces import AgentError, Generation

# transformers renamed `past_key_values` to `cache` (5.2x); the pin allows both
CACHE_KW = "cache" if "cache" in GenerateDecoderOnlyOutput.__dataclass_fields__ else "past_key_values"
_MIN_PREFIX = 16  # shorter shared prefixes are recomputed: copying their cache costs about what it saves


@dataclass(eq=False)
class _Request:
    prompt_ids: list[int]
    max_tokens: int
    temperature: float
    top_p: float
    stop: list[str]
    seed: int | None
    token: Any  # the caller's event loop
    done: anyio.Event = field(default_factory=anyio.Event)
    result: Generation | BaseException | None = None
    abandoned: bool = False  # the caller was cancelled; nobody waits for the result

    @property
    def sampling(self) -> tuple[float, float | None]:
        """Requests with equal keys can share one generate call."""
        return (self.temperature, self.top_p) if self.temperature > 0 else (0.0, None)


class LocalBackend:
    """Wraps an in-memory causal LM and its tokenizer; concurrent calls are batched (see module doc)."""

    def __init__(self, model: Any, tokenizer: Any, *, logprobs: bool = True, kv_cache_slots: int = 0,
                 max_batch: int = 16):
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        self.model = model
        self.tokenizer = tokenizer
        self.want_logprobs = logprobs
        self.kv_cache_slots = kv_cache_slots
        self.max_batch = max_batch
        self._kv: OrderedDict[int, tuple[list[int], Any]] = OrderedDict()  # id -> (tokens covered, cache)
        self._kv_next = 0
        self._kv_lock = threading.Lock()
        self.kv_hits = 0  # prompt tokens served from the prefix cache (for tests and benchmarks)
        self.batch_sizes: Counter[int] = Counter()  # rows per generate call -> how many calls (for tests/benchmarks)
        self._cond = threading.Condition()
        self._pending: list[_Request] = []
        self._serving = False
        eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        if eos is None:
            eos = tokenizer.eos_token_id
        self.eos_ids: set[int] = set(eos if isinstance(eos, (list, tuple)) else [eos]) - {None}
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else next(iter(self.eos_ids), 0)

    @classmethod
    def from_pretrained(cls, path: str | Path, lora: str | Path | None = None, *, dtype: str = "float32",
                        kv_cache_slots: int = 16, merge: bool = True, **kw: Any) -> LocalBackend:
        """Load a checkpoint directory (and optionally a peft LoRA adapter on top of it).

        Frozen weights, so the prefix KV cache is on by default: each agent step then only
        computes the tokens appended since the last step (and problems share the system prompt).
        One slot per concurrent trajectory keeps each one's own last sequence (a batch computes the
        widest uncached part of any of its rows); a slot holds layers x 2 x kv_heads x head_dim
        floats per token (46 KB per token for SmolLM2-135M). A LoRA is merged into the weights unless
        `merge=False` (see `load_model`)."""
        model, tok = load_model(path, lora, dtype=dtype, merge=merge)
        return cls(model, tok, kv_cache_slots=kv_cache_slots, **kw)

    def clear_cache(self) -> None:
        """Drop the prefix KV cache. Call after changing the weights (a trainer's optimizer step)."""
        with self._kv_lock:
            self._kv.clear()

    # -- the queue ------------------------------------------------------------------------------------
    async def generate(self, prompt_ids: list[int], *, max_tokens: int, temperature: float, top_p: float,
                       stop: list[str], seed: int | None = None) -> Generation:
        if not prompt_ids:
            raise ValueError("prompt_ids is empty")
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
        req = _Request(list(prompt_ids), max_tokens, temperature, top_p, list(stop), seed,
                       anyio.lowlevel.current_token())
        with self._cond:
            self._pending.append(req)
        try:
            await anyio.sleep(0)  # let the other tasks ready in this tick queue theirs: they share the first batch
            with self._cond:
                if not self._serving and req.result is None:
                    self._serving = True
                    threading.Thread(target=self._serve, name="local-backend", daemon=True).start()
            await req.done.wait()
        finally:
            with self._cond:
                req.abandoned = req.result is None
                if req in self._pending:
                    self._pending.remove(req)
        if isinstance(req.result, BaseException):
            raise req.result
        assert req.result is not None
        return req.result

    def _serve(self) -> None:
        """The server thread: run batches until nothing is pending, then exit."""
        while True:
            with self._cond:
                if not self._pending:
                    self._serving = False
                    return
                key = self._pending[0].sampling
                batch = [r for r in self._pending if r.sampling == key][: self.max_batch]
                for r in batch:
                    self._pending.remove(r)
            results: list[Generation | BaseException]
            try:
                results = list(self._run(batch))
            except (RuntimeError, ValueError) as exc:
                results = [_agent_error(exc) for _ in batch]
            except BaseException as exc:  # noqa: BLE001 - re-raised in every waiting caller
                results = [exc] * len(batch)
            for req, res in zip(batch, results, strict=True):
                with self._cond:
                    req.result = res
                    if req.abandoned:
                        continue
                try:
                    anyio.from_thread.run_sync(req.done.set, token=req.token)
                except RuntimeError:  # the caller's event loop has closed: nobody is left to wait
                    pass

    # -- one generate call ----------------------------------------------------------------------------
    def _run(self, batch: list[_Request]) -> list[Generation]:
        first = batch[0]
        kwargs: dict[str, Any] = dict(return_dict_in_generate=True, pad_token_id=self.pad_id,
                                      eos_token_id=sorted(self.eos_ids), use_cache=True,
                                      max_new_tokens=max(r.max_tokens for r in batch))
        if first.temperature > 0:
            kwargs.update(do_sample=True, temperature=first.temperature, top_p=first.top_p)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        device = next(self.model.parameters()).device
        prompts = [r.prompt_ids for r in batch]
        width = max(map(len, prompts))
        input_ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for i, p in enumerate(prompts):  # left padding: every row's prompt ends at column `width`
            input_ids[i, width - len(p):] = torch.tensor(p)
            mask[i, width - len(p):] = 1
        recorder = _RawLogprobs() if self.want_logprobs else None
        rows = _RowStops(self.tokenizer, batch, width, self.eos_ids, recorder)
        kwargs["stopping_criteria"] = StoppingCriteriaList([rows])
        if recorder is not None:
            kwargs["logits_processor"] = LogitsProcessorList([recorder])
        was_training = self.model.training
        self.model.eval()
        try:
            seed = _batch_seed([r.seed for r in batch])
            if seed is not None:
                torch.manual_seed(seed)
            cache = self._cached_prefix(prompts, width, device) if self.kv_cache_slots else None
            if cache is not None:
                kwargs[CACHE_KW] = cache
            with torch.inference_mode():
                out = self.model.generate(input_ids=input_ids.to(device), attention_mask=mask.to(device), **kwargs)
        finally:
            if was_training:
                self.model.train()
        self.batch_sizes[len(batch)] += 1
        seqs = out.sequences[:, width:].tolist()
        gens = [self._generation(r, seqs[i][: rows.length(i, len(seqs[i]))],
                                 None if recorder is None else recorder.row(i)) for i, r in enumerate(batch)]
        if self.kv_cache_slots and out.get(CACHE_KW) is not None:
            self._keep(prompts, gens, width, out.get(CACHE_KW))
        return gens

    def _generation(self, req: _Request, new: list[int], logprobs: list[float] | None) -> Generation:
        logprobs = None if logprobs is None else logprobs[: len(new)]
        text = self.tokenizer.decode(new, skip_special_tokens=False)
        if new and new[-1] in self.eos_ids:
            return Generation(token_ids=new, logprobs=logprobs, text=text, finish_reason="eos")
        hit = _stop_hit(self.tokenizer, new, text, req.stop)
        if hit is not None:
            return Generation(token_ids=new, logprobs=logprobs, text=text, finish_reason="stop", stop_reason=hit)
        return Generation(token_ids=new, logprobs=logprobs, text=text, finish_reason="length")

    # -- prefix KV cache ------------------------------------------------------------------------------
    def _cached_prefix(self, prompts: list[list[int]], width: int, device: Any) -> DynamicCache | None:
        """A left-padded batch cache holding, for each row, the KV of its longest cached prefix.

        Only the last `window` columns are computed, where `window` is the largest uncached part of
        any row; row i's first `len(prompt_i) - window` tokens come from its cache entry (fewer than
        it has cached when another row needs a wider window). Positions come from the attention
        mask, so a cached token has the same position in every batch it is reused in."""
        with self._kv_lock:
            found = [self._longest_prefix(p) for p in prompts]
            for key, _ in found:
                if key is not None:
                    self._kv.move_to_end(key)
            entries = [None if key is None else self._kv[key][1] for key, _ in found]
        window = max(len(p) - n for p, (_, n) in zip(prompts, found, strict=True))
        cached = width - window
        ref = next((e for e in entries if e is not None), None)
        if ref is None or cached < _MIN_PREFIX:
            return None
        layers = []
        for layer, (k0, _) in enumerate(ref):
            rows_k, rows_v = [], []
            for p, entry in zip(prompts, entries, strict=True):
                take = max(0, len(p) - window)
                k, v = (k0[:, :, :0], k0[:, :, :0]) if entry is None or not take else entry[layer]
                rows_k.append(_pad_left(k[:, :, :take], cached))
                rows_v.append(_pad_left(v[:, :, :take], cached))
                self.kv_hits += take if layer == 0 else 0
            layers.append((torch.cat(rows_k).to(device), torch.cat(rows_v).to(device)))
        return DynamicCache(ddp_cache_data=layers)

    def _longest_prefix(self, prompt_ids: list[int]) -> tuple[int | None, int]:
        """(entry id, shared length) of the cache entry sharing the longest prefix (short of the last token)."""
        best, best_len = None, 0
        for key, (toks, _) in self._kv.items():
            n = min(len(toks), len(prompt_ids) - 1)
            i = 0
            while i < n and toks[i] == prompt_ids[i]:
                i += 1
            if i > best_len:
                best, best_len = key, i
        return (best, best_len) if best_len >= _MIN_PREFIX else (None, 0)

    def _keep(self, prompts: list[list[int]], gens: list[Generation], width: int, cache: Any) -> None:
        """Store each row's KV: its real columns only (no left pads, nothing after its last token)."""
        if not all(type(layer) is DynamicLayer for layer in cache.layers):
            return  # sliding-window or quantized layers: not reused
        with self._kv_lock:
            for i in range(max(0, len(prompts) - self.kv_cache_slots), len(prompts)):  # the rest would be evicted
                p, g = prompts[i], gens[i]
                start = width - len(p)
                end = min(cache.get_seq_length(), width + len(g.token_ids) - 1)  # the last token was not fed
                kv = tuple((layer.keys[i:i + 1, :, start:end].clone(), layer.values[i:i + 1, :, start:end].clone())
                           for layer in cache.layers)
                self._kv[self._kv_next] = ((p + g.token_ids)[: end - start], kv)
                self._kv_next += 1
            while len(self._kv) > self.kv_cache_slots:
                self._kv.popitem(last=False)


def load_model(path: str | Path, lora: str | Path | None = None, *, dtype: str = "float32",
               merge: bool = True) -> tuple[Any, Any]:
    """(model in eval mode, tokenizer) of a checkpoint folder, with a peft LoRA merged in if given
    (`merge=False`: the PeftModel itself, for looking at the adapter's own parameters).

    Why merged: generation only reads the weights, and an unmerged adapter adds two small matmuls
    to every linear layer of every token (about 30 % of a token's time for SmolLM2-135M here)."""
    tok = AutoTokenizer.from_pretrained(str(path))
    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=getattr(torch, dtype))
    if lora is not None:
        import warnings

        from peft import PeftModel

        with warnings.catch_warnings():  # peft 0.21 calls a transformers 5.x name deprecated for v6
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            model = PeftModel.from_pretrained(model, str(lora))
        if merge:
            model = model.merge_and_unload()
    return model.eval(), tok


class _RawLogprobs(LogitsProcessor):
    """Log-softmax of the raw logits, gathered at each step's sampled token.

    Custom processors run before generate's temperature/top-k/top-p warpers, so `scores` here are
    the model's logits. The sampled token is known one call later (or in `_RowStops`, which calls
    `collect` right after it is appended)."""

    def __init__(self) -> None:
        self._last: torch.Tensor | None = None
        self._steps: list[torch.Tensor] = []

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        self._last = torch.log_softmax(scores.float(), dim=-1)
        return scores

    def collect(self, sampled: torch.Tensor) -> None:
        assert self._last is not None
        self._steps.append(self._last.gather(-1, sampled[:, None])[:, 0].cpu())
        self._last = None

    def row(self, i: int) -> list[float]:
        return [float(step[i]) for step in self._steps]


class _RowStops(StoppingCriteria):
    """Ends each row at its own EOS, stop strings or max_tokens, and remembers where.

    The stop check decodes a short window of the row's newest tokens, so its cost does not grow with
    length: a stop string of n characters spans at most n tokens, and the first time it appears it
    ends in the newest token. Generated tokens start at column `width` in every row (left padding)."""

    def __init__(self, tokenizer: Any, batch: list[_Request], width: int, eos: set[int],
                 recorder: _RawLogprobs | None):
        self.tokenizer, self.width, self.eos, self.recorder = tokenizer, width, eos, recorder
        self.requests = batch  # a row whose caller was cancelled ends at once (`abandoned`)
        self.stops = [r.stop for r in batch]
        self.max_tokens = [r.max_tokens for r in batch]
        self.windows = [max((len(x) for x in r.stop), default=0) + 1 for r in batch]
        self.lengths: list[int | None] = [None] * len(batch)

    def length(self, i: int, available: int) -> int:
        """Row i's number of generated tokens (`available` if generate ended before the row did)."""
        n = self.lengths[i]
        return available if n is None else min(n, available)

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
        if self.recorder is not None:
            self.recorder.collect(input_ids[:, -1])
        n = input_ids.shape[1] - self.width
        done = []
        for i, row in enumerate(input_ids):
            if self.lengths[i] is None:
                if int(row[-1]) in self.eos or n >= self.max_tokens[i] or self._stopped(i, row) or self.requests[i].abandoned:
                    self.lengths[i] = n
            done.append(self.lengths[i] is not None)
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    def _stopped(self, i: int, row: torch.Tensor) -> bool:
        if not self.stops[i]:
            return False
        text = self.tokenizer.decode(row[self.width:][-self.windows[i]:].tolist(), skip_special_tokens=False)
        return any(x in text for x in self.stops[i])


def _pad_left(t: torch.Tensor, n: int) -> torch.Tensor:
    """(1, heads, k, dim) -> (1, heads, n, dim) with zeros in front (masked out by the attention mask)."""
    return torch.cat([t.new_zeros(t.shape[0], t.shape[1], n - t.shape[2], t.shape[3]), t], dim=2)


def _agent_error(exc: BaseException) -> AgentError:
    err = AgentError(f"local generation failed: {type(exc).__name__}: {exc}")
    err.__cause__ = exc
    return err


def _batch_seed(seeds: list[int | None]) -> int | None:
    """The torch seed of one generate call: a lone request's own seed, else one derived from all of them."""
    if all(s is None for s in seeds):
        return None
    if len(seeds) == 1:
        return seeds[0]
    return int.from_bytes(hashlib.sha256(repr(seeds).encode()).digest()[:8], "little") >> 1


def _stop_hit(tokenizer: Any, ids: list[int], text: str, stop: list[str]) -> str | None:
    """The stop string completed by the final token (the one that made the row stop)."""
    if not ids:
        return None
    found = [x for x in stop if x in text]
    if not found:
        return None
    before = tokenizer.decode(ids[:-1], skip_special_tokens=False)
    for x in found:
        if text.count(x) > before.count(x):
            return x
    return None
