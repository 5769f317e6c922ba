#!/usr/bin/env bash
# The wheels the GPU machine's image lacks (ogb 1.3.6, defusedxml; pure Python), built for
# its Python 3.12, into .whl/ (git-ignored, carried to the device). Kept when already there.
# Called by benchmarks/prepare_gpu_run.sh and `benchmarks/gpu_sweep.sh --prepare`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-${PYTHON:-python3}}
mkdir -p .whl
ls .whl/ogb-1.3.6-*.whl .whl/defusedxml-*.whl >/dev/null 2>&1 && exit 0
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux2014_x86_64 --platform any -d .whl ogb==1.3.6 defusedxml
