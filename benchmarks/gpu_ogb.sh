#!/usr/bin/env bash
# Seeds of an ogbl-ddi sweep on one GPU, as parallel processes, in ONE device `run` call.
#
# Every seed is its own `graphae bench ... --only -s<seed>-` process with its own
# sweep folder (/tmp/gpu_ogb/<spec>-s<seed>), so the processes never share a
# lock; when a seed finishes its records are exported at once into
# $OUT/ogb-ddi-gpu.json (+ validation curves in $OUT/ogb-ddi-gpu-curves.jsonl),
# so a command stopped at its time limit still returns every seed that
# finished. A seed still running at BUDGET_S seconds is stopped and lost (a
# 1024-wide checkpoint is too large to come back from the device), so size
# SEEDS x epochs to the budget; the next session runs the missing seeds.
#
# 1. Here (the machine without a GPU), once per session, from the repo root:
#      bash benchmarks/gpu_ogb.sh --prepare
#    copies ogbl-ddi's raw files into .devdata/ (git-ignored, ~28 MB) and the
#    ogb wheel (not on the GPU image) into .whl/.
# 2. One device call (the command string stays well under 2,000 characters):
#      run(command="bash benchmarks/gpu_ogb.sh benchmarks/configs/refined-gae-ddi.yaml '0 1 2 3' 500",
#          carry=[".devdata", ".whl"], timeout_s=600)
#    SPEC, SEEDS (space-separated), BUDGET_S (seconds for the seeds, default
#    480), optional ONLY (a regex every run id must also match, e.g. 'mlp-d8').
#    EXTRA_SET may hold overrides for a smoke: KEY=VALUE sets train.KEY, a dotted
#    key any spec path, ~KEY deletes one, e.g.
#    EXTRA_SET='epochs=2 encoders.0.options.input_channels=8 ~encoders.0.options.table_init';
#    DEVICE (default cuda) and PYTHON (default python3) let it run on a CPU too.
# 3. Here, with the files that came back:
#      python benchmarks/ogb_ddi_gpu.py merge <files_at>/ogb-ddi-gpu.json \
#          --into benchmarks/results/ogb-ddi-gpu.json
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [[ "${1:-}" == "--prepare" ]]; then
    src=${GRAPHAE_SHARED_DATASETS:-$ROOT/../shared/datasets}/ogb/ogbl_ddi
    [[ -d $src ]] || { echo "no ogbl-ddi at $src (set GRAPHAE_SHARED_DATASETS)" >&2; exit 2; }
    mkdir -p .devdata/ogb/ogbl_ddi
    cp -r "$src"/. .devdata/ogb/ogbl_ddi/ && rm -rf .devdata/ogb/ogbl_ddi/processed
    chmod -R u+w .devdata
    mkdir -p .whl
    ls .whl/ogb-*.whl >/dev/null 2>&1 || ${PIP:-${PYTHON:-python3} -m pip} download --no-deps -q -d .whl ogb==1.3.6
    du -sh .devdata .whl
    exit 0
fi

SPEC=${1:?usage: gpu_ogb.sh SPEC SEEDS [BUDGET_S] [ONLY] (or --prepare)}
SEEDS=${2:?give the seeds, e.g. '0 1 2 3'}
BUDGET=${3:-480}
ONLY=${4:-}
OUT=${OUT:-/tmp/gpu_ogb_out}
mkdir -p "$OUT" /tmp/gpu_ogb
LOG=$OUT/log.txt
export PYTHONUNBUFFERED=1 GRAPHAE_DATA=$ROOT/.devdata PYTHONPATH=$ROOT
if ls .whl/*.whl >/dev/null 2>&1; then
    ${PYTHON:-python3} -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH=$ROOT:/tmp/site
fi
{ date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  ${PYTHON:-python3} -c 'import torch, torch_geometric; print("torch", torch.__version__, "pyg", torch_geometric.__version__, "cuda", torch.cuda.is_available())'
  echo "spec=$SPEC seeds=[$SEEDS] budget=${BUDGET}s only=$ONLY extra=${EXTRA_SET:-}"; } >>"$LOG" 2>&1

spec=$SPEC
if [[ -n "${EXTRA_SET:-}" ]]; then  # a smoke: the spec with some train fields overridden
    spec=/tmp/gpu_ogb/$(basename "$SPEC" .yaml)-smoke.yaml
    ${PYTHON:-python3} - "$SPEC" "$spec" "$EXTRA_SET" <<'EOF' >>"$LOG" 2>&1 || exit 1
import sys, yaml
src, dst, sets = sys.argv[1:]
spec = yaml.safe_load(open(src))
for item in sets.split():  # KEY=VALUE sets train.KEY, a dotted KEY any path; ~KEY deletes
    k, _, v = item.partition("=")
    drop = k.startswith("~")
    k = k.lstrip("~")
    *path, last = k.split(".") if "." in k else ["train", k]
    node = spec
    for part in path:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if drop:
        node.pop(last, None)
    else:
        node[last] = yaml.safe_load(v)
spec["name"] = spec["name"] + "-smoke"
yaml.safe_dump(spec, open(dst, "w"))
EOF
fi
# load (and cache) the graph once before the seeds start, so they do not race on the cache
${PYTHON:-python3} -c 'from graphae.data.datasets import load_dataset; print(load_dataset("ogbl-ddi", download=False).summary())' >>"$LOG" 2>&1 || exit 1

name=$(basename "$spec" .yaml)
export_now() {
    ${PYTHON:-python3} benchmarks/ogb_ddi_gpu.py export /tmp/gpu_ogb/"$name"-s* --into "$OUT/ogb-ddi-gpu.json" \
        --curves "$OUT/ogb-ddi-gpu-curves.jsonl" >>"$LOG" 2>&1
}
declare -A PIDS
for s in $SEEDS; do
    only="-s${s}-"
    [[ -n $ONLY ]] && only="(?=.*-s${s}-)(?=.*${ONLY})"
    timeout --signal=INT --kill-after=20 "$BUDGET" ${PYTHON:-python3} -m graphae.cli \
        bench "$spec" --out /tmp/gpu_ogb/"$name"-s"$s" --only "$only" --device "${DEVICE:-cuda}" \
        --no-progress --no-report >/tmp/gpu_ogb/seed-"$s".log 2>&1 &
    PIDS[$!]=$s
done
left=${#PIDS[@]}
while (( left > 0 )); do
    wait -n -p done_pid; rc=$?
    s=${PIDS[$done_pid]:-?}
    echo "$(date -u +%T) seed $s finished rc=$rc" >>"$LOG"
    tail -n 5 /tmp/gpu_ogb/seed-"$s".log >>"$LOG" 2>/dev/null
    export_now
    left=$((left - 1))
done
nvidia-smi --query-gpu=memory.used,utilization.gpu --format=csv,noheader >>"$LOG" 2>&1
echo "$(date -u +%T) all seeds done" >>"$LOG"
ls -la "$OUT" >>"$LOG"
