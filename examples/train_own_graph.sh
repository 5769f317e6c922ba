#!/usr/bin/env bash
# Tutorial 1 of the README: train embeddings on your own edge list from the command line.
#
#   bash examples/train_own_graph.sh [EDGES] [OUT]
#
# EDGES: an edge list (.csv/.tsv/.txt: source,target[,weight], header optional,
#        string or integer node ids); default: the Les Miserables example graph.
# OUT:   the run folder to write; default: runs/own-graph.
# EPOCHS (environment): maximum training epochs, default 400.
set -euo pipefail

EDGES=${1:-examples/data/les_miserables.csv}
OUT=${2:-runs/own-graph}
EPOCHS=${EPOCHS:-400}

# 1. Train: prints the graph, the selected epoch and the link metrics; writes OUT/.
graphae train --graph "$EDGES" --out "$OUT" --epochs "$EPOCHS" --seed 0

# 2. Use the embeddings, keyed by your original node ids.
python - "$OUT" <<'PY'
import sys

import graphae

emb = graphae.load_embeddings(sys.argv[1])  # a run folder or an embeddings file
print(emb)
node = emb.ids[0]
near = ", ".join(f"{i} ({s:.2f})" for i, s in emb.nearest(node, k=3))
print(f"nearest to {node}: {near}")
print(f"as pandas: {emb.to_pandas().shape}, as torch: {tuple(emb.to_torch().shape)}")
PY
