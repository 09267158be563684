"""Hypothesis budgets for the fuzz tests: a small deterministic one for CI, a longer random one on demand.

    DEEPMATH_FUZZ_SCALE=20 python -m pytest -q tests/sandbox/test_fuzz_run.py tests/mcp/test_fuzz_frames.py

With the default scale (1) every fuzz test runs its CI number of examples, derandomized (the same
examples on every run, so CI is deterministic). A larger scale multiplies the examples and draws
them at random (a new seed each run; Hypothesis prints the failing example and its seed).
`benchmarks/fuzz.py` runs both files at a scale and prints the counts.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings, strategies as st

SCALE_ENV = "DEEPMATH_FUZZ_SCALE"


def scale() -> int:
    value = int(os.environ.get(SCALE_ENV, "1"))
    if value < 1:
        raise ValueError(f"{SCALE_ENV} must be a positive integer, not {value}")
    return value


def fuzz_settings(ci_examples: int) -> settings:
    """`ci_examples` derandomized examples, or `scale()` times as many random ones."""
    n = scale()
    return settings(
        max_examples=ci_examples * n,
        derandomize=n == 1,
        deadline=None,  # a call's time depends on the shared machine, not on the example
        database=None,  # no example database: a CI run does not depend on an earlier run's files
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


def mostly(good: st.SearchStrategy, bad: st.SearchStrategy, one_in: int = 6) -> st.SearchStrategy:
    """`good`, and `bad` one time in `one_in` (`st.one_of` would flatten nested choices and weigh
    every branch alike)."""
    return st.sampled_from(range(one_in)).flatmap(lambda k: bad if k == 0 else good)
