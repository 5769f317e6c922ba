"""Tutorial 2 of the README: compare decoders on a dataset, several seeds each.

For every decoder and seed it trains one graph autoencoder with
:func:`graphae.fit` and prints a table of mean ± std over seeds: the decoder's
own parameters, its reconstruction loss and link metric (OGB's official metric
on OGB datasets, e.g. Hits@20 on ogbl-ddi, else AUC), and the
decoder-independent probes of the frozen embeddings (link probe AUC, node
probe accuracy where the dataset has labels).

    python examples/benchmark_decoders.py --dataset Cora --decoders inner_product mlp gnn
    python examples/benchmark_decoders.py --dataset ogbl-ddi --encoder embedding \\
        --decoders inner_product mlp --seeds 0 1 2 --epochs 500 --out runs/bench-ddi

With ``--out DIR`` every run is saved as ``DIR/<decoder>-<seed>/`` and a rerun
skips the runs already there. ``graphae bench`` (a sweep spec, resumable runs,
plots and a report) supersedes this script for full studies.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

import graphae
from graphae.results import RunResult
from graphae.rundir import save_run


def _cell(values: list[float], fmt: str) -> str:
    """``mean ± std`` (std over seeds; ``± 0`` for one seed)."""
    v = np.asarray(values, dtype=float)
    return f"{v.mean():{fmt}} ± {v.std():{fmt}}"


def main(argv: list[str] | None = None) -> int:
    """Run the example; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="Cora", help="Named dataset (`graphae datasets`).")
    parser.add_argument("--encoder", default="gcn", help="Encoder (`graphae ls encoders`).")
    parser.add_argument(
        "--decoders", nargs="+", default=["inner_product", "bilinear", "mlp", "gnn"],
        help="Decoders to compare (`graphae ls decoders`).",
    )  # fmt: skip
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="Seeds.")
    parser.add_argument("--epochs", type=int, default=400, help="Maximum epochs per run.")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda.")
    parser.add_argument("--out", type=Path, help="Save run folders here (and resume).")
    parser.add_argument("--data-root", help="Dataset root (default $GRAPHAE_DATA or ./data).")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    graph = graphae.load_dataset(args.dataset, args.data_root)  # loaded once, shared by runs
    main_metric = graph.meta.get("eval_metric", "auc")  # OGB's official metric, else AUC
    print(
        f"{graph.summary()}; encoder {args.encoder}, {len(args.seeds)} seed(s), "
        f"up to {args.epochs} epochs"
    )
    results: dict[str, list[RunResult]] = {}
    for decoder in args.decoders:
        for seed in args.seeds:
            folder = args.out / f"{decoder}-{seed}" if args.out else None
            if folder is not None and (folder / "result.json").is_file():
                results.setdefault(decoder, []).append(RunResult.load(folder))
                continue
            config = graphae.RunConfig(
                dataset=args.dataset, data_root=args.data_root, encoder=args.encoder,
                decoder=decoder, seed=seed, epochs=args.epochs, device=args.device,
            )  # fmt: skip
            run = graphae.fit(config, graph=graph)
            if folder is not None:
                save_run(folder, run)
            results.setdefault(decoder, []).append(run.result)

    columns = [
        ("params/decoder", "decoder params", ".0f"),
        ("recon/loss", "recon loss", ".3f"),
        (f"link/{main_metric}", f"link {main_metric}", ".3f"),
        ("probe/link_auc", "link probe AUC", ".3f"),
        ("probe/node_accuracy", "node probe acc", ".3f"),
    ]
    shown = [c for c in columns if all(c[0] in r.metrics for rs in results.values() for r in rs)]
    widths = [max(len(title), 15) for _, title, _ in shown]
    print(
        f"{'decoder':<14}"
        + "".join(f"  {t:>{w}}" for (_, t, _), w in zip(shown, widths, strict=True))
    )
    for decoder, runs in results.items():
        cells = [_cell([r.metrics[key] for r in runs], fmt) for key, _, fmt in shown]
        print(f"{decoder:<14}" + "".join(f"  {c:>{w}}" for c, w in zip(cells, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
