"""Featureless user graphs: graphae's CLI defaults and alternatives against the classic heuristics.

Protocol (issue 20, as a new user would meet it):

1. For every featureless link graph of the offline data (the 8 SEAL networks)
   and two synthetic graphs, and each seed, hide 10% of the undirected edges
   (seeded) and write the remaining edges to ``edges.csv`` (``u,v`` lines).
2. Train from that file with ``graphae train --graph edges.csv`` plus the
   configuration's flags. The CLI's own ``main`` is called in this process
   (the same argument parsing and code path as the console script, without
   paying the interpreter start-up per run).
3. Score the hidden edges against as many sampled non-edges of the full graph
   (both endpoints in the training file, ``u != v``): by the inner product of
   the exported embeddings (``embeddings.npy``) and by the run's own decoder
   (the model in the run folder, over the run's message-passing graph).
4. Score the same pairs with the heuristics of :mod:`graphae.nn.heuristics`
   computed on the training file's graph.

Every finished (graph, configuration, seed) is appended to a JSONL file, so an
interrupted run resumes where it stopped (the in-process CLI turns one SIGTERM
or Ctrl-C into a stop of the current run only: end the script with SIGKILL); ``--report`` writes the Markdown
table (mean ± std over seeds of the ROC AUC, ×100).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/featureless.py --data-root /tmp/data \\
        --out benchmarks/results/featureless.jsonl
    python benchmarks/featureless.py --report --out benchmarks/results/featureless.jsonl
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from graphae.bench.spec import HEURISTIC_BASELINES
from graphae.data.io import IDENTITY_MAX_NODES  # the identity/learnable threshold of "auto"
from graphae.featureless import NCN_MAX_NODES  # the ncn/inner-product base of "auto"

SEAL = ["USAir", "NS", "PB", "Yeast", "Celegans", "Power", "Router", "Ecoli"]
SYNTHETIC = ["geometric", "powerlaw_cluster"]
HEURISTICS = list(HEURISTIC_BASELINES)  # the harness's heuristic rows, in its order

#: Flags that keep a configuration what it meant before the featureless defaults
#: (``featureless_decoder``/``export_edges`` "auto") existed: its decoder as given and the
#: split model's embeddings exported.
AS_GIVEN = ["--featureless-decoder", "off", "--export-edges", "split"]

#: The inner product / ``ncn`` with the heuristic-counts head.
IP_COUNTS = ["--decoder", "inner_product", "--decoder-option", "counts=true"]
NCN_COUNTS = ["--decoder", "ncn", "--decoder-option", "counts=true"]

#: name -> extra ``graphae train`` flags (on top of the defaults).
CONFIGS: dict[str, list[str]] = {
    # graphae's defaults today, no flags: identity <= 2,048 nodes with the ncn decoder,
    # degree features beside learnable codes above; retrained on every edge for export
    "cli_default": [],
    # the default before the featureless defaults: identity one-hot up to 2,048 nodes, else
    # degree features (run_all adds that --feature-fallback); gcn + inner product; split export
    "default": [*AS_GIVEN],
    "identity": ["--feature-fallback", "identity", *AS_GIVEN],
    "degree": ["--feature-fallback", "degree", *AS_GIVEN],
    "random": ["--feature-fallback", "random", *AS_GIVEN],
    # learnable input codes alone (no fallback features), GCN on top
    "learnable": ["--feature-fallback", "none", "--encoder-option", "learnable_input=true",
                  *AS_GIVEN],
    # degree features beside learnable input codes (the default's input above 2,048 nodes)
    "degree_learnable": ["--feature-fallback", "degree_learnable", *AS_GIVEN],
    # refined-GAE style: orthogonal init of the codes, linear propagation
    "learnable_orth_linear": [
        "--feature-fallback", "none",
        "--encoder-option", "learnable_input=true",
        "--encoder-option", "table_init=orthogonal",
        "--encoder-option", "activation=identity",
        *AS_GIVEN,
    ],
    # the encoder/decoder choice: learnable codes, GCN, a Hadamard MLP decoder
    "learnable_mlp": [
        "--feature-fallback", "none",
        "--encoder-option", "learnable_input=true",
        "--decoder", "mlp",
        *AS_GIVEN,
    ],
    # the common-neighbour-aware rung (NCN) over the old default features, and over codes
    "ncn": ["--decoder", "ncn", *AS_GIVEN],
    "learnable_ncn": [
        "--feature-fallback", "none",
        "--encoder-option", "learnable_input=true",
        "--decoder", "ncn",
        *AS_GIVEN,
    ],
    # the defaults without the export refit: what retraining on every edge adds
    "cli_default_split": ["--export-edges", "split"],
    # candidates for the defaults (with the defaults' input, decoder and refit)
    "cli_wide": ["--hidden-channels", "128", "--out-channels", "64"],
    "cli_layers3": ["--num-layers", "3"],
    "cli_no_early_stop": ["--patience", "0"],
    "cli_lr": ["--lr", "0.005"],
    "cli_learnable": ["--feature-fallback", "learnable"],
    # (above 2,048 nodes only: the options need the learnable codes of degree_learnable)
    "cli_orth_linear": ["--encoder-option", "table_init=orthogonal",
                        "--encoder-option", "activation=identity"],
    # the two candidates the defaults compare: the base decoder alone (ncn up to 2,048 nodes,
    # the inner product above; run_all adds the --decoder) = the defaults before the counts
    # head, and the base with the heuristic-counts head (CN, AA, RA, 3-paths, degree product)
    "cli_base": ["--featureless-decoder", "off"],
    "cli_ip_counts": IP_COUNTS,
    "cli_ncn_counts": NCN_COUNTS,
    # variations of the counts head, for the graphs where no configuration beat the best
    # heuristic yet (NS: Katz, Router: preferential attachment)
    "cli_ncn_counts_wide": [*NCN_COUNTS, "--hidden-channels", "128", "--out-channels", "64"],
    "cli_ncn_counts_w128": [*NCN_COUNTS, "--decoder-option", "counts_width=128"],
    "cli_ip_counts_lr": [*IP_COUNTS, "--lr", "0.001"],
    "cli_ncn_counts_lr": [*NCN_COUNTS, "--lr", "0.001"],
    "cli_ip_counts_lr_wide": [*IP_COUNTS, "--lr", "0.001", "--hidden-channels", "128",
                              "--out-channels", "64"],
    "cli_ip_counts_lr_w128": [*IP_COUNTS, "--lr", "0.001", "--decoder-option", "counts_width=128"],
    "cli_ip_counts_drop": [*IP_COUNTS, "--dropout", "0.5"],
    "cli_ip_counts_mask": [*IP_COUNTS, "--edge-mask", "0.5"],
    "cli_ip_counts_wd": [*IP_COUNTS, "--weight-decay", "5e-4"],
    "cli_ip_counts_degree": [*IP_COUNTS, "--feature-fallback", "degree"],
}  # fmt: skip


def load_graph_edges(name: str, data_root: Path) -> tuple[int, np.ndarray]:
    """``(N, (E, 2) unique undirected edges u < v)`` of a SEAL or synthetic graph."""
    if name in SEAL:
        import scipy.io
        import scipy.sparse as sp

        a = sp.coo_matrix(scipy.io.loadmat(data_root / "SEAL" / f"{name}.mat")["net"])
        n = int(a.shape[0])
        u, v = a.row.astype(np.int64), a.col.astype(np.int64)
    else:
        import networkx as nx

        if name == "geometric":
            g = nx.random_geometric_graph(1000, 0.06, seed=0)
        elif name == "powerlaw_cluster":
            g = nx.powerlaw_cluster_graph(2000, 4, 0.5, seed=0)
        else:
            raise SystemExit(f"unknown graph {name}")
        n = g.number_of_nodes()
        e = np.array(list(g.edges()), dtype=np.int64)
        u, v = e[:, 0], e[:, 1]
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    keep = lo != hi
    pairs = np.unique(lo[keep] * n + hi[keep])
    return n, np.stack([pairs // n, pairs % n], axis=1)


def hide_edges(
    n: int, edges: np.ndarray, seed: int, frac: float = 0.1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(train edges, hidden positives, sampled non-edges)``; pairs with both ends in the train file."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(edges))
    k = round(frac * len(edges))
    hidden, train = edges[perm[:k]], edges[perm[k:]]
    present = np.zeros(n, dtype=bool)
    present[train.ravel()] = True
    hidden = hidden[present[hidden[:, 0]] & present[hidden[:, 1]]]
    nodes = np.flatnonzero(present)
    full = set((edges[:, 0] * n + edges[:, 1]).tolist())
    neg: list[tuple[int, int]] = []
    seen: set[int] = set()
    while len(neg) < len(hidden):
        a, b = rng.choice(nodes, 2)
        lo, hi = min(a, b), max(a, b)
        key = int(lo) * n + int(hi)
        if lo == hi or key in full or key in seen:
            continue
        seen.add(key)
        neg.append((int(lo), int(hi)))
    return train, hidden, np.array(neg, dtype=np.int64).reshape(-1, 2)


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    return float(roc_auc_score(y, np.r_[pos, neg]))


def heuristic_aucs(
    n: int, train: np.ndarray, hidden: np.ndarray, neg: np.ndarray
) -> dict[str, float]:
    from graphae.nn.heuristics import Adjacency, heuristic_scores

    adj = Adjacency.from_edge_index(train.T, n)
    out = {}
    for h in HEURISTICS:
        p = heuristic_scores(h, None, n, hidden.T, adjacency=adj)
        q = heuristic_scores(h, None, n, neg.T, adjacency=adj)
        out[h] = auc(p, q)
    return out


def run_cli(argv: list[str]) -> tuple[int, str]:
    """``graphae <argv>`` in this process: (exit code, captured stdout + stderr)."""
    from graphae.cli import main

    buf = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        try:
            main(argv)
        except SystemExit as e:
            code = int(e.code or 0) if not isinstance(e.code, str) else 1
    return code, buf.getvalue()


def graphae_aucs(
    run: Path, hidden: np.ndarray, neg: np.ndarray
) -> tuple[dict[str, float], dict[str, Any]]:
    """AUCs of the exported embeddings' inner product and of the run's decoder."""
    import torch

    from graphae.embeddings import load_embeddings
    from graphae.inference import load_model
    from graphae.pipeline import load_input, make_split

    emb = load_embeddings(run / "embeddings.npy")
    idx = {int(i): r for r, i in enumerate(emb.ids)}
    z = np.asarray(emb.vectors, dtype=np.float64)

    def rows(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.array([idx[int(a)] for a in p[:, 0]]), np.array([idx[int(b)] for b in p[:, 1]])

    (pu, pv), (nu, nv) = rows(hidden), rows(neg)
    out = {
        "ip": auc((z[pu] * z[pv]).sum(1), (z[nu] * z[nv]).sum(1)),
    }
    model, config, _ = load_model(run)
    graph = load_input(config)
    split = make_split(graph, config)
    zt = torch.from_numpy(z).float()
    pos_t, neg_t = torch.from_numpy(np.stack([pu, pv])), torch.from_numpy(np.stack([nu, nv]))
    # "decoder": over the run's own message-passing graph (the training file minus the run's
    # validation/test edges); "decoder_file": over every edge of the training file, what a
    # user scoring new pairs has (differs only for decoders that read the graph: gnn, ncn)
    for key, ei in (("decoder", split.mp_edge_index), ("decoder_file", graph.data.edge_index)):
        with torch.no_grad():
            out[key] = auc(model.score(zt, pos_t, ei).numpy(), model.score(zt, neg_t, ei).numpy())
    result = json.loads((run / "result.json").read_text())
    info = {
        "feature_source": result["graph"]["feature_source"],
        "featureless": result["graph"].get("featureless"),
        "export": result.get("export", {}),
        "num_features": result["graph"]["num_features"],
        "best_epoch": result["best_epoch"],
        # the run's own split: validation AUC at the selected epoch, and its test AUC
        "val_auc": result["metrics"].get("val/link/auc"),
        "split_test_auc": result["metrics"].get("link/auc"),
        "epochs_run": result["epochs_run"],
        "seconds": result["timings"]["total"],
        "params": {k: v for k, v in result["metrics"].items() if k.startswith("params/")},
    }
    return out, info


def done_keys(path: Path) -> set[tuple[str, str, int]]:
    if not path.is_file():
        return set()
    keys = set()
    for line in path.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            if "auc" in r:  # a failed or interrupted run is tried again
                keys.add((r["graph"], r["config"], int(r["seed"])))
    return keys


def append(path: Path, record: dict[str, Any]) -> None:
    with path.open("a") as f:
        f.write(json.dumps(record) + "\n")
        f.flush()


def run_all(args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = done_keys(out)
    data_root = Path(args.data_root)
    work = Path(tempfile.mkdtemp(prefix="graphae-featureless-"))
    try:
        graphs = {name: load_graph_edges(name, data_root) for name in args.graphs}
        for seed in range(args.seeds):  # seed-major: every graph gets seed 0 first
            for name, (n, edges) in graphs.items():
                train, hidden, neg = hide_edges(n, edges, seed)
                small = len(np.unique(train)) <= IDENTITY_MAX_NODES
                folder = work / f"{name}-{seed}"
                folder.mkdir(exist_ok=True)
                edge_file = folder / "edges.csv"
                edge_file.write_text("".join(f"{a},{b}\n" for a, b in train))
                if (name, "heuristics", seed) not in done:
                    t0 = time.perf_counter()
                    rec = {"graph": name, "config": "heuristics", "seed": seed,
                           "num_nodes": n, "train_edges": len(train),
                           "hidden": len(hidden), "auc": heuristic_aucs(n, train, hidden, neg),
                           "seconds": time.perf_counter() - t0}  # fmt: skip
                    append(out, rec)
                    print(name, seed, "heuristics", json.dumps(rec["auc"]), flush=True)
                for cname in args.configs:
                    # re-read: another process may be filling the same file (other graph order)
                    if (name, cname, seed) in done or (name, cname, seed) in done_keys(out):
                        continue
                    if cname == ("identity" if small else "degree"):
                        continue  # the same run as "default" (identity <= 2,048 nodes < degree)
                    run = folder / cname
                    flags = list(CONFIGS[cname])
                    if cname == "default":  # the fallback before: identity, else degree
                        flags += ["--feature-fallback", "identity" if small else "degree"]
                    if cname == "cli_base" and len(np.unique(train)) <= NCN_MAX_NODES:
                        flags += ["--decoder", "ncn"]  # the file's nodes, as graphae counts
                    argv = ["train", "--graph", str(edge_file), "--out", str(run), "--overwrite",
                            "--seed", str(seed), "--device", "cpu", "--no-progress",
                            *flags, *args.extra]  # fmt: skip
                    t0 = time.perf_counter()
                    code, text = run_cli(argv)
                    if code != 0:
                        rec = {"graph": name, "config": cname, "seed": seed, "error": text[-500:]}
                        print(name, seed, cname, "FAILED", text[-300:], flush=True)
                        append(out, rec)
                        continue
                    aucs, info = graphae_aucs(run, hidden, neg)
                    rec = {"graph": name, "config": cname, "seed": seed, "flags": flags,
                           "auc": aucs, "wall": time.perf_counter() - t0, **info}  # fmt: skip
                    append(out, rec)
                    print(name, seed, cname, json.dumps(aucs), f"{rec['wall']:.1f}s", flush=True)
                    shutil.rmtree(run, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def summarise(path: Path) -> dict[str, dict[str, tuple[float, float, int]]]:
    """``{graph: {column: (mean, std, n)}}`` of AUC ×100 over seeds."""
    vals: dict[str, dict[str, list[float]]] = {}
    seen: set[tuple[str, str, int]] = set()
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        key = (r["graph"], r["config"], int(r["seed"]))
        if "auc" not in r or key in seen:  # failures; a repeated run counts once (the first)
            continue
        seen.add(key)
        g = vals.setdefault(r["graph"], {})
        if r["config"] == "heuristics":
            for h, v in r["auc"].items():
                g.setdefault(h, []).append(100 * v)
        else:
            for part in ("ip", "decoder", "decoder_file"):
                value = r["auc"].get(part, r["auc"]["decoder"])  # equal without a graph decoder
                g.setdefault(f"{r['config']}/{part}", []).append(100 * value)
    return {
        g: {k: (float(np.mean(v)), float(np.std(v)), len(v)) for k, v in cols.items()}
        for g, cols in vals.items()
    }


SHORT = {"common_neighbors": "CN", "adamic_adar": "AA", "resource_allocation": "RA",
         "preferential_attachment": "PA", "katz": "Katz"}  # fmt: skip


def _cell(stat: tuple[float, float, int] | None, bold: bool = False) -> str:
    if stat is None:
        return "—"
    m, sd, n = stat
    text = f"{m:.1f} ± {sd:.1f}" + (f" (n={n})" if n != 5 else "")
    return f"**{text}**" if bold else text


def report(path: Path, default: dict[str, str] | None = None) -> str:
    """Markdown tables of ``path``: heuristics, configurations, and the acceptance check.

    Args:
        path: The JSONL file.
        default: ``{graph: config}``: which configuration column is graphae's default
            on each graph (``default`` when absent).
    """
    s = summarise(path)
    default = default or {}
    graphs = [g for g in [*SEAL, *SYNTHETIC] if g in s]
    cols = [h for h in HEURISTICS if any(h in s[g] for g in graphs)]
    configs = [c for c in CONFIGS if any(f"{c}/ip" in s[g] for g in graphs)]
    out = ["### Heuristics on the training file's graph (AUC × 100, mean ± std over seeds)", ""]
    out.append("| graph | " + " | ".join(SHORT[h] for h in cols) + " |")
    out.append("|---" * (1 + len(cols)) + "|")
    for g in graphs:
        best = max(s[g][h][0] for h in cols if h in s[g])
        out.append("| " + " | ".join([g, *(_cell(s[g].get(h), s[g].get(h, (0,))[0] == best)
                                            for h in cols)]) + " |")  # fmt: skip
    out += ["", "### graphae from the CLI: the run's own decoder over the training file's "
            "graph (AUC × 100; for the inner-product rows this is the exported embeddings' "
            "inner product)", ""]  # fmt: skip
    out.append("| graph | " + " | ".join(configs) + " |")
    out.append("|---" * (1 + len(configs)) + "|")
    for g in graphs:
        vals = {c: s[g].get(f"{c}/decoder_file") for c in configs}
        best = max(v[0] for v in vals.values() if v is not None)
        out.append("| " + " | ".join([g, *(_cell(vals[c], vals[c] is not None and
                                                   vals[c][0] == best) for c in configs)]) + " |")  # fmt: skip
    out += ["", "### Acceptance (AUC × 100)", "",
            "| graph | best heuristic | graphae default | default − best heuristic | "
            "best graphae configuration | best − best heuristic |",
            "|---|---|---|---|---|---|"]  # fmt: skip
    for g in graphs:
        h = max((h for h in cols if h in s[g]), key=lambda h: s[g][h][0])
        hb = s[g][h][0]
        dname = default.get(g, "default")
        d = s[g].get(f"{dname}/decoder_file")
        bc = max((c for c in configs if f"{c}/decoder_file" in s[g]),
                 key=lambda c: s[g][f"{c}/decoder_file"][0])  # fmt: skip
        b = s[g][f"{bc}/decoder_file"]
        out.append(
            f"| {g} | {SHORT[h]} {hb:.1f} | {_cell(d)} ({dname}) | "
            f"{'' if d is None else f'{d[0] - hb:+.1f}'} | {bc} {_cell(b)} | {b[0] - hb:+.1f} |"
        )
    return "\n".join(out)


def default_columns(path: Path) -> dict[str, str]:
    """``{graph: config}``: the column holding graphae's defaults (``cli_default`` runs)."""
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        r = json.loads(line) if line.strip() else {}
        if r.get("config") == "cli_default" and "auc" in r:
            out[r["graph"]] = "cli_default"
    return out


