"""The scripted CHAMP policy (a stand-in for a model): one snippet that prints a number, then it boxes
whatever the sandbox printed. Even dataset indices print the reference answer, odd ones the answer plus
one, so scores are known in advance while every answer travels model -> MCP -> wasm -> model.
Used by tests/eval (conftest.py's `champ_server`) and benchmarks/crash.py."""

from __future__ import annotations

import re

EOS = "<|im_end|>"
OUTPUT_RE = re.compile(r"```output\n(.*?)\n```", re.S)


def champ_policy(golds: dict[str, str]):
    """golds: problem text -> (reference answer, wrong on purpose?)."""
    index = {problem: i for i, problem in enumerate(golds)}

    def policy(prompt_text: str) -> str:
        start = prompt_text.rfind("Question: ") + len("Question: ")
        problem = prompt_text[start:prompt_text.find(EOS, start)].strip()
        turn = prompt_text[prompt_text.rfind("<|im_start|>assistant"):]
        outputs = OUTPUT_RE.findall(turn)
        if not outputs:
            value = int(golds[problem]) + (index[problem] % 2)
            return f"<think>\nLet me compute it.\n<tool_call>\nx = {value}\nprint(x)\n</tool_call>"
        printed = outputs[-1].strip().splitlines()[0]
        return f"\nThe sandbox says {printed}.\n</think>\n\nThe answer is $\\boxed{{{printed}}}$.{EOS}"

    return policy
