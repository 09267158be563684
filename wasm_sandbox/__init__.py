"""DeepMath's executor: untrusted Python in CPython-for-WASI on wasmtime.

    from wasm_sandbox import Sandbox, Limits, ExecResult
    with Sandbox(Limits(timeout_s=5.0)) as sb:
        sb.run("x = 2", session_id="s1"); sb.run("x * 3", session_id="s1").value  # '6'
"""

from .policy import DEFAULT_ALLOWED_MODULES
from .limits import Limits
from .result import STATUSES, ErrorInfo, ExecResult, Figure, Status

__all__ = ["DEFAULT_ALLOWED_MODULES", "STATUSES", "ErrorInfo", "ExecResult", "Figure", "Limits", "Sandbox",
           "Status", "prepare"]


def __getattr__(name: str):
    """`Sandbox` loads wasmtime: imported on first use, so the result contract (`wasm_sandbox.result`,
    imported by the agent) costs nothing."""
    if name == "Sandbox":
        from .sandbox import Sandbox

        return Sandbox
    raise AttributeError(f"module 'wasm_sandbox' has no attribute {name!r}")


def prepare(profile: str = "math") -> None:
    """Build (or load) the compiled snapshot of `profile` now, printing progress to stderr."""
    from .runtime import Runtime

    Runtime.get(profile)
