#!/usr/bin/env bash
# Rehearse the device image's library versions here, on CPU, before spending device time:
# a venv with the image's torch (2.11, a CUDA wheel that runs on CPU too) and PyG 2.8, the
# project installed into it, then the default suite and the gpu-marked tests (on CPU,
# GRAPHAE_GPU_TESTS_ON_CPU=1). An API that the image's torch lacks fails here, not there.
#
#   bash benchmarks/rehearse_device_torch.sh [TORCH_VERSION] [VENV]   (defaults: 2.11.0 /tmp/v211)
#
# The first run downloads ~5 GB (torch's CUDA libraries); later runs reuse the venv.
# Writes VENV/rehearsal.log and VENV/rehearsal-junit.xml; exits with pytest's code.
set -uo pipefail
cd "$(dirname "$0")/.."
TORCH=${1:-2.11.0}
VENV=${2:-/tmp/v211}
if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV" || exit 1
fi
PY=$VENV/bin/python
if ! "$PY" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH')" 2>/dev/null; then
    "$PY" -m pip install -q "torch==$TORCH" || exit 1
fi
"$PY" -m pip install -q "torch_geometric==2.8.*" && "$PY" -m pip install -q -e '.[test]' || exit 1
"$PY" -c "import torch, torch_geometric; print('torch', torch.__version__, '| torch_geometric', torch_geometric.__version__)" \
    | tee "$VENV/rehearsal.log"
export TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 CI=true
"$PY" -m pytest -q -p no:cacheprovider -rf --junitxml="$VENV/rehearsal-junit.xml" 2>&1 \
    | tail -n 3 | tee -a "$VENV/rehearsal.log"
rc=${PIPESTATUS[0]}
GRAPHAE_GPU_TESTS_ON_CPU=1 "$PY" -m pytest -q -m gpu tests/test_gpu.py -p no:cacheprovider -rf 2>&1 \
    | tail -n 1 | tee -a "$VENV/rehearsal.log"
gpu_rc=${PIPESTATUS[0]}
(( rc == 0 )) && rc=$gpu_rc
exit "$rc"
