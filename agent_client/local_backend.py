"""In-process backend: transformers `generate` on CPU (or whatever device the model is on), offline.

Why it exists: the CLI must work on a machine with no server and no hub, and the trainer rolls
out with its own policy model (wrapped with `LocalBackend(model, tokenizer)`, so the LoRA being
trained is the one sampling). Stop strings are handled by transformers' `StopStringCriteria`
Stop strings are matched on decoded text of the *generated* tokens only (`_StopOnStrings`; the
stock `stop_strings=` option also matches across the prompt boundary, which vLLM does not), so
`</tool_call>` stops generation whether the tokenizer has it as one token or as several.

Prefix KV cache (`kv_cache_slots`, on for `from_pretrained`): the agent resends the whole sequence
at every step, so the backend keeps the attention cache of its last few sequences and starts from
the longest shared prefix; only the new tokens (the tool output, or the next problem's question
after the shared system prompt) are computed. Off for wrapped in-memory models, whose weights a
trainer changes between calls (enable it and call `clear_cache()` after each update).

Concurrency: `generate` runs in a worker thread (the event loop keeps serving MCP and other
trajectories) and calls are serialized by a lock: one model, one forward pass at a time.
Logprobs are the log-softmax of the raw logits of each sampled token (vLLM's default
`raw_logprobs` mode), so both backends report the same quantity.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import anyio

from agent_client.interfaces import AgentError, Generation


class LocalBackend:
    """Wraps an in-memory causal LM and its tokenizer."""

    def __init__(self, model: Any, tokenizer: Any, *, logprobs: bool = True, kv_cache_slots: int = 0):
        self.model = model
        self.tokenizer = tokenizer
        self.want_logprobs = logprobs
        self.kv_cache_slots = kv_cache_slots
        self._kv: OrderedDict[int, tuple[list[int], Any]] = OrderedDict()  # id -> (tokens covered, cache)
        self._kv_next = 0
        self.kv_hits = 0  # prompt tokens served from the prefix cache (for tests and benchmarks)
        self._lock = threading.Lock()
        eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        if eos is None:
            eos = tokenizer.eos_token_id
        self.eos_ids: set[int] = set(eos if isinstance(eos, (list, tuple)) else [eos]) - {None}
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else next(iter(self.eos_ids), 0)

    def clear_cache(self) -> None:
        """Drop the prefix KV cache. Call after changing the weights (a trainer's optimizer step)."""
        with self._lock:
            self._kv.clear()

    def _take_prefix(self, prompt_ids: list[int]) -> tuple[Any, int]:
        """A private copy of the cached KV that shares the longest prefix with `prompt_ids`."""
        import copy

        best, best_len = None, 0
        for key, (toks, _) in self._kv.items():
            n = min(len(toks), len(prompt_ids) - 1)
            i = 0
            while i < n and toks[i] == prompt_ids[i]:
                i += 1
            if i > best_len:
                best, best_len = key, i
        if best is None or best_len < 16:
            return None, 0
        self._kv.move_to_end(best)
        cache = copy.deepcopy(self._kv[best][1])
        extra = cache.get_seq_length() - best_len
        if extra > 0:
            cache.crop(-extra)  # a negative argument removes tokens from the end in every transformers version
        return cache, best_len

    def _keep(self, tokens: list[int], cache: Any) -> None:
        n = cache.get_seq_length()
        self._kv[self._kv_next] = (tokens[:n], cache)
        self._kv_next += 1
        while len(self._kv) > self.kv_cache_slots:
            self._kv.popitem(last=False)

    @classmethod
    def from_pretrained(cls, path: str | Path, lora: str | Path | None = None, *, dtype: str = "float32",
                        kv_cache_slots: int = 4, **kw: Any) -> LocalBackend:
        """Load a checkpoint directory (and optionally a peft LoRA adapter on top of it).

        Frozen weights, so the prefix KV cache is on by default: each agent step then only
        computes the tokens appended since the last step (and problems share the system prompt)."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(str(path))
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=getattr(torch, dtype))
        if lora is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(lora))
        model.eval()
        return cls(model, tok, kv_cache_slots=kv_cache_slots, **kw)

    async def generate(self, prompt_ids: list[int], *, max_tokens: int, temperature: float, top_p: float,
                       stop: list[str], seed: int | None = None) -> Generation:
        return await anyio.to_thread.run_sync(
            lambda: self._generate(prompt_ids, max_tokens, temperature, top_p, stop, seed))

    def _generate(self, prompt_ids: list[int], max_tokens: int, temperature: float, top_p: float,
                  stop: list[str], seed: int | None) -> Generation:
        import torch
        from transformers import StoppingCriteriaList

        global _CACHE_KW
        _CACHE_KW = _cache_kw()

        kwargs: dict[str, Any] = dict(max_new_tokens=max_tokens, return_dict_in_generate=True,
                                      output_logits=self.want_logprobs, pad_token_id=self.pad_id,
                                      eos_token_id=sorted(self.eos_ids))
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature, top_p=top_p)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if stop:
            kwargs["stopping_criteria"] = StoppingCriteriaList([_StopOnStrings(self.tokenizer, stop, len(prompt_ids))])
        device = next(self.model.parameters()).device
        input_ids = torch.tensor([prompt_ids], dtype=torch.long, device=device)
        with self._lock:
            was_training = self.model.training
            self.model.eval()
            try:
                if seed is not None:
                    torch.manual_seed(seed)
                cache, cached = self._take_prefix(prompt_ids) if self.kv_cache_slots else (None, 0)
                if cache is not None:
                    kwargs[_CACHE_KW] = cache
                    self.kv_hits += cached
                with torch.inference_mode():
                    out = self.model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                                              use_cache=True, **kwargs)
                new_cache = out.get(_CACHE_KW)
                if self.kv_cache_slots and new_cache is not None:
                    self._keep(prompt_ids + out.sequences[0, len(prompt_ids):].tolist(), new_cache)
            except (RuntimeError, ValueError) as exc:
                raise AgentError(f"local generation failed: {type(exc).__name__}: {exc}") from exc
            finally:
                if was_training:
                    self.model.train()
        new = out.sequences[0, len(prompt_ids):].tolist()
        # generate pads finished sequences only in batches; a single sequence ends at its last real token
        logprobs = None
        if self.want_logprobs and out.logits:
            logits = torch.stack(out.logits, dim=1)[0, : len(new)].float()
            picked = torch.log_softmax(logits, dim=-1).gather(-1, torch.tensor(new, device=logits.device)[:, None])
            logprobs = picked[:, 0].tolist()
        text = self.tokenizer.decode(new, skip_special_tokens=False)
        if new and new[-1] in self.eos_ids:
            return Generation(token_ids=new, logprobs=logprobs, text=text, finish_reason="eos")
        hit = _stop_hit(self.tokenizer, new, text, stop)
        if hit is not None:
            return Generation(token_ids=new, logprobs=logprobs, text=text, finish_reason="stop", stop_reason=hit)
        return Generation(token_ids=new, logprobs=logprobs, text=text, finish_reason="length")


def _stop_criteria_class() -> type:
    from transformers import StoppingCriteria

    class StopOnStrings(StoppingCriteria):
        """Stop when a stop string appears in the text of the generated tokens (not the prompt).

        Checked after every token on a short decoded window, so the cost does not grow with length:
        a stop string of n characters spans at most n tokens, and the first time it appears it
        ends in the newest token."""

        def __init__(self, tokenizer: Any, stop: list[str], prompt_len: int):
            self.tokenizer, self.stop, self.prompt_len = tokenizer, list(stop), prompt_len
            self.window = max(len(x) for x in stop) + 1

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            import torch

            done = []
            for row in input_ids:
                new = row[self.prompt_len:][-self.window:].tolist()
                text = self.tokenizer.decode(new, skip_special_tokens=False)
                done.append(any(x in text for x in self.stop))
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    return StopOnStrings


def _StopOnStrings(tokenizer: Any, stop: list[str], prompt_len: int) -> Any:  # noqa: N802 - a factory
    """Build the stopping criterion (transformers is imported only when the local engine runs)."""
    global _STOP_CLS
    if _STOP_CLS is None:
        _STOP_CLS = _stop_criteria_class()
    return _STOP_CLS(tokenizer, stop, prompt_len)


_STOP_CLS: type | None = None


def _cache_kw() -> str:
    """transformers renamed `past_key_values` to `cache` (5.2x); use whichever this version has."""
    try:
        from transformers.generation.utils import GenerateDecoderOnlyOutput

        return "cache" if "cache" in GenerateDecoderOnlyOutput.__dataclass_fields__ else "past_key_values"
    except ImportError:  # pragma: no cover
        return "past_key_values"


_CACHE_KW = "past_key_values"  # set on first use (importing transformers is deferred)


def _stop_hit(tokenizer: Any, ids: list[int], text: str, stop: list[str]) -> str | None:
    """The stop string completed by the final token (the one that made StopStringCriteria fire)."""
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
