"""Strict parsing of the result record a guest hands over through the `host.call` door.

Why strict: the record comes from inside the sandbox, and a snippet can suppress the driver's own
record and send any bytes instead. The host therefore trusts nothing in it: the bytes must be one
JSON object of the exact shape the driver writes, with a status a
guest may claim (`ok`, `error`, `memory`; timeouts and crashes are decided by the host). Every
string is cleaned (`result.clean`) and cut to the output cap here, on the host, whatever the guest
claims. Anything else is `None`, which the runtime reports as `crashed` and kills the instance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .result import ErrorInfo, clean

GUEST_STATUSES = frozenset({"ok", "error", "memory"})
_RECORD_KEYS = frozenset({"status", "value", "error", "value_truncated"})
_ERROR_KEYS = frozenset({"type", "message", "traceback"})


@dataclass(frozen=True)
class Record:
    status: str
    value: str | None
    error: ErrorInfo | None
    value_truncated: bool


def cut(text: str, limit: int) -> tuple[str, bool]:
    """Keep the head and the tail of `text`, saying how much of the middle was cut."""
    if len(text) <= limit:
        return text, False
    half = max(limit // 2, 1)
    return f"{text[:half]}\n... [{len(text) - 2 * half} characters cut] ...\n{text[-half:]}", True


def parse(raw: bytes, max_chars: int) -> Record | None:
    """The record in `raw`, capped and cleaned, or None if it is not exactly a driver record."""
    try:
        rec = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # bad UTF-8, bad JSON, JSON nested too deep
        return None
    if not isinstance(rec, dict) or set(rec) - _RECORD_KEYS or rec.get("status") not in GUEST_STATUSES:
        return None
    value, err, flag = rec.get("value"), rec.get("error"), rec.get("value_truncated", False)
    if not (value is None or isinstance(value, str)) or not isinstance(flag, bool):
        return None
    error = None
    if err is not None:
        if not isinstance(err, dict) or set(err) - _ERROR_KEYS or not {"type", "message"} <= set(err):
            return None
        if not all(isinstance(v, str) for v in err.values()):
            return None
        error = ErrorInfo(**{k: clean(cut(v, max_chars if k != "type" else 200)[0]) for k, v in err.items()})
    if (rec["status"] == "ok") != (error is None):
        return None
    cut_flag = False
    if value is not None:
        value, cut_flag = cut(value, max_chars)
        value = clean(value)
    return Record(status=rec["status"], value=value, error=error, value_truncated=flag or cut_flag)
