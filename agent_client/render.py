"""Terminal rendering of trajectories with rich: what `deepmath-agent` shows while a run happens.

Why a separate module: the loop reports events (`Agent.run(on_event=...)`) and knows nothing about
terminals; this module turns a (possibly still growing) Trajectory into renderables — thinking
dimmed, code as highlighted panels, tool results as panels titled with their status and latency,
the final answer emphasised, and a token/time summary — and shows the majority vote for --samples.
`LiveView` shows one run while it is written (each turn printed once; see its docstring).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.spinner import Spinner
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from agent_client.answer import THINK_CLOSE, THINK_OPEN, thinking_open
from agent_client.trajectory import Trajectory

STATUS_STYLE = {"ok": "green", "error": "red", "timeout": "yellow", "memory": "yellow", "crashed": "red",
                "busy": "yellow"}
SPECIAL = re.compile(r"<\|[^|>]{1,40}\|>")  # chat-template markers such as <|im_end|> are not prose


def _prose(text: str, thinking: bool) -> tuple[Text, bool]:
    """Styled prose: thinking parts dimmed, tags removed. Returns the text and the state after it."""
    out = Text()
    pos = 0
    for m in re.finditer(re.escape(THINK_OPEN) + "|" + re.escape(THINK_CLOSE), text):
        out.append(SPECIAL.sub("", text[pos:m.start()]), style="dim italic" if thinking else "")
        thinking = m.group() == THINK_OPEN
        pos = m.end()
    out.append(SPECIAL.sub("", text[pos:]), style="dim italic" if thinking else "")
    return out, thinking


def trajectory_view(traj: Trajectory, pending: str = "", *, thinking_at_start: bool = False) -> RenderableType:
    """The segments so far, plus `pending` (text of the current turn not yet cut into segments), whole."""
    parts: list[RenderableType] = []
    thinking = thinking_at_start
    for seg in traj.segments:
        if seg.kind == "text":
            styled, thinking = _prose(seg.text.strip("\n"), thinking)
            if styled.plain.strip():
                parts.append(styled)
        elif seg.kind == "code":
            parts.append(Panel(Syntax(seg.text, "python", theme="ansi_dark", word_wrap=True),
                               title="python", title_align="left", border_style="blue"))
        else:
            style = STATUS_STYLE.get(seg.status or "", "white")
            title = f"output · [{style}]{seg.status}[/] · {seg.latency_ms or 0:.0f} ms"
            parts.append(Panel(Text(seg.text or "(no output)"), title=title, title_align="left", border_style=style))
    if pending.strip():
        styled, _ = _prose(pending, thinking)
        parts.append(styled)
    return Group(*parts)


class LiveView:
    """A run as it happens: finished segments are printed once, as ordinary output; only the turn being
    written is shown in a transient Live area below them (its last rows, so it always fits the screen).

    Why the Live area is stopped around every print instead of printing through it: a Live area that
    is taller than the rows left on screen (a long turn, a small terminal) cannot be erased, and
    printing above it then repeats the turn. Leaving the `with` block by an exception (Ctrl-C) prints
    the unfinished turn as ordinary output, so what was shown stays on the screen."""

    def __init__(self, console: Console, thinking_at_start: bool):
        self.console = console
        self.thinking = thinking_at_start
        self.printed = 0  # segments already printed
        self.pending = ""  # text of the current turn so far (provisional)
        self.live: Live | None = None

    def __enter__(self) -> LiveView:
        self._start()
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._stop()
        if exc_type is not None and self.pending.strip():
            self.console.print(_prose(self.pending, self.thinking)[0])
            self.pending = ""

    def _start(self) -> None:
        self.live = Live(self._status(), console=self.console, refresh_per_second=8, transient=True)
        self.live.start()

    def _stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def _status(self) -> RenderableType:
        spinner = Spinner("dots", Text(" generating", style="dim"))
        if not self.pending.strip():
            return spinner
        rows = max(1, min(12, self.console.height - 3))
        lines = _prose(self.pending, self.thinking)[0].wrap(self.console, self.console.width)
        return Group(*lines[-rows:], spinner)

    def event(self, kind: str, traj: Trajectory, payload: Any) -> None:
        """The `on_event` hook of `Agent.run`."""
        if kind == "delta":
            self.pending = payload
        elif kind == "segments":
            new = traj.segments[self.printed:]
            if new:
                self._stop()
                self.console.print(trajectory_view(traj.model_copy(update={"segments": new}),
                                                   thinking_at_start=self.thinking))
                for seg in new:
                    if seg.kind == "text":
                        self.thinking = thinking_open(seg.text, self.thinking)
                self.printed = len(traj.segments)
                self._start()
            self.pending = ""
        elif kind == "done":
            self._stop()
        if self.live is not None:
            self.live.update(self._status())


def answer_panel(traj: Trajectory) -> RenderableType:
    if traj.answer is None:
        return Panel(Text(f"no \\boxed{{}} answer (finish: {traj.finish_reason})", style="yellow"),
                     title="answer", border_style="yellow")
    return Panel(Text(traj.answer, style="bold"), title="answer", border_style="bold green", expand=False)


def summary(traj: Trajectory) -> Text:
    t = traj.timings
    return Text.assemble(
        ("finish ", "dim"), traj.finish_reason, ("  ·  tokens ", "dim"), f"{traj.model_tokens} model",
        ("/", "dim"), f"{traj.tool_tokens} tool", ("  ·  tool calls ", "dim"), str(traj.tool_calls),
        (f" ({traj.tool_errors} failed)" if traj.tool_errors else "", "red"),
        ("  ·  time ", "dim"), f"{t.get('wall_s', 0):.1f}s",
        (f" (model {t.get('model_s', 0):.1f}s, tools {t.get('tool_s', 0):.1f}s)", "dim"))


def majority_view(answers: Sequence[str | None], samples: int) -> Text:
    """The vote over `answers` (`agent_client.vote`, the same vote `deepmath-eval` scores as maj@k)
    as one line. A tie is shown as a tie, with the answer the tie-break picks (the earliest)."""
    from agent_client.vote import vote  # here, not at the top: sympy + math-verify cost ~0.6 s a run

    v = vote(answers)
    if v.winner is None:
        return Text(f"no answer from any of {samples} samples", style="yellow")
    share = f"{v.votes}/{samples} votes ({v.votes / samples:.0%})"
    if v.tied:
        names = ", ".join(answers[c] or "" for c in v.tied)
        return Text.assemble(("tie ", "bold yellow"), (f"{len(v.tied)} answers with {v.votes}/{samples} votes each: ", "dim"),
                             (names, "bold"), ("  ·  tie-break (earliest) ", "dim"), (answers[v.winner] or "", "bold"))
    return Text.assemble(("majority answer ", "dim"), (answers[v.winner] or "", "bold green"), f"  {share}")


def samples_table(trajs: Sequence[Trajectory | BaseException]) -> Table:
    table = Table(title="samples", title_justify="left", show_edge=False)
    for col, kw in (("#", {"justify": "right"}), ("answer", {}), ("finish", {}), ("model tok", {"justify": "right"}),
                    ("tools", {"justify": "right"}), ("time", {"justify": "right"})):
        table.add_column(col, **kw)
    for i, t in enumerate(trajs):
        if isinstance(t, BaseException):
            table.add_row(str(i + 1), Text(f"{type(t).__name__}: {t}", style="red"), "error", "", "", "")
        else:
            table.add_row(str(i + 1), t.answer or Text("—", style="dim"), t.finish_reason, str(t.model_tokens),
                          f"{t.tool_calls}" + (f" ({t.tool_errors}✗)" if t.tool_errors else ""),
                          f"{t.timings.get('wall_s', 0):.1f}s")
    return table
