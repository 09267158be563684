"""Versioned prompts: the system prompt and our own few-shot examples, kept in data files.

Why versioned files: a trajectory records `prompt_version`, so an eval run or a training set can
always be traced to the exact instructions the model saw; changing the prompt means adding a new
file, never editing one that results were produced with.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

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
