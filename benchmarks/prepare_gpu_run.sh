#!/usr/bin/env bash
# Prepare the git-ignored folders benchmarks/gpu_checks.sh carries to the GPU machine:
#   .devdata/  offline datasets (Planetoid + ogbl-ddi raw files, ~30 MiB) from $GRAPHAE_SHARED_DATASETS
#   .whl/      ogb 1.3.6 + defusedxml wheels (pure Python; the device image has Python 3.12 and
#              every other dependency, but not these two)
# Run here, in the repository root:  bash benchmarks/prepare_gpu_run.sh
# The device's .venv-free python3 then installs them with --no-deps (see gpu_checks.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${GRAPHAE_SHARED_DATASETS:-../shared/datasets}
PY=${PYTHON:-python3}
rm -rf .devdata && mkdir -p .devdata
cp -r "$SRC/Planetoid" .devdata/
mkdir -p .devdata/ogb && cp -r "$SRC/ogb/ogbl_ddi" .devdata/ogb/
find .devdata -name processed -type d -prune -exec rm -rf {} +
PY=$PY bash benchmarks/device_wheels.sh
du -sh .devdata .whl
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 du -b 2>/dev/null | awk '{s+=$1} END {print s}')  # xargs may call du several times: sum every line
extra=$(du -sb .devdata .whl | awk '{s+=$1} END {print s}')
echo "travels: $(( (tree + extra) / 1048576 )) MiB of the 64 MiB limit"
