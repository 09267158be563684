"""DeepMind Mathematics (Saxton et al. 2019, PyPI `mathematics-dataset`) as generated datasets.

    generate("interpolate", seed=0, per_module=10)   # list[DMProblem], every module, stable order
    problems("interpolate", seed=0, per_module=10)   # list[eval.datasets.Problem] for deepmath-eval

The generator's 2019 code runs under our numpy/sympy through `eval.deepmind_compat` (in-memory
rewrites of its source). Questions and golds are the generator's own (`str(problem.question)`,
`str(problem.answer)`), with its own filter (questions over 160 and answers over 30 characters
are re-drawn, as its `generate.py` does). Nothing is written to disk: the seed makes them.

Reproducibility: the generator draws from python's `random`, numpy's global random state and
sympy's own generator (`sympy.core.random`, behind `randprime`). Each (seed, split, module) pair
seeds all three from a hash of its name, so a module's items do not depend on which other modules
were generated; the caller's random states are restored afterwards.

Splits: `train-easy`, `train-medium`, `train-hard` (the three thirds of the train entropy range,
as the published dataset), `interpolate` (56 modules), `extrapolate` (15 modules: the generator
has no extrapolation variant for the others).
"""

from __future__ import annotations

import functools
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass

from eval import deepmind_compat

SPLITS = ("train-easy", "train-medium", "train-hard", "interpolate", "extrapolate")
TRAIN_SPLITS = SPLITS[:3]
MAX_DRAWS = 1000  # draws per item before a module is declared unable to produce a short enough item


class GeneratorError(RuntimeError):
    """A module of the generator failed (the message names the module, split and seed)."""


@dataclass(frozen=True)
class DMProblem:
    """One generated item: the module that made it, its split, the question and the generator's answer."""

    id: str
    module: str
    split: str
    question: str
    answer: str


def _flatten(tree: dict, prefix: str | None = None) -> dict[str, Callable]:
    out: dict[str, Callable] = {}
    for key, value in tree.items():
        name = f"{prefix}__{key}" if prefix else key
        out.update(_flatten(value, name) if isinstance(value, dict) else {name: value})
    return out


@functools.cache
def modules(split: str) -> dict[str, Callable]:
    """The generator's modules of one split, by full name (`algebra__linear_1d`), sorted."""
    if split not in SPLITS:
        raise ValueError(f"unknown DeepMind Mathematics split {split!r}: one of {', '.join(SPLITS)}")
    deepmind_compat.install()
    from mathematics_dataset import generate
    from mathematics_dataset.modules import modules as dm_modules

    if split in TRAIN_SPLITS:
        tree = dm_modules.train(generate._make_entropy_fn(TRAIN_SPLITS.index(split), len(TRAIN_SPLITS)))
    else:
        tree = dm_modules.test() if split == "interpolate" else dm_modules.test_extra()
    flat = _flatten(tree)
    return {name: flat[name] for name in sorted(flat)}


def _seed(seed: int, split: str, module: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}/{split}/{module}".encode()).digest()[:4], "big")


def _draw(fn: Callable, where: str) -> tuple[str, str]:
    from mathematics_dataset import generate_settings as settings

    for _ in range(MAX_DRAWS):
        try:
            item = fn()
        except Exception as e:
            raise GeneratorError(f"{where}: {type(e).__name__}: {e}") from e
        question, answer = str(item.question), str(item.answer)
        if len(question) <= settings.MAX_QUESTION_LENGTH and len(answer) <= settings.MAX_ANSWER_LENGTH:
            return question, answer
    raise GeneratorError(f"{where}: no item within the length limits in {MAX_DRAWS} draws")


def generate(split: str, *, seed: int = 0, per_module: int = 10,
             only: list[str] | None = None) -> list[DMProblem]:
    """`per_module` items of every module of `split` (or of the modules named in `only`), in module
    order; the same arguments give the same items in any process."""
    import numpy as np
    from sympy.core import random as sympy_random

    mods = modules(split)
    unknown = sorted(set(only or ()) - set(mods))
    if unknown:
        raise ValueError(f"no module {', '.join(unknown)} in split {split}")
    states = random.getstate(), np.random.get_state(), sympy_random.rng.getstate()
    out: list[DMProblem] = []
    try:
        for name, fn in mods.items():
            if only is not None and name not in only:
                continue
            s = _seed(seed, split, name)
            random.seed(s)
            np.random.seed(s)
            sympy_random.rng.seed(s)
            for i in range(per_module):
                question, answer = _draw(fn, f"{split}/{name} (seed {seed}, item {i})")
                out.append(DMProblem(f"dm/{split}/{name}/{seed}/{i}", name, split, question, answer))
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        sympy_random.rng.setstate(states[2])
    return out


def problems(split: str | tuple[str, ...], *, seed: int = 0, per_module: int = 10) -> list:
    """`generate` as `eval.datasets.Problem`s, each with the answer form its grader needs."""
    from eval.answer_forms import form_of
    from eval.datasets import Problem

    splits = (split,) if isinstance(split, str) else split
    return [Problem(id=p.id, problem=p.question, answer=p.answer, form=form_of(p.module, p.question, p.answer))
            for s in splits for p in generate(s, seed=seed, per_module=per_module)]


def parse_options(spec: str) -> dict[str, int]:
    """`per_module=20,seed=3` (the part after `dm-interpolate:`) -> keyword arguments of `problems`."""
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, sep, value = part.partition("=")
        if not sep or key.strip() not in ("per_module", "seed") or not value.strip().lstrip("-").isdigit():
            raise ValueError(f"bad DeepMind Mathematics option {part!r}: use per_module=N,seed=S")
        out[key.strip()] = int(value)
    if out.get("per_module", 1) < 1:
        raise ValueError("per_module must be >= 1")
    return out
