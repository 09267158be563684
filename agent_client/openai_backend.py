"""Backend for an OpenAI-compatible completions endpoint (vLLM) with token-id prompts.

Why `/v1/completions` and not chat: the chat endpoint re-applies the chat template and returns
text, which breaks token-in/token-out. vLLM's completions endpoint accepts a list of token ids as
the prompt and, with `return_token_ids`, returns the sampled ids; `logprobs: 0` gives the log
probability of each sampled token. `include_stop_str_in_output` keeps `</tool_call>` in the
text so the returned ids and text agree.

Why aiohttp + orjson and not the `openai` SDK or httpx: the agent sends one POST per model step
with the whole sequence as the prompt, so the client's own cost per request is part of the
agent's overhead budget (<= 2 ms per step, benchmarks/agent_client.py). Measured per request on
loopback: aiohttp ~0.6-1 ms, httpx (which the SDK is built on) ~1.5-2.3 ms; `orjson.dumps` of
6,000 ids ~0.04 ms against ~0.6 ms for `json.dumps`. aiohttp is also what vLLM's serving
benchmarks use.

Failures: connection errors and HTTP 429/502/503/504 are retried here, and only here, with
exponential backoff (a server that is still starting or briefly overloaded); after the last try,
on a timeout, or on a response that makes no sense, `AgentError`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import aiohttp
import anyio
import orjson

from agent_client.interfaces import AgentError, Generation

log = logging.getLogger(__name__)

RETRY_STATUS = {429, 502, 503, 504}
API_KEY_ENV = ("DEEPMATH_API_KEY", "OPENAI_API_KEY")
JSON_HEADERS = {"Content-Type": "application/json"}


class OpenAIBackend:
    """Talks to `{base_url}/completions`. One pooled HTTP session, shared by all trajectories."""

    def __init__(self, base_url: str = "http://127.0.0.1:8000/v1", model: str | None = None,
                 api_key: str | None = None, *, timeout_s: float = 600.0, max_retries: int = 5,
                 backoff_s: float = 0.5, max_connections: int = 512, extra_body: dict[str, Any] | None = None):
        self.base_url = base_url.rstrip("/")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"unsupported URL scheme in {base_url!r}")
        self.model = model
        self.api_key = api_key if api_key is not None else next(
            (os.environ[k] for k in API_KEY_ENV if os.environ.get(k)), None)
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_connections = max_connections
        self.extra_body = dict(extra_body or {})
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._model_lock: anyio.Lock | None = None

    # -- HTTP session, one per event loop (callers such as a trainer may call anyio.run repeatedly) -------
    def _http(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop:
            if self._session is not None:
                self._session.detach()  # its connections belong to a finished event loop
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else None
            self._session = aiohttp.ClientSession(
                headers=headers, timeout=aiohttp.ClientTimeout(total=self.timeout_s),
                connector=aiohttp.TCPConnector(limit=self.max_connections))
            self._loop = loop
            self._model_lock = anyio.Lock()
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            if self._loop is asyncio.get_running_loop():
                await session.close()
            else:
                session.detach()

    async def __aenter__(self) -> OpenAIBackend:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = self.base_url + path
        payload = None if body is None else orjson.dumps(body)
        delay = self.backoff_s
        for attempt in range(self.max_retries + 1):
            session = self._http()
            try:
                async with session.request(method, url, data=payload,
                                           headers=JSON_HEADERS if payload is not None else None) as resp:
                    status, raw = resp.status, await resp.read()
            except TimeoutError as exc:  # (aiohttp's own timeouts are TimeoutErrors too)
                raise AgentError(f"model endpoint {url} timed out after {self.timeout_s}s") from exc
            except aiohttp.ClientError as exc:
                if attempt == self.max_retries:
                    raise AgentError(f"model endpoint {url} unreachable after {attempt + 1} tries: "
                                     f"{type(exc).__name__}: {exc}") from exc
                log.warning("model endpoint %s: %s; retrying in %.1fs", url, exc, delay)
            else:
                if status == 200:
                    try:
                        return orjson.loads(raw)
                    except orjson.JSONDecodeError as exc:
                        raise AgentError(f"model endpoint {url} returned invalid JSON: {_text(raw, 200)!r}") from exc
                if status not in RETRY_STATUS or attempt == self.max_retries:
                    raise AgentError(f"model endpoint {url} returned HTTP {status}: {_text(raw, 500)}")
                log.warning("model endpoint %s: HTTP %d; retrying in %.1fs", url, status, delay)
            await anyio.sleep(delay)
            delay = min(delay * 2, 10.0)
        raise AssertionError("unreachable")

    async def resolve_model(self) -> str:
        """The model name: as given, else the first one the server lists at /models."""
        if self.model is None:
            self._http()  # (creates the lock of this event loop)
            assert self._model_lock is not None
            async with self._model_lock:
                if self.model is None:
                    data = await self._request("GET", "/models")
                    try:
                        self.model = data["data"][0]["id"]
                    except (KeyError, IndexError, TypeError) as exc:
                        raise AgentError(f"{self.base_url}/models lists no model: {str(data)[:200]}") from exc
        return self.model

    async def context_window(self) -> int | None:
        """The served model's context length when the server says (vLLM lists `max_model_len` at
        /models), so the agent can cap requests instead of having them refused with HTTP 400."""
        name = await self.resolve_model()
        data = await self._request("GET", "/models")
        for entry in data.get("data", []) if isinstance(data, dict) else []:
            if isinstance(entry, dict) and entry.get("id") == name and isinstance(entry.get("max_model_len"), int):
                return entry["max_model_len"]
        return None

    async def generate(self, prompt_ids: list[int], *, max_tokens: int, temperature: float, top_p: float,
                       stop: list[str], seed: int | None = None) -> Generation:
        body: dict[str, Any] = {
            "model": await self.resolve_model(), "prompt": prompt_ids, "max_tokens": max_tokens,
            "temperature": temperature, "top_p": top_p, "logprobs": 0, "return_token_ids": True,
            "include_stop_str_in_output": True, "skip_special_tokens": False, **self.extra_body}
        if stop:
            body["stop"] = stop
        if seed is not None:
            body["seed"] = seed
        data = await self._request("POST", "/completions", body)
        return parse_completion(data, stop)


def parse_completion(data: dict[str, Any], stop: list[str]) -> Generation:
    """Turn one `/v1/completions` response into a Generation (vLLM's extensions required)."""
    try:
        choice = data["choices"][0]
    except (KeyError, IndexError, TypeError) as exc:
        raise AgentError(f"completions response has no choices: {str(data)[:200]}") from exc
    ids = choice.get("token_ids")
    if ids is None:
        raise AgentError("the endpoint returned no token_ids: token-in/token-out needs vLLM's "
                         "`return_token_ids` (vLLM >= 0.10)")
    lp = choice.get("logprobs")
    logprobs = None
    if lp and lp.get("token_logprobs") is not None:
        logprobs = [float(x) if x is not None else 0.0 for x in lp["token_logprobs"]]
        if len(logprobs) != len(ids):
            raise AgentError(f"{len(logprobs)} logprobs for {len(ids)} token ids in the completions response")
    reason, stop_reason = choice.get("finish_reason"), choice.get("stop_reason")
    if reason == "length":
        finish = "length"
    elif reason == "stop" and isinstance(stop_reason, str) and stop_reason in stop:
        finish = "stop"
    elif reason == "stop":
        finish, stop_reason = "eos", None  # EOS token (stop_reason None) or a stop token id
    else:
        raise AgentError(f"unexpected finish_reason {reason!r} from the endpoint")
    return Generation(token_ids=[int(t) for t in ids], logprobs=logprobs, text=choice.get("text") or "",
                      finish_reason=finish, stop_reason=stop_reason)


def _text(raw: bytes, limit: int) -> str:
    return raw[:limit].decode("utf-8", errors="replace")
