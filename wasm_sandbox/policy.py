"""Which modules a snippet may import: one allow-list per profile.

The allow-list is policy for a predictable math tool (DeepMath's list plus the obvious pure
modules), not the security boundary: wasmtime is. Anything else raises an `ImportError` that names
the allowed modules, so a model can correct itself.

Profiles: `math` (the default) is DeepMath's list. `plot` adds the plotting and data modules the
interpreter image ships (matplotlib on its Agg backend, pandas, networkx, Pillow); its snapshot
has them imported already, and a figure a snippet leaves open comes back as a PNG.
"""

from __future__ import annotations

from typing import Literal, get_args

DEFAULT_ALLOWED_MODULES: tuple[str, ...] = (
    "math", "cmath", "fractions", "decimal", "numbers", "statistics", "random", "itertools",
    "functools", "operator", "collections", "heapq", "bisect", "re", "string", "datetime", "time",
    "sympy", "mpmath", "numpy", "scipy",
)
PLOT_MODULES: tuple[str, ...] = ("matplotlib", "mpl_toolkits", "pandas", "networkx", "PIL")

Profile = Literal["math", "plot"]
PROFILE_NAMES: tuple[str, ...] = get_args(Profile)
PROFILES: dict[str, tuple[str, ...]] = {
    "math": DEFAULT_ALLOWED_MODULES,
    "plot": DEFAULT_ALLOWED_MODULES + PLOT_MODULES,
}
