"""Versioned prompts: the system prompt and our own few-shot examples, kept in data files.

Why versioned files: a trajectory records `prompt_version`, so an eval run or a training set can
always be traced to the exact instructions the model saw; changing the prompt means adding a new
file, never editing one that results were produced with.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from agent_client.tokens import Split, encode_parts

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
    """Chat-templated, tokenized prompts: the template's text is tokenized once, the problem as text.

    Why: the problem is data (from users and datasets) and must never yield a control token
    (`agent_client.tokens`); and every problem's prompt shares the same system prompt and few-shot
    examples (~2k tokens), whose tokenization is done once. The template is rendered with a marker
    as the problem; the text before and after the marker is the template's own (its control tokens
    count), and what a problem renders to between them is encoded as untrusted text."""

    MARK = "@@DEEPMATH-PROBLEM@@"

    def __init__(self, tokenizer: Any, prompt: Prompt, mode: Mode):
        self.tok, self.prompt, self.mode = tokenizer, prompt, mode
        full = self.text(self.MARK)
        at = full.find(self.MARK)
        if at < 0 or full.count(self.MARK) != 1:
            raise ValueError("the chat template does not show the user message once and verbatim; "
                             "the problem cannot be told apart from the template")
        self.head, self.tail = full[:at], full[at + len(self.MARK):]
        self.split = Split(tokenizer, self.head, self.tail)

    def text(self, problem: str) -> str:
        return self.tok.apply_chat_template(self.prompt.messages(problem, self.mode), tokenize=False,
                                            add_generation_prompt=True)

    def ids(self, problem: str) -> tuple[str, list[int]]:
        """(prompt text, prompt ids) for one problem."""
        text = self.text(problem)
        end = len(text) - len(self.tail)
        if end >= len(self.head) and text.startswith(self.head) and text.endswith(self.tail):
            return text, self.split.ids(text[len(self.head):end])
        # the template changed its own text for this problem (e.g. Gemma's `| trim` of an empty one): the
        # longest shared beginning and end are the template's, everything between is the problem's
        p = len(os.path.commonprefix([text, self.head]))
        q = min(len(os.path.commonprefix([text[::-1], self.tail[::-1]])), len(text) - p)
        return text, encode_parts(self.tok, [(text[:p], True), (text[p:len(text) - q], False),
                                             (text[len(text) - q:], True)])
