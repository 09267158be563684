"""Property-based tests of `Sandbox.run`'s arguments (Hypothesis; budget: see `support.fuzz`).

Whatever a caller passes - code with any unicode (NULs, lone surrogates, huge or oversized
snippets, snippets that echo such text back through every output stream), any timeout (huge,
negative, zero, NaN, infinite, of the wrong type), any session id (empty, huge, unicode, not a
str) - `run` either returns a well-formed `ExecResult` (a declared status, strings that serialise
to UTF-8 JSON, streams within the output cap) or raises the documented validation error
(`TypeError` for a wrong type, `ValueError` for a timeout outside (0, 3600]). After every example
the same sandbox still serves a normal call.
"""

from __future__ import annotations

import json
import math

from hypothesis import event, example, given, strategies as st
from support.fuzz import fuzz_settings, mostly

from wasm_sandbox import STATUSES, ExecResult
from wasm_sandbox.sandbox import MIN_RUN_S

MAX_TIMEOUT_S = 3600
SLACK_S = 0.5  # a loaded machine may take this long between a call's start and its session's lock
ANY_CHAR = st.characters(codec=None, exclude_categories=())  # every code point, lone surrogates included
ANY_TEXT = st.text(ANY_CHAR, max_size=64)


def _echo(template: str):
    """Valid snippets that send random text back through one channel (value, stdout, stderr, error)."""
    return st.builds(lambda s, n: template.format(s=repr(s), n=n), ANY_TEXT, st.integers(1, 3000))


CODE = st.one_of(
    ANY_TEXT,
    st.text(st.sampled_from("\x00\ud800\udfff\n\t ()[]{}:'\"#\\=+*xy01é😀"), max_size=40),
    _echo("{s}"),
    _echo("print({s} * {n})"),
    _echo("import sys\nsys.stderr.write({s} * {n})"),
    _echo("raise ValueError({s} * {n})"),
    _echo("x = {s}\nx"),
    st.builds(lambda k: "1" * k, st.sampled_from([0, 1, 255_999, 256_000, 256_001, 300_000])),
)
NOT_A_STR = st.one_of(st.none(), st.integers(), st.binary(max_size=8), st.lists(st.integers(), max_size=2),
                      st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))
SESSION_ID = mostly(
    st.one_of(st.none(), ANY_TEXT, st.just(""),
              st.builds(lambda c, k: c * k, st.sampled_from("a\x00\ud800é"), st.sampled_from([1_000, 100_000]))),
    st.one_of(st.integers(), st.floats(), st.binary(max_size=8), st.tuples(st.text(max_size=3))),
)
TIMEOUT = mostly(
    st.one_of(st.none(), st.floats(min_value=1e-300, max_value=2.0)),
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(10**400), max_value=10**400),
        st.sampled_from([0, -0.0, 1e-320, MAX_TIMEOUT_S, MAX_TIMEOUT_S + 1e-9, True, False]),
        st.lists(st.floats(), max_size=1), st.dictionaries(st.text(max_size=1), st.none(), max_size=1)),
)


def _expected_error(code, session_id, timeout_s) -> type[Exception] | None:
    """The documented validation: the exception type a call must raise, or None if it must return."""
    if not isinstance(code, str) or (session_id is not None and not isinstance(session_id, str)):
        return TypeError
    if timeout_s is None:
        return None
    if not isinstance(timeout_s, (int, float)):
        return TypeError
    return None if 0 < timeout_s <= MAX_TIMEOUT_S and not math.isnan(timeout_s) else ValueError


def _check_well_formed(r, cap: int) -> None:
    assert isinstance(r, ExecResult)
    assert r.status in STATUSES
    assert (r.error is None) == (r.status == "ok"), r
    assert r.duration_ms >= 0
    # every string is serialisable as strict UTF-8 JSON (no lone surrogates reach a client)
    json.dumps(r.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")
    # the cap counts characters before the host escapes lone surrogates ('\\udcff', 6 characters each)
    bound = 6 * (cap + 64)  # 64: the "... [N characters cut] ..." note between the kept head and tail
    for name in ("stdout", "stderr", "value"):
        assert len(getattr(r, name) or "") <= bound, (name, len(getattr(r, name)))


@fuzz_settings(ci_examples=800)
@given(code=mostly(CODE, NOT_A_STR), session_id=SESSION_ID, timeout_s=TIMEOUT)
@example(code="1", session_id=None, timeout_s=10**400)  # float() overflows: a ValueError, not an OverflowError
@example(code="'\ud800' * 3000", session_id="\ud800", timeout_s=None)
@example(code="print('\x00')\n\x00", session_id="", timeout_s=float("nan"))
@example(code="1", session_id="s", timeout_s=1e-300)  # busy; its message blamed another call, there was none
def test_run_returns_a_well_formed_result_or_raises_the_documented_error(sandbox, code, session_id, timeout_s):
    expected = _expected_error(code, session_id, timeout_s)
    try:
        if expected is None:
            r = sandbox.run(code, session_id=session_id, timeout_s=timeout_s)
            event(f"status {r.status}")
            _check_well_formed(r, sandbox.limits.max_output_chars)
            if len(code) > sandbox.limits.max_code_chars:
                assert r.status == "error" and r.error.type == "CodeTooLarge"
            if r.status == "busy":  # one call at a time here: only a deadline too short to start makes one
                assert timeout_s is not None and timeout_s < MIN_RUN_S + SLACK_S and "timeout_s" in r.error.message, r
        else:
            try:
                sandbox.run(code, session_id=session_id, timeout_s=timeout_s)
            except expected:
                event(f"raised {expected.__name__}")
            else:
                raise AssertionError(f"expected {expected.__name__}")
    finally:
        if isinstance(session_id, str):
            sandbox.reset(session_id)
    after = sandbox.run("6 * 7", session_id="fuzz-probe")
    assert after.status == "ok" and after.value == "42", after
