"""A scripted OpenAI-compatible completions server on loopback: a test double, for tests and as the
benchmarks' load generator (it lives under tests/, so it is not part of the installed package).

Why: the loop's logic (stop strings, budgets, masks, prefix invariants) must be tested over a real
HTTP server speaking vLLM's `/v1/completions` dialect (token-id prompts, `return_token_ids`,
logprobs, `stop`, `stop_reason`), with a policy whose continuation is known in advance. This is
that server: a *scripted policy* stands in for the model, everything else is real (sockets,
HTTP/1.1 keep-alive, JSON, tokenization with the real tokenizer).

The script is a list of assistant steps. The step to play is the number of ```` ```output ````
blocks already in the assistant turn; the part of that step already in the prompt (a previous
call cut by `max_tokens`) is skipped, so continuation works exactly like a model continuing its
own text. The server then applies the request's `stop` strings (kept in the output, as with
`include_stop_str_in_output`), `max_tokens` and the tokenizer's EOS, like vLLM.

It is a deliberately small asyncio HTTP/1.1 server (no framework) so that, as a load generator,
its own per-request cost stays far below the client's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

OUTPUT_MARK = "```output"
ASSISTANT_MARK = "<|im_start|>assistant"

Policy = Callable[[str], str]
"""Maps the decoded prompt to the full text of the current assistant step."""


def step_policy(steps: Sequence[str]) -> Policy:
    """Play `steps[k]` where k = the number of tool outputs already in the assistant turn."""

    def policy(prompt_text: str) -> str:
        i = prompt_text.rfind(ASSISTANT_MARK)
        k = prompt_text[i:].count(OUTPUT_MARK) if i >= 0 else 0
        if k >= len(steps):
            raise ValueError(f"script has {len(steps)} steps; the prompt already holds {k} tool outputs")
        return steps[k]

    return policy


class ScriptedCompletions:
    """The request handling, independent of the transport (the HTTP layer below calls it)."""

    def __init__(self, tokenizer: Any, policy: Policy, *, model_name: str = "scripted", record: bool = True,
                 max_model_len: int | None = None):
        self.tok = tokenizer
        self.max_model_len = max_model_len
        self.policy = policy
        self.model_name = model_name
        self.record = record
        self.requests: list[dict[str, Any]] = []
        self.eos_id = tokenizer.eos_token_id
        self._encode = lru_cache(maxsize=4096)(lambda s: tuple(tokenizer.encode(s, add_special_tokens=False)))
        self._decode = lru_cache(maxsize=4096)(lambda ids: tokenizer.decode(list(ids), skip_special_tokens=False))
        self._step_index = lru_cache(maxsize=256)(self._index_step)

    def _index_step(self, step: str) -> tuple[tuple[int, ...], dict[str, list[int]]]:
        """The step's token ids, and for each prefix of them its decoded text -> prefix length. A
        prompt that ends inside the step (a request cut by max_tokens, possibly mid-character)
        decodes its tail to exactly one of these texts."""
        ids = self._encode(step)
        index: dict[str, list[int]] = {}
        for j in range(len(ids), -1, -1):
            index.setdefault(self._decode(ids[:j]), []).append(j)
        return ids, index

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        prompt = body["prompt"]
        if not (isinstance(prompt, list) and all(isinstance(t, int) for t in prompt)):
            raise ValueError("this server takes token-id prompts only")
        if self.max_model_len is not None and len(prompt) + int(body.get("max_tokens", 16)) > self.max_model_len:
            raise ValueError(f"prompt ({len(prompt)}) + max_tokens exceeds max_model_len {self.max_model_len}")
        if self.record:
            self.requests.append(body)
        text = self.tok.decode(prompt, skip_special_tokens=False)  # not cached: every request pays it
        step = self.policy(text)
        tail = self._current_step_text(text)
        step_ids, done_at = self._step_index(step)
        # prefixes that decode alike (a character cut in the middle) are told apart by the prompt's tokens
        j = next((j for j in done_at.get(tail, ()) if j == 0 or prompt[-j:] == list(step_ids[:j])), None)
        if j is None:
            raise ValueError(f"prompt tail {tail[-80:]!r} is not a prefix of the scripted step")
        ids = list(step_ids[j:])  # continue in token space, as a model continues its own tokens
        finish, stop_reason = "length", None
        max_tokens = int(body.get("max_tokens", 16))
        # EOS and stop strings, in token order, as an engine checks them after each token
        stops = body.get("stop") or []
        out: list[int] = []
        for t in ids[:max_tokens]:
            out.append(t)
            if t == self.eos_id:
                finish = "stop"
                break
            if stops:
                dec = self._decode(tuple(out))
                hit = next((s for s in stops if s in dec), None)
                if hit is not None:
                    finish, stop_reason = "stop", hit
                    break
        else:
            if len(out) < max_tokens:  # script exhausted without EOS: the model would go on; say length
                finish = "length"
        choice: dict[str, Any] = {"index": 0, "text": self._decode(tuple(out)), "finish_reason": finish,
                                  "stop_reason": stop_reason}
        if body.get("return_token_ids"):
            choice["token_ids"] = out
            choice["prompt_token_ids"] = None
        if body.get("logprobs") is not None:
            choice["logprobs"] = {"token_logprobs": [-0.125] * len(out), "tokens": None, "top_logprobs": None,
                                  "text_offset": None}
        return {"id": "cmpl-scripted", "object": "text_completion", "model": self.model_name, "choices": [choice],
                "usage": {"prompt_tokens": len(prompt), "completion_tokens": len(out),
                          "total_tokens": len(prompt) + len(out)}}

    @staticmethod
    def _current_step_text(text: str) -> str:
        """What the model already wrote of the current step: the text after the last tool output
        block of the assistant turn, or after the generation prompt's `assistant` line."""
        a = text.rfind(ASSISTANT_MARK)
        if a < 0:
            raise ValueError("prompt has no assistant turn")
        turn = text[a + len(ASSISTANT_MARK):]
        turn = turn[1:] if turn.startswith("\n") else turn
        o = turn.rfind(OUTPUT_MARK)
        if o < 0:
            return turn
        close = turn.find("\n```\n", o + len(OUTPUT_MARK))
        if close < 0:
            raise ValueError("unterminated output block in the prompt")
        return turn[close + 5:]

    def models(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": self.model_name, "object": "model", "owned_by": "scripted"}
        if self.max_model_len is not None:
            entry["max_model_len"] = self.max_model_len
        return {"object": "list", "data": [entry]}


class ScriptedOpenAIServer:
    """HTTP/1.1 on 127.0.0.1 in a background thread (its own event loop). Use as a context manager."""

    def __init__(self, handler: ScriptedCompletions, *, host: str = "127.0.0.1", port: int = 0,
                 delay_s: float = 0.0):
        self.handler = handler
        self.host, self.port = host, port
        self.delay_s = delay_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._conns: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self.fail_next: int = 0  # answer this many requests with HTTP 503 (retry tests)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    async def _serve_conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns[task] = writer
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return  # the client hung up, or stop() closed the connection
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                status, payload = await self._route(method, path, body)
                data = json.dumps(payload).encode()
                writer.write(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                             % (status, b"OK" if status == 200 else b"Error", len(data)) + data)
                try:
                    await writer.drain()
                except ConnectionError:
                    return
                if headers.get("connection", "").lower() == "close":
                    return
        finally:
            writer.close()
            self._conns.pop(task, None)

    async def _route(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        path = path.split("?", 1)[0]
        if self.fail_next > 0:
            self.fail_next -= 1
            return 503, {"error": {"message": "scripted overload"}}
        if method == "GET" and path == "/v1/models":
            return 200, self.handler.models()
        if method == "POST" and path == "/v1/completions":
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            try:
                return 200, self.handler.complete(json.loads(body))
            except (ValueError, KeyError) as exc:
                return 400, {"error": {"message": f"{type(exc).__name__}: {exc}"}}
        return 404, {"error": {"message": f"no route {method} {path}"}}

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve_conn, self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    def start(self) -> ScriptedOpenAIServer:
        ready = threading.Event()

        def main() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self._start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=main, name="scripted-openai", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    async def _shutdown(self) -> None:
        """Stop listening, end open keep-alive connections and let their handlers return.

        Closing each connection (rather than cancelling its handler task) is what keeps this quiet:
        asyncio's stream callback logs a traceback for a connection task that ends cancelled."""
        assert self._server is not None
        self._server.close()
        for writer in list(self._conns.values()):
            writer.close()  # the handler's pending read sees the end of the stream and returns
        if self._conns:
            await asyncio.wait(list(self._conns), timeout=5)
        await self._server.wait_closed()

    def stop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None or self._server is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        loop.close()

    def __enter__(self) -> ScriptedOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """Serve a fixed step script from a JSON file (a list of strings) in the foreground."""
    from transformers import AutoTokenizer

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--script", required=True, help="JSON file: list of assistant steps")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--delay", type=float, default=0.0, help="seconds of simulated model time per request")
    args = ap.parse_args(argv)
    handler = ScriptedCompletions(AutoTokenizer.from_pretrained(args.tokenizer),
                                  step_policy(json.load(open(args.script))), record=False)
    srv = ScriptedOpenAIServer(handler, port=args.port, delay_s=args.delay)

    async def run() -> None:
        await srv._start()
        print(f"listening {srv.base_url}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(run())


if __name__ == "__main__":
    main()
