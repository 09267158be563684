"""`--version` for every DeepMath command, from the installed package's metadata (one place)."""

from __future__ import annotations

import argparse
from importlib import metadata


def version() -> str:
    try:
        return metadata.version("deepmath")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown (not installed)"


def add_version(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()} (deepmath)")
