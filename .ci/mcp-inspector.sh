#!/usr/bin/env bash
# Check deepmath-mcp with an independent client: the MCP Inspector CLI (Node + TypeScript SDK),
# over stdio and streamable HTTP. Installs the pinned Inspector into the cache on first use;
# `--install-only` stops there (tests/mcp/test_inspector.py finds it in the cache).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=0.15.0   # keep in step with tests/mcp/test_inspector.py
PREFIX="${DEEPMATH_CACHE:-$HOME/.cache/deepmath}/npm-inspector-$VERSION"
if ! command -v node >/dev/null; then
  echo "mcp-inspector: node is not installed; skipping" >&2
  exit 0
fi
if [ ! -x "$PREFIX/node_modules/.bin/mcp-inspector" ]; then
  npm install --prefix "$PREFIX" --no-audit --no-fund "@modelcontextprotocol/inspector@$VERSION"
fi
export MCP_INSPECTOR="$PREFIX/node_modules/.bin/mcp-inspector"
[ "${1:-}" = "--install-only" ] && { echo "mcp-inspector: $MCP_INSPECTOR"; exit 0; }
exec python -m pytest tests/mcp/test_inspector.py -q -rs "$@"
