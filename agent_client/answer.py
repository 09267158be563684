"""Finding the final answer: the last `\\boxed{...}` after the thinking block (with the boxes
stated together with it).

Why not a regex: boxed answers nest braces (`\\boxed{\\frac{1}{2}}`), so the argument is found by
brace matching. Why "after </think>": a thinking model tries candidate answers while it thinks;
only what it states after closing the block is its answer. Without a closed block (a model that
does not think, or one cut off by the budget) the last box anywhere is the best evidence.

Why several boxes: a problem with several solutions is often answered `\\boxed{1}, \\boxed{2}` or
`\\boxed{(2, 2)} \\text{ and } \\boxed{(6, 2)}`. The boxes that end the text are taken together
by math-verify's own rule (latex2sympy2_extended's `extract_boxed_content`): a box joins the
next one when less than 10 characters lie between them, or less than 70 that contain `and`,
`or`, `,` or `;` and the two arguments differ; identical neighbours count once. The answer is
then the arguments joined by ", " (`1, 2`), which math-verify reads as a set or tuple.
"""

from __future__ import annotations

import re

BOXED = ("\\boxed", "\\fbox")
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


_SEPARATOR = re.compile(r"\b(and|or)\b|,|;")


def _boxed_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, argument) of every complete `\\boxed{...}` / `\\fbox{...}` in `text`."""
    out: list[tuple[int, int, str]] = []
    i = 0
    while True:
        starts = [(text.find(b, i), b) for b in BOXED]
        starts = [(s, b) for s, b in starts if s >= 0]
        if not starts:
            return out
        start, macro = min(starts)
        j = start + len(macro)
        while j < len(text) and text[j] == " ":
            j += 1
        if j >= len(text) or text[j] != "{":
            i = start + len(macro)
            continue
        depth, k = 0, j
        while k < len(text):
            if text[k] == "{":
                depth += 1
            elif text[k] == "}":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        if depth != 0:  # unbalanced: cut off mid-answer
            return out
        out.append((start, k + 1, text[j + 1:k].strip()))
        i = k + 1


def _final_group(text: str, spans: list[tuple[int, int, str]]) -> str:
    """The last box with the boxes stated together with it (module docstring), joined by ", "."""
    group = [spans[-1]]
    for prev in reversed(spans[:-1]):
        between = text[prev[1]:group[0][0]]
        if not (len(between) < 10 or (prev[2] != group[0][2] and len(between) < 70 and _SEPARATOR.search(between))):
            break
        if prev[2] != group[0][2]:
            group.insert(0, prev)
    return ", ".join(arg for _, _, arg in group)


def extract_answer(text: str) -> str | None:
    """The final boxed answer after the last `</think>`; else the final one anywhere; else None."""
    close = text.rfind(THINK_CLOSE)
    if close >= 0:
        after_text = text[close + len(THINK_CLOSE):]
        after = _boxed_spans(after_text)
        if after:
            return _final_group(after_text, after)
    spans = _boxed_spans(text)
    return _final_group(text, spans) if spans else None


def thinking_open(text: str, initially_open: bool = False) -> bool:
    """Whether the thinking block is still open at the end of `text`.

    `initially_open` is True when the prompt itself ends inside `<think>` (Qwen3-Thinking's chat
    template opens the block in the generation prompt)."""
    last_open, last_close = text.rfind(THINK_OPEN), text.rfind(THINK_CLOSE)
    if last_open < 0 and last_close < 0:
        return initially_open
    return last_open > last_close


def boxed_outside_thinking(text: str, initially_open: bool = False) -> str | None:
    """The last boxed answer that `text` states outside a thinking block, or None.

    This is the loop's stop rule: a box written while thinking is a draft; one written after the
    block closes (or in a model that never opened one) ends the run."""
    found = None
    for start, _, arg in _boxed_spans(text):
        if not thinking_open(text[:start], initially_open):
            found = arg
    return found
