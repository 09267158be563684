"""Server settings: one typed object built from the command line and handed to the server.

Why a separate model: the same limits appear in three places (the sandbox's `Limits`, the tool
descriptions a model reads, and the input schema the SDK publishes), and they must agree. Keeping
them in one validated object makes the CLI flags, tests and the benchmark construct servers the
same way.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Transport = Literal["stdio", "http"]


class ServerConfig(BaseModel):
    """Everything `deepmath-mcp` can be told on its command line."""

    transport: Transport = "stdio"
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    path: str = Field(default="/mcp", description="HTTP endpoint path for streamable HTTP")

    timeout_s: float = Field(default=5.0, gt=0, le=3600, description="default and maximum wall time per snippet")
    memory_mb: int = Field(default=512, ge=64, description="linear-memory cap of one sandbox instance")
    max_output_chars: int = Field(default=20_000, ge=256, description="cap per output stream (middle is cut)")
    max_sessions: int = Field(default=64, ge=1, description="live sessions kept; least recently used is evicted")
    session_idle_s: float = Field(default=600.0, gt=0, description="a session idle this long is dropped")
    max_concurrency: int = Field(default=8, ge=1, description="snippets running at once; the rest queue")
    max_code_bytes: int = Field(default=256 * 1024, ge=1, description="largest accepted `code` argument")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    def sandbox_limits(self):  # -> wasm_sandbox.Limits (imported lazily: the CLI parses flags first)
        """The sandbox limits these settings imply."""
        from wasm_sandbox import Limits

        return Limits(
            timeout_s=self.timeout_s,
            memory_mb=self.memory_mb,
            max_output_chars=self.max_output_chars,
            # The server refuses oversized code itself (in bytes, with its own message); characters
            # never outnumber bytes, so the sandbox's own check never fires first.
            max_code_chars=self.max_code_bytes,
            max_sessions=self.max_sessions,
            session_idle_s=self.session_idle_s,
        )
