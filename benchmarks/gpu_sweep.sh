#!/usr/bin/env bash
# A part of a `graphae bench` sweep on one GPU, in ONE device `run` call, as parallel
# worker processes (`--jobs`), returning the runs it finished as one tarball.
#
# The sweep folder is the committed one (benchmarks/results/<sweep>): it travels with
# the checkout, so the runs finished in earlier calls -- on a GPU or on this CPU (run
# ids do not depend on the device) -- are skipped and the call picks up where the last
# one stopped. A run still going when BUDGET_S is up is stopped and lost (run folders
# are written atomically); the next call runs it again.
#
# 1. Here, once per session, from the repo root:
#      bash benchmarks/gpu_sweep.sh --prepare Amazon Coauthor
#    packs those raw dataset folders of $GRAPHAE_SHARED_DATASETS into
#    .devdata/datasets.tgz (gzip: the four Amazon/Coauthor .npz, 77 MB, pack to ~11 MB)
#    and downloads the ogb + defusedxml wheels into .whl/ (the device image lacks them).
#    benchmarks/prepare_gpu_run.sh empties .devdata/: run it first when both are wanted.
# 2. One device call (check the time first: `status`):
#      run(command="bash benchmarks/gpu_sweep.sh benchmarks/configs/capacity-amazon-coauthor.yaml \
#                   benchmarks/results/capacity-amazon-coauthor 12 480",
#          carry=[".devdata", ".whl"], timeout_s=600)
#    SPEC, SWEEP folder, JOBS (worker processes sharing the GPU, default 12), BUDGET_S
#    (seconds for the sweep, default 480), optional ONLY (a `--only` regex, e.g. 'amazon-photo').
#    DEVICE (default cuda), PY (default python3) and DATA (a dataset root to use instead of
#    .devdata/datasets.tgz) let it run on a CPU to check it here; OUT defaults to /tmp/gpu_sweep_out.
# 3. Here, with what came back:
#      bash benchmarks/gpu_sweep.sh --merge <files_at>/new-runs.tgz benchmarks/results/capacity-amazon-coauthor
#    unpacks the new run folders (and the call's log, under logs/) into the sweep, then
#    writes its report (`graphae report`); commit them.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PY:-python3}
CLI=("$PY" -m graphae.cli)

