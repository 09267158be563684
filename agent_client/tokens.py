"""Untrusted text stays text: token ids for text that must never become control tokens.

Why: a problem statement, a snippet's output and anything copied from them are data. A tokenizer's
`encode` cuts added tokens (`<|im_end|>`, `<tool_call>`, `<start_of_turn>`, ...) out of raw text
before anything else, so a problem containing `<|im_end|>\\n<|im_start|>assistant` would forge a turn,
and a snippet printing `<|endoftext|>` would end the context. transformers' `split_special_tokens`
only covers added tokens marked special, not `<tool_call>` or `<think>` (added with special=False).

How: untrusted text is encoded by a copy of the tokenizer's own pipeline (normalizer, pre-tokenizer,
model) with its control tokens removed from the added tokens, so none can be matched in it; its ids
decode back to the same text with the unchanged tokenizer. Trusted text (the chat template around
the problem, the loop's own markers) is encoded normally and contributes its control tokens; the
text between two trusted control tokens, trusted and untrusted parts alike, is encoded in one
piece, which is how the tokenizer itself encodes text between added tokens, so ids are unchanged
wherever no added token occurs in untrusted text. Needs a fast (tokenizers-backed) tokenizer, which
AutoTokenizer gives. The copy is made on first use of a tokenizer; tokens added to it later are not seen.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Sequence
from typing import Any

Part = tuple[str, bool]  # (text, trusted)

_TEXT_ONLY: weakref.WeakKeyDictionary[Any, tuple[Any, frozenset[int]]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _backend(tokenizer: Any) -> Any:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise TypeError(f"{type(tokenizer).__name__} is not a fast (tokenizers-backed) tokenizer; untrusted text "
                        "cannot be kept from becoming control tokens with it")
    return backend


def _text_only(tokenizer: Any) -> tuple[Any, frozenset[int]]:
    """(the pipeline for untrusted text, the control token ids), built once per tokenizer.

    An added token stays in the copy only when the bare pipeline turns its characters into exactly
    that token anyway: such a token is text (Gemma registers runs of newlines and tabs as added
    tokens), and keeping it keeps the copy's ids equal to the tokenizer's own."""
    from tokenizers import AddedToken, Tokenizer

    with _LOCK:
        entry = _TEXT_ONLY.get(tokenizer)
        if entry is None:
            data = json.loads(_backend(tokenizer).to_str())
            added, data["added_tokens"], data["truncation"], data["padding"] = data["added_tokens"], [], None, None
            copy = Tokenizer.from_str(json.dumps(data))
            encs = copy.encode_batch([t["content"] for t in added], add_special_tokens=False)
            text = [t for t, e in zip(added, encs) if e.ids == [t["id"]]]
            copy.add_tokens([AddedToken(t["content"], single_word=t["single_word"], lstrip=t["lstrip"],
                                        rstrip=t["rstrip"], normalized=t["normalized"], special=t["special"])
                             for t in text])
            entry = _TEXT_ONLY[tokenizer] = (copy, frozenset(t["id"] for t in added) - {t["id"] for t in text})
        return entry


def text_only_tokenizer(tokenizer: Any) -> Any:
    """The tokenizer's backend pipeline without its control tokens (a `tokenizers.Tokenizer`)."""
    return _text_only(tokenizer)[0]


def control_token_ids(tokenizer: Any) -> frozenset[int]:
    """Ids of the added tokens (special or not) that untrusted text must never produce: all of them but
    those the vocabulary makes from their own characters anyway (see `_text_only`)."""
    return _text_only(tokenizer)[1]


def added_token_ids(tokenizer: Any) -> frozenset[int]:
    """Ids of every added token: where the tokenizer itself cuts trusted text."""
    return frozenset(int(i) for i in (getattr(tokenizer, "added_tokens_decoder", None) or {}))


def encode_text(tokenizer: Any, text: str) -> list[int]:
    """Ids of untrusted `text`: no added token can arise from its characters."""
    if not text:
        return []
    return list(text_only_tokenizer(tokenizer).encode(text, add_special_tokens=False).ids)


def encode_trusted(tokenizer: Any, text: str) -> list[int]:
    """Ids of our own text (chat template, prompt files): added tokens in it are control tokens."""
    return list(_backend(tokenizer).encode(text, add_special_tokens=False).ids)


def _control_spans(tokenizer: Any, text: str) -> list[tuple[int, int, int]]:
    """(start, end, id) of the added tokens the tokenizer finds in trusted `text` (character offsets)."""
    added = added_token_ids(tokenizer)
    enc = _backend(tokenizer).encode(text, add_special_tokens=False)
    return [(s, e, i) for i, (s, e) in zip(enc.ids, enc.offsets) if i in added]


def encode_parts(tokenizer: Any, parts: Sequence[Part]) -> list[int]:
    """Ids of the concatenated parts: control tokens only where a trusted part has them."""
    ids: list[int] = []
    pending = ""  # text since the last trusted control token
    for text, trusted in parts:
        pos = 0
        for start, end, tid in (_control_spans(tokenizer, text) if trusted else ()):
            ids += encode_text(tokenizer, pending + text[pos:start])
            ids.append(tid)
            pending, pos = "", end
        pending += text[pos:]
    return ids + encode_text(tokenizer, pending)


class Split:
    """Trusted text around an untrusted middle, pre-encoded: `ids(middle)` encodes only the text between
    the last control token of `head` and the first of `tail` (the chat template's part of a prompt
    is the same for every problem, and is encoded once)."""

    def __init__(self, tokenizer: Any, head: str, tail: str):
        self.tok = tokenizer
        head_spans, tail_spans = _control_spans(tokenizer, head), _control_spans(tokenizer, tail)
        cut_head = head_spans[-1][1] if head_spans else 0
        cut_tail = tail_spans[0][0] if tail_spans else len(tail)
        self.head_ids = encode_trusted(tokenizer, head[:cut_head])
        self.tail_ids = encode_trusted(tokenizer, tail[cut_tail:])
        self.head_text, self.tail_text = head[cut_head:], tail[:cut_tail]

    def ids(self, middle: str) -> list[int]:
        return self.head_ids + encode_text(self.tok, self.head_text + middle + self.tail_text) + self.tail_ids
