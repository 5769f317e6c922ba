"""Tutorial 3 of the README: node embeddings into a scikit-learn classifier.

Trains a graph autoencoder on a Planetoid dataset with the scikit-learn estimator
(or loads embeddings you already have), then classifies the nodes with

    make_pipeline(NodeEmbeddingLookup(emb), StandardScaler(), LogisticRegression(C))

on the public split, choosing ``C`` on the validation nodes, and prints its test
accuracy beside the harness's linear probe (``graphae.evaluation.metrics.node_probe``) on
the same embeddings. Both standardise with statistics of the training nodes and
pick ``C`` from the same grid by validation accuracy, so they agree.

    python examples/classify_embeddings.py                      # train on Cora, then classify
    python examples/classify_embeddings.py --embeddings runs/cora  # a run folder or file
"""

from __future__ import annotations

import argparse
import logging
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import graphae
from graphae.evaluation.metrics import DEFAULT_CS, node_probe


def main(argv: list[str] | None = None) -> int:
    """Run the example; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset", default="Cora", help="Planetoid dataset (labels, public split)."
    )
    parser.add_argument("--embeddings", help="Embeddings file or run folder (default: train).")
    parser.add_argument("--epochs", type=int, default=400, help="Training epochs (when training).")
    parser.add_argument("--seed", type=int, default=0, help="Training and probe seed.")
    parser.add_argument("--data-root", help="Dataset root (default $GRAPHAE_DATA or ./data).")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    graph = graphae.load_dataset(args.dataset, args.data_root)
    if args.embeddings:
        emb = graphae.load_embeddings(args.embeddings)
    else:
        est = graphae.GraphAEEmbedder(epochs=args.epochs, seed=args.seed).fit(graph)
        emb = est.embeddings_  # Embeddings keyed by node id (est.embedding_ is the matrix)
    print(f"{graph.name}: {len(emb)} nodes, {emb.dim}-dim embeddings")

    # Labels and the public split, by node id.
    ids = np.asarray(graph.nodes.ids)
    y = graph.y.numpy()
    train, val, test = (
        getattr(graph.data, m).numpy() for m in ("train_mask", "val_mask", "test_mask")
    )

    # The pipeline: node ids in, class out. C is chosen on the validation nodes.
    pipe = make_pipeline(
        graphae.NodeEmbeddingLookup(emb), StandardScaler(), LogisticRegression(max_iter=1000)
    )

    def val_accuracy(c: float) -> float:
        pipe.set_params(logisticregression__C=c).fit(ids[train], y[train])
        return pipe.score(ids[val], y[val])

    best_c = max(DEFAULT_CS, key=val_accuracy)  # the first best C on ties, as the probe
    pipe.set_params(logisticregression__C=best_c).fit(ids[train], y[train])
    pipe_acc = pipe.score(ids[test], y[test])

    # The harness's probe on the same vectors, rows in the graph's node order.
    z = graphae.NodeEmbeddingLookup(emb).transform(ids)
    probe = node_probe(z, y, train, val, test, seed=args.seed)

    print(f"pipeline test accuracy: {pipe_acc:.4f} (C={best_c:g})")
    print(f"probe    test accuracy: {probe['accuracy']:.4f} (C={probe['C']:g})")
    print(f"difference: {100 * abs(pipe_acc - probe['accuracy']):.2f} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