if [[ "${1:-}" == "--prepare" ]]; then
    shift
    (( $# )) || { echo "usage: gpu_sweep.sh --prepare DATASET_DIR... (e.g. Amazon Coauthor Planetoid)" >&2; exit 2; }
    src=${GRAPHAE_SHARED_DATASETS:-$ROOT/../shared/datasets}
    for d in "$@"; do
        [[ -d $src/$d ]] || { echo "no dataset folder $src/$d (set GRAPHAE_SHARED_DATASETS)" >&2; exit 2; }
    done
    mkdir -p .devdata
    tar czf .devdata/datasets.tgz.part --exclude=processed -C "$src" "$@" \
        && mv .devdata/datasets.tgz.part .devdata/datasets.tgz || exit 1
    PY=$PY bash benchmarks/device_wheels.sh || exit 1
    du -sh .devdata/datasets.tgz .whl
    exit 0
fi

if [[ "${1:-}" == "--merge" ]]; then
    tgz=${2:?usage: gpu_sweep.sh --merge NEW_RUNS_TGZ SWEEP_FOLDER}
    sweep=${3:?usage: gpu_sweep.sh --merge NEW_RUNS_TGZ SWEEP_FOLDER}
    [[ -f $tgz ]] || { echo "no such file: $tgz" >&2; exit 2; }
    mkdir -p "$sweep/runs"
    before=$(find "$sweep/runs" -mindepth 1 -maxdepth 1 -type d | wc -l)
    # -k: what is already here is kept as it is (a run is only ever written once; the
    # spec files of a sweep begun here stay), so only new run folders and the call's log land
    tar xzf "$tgz" -k -C "$sweep" 2>/dev/null
    after=$(find "$sweep/runs" -mindepth 1 -maxdepth 1 -type d | wc -l)
    echo "$((after - before)) new run folders in $sweep/runs ($after in all)"
    "${CLI[@]}" report "$sweep"
    exit $?
fi

SPEC=${1:?usage: gpu_sweep.sh SPEC SWEEP_FOLDER [JOBS] [BUDGET_S] [ONLY] (or --prepare / --merge)}
SWEEP=${2:?give the sweep folder, e.g. benchmarks/results/capacity-amazon-coauthor}
JOBS=${3:-12}
BUDGET=${4:-480}
ONLY=${5:-}
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-/tmp/gpu_sweep_out}
mkdir -p "$OUT"
LOG=$OUT/log.txt
T0=$(date +%s)
note() { echo "[$(( $(date +%s) - T0 ))s] $*" >>"$LOG"; }
export PYTHONUNBUFFERED=1 TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH}
if [[ $DEVICE == cuda ]] && ls .whl/*.whl >/dev/null 2>&1; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl \
        >>"$LOG" 2>&1 && export PYTHONPATH=$PYTHONPATH:/tmp/site
fi
if [[ -z "${DATA:-}" ]]; then  # the datasets --prepare packed (DATA= names a dataset root instead)
    DATA=/tmp/gpu_sweep_data
    rm -rf "$DATA" && mkdir -p "$DATA"
    [[ -f .devdata/datasets.tgz ]] && tar xzf .devdata/datasets.tgz -C "$DATA"
fi
{ date -u; command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
  $PY -c 'import torch, torch_geometric; print("torch", torch.__version__, "pyg", torch_geometric.__version__, "cuda", torch.cuda.is_available())'
  echo "spec=$SPEC sweep=$SWEEP jobs=$JOBS budget=${BUDGET}s only=$ONLY device=$DEVICE data: $(ls "$DATA" | tr '\n' ' ')"; } >>"$LOG" 2>&1

mkdir -p "$SWEEP/runs"
ls "$SWEEP/runs" | sort >/tmp/gpu_sweep_before.txt
note "$(wc -l </tmp/gpu_sweep_before.txt) runs already in $SWEEP"
CALL=gpu-$(date -u +%Y%m%dT%H%M%SZ)
pack() {  # the run folders this call added (ls hides the .tmp ones being written), the
    # sweep's spec files and this call's log
    comm -13 /tmp/gpu_sweep_before.txt <(ls "$SWEEP/runs" | sort) >/tmp/gpu_sweep_new.txt
    mkdir -p "$SWEEP/logs" && cp "$OUT/sweep.log" "$SWEEP/logs/$CALL.log" 2>/dev/null
    { sed 's|^|runs/|' /tmp/gpu_sweep_new.txt
      for f in spec.yaml sweep.json "logs/$CALL.log"; do [[ -e $SWEEP/$f ]] && echo "$f"; done
    } >/tmp/gpu_sweep_pack.txt
    tar czf "$OUT/new-runs.tgz.part" -C "$SWEEP" -T /tmp/gpu_sweep_pack.txt \
        && mv "$OUT/new-runs.tgz.part" "$OUT/new-runs.tgz"
    note "packed $(wc -l </tmp/gpu_sweep_new.txt) new runs into new-runs.tgz"
}
args=(bench "$SPEC" --out "$SWEEP" --jobs "$JOBS" --device "$DEVICE" --data-root "$DATA"
      --no-progress --no-report -v)
[[ -n $ONLY ]] && args+=(--only "$ONLY")
# the sweep in the background; every minute the finished runs are packed, so a call cut
# short by the device's own limit still returns what it did
timeout --signal=INT --kill-after=30 "$BUDGET" "${CLI[@]}" "${args[@]}" >"$OUT/sweep.log" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && pack
done
wait "$pid"; rc=$?
note "sweep rc=$rc ($( [[ $rc == 124 ]] && echo "stopped at ${BUDGET}s" || echo finished))"
pack
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=memory.used,utilization.gpu --format=csv,noheader >>"$LOG" 2>&1
"${CLI[@]}" bench "$SPEC" --out "$SWEEP" --dry-run ${ONLY:+--only "$ONLY"} 2>/dev/null \
    | tail -n 1 >>"$LOG"
exit 0
