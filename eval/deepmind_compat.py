"""Run DeepMind's `mathematics_dataset` 1.0.1 (2019) under today's numpy (2.x) and sympy (>= 1.6).

The generator's source is used as published; four spots no longer run (or will not) and are rewritten *at import
time, in memory* (the installed files and their bytecode caches are left untouched):

  - `np.object` (removed in numpy 1.24) -> `object`;
  - `ndarray.itemset(index, value)` (removed in numpy 2.0) -> `ndarray.__setitem__(index, value)`,
    the same assignment;
  - `sympy.solvers.diophantine.base_solution_linear` moved to
    `sympy.solvers.diophantine.diophantine` in sympy 1.6;
  - `random.randint` on integral floats (`numbers.round_number`), deprecated since python 3.10 and
    an error from 3.12, gets the same values as ints;

and two spots are rewritten for reproducibility (a seed must fix the items in any process): the
generator picks a variable name from a `set` of letters (its order changes with PYTHONHASHSEED)
and shuffles a `set` of objects hashed by memory address; both draw from an ordered copy instead.
The questions and answers are still the generator's own; a seed gives different items than the
unpatched generator would (which gives different items in every process anyway).

Every rewrite must match the source it expects (`CompatError` otherwise), so a different release
of the generator fails loudly at import instead of generating from half-patched code.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from pathlib import Path

PACKAGE = "mathematics_dataset"

# module -> [(old, new)]: each `old` must occur in that module's source
_REWRITES: dict[str, list[tuple[str, str]]] = {
    f"{PACKAGE}.sample.polynomials": [
        ("from sympy.solvers.diophantine import base_solution_linear",
         "from sympy.solvers.diophantine.diophantine import base_solution_linear"),
        ("dtype=np.object", "dtype=object"),
        (".itemset(", ".__setitem__("),
    ],
    f"{PACKAGE}.modules.numbers": [  # integral floats: deprecated in python 3.10, a TypeError from 3.12
        ("random.randint(remainder_range_lower, remainder_range_upper)",
         "random.randint(int(remainder_range_lower), int(remainder_range_upper))"),
    ],
    # reproducibility, not compatibility: the generator draws from containers whose order is not
    # fixed by the random seed (a set of letters: string hashes vary per process; a set of objects
    # hashed by address); drawing from a sorted / insertion-ordered copy makes a seed fix the items
    f"{PACKAGE}.util.composition": [
        ("symbol = random.choice(list(allowed))", "symbol = random.choice(sorted(allowed))"),
        ("entities = set(context.child_entities)", "entities = dict.fromkeys(context.child_entities)"),
        ("entities.add(maybe_entity)", "entities[maybe_entity] = None"),
    ],
}


class CompatError(ImportError):
    """The installed generator's source is not the one these rewrites were written for."""


def rewrite(name: str, source: str) -> str:
    """`source` of module `name` with its rewrites applied (unchanged for modules without any)."""
    for old, new in _REWRITES.get(name, ()):
        if old not in source:
            raise CompatError(f"{name}: expected {old!r} in the source of {PACKAGE}; this compatibility "
                              f"layer is written for mathematics-dataset 1.0.1")
        source = source.replace(old, new)
    return source


class _Loader(importlib.abc.Loader):
    def __init__(self, name: str, path: str):
        self.name, self.path = name, path

    def create_module(self, spec):  # default module creation
        return None

    def exec_module(self, module) -> None:
        source = rewrite(self.name, Path(self.path).read_text(encoding="utf-8"))
        exec(compile(source, self.path, "exec"), module.__dict__)  # noqa: S102 - the generator's own code


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname not in _REWRITES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None:
            return None
        return importlib.util.spec_from_file_location(fullname, spec.origin, loader=_Loader(fullname, spec.origin))


_FINDER = _Finder()


def install() -> None:
    """Put the rewriting finder in front of the import system (idempotent). Call before the first
    `import mathematics_dataset...`; a module already imported without it is an error."""
    if _FINDER in sys.meta_path:
        return
    stale = [m for m in _REWRITES if m in sys.modules]
    if stale:
        raise CompatError(f"{', '.join(stale)} was imported before the compatibility layer was installed")
    sys.meta_path.insert(0, _FINDER)
