"""Seeded math problem families with honest train / val / test splits, shared by eval and training.

    from eval.families import generate, problems
    generate("train", per_family=64)     # list[Item]: id, family, problem, answer, code
    problems("test")                     # list[eval.datasets.Problem] for deepmath-eval

Why splits differ in phrasing *and* numbers: a 135M model imitates; a test that reuses training
sentences or numbers would measure recall. So every family has its own phrasings for train, val and
test (never shared), val uses train-range numbers (it picks checkpoints, so it must look like train),
and test draws its numbers from ranges train never uses.

Why a hash per item: item i of (split, family, seed) comes from sha256 of those, so asking for more
items, fewer families or another split never changes an item already drawn. A draw that repeats an
earlier problem text of the same split is redrawn (a few attempts, then kept), which depends only on
earlier items, so prefixes stay stable.

`Item.code` is the teacher snippet: the family's one snippet shape with the question's numbers
copied in; its last printed line is exactly `Item.answer`.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import algebra, arithmetic, counting, number_theory, word  # noqa: F401 - importing registers the families
from .core import REGISTRY, Family, answer_text

if TYPE_CHECKING:
    from eval.datasets import Problem

SPLITS = ("train", "val", "test")
DEFAULT_SIZES = {"train": 64, "val": 4, "test": 4}
FAMILIES: dict[str, Family] = dict(sorted(REGISTRY.items()))
MAX_ATTEMPTS = 32  # redraws of an item whose text repeats an earlier one in the same split


@dataclass(frozen=True)
class Item:
    id: str        # f"{split}/{family}/{index}", stable
    family: str
    problem: str
    answer: str    # integer or reduced fraction as plain text
    code: str      # teacher snippet; its last printed line is `answer`


def _rng(seed: int, split: str, family: str, index: int, attempt: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}/{split}/{family}/{index}/{attempt}".encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def draw(fam: Family, split: str, index: int, seed: int = 0, attempt: int = 0) -> tuple[dict[str, Any], Item]:
    """The params and the item for one (split, family, index, seed, attempt)."""
    rng = _rng(seed, split, fam.name, index, attempt)
    phrasing = rng.choice(fam.phrasings(split))
    params, gold = fam.sample(rng, split == "test")
    item = Item(id=f"{split}/{fam.name}/{index}", family=fam.name, problem=phrasing.format(**params),
                answer=answer_text(gold), code=fam.code.format(**params))
    return params, item


def draws(split: str, family: str, n: int, seed: int = 0) -> list[tuple[dict[str, Any], Item]]:
    """The first `n` (params, item) of one family in one split, texts unique where possible."""
    fam = FAMILIES[family]
    seen: set[str] = set()
    out = []
    for index in range(n):
        for attempt in range(MAX_ATTEMPTS):
            params, item = draw(fam, split, index, seed, attempt)
            if item.problem not in seen:
                break
        seen.add(item.problem)
        out.append((params, item))
    return out


def _check(split: str, families: Sequence[str] | None) -> list[str]:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    names = list(FAMILIES) if families is None else list(families)
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise ValueError(f"unknown families {', '.join(unknown)}: known are {', '.join(FAMILIES)}")
    return names


def generate(split: str, *, per_family: int | None = None, seed: int = 0,
             families: Sequence[str] | None = None) -> list[Item]:
    """`per_family` items (default `DEFAULT_SIZES[split]`) of each family, grouped by family."""
    names = _check(split, families)
    n = DEFAULT_SIZES[split] if per_family is None else per_family
    if n < 0:
        raise ValueError("per_family must be >= 0")
    return [item for name in names for _, item in draws(split, name, n, seed)]


def problems(split: str, **kw: Any) -> list[Problem]:
    """The split as `{id, problem, answer}` records for the eval runner."""
    from eval.datasets import Problem

    return [Problem(id=i.id, problem=i.problem, answer=i.answer) for i in generate(split, **kw)]


__all__ = ["DEFAULT_SIZES", "FAMILIES", "SPLITS", "Family", "Item", "draw", "draws", "generate", "problems"]
