"""The leakage checker (``check_split`` / ``graphae check-split``), and our splits under it.

Recorded output of ``graphae check-split --dataset Cora --pyg-random-link-split``
(PyG 2.8.1, torch 2.13, seed 0; also in
``benchmarks/results/check-split-pyg-randomlinksplit.md``): PyG's
``RandomLinkSplit()`` with its defaults (``is_undirected=False``) splits Cora's
edge list *as directed edges*, so the reverse of most validation/test edges stays
in the message-passing graph, and most val/test pairs are also training pairs::

    split: PyG RandomLinkSplit(defaults) on cora, seed 0; 2708 nodes; undirected (unordered pairs)
    sizes: train_pos 7390, val_pos 1055, test_pos 2111, train_neg 7390, val_neg 1055, test_neg 2111, mp_edges 7390
    check                                       train   val               test               status
    positive in message-passing graph           -       0/1055            0/2111             ok
    positive reversed in message-passing graph  -       735/1055 (69.7%)  1685/2111 (79.8%)  LEAK
    negative is a true edge                     0/7390  0/1055            0/2111             ok
    negative is a self loop                     0/7390  0/1055            0/2111             ok
    positive is also a train positive           -       735/1055 (69.7%)  1467/2111 (69.5%)  LEAK
    positive is also a val positive             -       -                 218/2111 (10.3%)   LEAK
    verdict: LEAK in 3 check(s): positive reversed in message-passing graph (val, test); positive is also a train positive (val, test); positive is also a val positive (test)
    e.g. val positive reversed in message-passing graph: (155, 817), (1709, 1739), (1586, 687)

(exit code 1). With ``--pyg-option is_undirected=true`` the same split is clean.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from clihelp import RING, assert_one_line_error, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphae.data.leakage import check_split, pyg_random_link_split
from graphae.data.split import random_link_split
from graphae.errors import GraphaeError


def ring(n: int) -> torch.Tensor:
    src = torch.arange(n)
    e = torch.cat([torch.stack([src, (src + 1) % n]), torch.stack([src, (src + 3) % n])], 1)
    return torch.cat([e, e.flip(0)], 1)


def naive_directed_split(edge_index: torch.Tensor, n: int, seed: int = 0) -> dict:
    """The classic mistake: split an undirected graph's *directed* edge list, reversed edges left in."""
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(edge_index.size(1), generator=gen)
    k = edge_index.size(1) // 10
    val, test, train = (edge_index[:, perm[:k]], edge_index[:, perm[k : 2 * k]],
                        edge_index[:, perm[2 * k :]])  # fmt: skip
    neg = torch.tensor([[0, 0], [n // 2, n // 2 + 1]]).repeat(1, k)[:, :k]
    return {
        "mp_edge_index": train,
        "train_pos": train,
        "val_pos": val,
        "val_neg": neg,
        "test_pos": test,
        "test_neg": neg,
        "num_nodes": n,
    }


# ------------------------------------------------------------------ our splits are clean


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_our_random_splits_are_clean(seed: int, directed: bool) -> None:
    n = 30
    ei = ring(n) if not directed else ring(n)[:, : 2 * n]  # directed: one direction per edge
    s = random_link_split(ei, n, val_ratio=0.1, test_ratio=0.2, directed=directed, seed=seed)
    report = check_split(s, ei)
    assert report.clean, report.table()
    assert report.directed is directed
    assert {r.check for r in report.results} == {
        "pos_in_mp", "pos_reversed_in_mp", "neg_is_edge", "neg_self_loop", "pos_in_train",
        "pos_in_val",
    }  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(6, 14),
    pairs=st.lists(st.tuples(st.integers(0, 13), st.integers(0, 13)), min_size=12, max_size=60),
    directed=st.booleans(),
    seed=st.integers(0, 2**16),
    both_directions=st.booleans(),
)
def test_any_graph_any_seed_our_split_is_clean(n, pairs, directed, seed, both_directions) -> None:
    ei = torch.tensor([(u % n, v % n) for u, v in pairs]).t()
    if both_directions:
        ei = torch.cat([ei, ei.flip(0)], 1)
    try:
        s = random_link_split(ei, n, val_ratio=0.15, test_ratio=0.15, directed=directed, seed=seed)
    except GraphaeError:
        return  # too few distinct edges, or too dense to sample negatives: refused, not leaked
    report = check_split(s, ei)
    assert report.clean, report.table()


def test_tiny_graph_and_cora_splits_are_clean(tiny_graph, cora) -> None:
    from graphae.config import RunConfig
    from graphae.pipeline import make_split

    g = tiny_graph([(i, (i + 1) % 9) for i in range(9)] + [(i, (i + 4) % 9) for i in range(9)])
    for seed in range(3):
        s = random_link_split(g.data.edge_index, g.num_nodes, val_ratio=0.1, test_ratio=0.2,
                              seed=seed)  # fmt: skip
        assert check_split(s, g.data.edge_index).clean
    for seed in range(2):
        s = make_split(cora, RunConfig(dataset="cora", seed=seed))
        report = check_split(s, cora.data.edge_index)
        assert report.clean, report.table()
        assert report.sizes["val_pos"] == 264 and report.sizes["test_pos"] == 528


def test_official_ogb_split_is_clean(data_root) -> None:
    from graphae.data.datasets import load_dataset

    g = load_dataset("ogbl-ddi", data_root, download=False)
    report = check_split(g.split, g.data.edge_index)
    assert report.clean, report.table()
    assert report.source == "graphae official split"
    assert report.sizes["test_pos"] == 133489


# ------------------------------------------------------------------ leaks are flagged


def test_reversed_edges_left_in_are_flagged() -> None:
    n = 40
    ei = ring(n)
    report = check_split(naive_directed_split(ei, n), ei)
    assert not report.clean
    rev = report.get("pos_reversed_in_mp", "test")
    assert rev is not None and rev.leak and rev.count > 0
    assert rev.count / rev.total > 0.5  # most reverses stayed in training
    u, v = rev.examples[0]
    assert ((ei[0] == v) & (ei[1] == u)).any()
    assert report.get("pos_in_train", "test").count > 0  # type: ignore[union-attr]
    assert "LEAK" in report.table() and "positive reversed" in report.table()


def test_our_split_with_reversed_val_edges_added_back_is_flagged() -> None:
    n = 30
    ei = ring(n)
    s = random_link_split(ei, n, val_ratio=0.1, test_ratio=0.2, seed=0)
    s.mp_edge_index = torch.cat([s.mp_edge_index, s.val_pos.flip(0)], 1)
    report = check_split(s, ei)
    assert not report.clean
    assert report.get("pos_reversed_in_mp", "val").count == s.val_pos.size(1)  # type: ignore[union-attr]
    assert report.get("pos_reversed_in_mp", "test").count == 0  # type: ignore[union-attr]
    s.mp_edge_index = torch.cat([s.mp_edge_index, s.test_pos], 1)
    assert check_split(s, ei).get("pos_in_mp", "test").count == s.test_pos.size(1)  # type: ignore[union-attr]


def test_false_negatives_self_loops_and_overlaps_are_flagged() -> None:
    n = 30
    ei = ring(n)
    s = random_link_split(ei, n, val_ratio=0.1, test_ratio=0.2, seed=0)
    s.test_neg = torch.cat(
        [s.test_neg[:, 2:], s.test_pos[:, :1].flip(0), torch.tensor([[4], [4]])], 1
    )
    s.val_pos = torch.cat([s.val_pos, s.train_pos[:, :2]], 1)
    s.test_pos = torch.cat([s.test_pos, s.val_pos[:, :1]], 1)
    r = check_split(s, ei)
    assert r.get("neg_is_edge", "test").count == 1  # type: ignore[union-attr]
    assert r.get("neg_self_loop", "test").count == 1  # type: ignore[union-attr]
    assert r.get("pos_in_train", "val").count == 2  # type: ignore[union-attr]
    assert r.get("pos_in_val", "test").count == 1  # type: ignore[union-attr]
    assert len({(x.check, x.part) for x in r.leaks}) == 5


def test_directed_split_reports_reverse_edges_as_information() -> None:
    """For a directed graph v->u is another edge: present in training is not a leak."""
    ei = torch.tensor([[0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 0], [1, 0, 2, 1, 3, 2, 4, 3, 5, 4, 0, 5]])
    parts = naive_directed_split(ei, 6, seed=1)
    parts["directed"] = True
    r = check_split(parts, ei)
    rev = [x for x in r.results if x.check == "pos_reversed_in_mp"]
    assert rev and all(not x.leak for x in rev)
    assert r.directed


# ------------------------------------------------------------------ PyG RandomLinkSplit


def test_pyg_random_link_split_defaults_leak_on_cora(cora) -> None:
    """The recorded finding (module docstring): ``is_undirected=False`` leaks reversed edges."""
    parts = pyg_random_link_split(cora.data.edge_index, cora.num_nodes, seed=0)
    r = check_split(parts, cora.data.edge_index)
    assert not r.clean
    val_rev = r.get("pos_reversed_in_mp", "val")
    test_rev = r.get("pos_reversed_in_mp", "test")
    assert val_rev is not None and test_rev is not None
    assert (val_rev.total, test_rev.total) == (1055, 2111)
    # reverse in training: ~70% of val; in training or validation (PyG's test-time graph): ~80% of test
    assert 0.6 < val_rev.rate < 0.8 and 0.7 < test_rev.rate < 0.9
    assert r.get("neg_is_edge", "test").count == 0  # type: ignore[union-attr]
    # the fix: is_undirected=True
    fixed = pyg_random_link_split(cora.data.edge_index, cora.num_nodes, seed=0, is_undirected=True)
    assert check_split(fixed, cora.data.edge_index).clean


def test_pyg_parts_as_plain_dicts_and_split_labels() -> None:
    n = 30
    ei = ring(n)
    parts = pyg_random_link_split(ei, n, seed=0, split_labels=True, is_undirected=True)
    assert check_split(parts, ei).clean
    as_dicts = {k: p.to_dict() for k, p in zip(("train", "val", "test"), parts, strict=True)}
    assert check_split(as_dicts, ei).clean
    with pytest.raises(GraphaeError, match="no option 'undirected'"):
        pyg_random_link_split(ei, n, undirected=True)


@pytest.mark.parametrize(
    ("split", "expected"),
    [
        ("nonsense", "cannot check a split of type str"),
        ((1, 2), "three parts"),
        (
            {"train": {"edge_index": torch.zeros(2, 1)}, "val": {}, "test": {}},
            "no edge_label_index",
        ),
        (
            [{"edge_label_index": torch.tensor([[0], [1]]), "edge_label": torch.ones(2)}] * 3,
            "2 entries for 1 pairs",
        ),
        ({"train_pos": torch.zeros(3, 2, 2)}, "missing mp_edge_index"),
        (
            {
                k: torch.zeros(3, 2, 2)
                for k in (
                    "mp_edge_index",
                    "train_pos",
                    "val_pos",
                    "val_neg",
                    "test_pos",
                    "test_neg",
                )
            },
            "shape",
        ),
    ],
)
def test_bad_split_inputs_are_graphae_errors(split, expected) -> None:
    with pytest.raises(GraphaeError, match=expected):
        check_split(split)


def test_out_of_range_node_ids_are_refused() -> None:
    s = random_link_split(ring(10), 10, val_ratio=0.1, test_ratio=0.2, seed=0)
    with pytest.raises(GraphaeError, match=r"outside 0\.\.4"):
        check_split(s, num_nodes=5)


# ------------------------------------------------------------------ graphae check-split


def test_cli_check_split_exit_codes(tmp_path, capsys, data_root) -> None:
    (tmp_path / "e.csv").write_text(RING, encoding="utf-8")
    code, out, _ = run_cli(["check-split", "--graph", tmp_path / "e.csv", "--seed", "3"], capsys)
    assert code == 0 and "verdict: clean" in out and "random, seed 3" in out
    # a run folder: the split the run trained on
    code, _, err = run_cli(
        ["train", "--graph", tmp_path / "e.csv", "--out", tmp_path / "run", "--epochs", "2",
         "--device", "cpu"], capsys,
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = run_cli(["check-split", tmp_path / "run"], capsys)
    assert code == 0 and f"split of run {tmp_path / 'run'}" in out
    # PyG RandomLinkSplit defaults on Cora: exit 1, the table names the leak
    code, out, _ = run_cli(
        ["check-split", "--dataset", "Cora", "--pyg-random-link-split", "--data-root", data_root],
        capsys,
    )
    assert code == 1
    assert "positive reversed in message-passing graph" in out and "LEAK" in out
    code, out, _ = run_cli(
        ["check-split", "--dataset", "Cora", "--pyg-random-link-split", "--pyg-option",
         "is_undirected=true", "--data-root", data_root, "--json"], capsys,
    )  # fmt: skip
    assert code == 0
    assert json.loads(out)["clean"] is True


def test_cli_check_split_file(tmp_path, capsys) -> None:
    n = 30
    ei = ring(n)
    bad = naive_directed_split(ei, n)
    torch.save(bad, tmp_path / "bad.pt")
    code, out, _ = run_cli(["check-split", "--split-file", tmp_path / "bad.pt"], capsys)
    assert code == 1 and "LEAK" in out
    parts = pyg_random_link_split(ei, n, seed=0, is_undirected=True)
    torch.save({k: p.to_dict() for k, p in zip(("train", "val", "test"), parts, strict=True)},
               tmp_path / "pyg.pt")  # fmt: skip
    code, out, err = run_cli(["check-split", "--split-file", tmp_path / "pyg.pt"], capsys)
    assert code == 0, err + out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "give one of"),
        (["--dataset", "Cora", "--graph", "x.csv"], "only one of"),
        (["--graph", "{d}/e.csv", "--pyg-option", "a=1"], "needs --pyg-random-link-split"),
        (
            ["--graph", "{d}/e.csv", "--pyg-random-link-split", "--pyg-option", "bad=1"],
            "no option 'bad'",
        ),
        (["--split-file", "{d}/nope.pt"], "nope.pt"),
    ],
)
def test_cli_check_split_usage_errors(tmp_path, capsys, args, expected) -> None:
    (tmp_path / "e.csv").write_text(RING, encoding="utf-8")
    args = [a.replace("{d}", str(tmp_path)) for a in args]
    code, _, err = run_cli(["check-split", *args], capsys)
    assert_one_line_error(code, err, [expected])


def test_recorded_result_file_exists() -> None:
    path = (
        Path(__file__).resolve().parents[1]
        / "benchmarks/results/check-split-pyg-randomlinksplit.md"
    )
    text = path.read_text(encoding="utf-8")
    assert "graphae check-split --dataset Cora --pyg-random-link-split" in text
    assert "positive reversed in message-passing graph" in text
