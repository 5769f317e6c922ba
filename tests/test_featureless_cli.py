"""Featureless user graphs on the command line: ``graphae baseline`` (link heuristics on a
run's split, a graph file or a named dataset) and ``--nodes``. The main paths run in real
subprocesses; the variations run the same CLI in-process (``clihelp.run_cli``)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from clihelp import run_cli, run_subprocess


def _metrics(line: str) -> dict[str, float]:
    return {k: float(v) for k, v in re.findall(r"(\S+)=([0-9.]+)", line)}


def test_baseline_on_a_seal_graph_a_run_folder_and_its_edge_file(
    shared_data, tmp_path, capsys
) -> None:
    from graphae.bench.baselines import heuristic_metrics
    from graphae.config import RunConfig
    from graphae.data.datasets import load_dataset
    from graphae.pipeline import make_split

    root = shared_data("SEAL")
    proc = run_subprocess(
        ["baseline", "--dataset", "seal_usair", "--heuristic", "aa", "--data-root", root,
         "--seed", 3],
        tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("seal_usair: 332 nodes, 2126 undirected edges")
    assert "heuristic adamic_adar on the message-passing graph" in lines[1]
    test = _metrics(next(ln for ln in lines if ln.startswith("test: ")))
    val = _metrics(next(ln for ln in lines if ln.startswith("val: ")))
    assert set(test) == {"link/auc", "link/ap", "link/hits@10", "link/hits@20", "link/hits@50",
                         "link/hits@100", "link/mrr"}  # fmt: skip
    graph = load_dataset("seal_usair", root)
    split = make_split(graph, RunConfig(dataset="seal_usair", seed=3))
    want = heuristic_metrics("adamic_adar", graph, split)
    for k, v in test.items():
        assert v == pytest.approx(want[k], abs=5e-5)
    assert val["link/auc"] == pytest.approx(want["val/link/auc"], abs=5e-5)

    # the same edges as a user's file: the same split (seed 3) and the same figures
    a = graph.data.edge_index
    keep = a[0] < a[1]
    edges = tmp_path / "usair.csv"
    edges.write_text("".join(f"{u},{v}\n" for u, v in a[:, keep].t().tolist()))
    code, out, err = run_cli(
        ["baseline", "--graph", edges, "--heuristic", "aa", "--seed", 3], capsys
    )
    assert code == 0, err
    again = _metrics(next(ln for ln in out.splitlines() if ln.startswith("test: ")))
    assert again == test

    # a finished run's split: train 2 epochs on the file, then score that run's split
    run = tmp_path / "run"
    code, out, err = run_cli(
        ["train", "--graph", edges, "--epochs", 2, "--seed", 3, "--out", run, "--no-progress"],
        capsys,
    )
    assert code == 0, err
    code, out, err = run_cli(["baseline", run, "--heuristic", "adamic_adar"], capsys)
    assert code == 0, err
    from_run = _metrics(next(ln for ln in out.splitlines() if ln.startswith("test: ")))
    assert from_run == test

    # user mistakes are one line, exit 2
    for args, message in (
        (["baseline", "--dataset", "seal_usair", "--heuristic", "jaccard", "--data-root", root],
         "unknown heuristic 'jaccard'; valid heuristics: adamic_adar, common_neighbors"),
        (["baseline", "--heuristic", "cn"], "give one of: a run folder, --dataset or --graph"),
        (["baseline", "--graph", edges, "--heuristic", "katz", "--heuristic-option", "beta=0"],
         "katz: beta must be > 0"),
    ):  # fmt: skip
        code, out, err = run_cli(args, capsys)
        assert code == 2, err
        assert message in err and len(err.strip().splitlines()) == 1
        assert "Traceback" not in err


def test_nodes_file_gives_isolated_nodes_embeddings(tmp_path, capsys) -> None:
    edges = tmp_path / "edges.csv"
    ring = [(f"n{i}", f"n{(i + 1) % 12}") for i in range(12)]
    chords = [(f"n{i}", f"n{(i + 4) % 12}") for i in range(12)]
    edges.write_text("".join(f"{u},{v}\n" for u, v in ring + chords))
    nodes = tmp_path / "nodes.txt"
    names = [f"n{i}" for i in range(12)] + ["lonely", "hermit"]
    nodes.write_text("\n".join(names) + "\n")
    run = tmp_path / "run"
    proc = run_subprocess(
        ["train", "--graph", edges, "--nodes", nodes, "--epochs", 3, "--out", run,
         "--no-progress"],
        tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "edges: 14 nodes, 24 undirected edges, 14 features (identity)" in proc.stdout
    from graphae.embeddings import load_embeddings

    emb = load_embeddings(run / "embeddings.npy")
    assert sorted(emb.ids) == sorted(names)
    assert np.isfinite(emb["lonely"]).all() and emb["hermit"].shape == (16,)
    config = json.loads((run / "config.json").read_text())
    assert config["nodes"] == str(nodes)
    result = json.loads((run / "result.json").read_text())
    assert result["graph"]["num_nodes"] == 14 and result["graph"]["feature_source"] == "identity"

    short = tmp_path / "short.txt"
    short.write_text("n0\nn1\n")
    code, _, err = run_cli(
        ["train", "--graph", edges, "--nodes", short, "--out", tmp_path / "r2"], capsys
    )
    assert code == 2
    assert err.strip().splitlines() == [
        f"graphae: error: {short}: 10 node id(s) of the edges are not in the node file (e.g. "
        "'n2', 'n3', 'n4'); add them to the node file, one per line"
    ]
    assert not (tmp_path / "r2").exists()
