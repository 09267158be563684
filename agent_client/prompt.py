"""Versioned prompts: the system prompt and our own few-shot examples, kept in data files.

Why versioned files: a trajectory records `prompt_version`, so an eval run or a training set can
always be traced to the exact instructions the model saw; changing the prompt means adding a new
file, never editing one that results were produced with.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

PROMPT_DIR = Path(__file__).parent / "prompts"
DEFAULT_VERSION = "v1"

Mode = Literal["agent", "plain"]


class FewShot(BaseModel):
    """One worked example: a question and the full assistant turn (with tool calls and outputs)."""

    question: str
    response: str


class Prompt(BaseModel):
    """A prompt file: instructions for both modes plus examples for the tool mode."""

    version: str
    system_agent: str
    system_plain: str
    user_template: str = "Question: {problem}"
    examples: list[FewShot]
    separator: str = "\n\n---\n\n"

    def system(self, mode: Mode) -> str:
        """The system message: instructions, then (agent mode) the examples separated by `---`."""
        if mode == "plain":
            return self.system_plain
        shots = [f"Question: {ex.question}\n\n{ex.response}" for ex in self.examples]
        return self.separator.join([self.system_agent, *shots])

    def messages(self, problem: str, mode: Mode = "agent") -> list[dict[str, str]]:
        """Chat messages for the model's chat template."""
        return [{"role": "system", "content": self.system(mode)},
                {"role": "user", "content": self.user_template.format(problem=problem)}]


@lru_cache(maxsize=16)
def load_prompt(version: str = DEFAULT_VERSION) -> Prompt:
    """Load `prompts/<version>.json`, or a path to a prompt JSON file."""
    path = Path(version)
    if not path.suffix:
        path = PROMPT_DIR / f"{version}.json"
    if not path.is_file():
        known = sorted(p.stem for p in PROMPT_DIR.glob("*.json"))
        raise FileNotFoundError(f"no prompt {version!r}; known versions: {known}")
    data = json.loads(path.read_text())
    return Prompt.model_validate(data)


class PromptTokens:
    """Chat-templated, tokenized prompts, with the shared head tokenized once.

    Why: every problem's prompt starts with the same system prompt and few-shot examples (~2k tokens),
    and tokenizing them again for every trajectory was the largest client-side cost per trajectory.
    The prompt is split just before an added token (e.g. `<|im_start|>` of the user turn): tokenizers
    cut the text at added tokens before anything else, so `encode(head) + encode(rest)` equals
    `encode(head + rest)`. That is verified on probe problems when the split is chosen; if it does
    not hold for a tokenizer, every prompt is tokenized whole."""

    MARK = "@@DEEPMATH-PROBLEM@@"
    PROBES = ("What is 1 + 1?", " x", "Find $\\frac{1}{2}$.\n\nAnswer:")

    def __init__(self, tokenizer: Any, prompt: Prompt, mode: Mode):
        self.tok, self.prompt, self.mode = tokenizer, prompt, mode
        self.head, self.head_ids = self._split()

    def text(self, problem: str) -> str:
        return self.tok.apply_chat_template(self.prompt.messages(problem, self.mode), tokenize=False,
                                            add_generation_prompt=True)

    def _encode(self, text: str) -> list[int]:
        return list(self.tok.encode(text, add_special_tokens=False))

    def _split(self) -> tuple[str, list[int]]:
        full = self.text(self.MARK)
        at = full.find(self.MARK)
        added = getattr(self.tok, "added_tokens_decoder", {}) or {}
        starts = [full.rfind(t.content, 0, at) for t in added.values()
                  if not getattr(t, "lstrip", False) and not getattr(t, "rstrip", False) and t.content]
        cut = max(starts, default=-1) if at >= 0 else -1
        if cut <= 0:
            return "", []
        head = full[:cut]
        head_ids = self._encode(head)
        for probe in self.PROBES:
            text = self.text(probe)
            if not text.startswith(head) or head_ids + self._encode(text[cut:]) != self._encode(text):
                return "", []
        return head, head_ids

    def ids(self, problem: str) -> tuple[str, list[int]]:
        """(prompt text, prompt ids) for one problem."""
        text = self.text(problem)
        if self.head and text.startswith(self.head):
            return text, self.head_ids + self._encode(text[len(self.head):])
        return text, self._encode(text)
