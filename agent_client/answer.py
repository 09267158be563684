"""Finding the final answer: the last `\\boxed{...}` after the thinking block.

Why not a regex: boxed answers nest braces (`\\boxed{\\frac{1}{2}}`), so the argument is found by
brace matching. Why "after </think>": a thinking model tries candidate answers while it thinks;
only what it states after closing the block is its answer. Without a closed block (a model that
does not think, or one cut off by the budget) the last box anywhere is the best evidence.
"""

from __future__ import annotations

BOXED = ("\\boxed", "\\fbox")
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


def _boxed_spans(text: str) -> list[tuple[int, str]]:
    """(start index, argument) of every complete `\\boxed{...}` / `\\fbox{...}` in `text`."""
    out: list[tuple[int, str]] = []
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
        out.append((start, text[j + 1:k].strip()))
        i = k + 1


def extract_answer(text: str) -> str | None:
    """The last boxed argument after the last `</think>`; else the last one anywhere; else None."""
    close = text.rfind(THINK_CLOSE)
    if close >= 0:
        after = _boxed_spans(text[close + len(THINK_CLOSE):])
        if after:
            return after[-1][1]
    spans = _boxed_spans(text)
    return spans[-1][1] if spans else None


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
    for start, arg in _boxed_spans(text):
        if not thinking_open(text[:start], initially_open):
            found = arg
    return found
