"""A small keep-alive HTTP/1.1 client on asyncio streams, for the model endpoint.

Why not httpx: the agent sends one POST per model step, and on loopback or a LAN the client's own
cost per request matters (issue target: <= 2 ms per step). httpx measured ~1-2 ms per request
above a bare socket client on this machine (two writes per request, several layers of
abstraction); this client writes each request in one `write` with TCP_NODELAY, keeps connections
alive in a pool and parses only what the OpenAI-compatible endpoint sends back: a status line,
headers, and a body framed by Content-Length or chunked encoding. TLS (https URLs) uses the
default SSL context. It does not do proxies, redirects or HTTP/2; the endpoint is a model server
the user names directly. asyncio only (the agent runs under anyio's asyncio backend).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit


class TransportError(ConnectionError):
    """The connection failed (refused, reset, closed mid-response): safe to retry the request."""


@dataclass
class Response:
    status: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class HttpPool:
    """Keep-alive connections to one origin, reused across concurrent requests."""

    def __init__(self, base_url: str, *, headers: dict[str, str] | None = None, max_idle: int = 512):
        u = urlsplit(base_url)
        if u.scheme not in ("http", "https"):
            raise ValueError(f"unsupported URL scheme in {base_url!r}")
        self.host = u.hostname or "127.0.0.1"
        self.port = u.port or (443 if u.scheme == "https" else 80)
        self.ssl = ssl.create_default_context() if u.scheme == "https" else None
        self.prefix = u.path.rstrip("/")
        host_header = self.host if u.port is None else f"{self.host}:{u.port}"
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self._head_tail = f"Host: {host_header}\r\n{extra}Connection: keep-alive\r\n".encode("latin-1")
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.max_idle = max_idle

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port, ssl=self.ssl, limit=1 << 22)
        except OSError as exc:
            raise TransportError(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return reader, writer

    async def request(self, method: str, path: str, body: bytes | None = None) -> Response:
        """One request; a stale pooled connection (closed by the server while idle) is retried once."""
        head = (f"{method} {self.prefix}{path} HTTP/1.1\r\n".encode("latin-1") + self._head_tail)
        if body is not None:
            head += b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
        data = head + b"\r\n" + (body or b"")
        for attempt in (0, 1):
            reused = bool(self._idle)
            reader, writer = self._idle.pop() if reused else await self._connect()
            try:
                writer.write(data)
                resp, keep = await self._read_response(reader)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                writer.close()
                if reused and attempt == 0:
                    continue  # the server closed an idle connection: try a fresh one
                raise TransportError(f"{type(exc).__name__}: {exc}") from exc
            except BaseException:  # cancelled (timeout): the connection's state is unknown
                writer.close()
                raise
            if keep and len(self._idle) < self.max_idle:
                self._idle.append((reader, writer))
            else:
                writer.close()
            return resp
        raise AssertionError("unreachable")

    @staticmethod
    async def _read_response(reader: asyncio.StreamReader) -> tuple[Response, bool]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise ValueError(f"not an HTTP/1.x response: {lines[0][:80]!r}")
        status = int(parts[1])
        headers = {}
        for ln in lines[1:]:
            if ":" in ln:
                k, v = ln.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        keep = headers.get("connection", "").lower() != "close" and parts[0] == "HTTP/1.1"
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
                if size == 0:
                    while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                        pass
                    break
                chunks.append(await reader.readexactly(size))
                await reader.readexactly(2)
            body = b"".join(chunks)
        elif "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        else:  # body runs to the end of the connection
            body = await reader.read()
            keep = False
        return Response(status, body), keep

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for _, writer in idle:
            writer.close()
