"""In-process backend: transformers `generate` on CPU (or whatever device the model is on), offline.

Why it exists: the CLI must work on a machine with no server and no hub, and the trainer rolls
out with its own policy model (wrapped with `LocalBackend(model, tokenizer)`, so the LoRA being
trained is the one sampling).

Batching: one sequence at a time leaves a CPU mostly idle (the weights are read once per token
whatever the batch), so concurrent `generate` calls (many trajectories of `Agent.run_many`, eval,
GRPO rollouts) are decoded together, with continuous batching (`agent_client.batching`): one
server thread, alive only while requests are pending or running, admits up to `max_batch` rows
(and at most `max_batch_tokens` of prompt + max_tokens among them), prefills each new request
alone and then feeds every running row one token per step. A row leaves the batch the step it ends
(its own EOS, its own stop strings, matched on the decoded text of its generated tokens only, not
the prompt, as vLLM does, whether the tokenizer has `</tool_call>` as one token or several, its own
`max_tokens`, or its caller cancelled), and a new request joins at the next step, so no call waits
for a longer one. Rows whose contexts differ widely in length decode in separate forwards (see
`pad_cells`), so one long context does not widen everyone's attention. Each caller gets exactly
the tokens it sampled: never a pad token, never a re-tokenization.

Logprobs are the log-softmax of the raw logits of each sampled token (vLLM's default `raw_logprobs`
mode), so both backends report the same quantity.

Seeds: a seeded request samples from its own `torch.Generator` seeded with its seed, with the
warpers `generate` applies (temperature, top-k 50 unless the model's generation config sets one,
top-p): same seed, same prompt, same tokens, alone or batched with anything. Greedy decoding does
not depend on batching beyond float rounding (tested: same tokens as serial).

Prefix KV cache (`kv_cache_slots`, on for `from_pretrained`): the agent resends the whole sequence
at every step, so the backend keeps the attention cache of recent sequences (each prompt when it is
prefilled, each row's whole sequence when it ends) and prefills a request from the longest shared
prefix: only the new tokens are computed, and concurrent problems share the system prompt. At most
`kv_cache_slots` entries and `kv_cache_tokens` tokens. Off for wrapped in-memory models, whose
weights a trainer changes between calls (enable it and call `clear_cache()` after each update).

The caller's event loop is never blocked: it awaits an event that the server thread sets through
the loop's token, so any number of loops (or the trainer's blocking portal) can share one backend.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from agent_client.batching import Batcher, PrefixStore, Row
from agent_client.interfaces import AgentError, Generation


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


class LocalBackend:
    """Wraps an in-memory causal LM and its tokenizer; concurrent calls are batched (see module doc).

    `max_batch`: rows decoded at once. `max_batch_tokens`: a request is admitted only while the
    running rows' prompt + max_tokens, its own included, stay within it (one request always runs),
    which bounds their KV (SmolLM2-135M: 46 KB per token). `pad_cells`: the most zero columns
    (rows x columns) a group of rows of different context widths may carry in one forward; rows
    further apart decode in separate forwards. `prefill_chunk`: a prompt is prefilled this many
    tokens per forward (bounds the attention's working memory)."""

    def __init__(self, model: Any, tokenizer: Any, *, logprobs: bool = True, kv_cache_slots: int = 0,
                 max_batch: int = 16, max_batch_tokens: int = 20480, kv_cache_tokens: int = 16384,
                 pad_cells: int = 4096, prefill_chunk: int = 512):
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        self.model = model
        self.tokenizer = tokenizer
        self.want_logprobs = logprobs
        self.kv_cache_slots = kv_cache_slots
        self.max_batch = max_batch
        self.max_batch_tokens = max_batch_tokens
        self._store = PrefixStore(kv_cache_tokens)
        self.batch_sizes: Counter[int] = Counter()  # running rows right after requests joined -> how often
        self._cond = threading.Condition()
        self._pending: list[_Request] = []
        self._serving = False
        eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        if eos is None:
            eos = tokenizer.eos_token_id
        self.eos_ids: set[int] = set(eos if isinstance(eos, (list, tuple)) else [eos]) - {None}
        self.batcher = Batcher(model, tokenizer, self.eos_ids, pad_cells=pad_cells, prefill_chunk=prefill_chunk)

    @classmethod
    def from_pretrained(cls, path: str | Path, lora: str | Path | None = None, *, dtype: str = "float32",
                        kv_cache_slots: int = 16, merge: bool = True, **kw: Any) -> LocalBackend:
        """Load a checkpoint directory (and optionally a peft LoRA adapter on top of it).

        Frozen weights, so the prefix KV cache is on by default: each agent step then only
        computes the tokens appended since the last step (and problems share the system prompt).
        One slot per concurrent trajectory keeps each one's own last sequence; a slot holds
        layers x 2 x kv_heads x head_dim floats per token (46 KB per token for SmolLM2-135M). A LoRA
        is merged into the weights unless `merge=False` (see `load_model`)."""
        model, tok = load_model(path, lora, dtype=dtype, merge=merge)
        return cls(model, tok, kv_cache_slots=kv_cache_slots, **kw)

    @property
    def kv_hits(self) -> int:
        """Prompt tokens served from the prefix cache (for tests and benchmarks)."""
        return self.batcher.kv_hits

    def clear_cache(self) -> None:
        """Drop the prefix KV cache. Call after changing the weights (a trainer's optimizer step)."""
        self._store.clear()

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
            await anyio.sleep(0)  # let the other tasks ready in this tick queue theirs: they start together
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

    def _admissible(self) -> list[_Request]:
        """Pending requests that join now, in arrival order (called with the lock held)."""
        admitted = self.batcher.requests
        budget = self.max_batch_tokens - sum(len(r.prompt_ids) + r.max_tokens for r in admitted)
        out: list[_Request] = []
        for req in self._pending:
            need = len(req.prompt_ids) + req.max_tokens
            if len(admitted) + len(out) >= self.max_batch or (need > budget and (admitted or out)):
                break
            out.append(req)
            budget -= need
        return out

    def _serve(self) -> None:
        """The server thread: admit, prefill a chunk, sample, feed, until nothing is pending or
        admitted, then exit."""
        b = self.batcher
        store = self._store if self.kv_cache_slots else None
        while True:
            with self._cond:
                joining = self._admissible()
                for req in joining:
                    self._pending.remove(req)
                if not joining and not b.groups and not b.prefilling:
                    self._serving = False
                    return
            for req in joining:
                b.admit(req)
            if joining:
                self.batch_sizes[len(b.requests)] += 1
            results: list[tuple[_Request, Generation | BaseException]] = []
            try:
                results += [(req, _failure(exc)) for req, exc in b.prefill(store, self.kv_cache_slots)]
                if b.joined:
                    b.regroup()
                self._step(store, results)
            except BaseException as exc:  # noqa: BLE001 - a scheduling failure: every admitted call gets it
                results += [(req, _failure(exc)) for req in b.requests]
                b.groups, b.prefilling = [], []
            for req, res in results:
                with self._cond:
                    req.result = res
                    if req.abandoned:
                        continue
                try:
                    anyio.from_thread.run_sync(req.done.set, token=req.token)
                except RuntimeError:  # the caller's event loop has closed: nobody is left to wait
                    pass

    def _step(self, store: PrefixStore | None, results: list[tuple[_Request, Generation | BaseException]]) -> None:
        """One token for every running row; the rows that ended (or failed) add their results."""
        b = self.batcher
        try:
            ended = b.sample(store, self.kv_cache_slots)
        except BaseException as exc:  # noqa: BLE001 - every running row fails with it
            ended, failed = [], b.rows
            b.drop(failed)
            results += [(r.req, _failure(exc)) for r in failed]
        for row in ended:
            try:
                results.append((row.req, self._generation(row)))
            except BaseException as exc:  # noqa: BLE001 - handed to its caller
                results.append((row.req, _failure(exc)))
        for group in list(b.groups):
            try:
                b.forward(group)
            except BaseException as exc:  # noqa: BLE001 - this group's rows fail with it
                b.drop(list(group.rows))
                results += [(r.req, _failure(exc)) for r in group.rows]
        if ended:
            b.regroup()

    def _generation(self, row: Row) -> Generation:
        """The caller's result; the row's sequence goes to the prefix cache (the last token was not fed)."""
        req, new = row.req, row.new
        logprobs = row.logprobs if self.want_logprobs else None
        text = self.tokenizer.decode(new, skip_special_tokens=False)
        if new[-1] in self.eos_ids:
            return Generation(token_ids=new, logprobs=logprobs, text=text, finish_reason="eos")
        hit = _stop_hit(self.tokenizer, new, text, req.stop)
        if hit is not None:
            return Generation(token_ids=new, logprobs=logprobs, text=text, finish_reason="stop", stop_reason=hit)
        return Generation(token_ids=new, logprobs=logprobs, text=text, finish_reason="length")


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


def _failure(exc: BaseException) -> BaseException:
    """What the caller of a failed generation raises: an AgentError for a model error, anything else as is."""
    if not isinstance(exc, (RuntimeError, ValueError)):
        return exc
    err = AgentError(f"local generation failed: {type(exc).__name__}: {exc}")
    err.__cause__ = exc
    return err


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