def write_markdown(path: Path, md: Path) -> None:
    """``featureless.md``: protocol, command and the tables of :func:`report`."""
    text = [
        "# Featureless user graphs: graphae's CLI against the classic link heuristics",
        "",
        "Protocol (issue 20): for each graph and seed 0..4, 10% of the undirected edges are",
        "hidden (seeded) and the remaining edges written to `edges.csv`; `graphae train --graph",
        "edges.csv` (defaults plus the configuration's flags; the CLI's `main` called in-process)",
        "trains on it. The hidden edges whose two ends appear in the file are scored against as",
        "many sampled non-edges of the full graph by the exported embeddings' inner product and",
        "by the run's own decoder over the file's graph, and by the heuristics",
        "(`graphae.nn.heuristics`) computed on the file's graph. graphae's runs hold out 15%",
        "of the file's edges for their own validation/test split (model selection); the",
        "heuristics see every edge of the file, and so does a run's exported model with",
        "`export_edges=refit` (the default for such files; the decoder is then evaluated over",
        "every edge of the file as well).",
        "",
        "Configurations (extra `graphae train` flags): `cli_default` = no flags, graphae's",
        "defaults for a featureless file (`graphae.featureless`): identity one-hot features and",
        "the `ncn` decoder up to 2,048 nodes, degree features beside learnable input codes and",
        "the inner product above; where the common-neighbour heuristic scores at least 0.75",
        "AUC on the run's validation pairs, that decoder is trained with and without the",
        "heuristic-counts head (`counts=true`) and the one with the higher validation AUC is",
        "kept; after model selection on the held-out split the model is retrained on every edge",
        "of the file for the selected epoch count and exported (`export_edges=refit`).",
        "`cli_base` = the base decoder alone (`--featureless-decoder off`, plus `--decoder ncn`",
        "up to 2,048 nodes): the defaults before the counts head (session 9; their records of",
        "then are kept in the JSON lines as `cli_default_v1`). `cli_ncn_counts` /",
        "`cli_ip_counts` = `ncn` / the inner product with the counts head, on every graph;",
        "`_wide` (128/64 channels), `_w128` (`counts_width=128`), `_lr` (`--lr 0.001`) and",
        "`_degree` (degree features) are variations of them. `cli_default_split` = the",
        "defaults of session 9 without the refit (`--export-edges split`); `cli_wide`,",
        "`cli_layers3`, `cli_no_early_stop`, `cli_lr`, `cli_learnable` and `cli_orth_linear`",
        "are session 9's defaults with one change each (measured then). Every other",
        "configuration runs with",
        "`--featureless-decoder off --export-edges split`, i.e. as it ran before these defaults:",
        "`default` = the fallback before them (identity up to 2,048 nodes, degree features",
        "above; GCN + inner product); `identity` (run where it differs from `default`: above",
        "2,048 nodes); `degree` (where it differs: up to 2,048 nodes); `random` (64 fixed",
        "Gaussian features); `learnable` (`--feature-fallback none --encoder-option",
        "learnable_input=true`: a GCN over a learnable input code per node);",
        "`degree_learnable` (degree features beside those codes); `learnable_orth_linear` (+",
        "`table_init=orthogonal`, `activation=identity`); `learnable_mlp` (+ `--decoder mlp`);",
        "`ncn` (`--decoder ncn` over the old default features); `learnable_ncn`. Cells without",
        "`(n=…)` are means of 5 seeds; the others are what the CPU time allowed (the two shared",
        "cores).",
        "",
        "Command:",
        "",
        "```",
        "OMP_NUM_THREADS=1 python benchmarks/featureless.py --data-root <copy of the datasets> \\",
        "    --out benchmarks/results/featureless.jsonl [--configs ...] [--seeds 5]",
        "python benchmarks/featureless.py --report --out benchmarks/results/featureless.jsonl",
        "```",
        "",
        report(path, default_columns(path)),
        "",
    ]
    md.write_text("\n".join(text))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-root", default="data", help="folder holding SEAL/*.mat")
    p.add_argument("--out", default="benchmarks/results/featureless.jsonl")
    p.add_argument("--graphs", nargs="+", default=[*SEAL, *SYNTHETIC])
    p.add_argument("--configs", nargs="+", default=list(CONFIGS))
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--extra", nargs=argparse.REMAINDER, default=[],
                   help="flags added to every graphae train call")  # fmt: skip
    p.add_argument("--report", action="store_true", help="print the table of --out and exit")
    p.add_argument("--markdown", help="with --report: also write this Markdown file")
    args = p.parse_args()
    if args.report:
        print(report(Path(args.out), default_columns(Path(args.out))))
        if args.markdown:
            write_markdown(Path(args.out), Path(args.markdown))
        return
    unknown = [c for c in args.configs if c not in CONFIGS]
    if unknown:
        sys.exit(f"unknown configs {unknown}; valid: {list(CONFIGS)}")
    run_all(args)


if __name__ == "__main__":
    main()
