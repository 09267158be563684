"""Which modules a snippet may import.

The allow-list is policy for a predictable math tool (DeepMath's list plus the obvious pure
modules), not the security boundary: wasmtime is. Anything else raises an `ImportError` that names
the allowed modules, so a model can correct itself.
"""

from __future__ import annotations

DEFAULT_ALLOWED_MODULES: tuple[str, ...] = (
    "math", "cmath", "fractions", "decimal", "numbers", "statistics", "random", "itertools",
    "functools", "operator", "collections", "heapq", "bisect", "re", "string", "datetime", "time",
    "sympy", "mpmath", "numpy", "scipy",
)
