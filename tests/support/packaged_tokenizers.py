"""Tokenizers of the packaged bases (SmolLM2, Gemma 3) straight from their GGUF, for token-level tests.

Why not the converted checkpoint: converting dequantizes the weights (tens of seconds); a tokenizer
test needs only the GGUF's vocabulary, which `convert_gguf` reads the same way and `give_turns`
completes (chat template, end of turn) exactly as the conversion does. Returns None with the
reason when the base's package is not installed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=4)
def packaged_tokenizer(name: str) -> tuple[Any, str]:
    """(tokenizer or None, why not) for a packaged base name (agent_client.default_model.PACKAGED)."""
    from transformers import AutoTokenizer, GenerationConfig

    from agent_client.default_model import PACKAGED, find_gguf, give_turns

    base = PACKAGED[name]
    try:
        gguf = find_gguf(base)
    except FileNotFoundError as exc:
        return None, str(exc)
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    give_turns(tok, GenerationConfig(), base)
    return tok, ""
