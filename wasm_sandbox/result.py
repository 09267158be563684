"""The one typed result of running a snippet, shared by the sandbox, the MCP server and the agent.

A snippet ends in exactly one `status`:
  ok       the code ran to the end
  error    a Python exception escaped the snippet (`error` says which; guest frames only)
  timeout  the wall-clock deadline trapped the instance (its state is gone)
  memory   the memory cap was hit (a `MemoryError` in the guest, or a trap on growth)
  crashed  any other trap (stack overflow, interpreter abort, a malformed result record): the
           instance is gone
  busy     nothing ran: the sandbox had no room (memory budget) or the session stayed in use by
           another call until this call's deadline; the session's state is unchanged - retry later

`Status` is the one declaration of this set; everything else (`STATUSES`, the agent's
`ToolStatus`, the published JSON schema) derives from it.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, Field

Status = Literal["ok", "error", "timeout", "memory", "crashed", "busy"]
STATUSES: tuple[str, ...] = get_args(Status)
Stream = Literal["stdout", "stderr", "value", "traceback"]


def clean(text: str) -> str:
    """`text` made safe to serialise: lone surrogates (which no UTF-8 encoder accepts) become
    their escapes, e.g. '\\udcff'. Applied by the host to every string a guest produced."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


class ErrorInfo(BaseModel):
    """An exception raised by the snippet, as the guest saw it."""

    type: str = Field(description="exception class name, e.g. ZeroDivisionError")
    message: str = Field(description="str() of the exception")
    traceback: str = Field(default="", description="formatted traceback, snippet frames only")


class Figure(BaseModel):
    """A PNG figure the snippet left open (plot profile), checked by the host. MCP clients get the
    image itself as an `ImageContent` block (in order); `path` is set by a client that saved it."""

    format: Literal["png"] = "png"
    width: int = Field(description="pixels")
    height: int = Field(description="pixels")
    size_bytes: int = Field(description="PNG size in bytes")
    path: str | None = Field(default=None, description="where a client saved the PNG, if it did")
    data: bytes = Field(default=b"", exclude=True, repr=False)

    def label(self, number: int) -> str:
        return f"[figure {number}: {self.width}x{self.height} PNG" + (f", saved to {self.path}]" if self.path else "]")


class ExecResult(BaseModel):
    """What happened when one snippet ran."""

    status: Status
    stdout: str = ""
    stderr: str = ""
    value: str | None = Field(default=None, description="repr of the last expression, if any")
    error: ErrorInfo | None = None
    duration_ms: float = Field(default=0.0, description="wall time inside the sandbox")
    truncated: list[Stream] = Field(default_factory=list, description="streams cut by the output cap")
    figures: list[Figure] = Field(default_factory=list, description="figures returned as PNG images (plot profile)")
    figures_refused: list[str] = Field(default_factory=list, description="why the host refused figures, if it did")
    session_reset: bool = Field(
        default=False,
        description="the session's earlier state was lost (after a trap, expiry or reset) before this call",
    )

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def render(self) -> str:
        """The text a model reads: stdout, a blank line, then the value or the error."""
        parts = []
        if self.stdout:
            parts.append(self.stdout.rstrip("\n"))
        if self.status == "ok":
            if self.value is not None:
                parts.append(self.value)
        elif self.error is not None:
            parts.append((self.error.traceback or f"{self.error.type}: {self.error.message}").rstrip("\n"))
        else:
            parts.append(f"{self.status.capitalize()}: the snippet was stopped ({self.status}).")
        if self.stderr and self.status == "ok":
            parts.append(self.stderr.rstrip("\n"))
        notes = [f.label(k) for k, f in enumerate(self.figures, 1)] + [f"[{why}]" for why in self.figures_refused]
        if notes:
            parts.append("\n".join(notes))
        return "\n\n".join(parts)
