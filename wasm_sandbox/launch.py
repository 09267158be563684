"""Console scripts of the commands that live in an extra: `deepmath-agent` ([agent]), `deepmath-eval`
([eval]) and `deepmath-train` ([train]).

`pip install deepmath` installs only what `deepmath-sandbox` and `deepmath-mcp` need, yet every
console script is installed. Each of these entry points imports its CLI and runs it; when that fails
because a third-party module is not installed, it prints one line naming the extra to install and
exits 2 instead of a traceback. A missing module of our own packages or of the standard library is
a broken installation, not a missing extra, and is raised as is.

It lives in the core package because it must import in the lean install.
"""

from __future__ import annotations

import importlib
import sys

OWN_PACKAGES = frozenset({"wasm_sandbox", "mcp_server", "agent_client", "eval", "train"})


def missing_third_party(exc: ModuleNotFoundError) -> str | None:
    """The top-level name of the missing module when an extra would install it; None when it is one
    of ours or of the standard library (a broken installation: the caller re-raises)."""
    missing = (exc.name or "").partition(".")[0]
    if not missing or missing in OWN_PACKAGES or missing in sys.stdlib_module_names:
        return None
    return missing


def needs_extra(who: str, extra: str, module: str) -> str:
    """The one line that names the extra to install."""
    return f"{who} needs the [{extra}] extra (no module named {module!r}): pip install 'deepmath[{extra}]'"


def run_command(prog: str, extra: str, target: str) -> int:
    """Import `target` ("module:function") and return what calling it returns; exit status 2 with
    one line on stderr when a module that `extra` would install is missing."""
    module, _, function = target.partition(":")
    try:
        return getattr(importlib.import_module(module), function)()
    except ModuleNotFoundError as exc:
        missing = missing_third_party(exc)
        if missing is None:
            raise
        print(needs_extra(prog, extra, missing), file=sys.stderr)
        return 2


def agent() -> int:
    return run_command("deepmath-agent", "agent", "agent_client.cli:main")


def evaluate() -> int:
    return run_command("deepmath-eval", "eval", "eval.cli:main")


def train() -> int:
    return run_command("deepmath-train", "train", "train.cli:main")
