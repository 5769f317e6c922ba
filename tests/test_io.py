"""Tests for graphae.data.io: loading user graphs from files and in-memory objects.

Exact values on graphs of 3-11 nodes, every supported format, features and
labels, the feature fallback, and property tests (hypothesis) for the edge-list
parser and the NodeIndex JSON round trip. Bad input lives in
``tests/test_bad_input_io.py``.
"""

from __future__ import annotations

import csv
import json
import logging
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch_geometric.data import Data

from graphae.data.graph import Graph, NodeIndex
from graphae.data.io import degree_features, identity_features, load_graph, read_labels
from graphae.data.io import fallback as gio
from graphae.data.split import false_negative_rate, random_link_split
from graphae.errors import InputError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def edge_dict(g: Graph) -> dict[tuple, float | None]:
    """``{(id_u, id_v): weight}`` over the stored directed entries."""
    ei = g.data.edge_index
    w = g.edge_weight
    return {
        (g.nodes.id(int(u)), g.nodes.id(int(v))): (None if w is None else float(w[k]))
        for k, (u, v) in enumerate(ei.t().tolist())
    }


def assert_coalesced(g: Graph) -> None:
    """``edge_index`` sorted by (row, col), no repeats, no loops, symmetric if undirected."""
    ei = g.data.edge_index
    n = g.num_nodes
    keys = ei[0] * n + ei[1]
    assert ei.dtype == torch.long
    assert torch.all(keys[1:] > keys[:-1])
    assert not torch.any(ei[0] == ei[1])
    if not g.directed:
        rev = torch.sort(ei[1] * n + ei[0]).values
        assert torch.equal(rev, keys)
        if g.edge_weight is not None:
            d = edge_dict(g)
            assert all(d[(v, u)] == w for (u, v), w in d.items())


# --------------------------------------------------------------------------- exact values


def test_csv_string_ids_and_weights_exact(tmp_path):
    path = write(
        tmp_path / "edges.csv",
        "source,target,weight\nalice,bob,1.5\nbob,carol,2\ncarol,alice,0.5\n",
    )
    g = load_graph(path)
    assert g.nodes.ids == ["alice", "bob", "carol"]
    assert g.data.edge_index.tolist() == [[0, 0, 1, 1, 2, 2], [1, 2, 0, 2, 0, 1]]
    assert g.edge_weight.tolist() == [1.5, 0.5, 1.5, 2.0, 0.5, 2.0]
    assert g.edge_weight.dtype == torch.float32
    assert g.name == "edges" and g.directed is False
    assert g.meta["header"] is True and g.meta["delimiter"] == ","
    assert g.num_nodes == 3 and g.num_edges == 6


def test_int_ids_rows_sorted_by_id_snap_style(tmp_path):
    path = write(
        tmp_path / "g.txt",
        "# Directed graph (each unordered pair of nodes is saved once)\n# Nodes: 4\n"
        "10 2\n2 7\n7 10\n7 0\n",
    )
    g = load_graph(path)
    assert g.nodes.ids == [0, 2, 7, 10]
    assert g.nodes.id_type == "int"
    assert g.edge_weight is None
    assert g.meta["delimiter"] == "whitespace" and g.meta["header"] is False
    assert g.data.edge_index.tolist() == [[0, 1, 1, 2, 2, 2, 3, 3], [2, 2, 3, 0, 1, 3, 1, 2]]


def test_ids_0_to_n_minus_1_map_to_their_rows(tmp_path):
    path = write(tmp_path / "g.csv", "3,1\n0,2\n2,1\n")
    g = load_graph(path)
    assert g.nodes.ids == [0, 1, 2, 3]
    assert all(g.nodes.row(i) == i for i in range(4))


def test_leading_zero_ids_stay_strings_and_round_trip(tmp_path):
    path = write(tmp_path / "g.csv", "007,1\n1,2\n")
    g = load_graph(path)
    assert g.nodes.ids == ["007", "1", "2"]
    assert g.nodes.id_type == "str"


def test_na_like_ids_are_kept_as_strings(tmp_path):
    path = write(tmp_path / "g.csv", "NA,null\nnan,None\nNA,nan\n")
    g = load_graph(path)
    assert g.nodes.ids == ["NA", "null", "nan", "None"]


def test_quoted_ids_with_commas_spaces_unicode_work(tmp_path):
    path = write(
        tmp_path / "g.csv",
        '"Smith, John","Zoë Æsir"\n"Zoë Æsir","  padded "\n"日本語","Smith, John"\n'
        '"say ""hi""","日本語"\n',
    )
    g = load_graph(path)
    assert g.nodes.ids == ["Smith, John", "Zoë Æsir", "  padded ", "日本語", 'say "hi"']
    assert ("Smith, John", "日本語") in edge_dict(g)
    assert g.num_edges == 8


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("g.tsv", "a b\tc\nc\td e\n"),
        ("g.txt", "a;b\nb;c\n"),
        ("g.edges", "a|b\nb|c\n"),
        ("g.edgelist", "a   b\n  b c  \n"),
        ("g.el", "a,b\nb,c\n"),
    ],
)
def test_delimiters_are_sniffed(tmp_path, name, text):
    g = load_graph(write(tmp_path / name, text))
    assert g.num_nodes == 3 and g.num_edges == 4


def test_tab_file_keeps_spaces_in_ids(tmp_path):
    g = load_graph(write(tmp_path / "g.tsv", "a b\tc\nc\td e\n"))
    assert g.nodes.ids == ["a b", "c", "d e"]


def test_explicit_delimiter_and_header(tmp_path):
    path = write(tmp_path / "g.txt", "x:y\na:b\nb:c\n")
    g = load_graph(path, delimiter=":", header=True)
    assert g.nodes.ids == ["a", "b", "c"]
    g = load_graph(path, delimiter=":", header=False)
    assert g.nodes.ids == ["x", "y", "a", "b", "c"]


def test_header_detected_from_numeric_ids(tmp_path):
    g = load_graph(write(tmp_path / "g.csv", "person_a,person_b\n1,2\n2,3\n"))
    assert g.nodes.ids == [1, 2, 3]
    assert g.meta["header"] is True


def test_header_names_pick_columns_in_any_order(tmp_path):
    path = write(tmp_path / "g.csv", "weight,time,dst,src\n2.0,5,b,a\n3.0,6,c,b\n")
    g = load_graph(path, directed=True)
    assert edge_dict(g) == {("a", "b"): 2.0, ("b", "c"): 3.0}


def test_duplicates_merged_with_max_weight_and_counted(tmp_path, caplog):
    path = write(tmp_path / "g.csv", "a,b,1\nb,a,3\na,b,2\nb,c,1\nb,c,1\n")
    with caplog.at_level(logging.INFO, logger="graphae.data.io"):
        g = load_graph(path)
    assert edge_dict(g) == {("a", "b"): 3.0, ("b", "a"): 3.0, ("b", "c"): 1.0, ("c", "b"): 1.0}
    assert g.meta["duplicates_merged"] == 2  # a,b twice more than once; b,c twice
    assert g.meta["reverse_listings_merged"] == 1  # b,a
    assert "repeated edge listings" in caplog.text and "both directions" in caplog.text


def test_directed_duplicates_merged_and_reverse_kept(tmp_path):
    path = write(tmp_path / "g.csv", "a,b,1\nb,a,3\na,b,2\n")
    g = load_graph(path, directed=True)
    assert edge_dict(g) == {("a", "b"): 2.0, ("b", "a"): 3.0}
    assert g.directed and g.meta["duplicates_merged"] == 1
    assert_coalesced(g)


def test_self_loops_dropped_and_node_kept_isolated(tmp_path, caplog):
    path = write(tmp_path / "g.csv", "a,b\nc,c\nb,b\n")
    with caplog.at_level(logging.INFO, logger="graphae.data.io"):
        g = load_graph(path)
    assert g.nodes.ids == ["a", "b", "c"]
    assert g.data.edge_index.tolist() == [[0, 1], [1, 0]]
    assert g.meta["self_loops_dropped"] == 2 and g.meta["isolated_nodes"] == 1
    assert "dropped 2 self loops" in caplog.text


def test_zero_weights_dropped_with_log(tmp_path, caplog):
    path = write(tmp_path / "g.csv", "a,b,0\nb,c,1e-3\n")
    with caplog.at_level(logging.INFO, logger="graphae.data.io"):
        g = load_graph(path)
    assert edge_dict(g) == {("b", "c"): pytest.approx(1e-3), ("c", "b"): pytest.approx(1e-3)}
    assert g.meta["zero_weight_dropped"] == 1
    assert "zero-weight" in caplog.text


def test_weighted_false_ignores_weights_and_true_requires_them(tmp_path):
    path = write(tmp_path / "g.csv", "a,b,5\nb,c,6\n")
    assert load_graph(path, weighted=False).edge_weight is None
    assert load_graph(path, weighted=True).edge_weight is not None
    with pytest.raises(InputError, match="no weight column"):
        load_graph(write(tmp_path / "u.csv", "a,b\nb,c\n"), weighted=True)


def test_blank_lines_and_crlf_and_bom(tmp_path):
    path = tmp_path / "g.csv"
    path.write_bytes("\ufeffsource,target\r\na,b\r\n\r\nb,c\r\n\r\n".encode())
    g = load_graph(path)
    assert g.nodes.ids == ["a", "b", "c"]


def test_result_splits_leak_free(tmp_path):
    lines = [f"n{i},n{(i * 7 + 3) % 11}" for i in range(11)] + [f"n{i},n{i + 1}" for i in range(10)]
    g = load_graph(write(tmp_path / "g.csv", "\n".join(lines) + "\n"))
    split = random_link_split(g.data.edge_index, g.num_nodes, val_ratio=0.1, test_ratio=0.2)
    assert false_negative_rate(split, g.data.edge_index) == 0.0


# --------------------------------------------------------------------------- features


def test_feature_csv_aligned_by_id_and_feature_only_nodes_kept(tmp_path, caplog):
    edges = write(tmp_path / "e.csv", "b,a\na,c\n")
    feats = write(tmp_path / "f.csv", "id,x1,x2\nc,5,6\na,1,2\nb,3,4\nlonely,7,8\n")
    with caplog.at_level(logging.INFO, logger="graphae.data.io"):
        g = load_graph(edges, features=feats)
    assert g.nodes.ids == ["b", "a", "c", "lonely"]
    assert g.data.x.tolist() == [[3, 4], [1, 2], [5, 6], [7, 8]]
    assert g.feature_source == "file"
    assert g.meta["isolated_nodes"] == 1
    assert "only in the feature file" in caplog.text


def test_feature_csv_without_header_and_int_ids(tmp_path):
    edges = write(tmp_path / "e.csv", "2,1\n")
    feats = write(tmp_path / "f.tsv", "1\t0.5\t-1\n2\t1e2\t0\n3\t0\t0\n")
    g = load_graph(edges, features=feats)
    assert g.nodes.ids == [1, 2, 3]
    assert g.data.x.tolist() == [[0.5, -1.0], [100.0, 0.0], [0.0, 0.0]]


def test_feature_npy_with_implicit_ids_keeps_trailing_isolated_rows(tmp_path):
    edges = write(tmp_path / "e.csv", "0,1\n1,2\n")
    np.save(tmp_path / "x.npy", np.arange(10, dtype=np.float64).reshape(5, 2))
    g = load_graph(edges, features=tmp_path / "x.npy")
    assert g.nodes.ids == [0, 1, 2, 3, 4]
    assert g.data.x[:, 0].tolist() == [0, 2, 4, 6, 8]
    assert g.data.x.dtype == torch.float32


def test_feature_npy_with_feature_ids_file(tmp_path):
    edges = write(tmp_path / "e.csv", "alice,bob\n")
    np.save(tmp_path / "x.npy", np.array([[1.0], [2.0], [3.0]]))
    ids = write(tmp_path / "ids.txt", "bob\ncarol d\nalice\n")
    g = load_graph(edges, features=tmp_path / "x.npy", feature_ids=ids)
    assert g.nodes.ids == ["alice", "bob", "carol d"]
    assert g.data.x.squeeze(1).tolist() == [3.0, 1.0, 2.0]


def test_features_from_array_and_sequence_ids(tmp_path):
    edges = write(tmp_path / "e.csv", "x,y\n")
    g = load_graph(edges, features=torch.eye(2), feature_ids=["y", "x"])
    assert g.data.x.tolist() == [[0, 1], [1, 0]]


# --------------------------------------------------------------------------- labels


def test_string_labels_mapped_sorted_and_missing_minus_one(tmp_path):
    edges = write(tmp_path / "e.csv", "a,b\nb,c\nc,d\n")
    labels = write(tmp_path / "y.csv", "node,label\nd,dog\na,cat\nb,dog\n")
    g = load_graph(edges, labels=labels)
    assert g.data.y.tolist() == [0, 1, -1, 1]
    assert g.meta["label_names"] == ["cat", "dog"]


def test_int_labels_kept_and_rows_follow_id_order(tmp_path):
    edges = write(tmp_path / "e.csv", "3,1\n1,2\n")
    labels = write(tmp_path / "y.csv", "3,7\n1,0\n")
    g = load_graph(edges, labels=labels)
    assert g.nodes.ids == [1, 2, 3]
    assert g.data.y.tolist() == [0, -1, 7]
    assert "label_names" not in g.meta


def test_read_labels_public_helper(tmp_path):
    labels = write(tmp_path / "y.csv", "a,x\nc,y\n")
    y = read_labels(labels, NodeIndex(["a", "b", "c"]))
    assert y.tolist() == [0, -1, 1]
    assert read_labels({5: "q"}, NodeIndex([4, 5])).tolist() == [-1, 0]


# --------------------------------------------------------------------------- fallback


def test_fallback_identity_is_stated_in_log(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="graphae.data.io"):
        g = load_graph(write(tmp_path / "e.csv", "a,b\nb,c\n"))
    assert g.feature_source == "identity"
    assert torch.equal(g.data.x, torch.eye(3))
    assert "identity" in caplog.text and "no node features" in caplog.text


def test_fallback_degree_learnable_above_threshold(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(gio, "IDENTITY_MAX_NODES", 3)
    with caplog.at_level(logging.INFO, logger="graphae.data.io"):
        g = load_graph(write(tmp_path / "e.csv", "a,b\nb,c\nb,d\n"))
    assert g.feature_source == "degree_learnable"
    assert g.data.x.shape == (4, 1 + gio.DEGREE_BUCKETS)
    assert g.data.x[:, 0].tolist() == pytest.approx(np.log1p([1.0, 3.0, 1.0, 1.0]).tolist())
    assert "beside a learnable input code per node" in caplog.text
    g = load_graph(tmp_path / "e.csv", feature_fallback="learnable")
    assert g.feature_source == "learnable" and g.data.x is None
    with caplog.at_level(logging.INFO, logger="graphae.data.io"):
        g = load_graph(tmp_path / "e.csv", feature_fallback="degree")
    assert g.feature_source == "degree"
    assert g.data.x.shape == (4, 1 + gio.DEGREE_BUCKETS)
    assert "degree features" in caplog.text


def test_degree_features_exact():
    # star: node 0 has degree 3, leaves degree 1, node 4 isolated
    ei = torch.tensor([[0, 0, 0, 1, 2, 3], [1, 2, 3, 0, 0, 0]])
    x = degree_features(ei, 5, buckets=4)
    deg = torch.tensor([3.0, 1, 1, 1, 0])
    assert torch.allclose(x[:, 0], torch.log1p(deg))
    assert x[:, 1:].argmax(1).tolist() == [2, 1, 1, 1, 0]  # floor(log2(1 + deg))
    assert x[:, 1:].sum(1).tolist() == [1.0] * 5
    directed = degree_features(torch.tensor([[0], [1]]), 2, directed=True, buckets=2)
    assert directed[:, 1:].tolist() == [[0, 1], [0, 1]]


def test_feature_fallback_options(tmp_path):
    path = write(tmp_path / "e.csv", "a,b\nb,c\n")
    assert load_graph(path, feature_fallback="degree").feature_source == "degree"
    assert identity_features(2).tolist() == [[1, 0], [0, 1]]


# --------------------------------------------------------------------------- in-memory sources


def test_networkx_graph_weights_and_isolated_nodes():
    g_nx = nx.Graph()
    g_nx.add_nodes_from(["x", "y", "z", "iso"])
    g_nx.add_edge("x", "y", weight=2.0)
    g_nx.add_edge("y", "z")
    g = load_graph(g_nx)
    assert g.nodes.ids == ["x", "y", "z", "iso"]
    assert edge_dict(g)[("x", "y")] == 2.0 and edge_dict(g)[("y", "z")] == 1.0
    assert g.meta["isolated_nodes"] == 1


def test_networkx_digraph_and_multigraph():
    d = nx.DiGraph([(1, 2), (2, 3)])
    g = load_graph(d, directed=True)
    assert g.nodes.ids == [1, 2, 3] and g.num_edges == 2
    m = nx.MultiGraph()
    m.add_edge("a", "b", weight=1.0)
    m.add_edge("a", "b", weight=4.0)
    g = load_graph(m)
    assert edge_dict(g) == {("a", "b"): 4.0, ("b", "a"): 4.0}
    undirected_as_directed = load_graph(nx.path_graph(3), directed=True)
    assert undirected_as_directed.num_edges == 4


@pytest.mark.parametrize("kind", ["csr_matrix", "csr_array", "coo_matrix"])
def test_scipy_sparse_binary_is_unweighted(kind):
    dense = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    g = load_graph(getattr(sp, kind)(dense))
    assert g.nodes.ids == [0, 1, 2]
    assert g.edge_weight is None
    assert g.data.edge_index.tolist() == [[0, 1, 1, 2], [1, 0, 2, 1]]


def test_scipy_weighted_asymmetric_undirected_takes_max():
    m = sp.csr_matrix(np.array([[0, 2.0, 0], [5.0, 0, 0], [0, 0, 0]]))
    g = load_graph(m)
    assert edge_dict(g) == {(0, 1): 5.0, (1, 0): 5.0}
    assert g.num_nodes == 3 and g.meta["isolated_nodes"] == 1
    gd = load_graph(m, directed=True)
    assert edge_dict(gd) == {(0, 1): 2.0, (1, 0): 5.0}


def test_npz_file_round_trip(tmp_path):
    m = sp.random(9, 9, density=0.3, format="csr", random_state=1)
    sp.save_npz(tmp_path / "a.npz", m)
    g = load_graph(tmp_path / "a.npz", directed=True)
    coo = m.tocoo()
    expected = {
        (int(r), int(c)): float(np.float32(v))
        for r, c, v in zip(coo.row, coo.col, coo.data, strict=True)
    }
    expected = {k: v for k, v in expected.items() if k[0] != k[1]}
    assert edge_dict(g) == pytest.approx(expected)


def test_pyg_data_keeps_x_y_masks_and_weights():
    data = Data(
        x=torch.arange(8.0).reshape(4, 2),
        edge_index=torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]]),
        edge_weight=torch.tensor([1.0, 1.0, 2.0, 2.0, 3.0, 3.0]),
        y=torch.tensor([0, 1, 0, 1]),
        train_mask=torch.tensor([True, False, True, False]),
    )
    g = load_graph(data)
    assert g.feature_source == "dataset"
    assert torch.equal(g.data.x, data.x) and torch.equal(g.data.y, data.y)
    assert torch.equal(g.data.train_mask, data.train_mask)
    assert g.data.edge_index.tolist() == data.edge_index.tolist()
    assert g.edge_weight.tolist() == [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    assert g.meta["reverse_listings_merged"] == 3


def test_dataframe_named_and_positional_columns():
    df = pd.DataFrame({"weight": [1.0, 2.0], "target": ["b", "c"], "source": ["a", "b"]})
    g = load_graph(df, directed=True)
    assert edge_dict(g) == {("a", "b"): 1.0, ("b", "c"): 2.0}
    pos = pd.DataFrame([[1, 2], [2, 3]])
    assert load_graph(pos).nodes.ids == [1, 2, 3]
    floats = pd.DataFrame({"u": [1.0, 2.0], "v": [2.0, 3.0]})
    assert load_graph(floats).nodes.ids == [1, 2, 3]


# --------------------------------------------------------------------------- networkx file formats


@pytest.fixture
def small_nx():
    g = nx.Graph()
    g.add_edge("a b", "c", weight=2.5)
    g.add_edge("c", "dé", weight=1.0)
    g.add_node("lone")
    return g


@pytest.mark.parametrize("ext", [".graphml", ".gexf", ".gml"])
def test_xml_and_gml_formats_round_trip(tmp_path, small_nx, ext):
    path = tmp_path / f"g{ext}"
    {".graphml": nx.write_graphml, ".gexf": nx.write_gexf, ".gml": nx.write_gml}[ext](
        small_nx, path
    )
    g = load_graph(path)
    assert sorted(g.nodes.ids) == sorted(["a b", "c", "dé", "lone"])
    assert edge_dict(g)[("a b", "c")] == 2.5
    assert g.name == "g" and g.meta["isolated_nodes"] == 1


def test_adjlist_format(tmp_path):
    path = write(tmp_path / "g.adjlist", "# comment\na b c\nb c\nd\n")
    g = load_graph(path)
    assert g.nodes.ids == ["a", "b", "c", "d"]
    assert g.num_edges == 6 and g.edge_weight is None


# --------------------------------------------------------------------------- properties

_ID_CHARS = st.characters(blacklist_categories=("Cs", "Cc"))
_STR_IDS = st.text(_ID_CHARS, min_size=1, max_size=6)
_INT_IDS = st.integers(min_value=-(10**15), max_value=10**15)


@st.composite
def edge_lists(draw):
    ids = draw(
        st.one_of(
            st.lists(_STR_IDS, min_size=2, max_size=8, unique=True),
            st.lists(_INT_IDS, min_size=2, max_size=8, unique=True),
        )
    )
    k = len(ids)
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, k - 1),
                st.integers(0, k - 1),
                st.floats(min_value=1e-3, max_value=1e6, allow_nan=False),
            ),
            min_size=1,
            max_size=25,
        )
    )
    return [(ids[u], ids[v], w) for u, v, w in rows]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=edge_lists(), directed=st.booleans())
def test_edge_list_round_trip_property(tmp_path, rows, directed):
    path = tmp_path / "prop.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow(["source", "target", "weight"])
        for u, v, w in rows:
            writer.writerow([u if isinstance(u, int) else str(u), v, repr(w)])
    expected: dict[tuple[str, str], float] = {}
    for u, v, w in rows:
        if u == v:
            continue
        key = (str(u), str(v)) if directed else tuple(sorted((str(u), str(v))))
        expected[key] = max(expected.get(key, 0.0), w)
    nodes = {str(x) for u, v, _ in rows for x in (u, v)}
    if not expected:
        with pytest.raises(InputError):
            load_graph(path, directed=directed)
        return
    g = load_graph(path, directed=directed)
    assert {str(i) for i in g.nodes.ids} == nodes
    assert len(g.nodes) == len(nodes)
    got = {}
    for (u, v), w in edge_dict(g).items():
        key = (str(u), str(v)) if directed else tuple(sorted((str(u), str(v))))
        got[key] = w
    assert got.keys() == expected.keys()
    for key, w in expected.items():
        assert got[key] == pytest.approx(float(np.float32(w)))
    assert_coalesced(g)


@given(
    ids=st.one_of(
        st.lists(st.text(max_size=10), unique=True, max_size=20),
        st.lists(st.integers(), unique=True, max_size=20),
    )
)
def test_node_index_json_round_trip_property(ids):
    index = NodeIndex(ids)
    back = NodeIndex.from_json(json.loads(json.dumps(index.to_json())))
    assert back == index
    assert [type(i) for i in back.ids] == [type(i) for i in ids]
    for row, node_id in enumerate(ids):
        assert back.row(node_id) == row


@given(tokens=st.lists(st.text(st.sampled_from("0123-7a"), min_size=1, max_size=4), unique=True))
def test_node_index_from_tokens_keeps_text_exactly(tokens):
    index = NodeIndex.from_tokens(tokens)
    assert [str(i) for i in index.ids] == tokens


# --------------------------------------------------------------------------- speed


def test_large_edge_list_is_vectorised(tmp_path):
    """200k lines load in seconds (a Python loop per line would not)."""
    rng = np.random.default_rng(0)
    n, e = 20_000, 200_000
    df = pd.DataFrame({"s": rng.integers(0, n, e), "t": rng.integers(0, n, e)})
    df["w"] = rng.random(e).round(3) + 0.001
    df.to_csv(tmp_path / "big.csv", index=False, header=False)
    start = time.perf_counter()
    g = load_graph(tmp_path / "big.csv")
    elapsed = time.perf_counter() - start
    assert g.num_nodes == len(set(df["s"]) | set(df["t"]))
    assert elapsed < 15.0, f"loading 200k lines took {elapsed:.1f}s"


@pytest.mark.slow
def test_2_4m_line_edge_list(tmp_path):
    rng = np.random.default_rng(0)
    n, e = 235_000, 2_400_000
    df = pd.DataFrame({"s": rng.integers(0, n, e), "t": rng.integers(0, n, e)})
    df.to_csv(tmp_path / "big.csv", index=False, header=False)
    start = time.perf_counter()
    g = load_graph(tmp_path / "big.csv", feature_fallback="degree")
    assert time.perf_counter() - start < 60.0
    assert g.num_nodes <= n


# --------------------------------------------------------------------------- node list


def test_node_list_adds_isolated_nodes(tmp_path):
    edges = write(tmp_path / "e.csv", "b,a\na,c\n")
    nodes = write(tmp_path / "nodes.txt", "id\nz\na\nb\nc\n")
    g = load_graph(edges, nodes=nodes)
    # edge nodes in order of appearance, then the node-file-only nodes
    assert g.nodes.ids == ["b", "a", "c", "z"]
    assert g.num_nodes == 4 and g.meta["isolated_nodes"] == 1
    assert g.data.edge_index.tolist() == [[0, 1, 1, 2], [1, 0, 2, 1]]
    assert g.feature_source == "identity" and g.data.x.shape == (4, 4)
    ints = load_graph(write(tmp_path / "i.csv", "3,1\n"), nodes=[0, 1, 2, 3, 7])
    assert ints.nodes.ids == [0, 1, 2, 3, 7]
    assert ints.data.edge_index.tolist() == [[1, 3], [3, 1]]


def test_node_list_errors(tmp_path):
    edges = write(tmp_path / "e.csv", "a,b\nb,c\nc,d\n")
    short = write(tmp_path / "short.txt", "a\nb\n")
    with pytest.raises(InputError, match=r"short.txt: 2 node id\(s\) of the edges are not in the "
                       r"node file \(e.g. 'c', 'd'\)"):  # fmt: skip
        load_graph(edges, nodes=short)
    dup = write(tmp_path / "dup.txt", "a\nb\nc\nd\nb\n")
    with pytest.raises(InputError, match=r"dup.txt:5: duplicate id 'b' in the node file"):
        load_graph(edges, nodes=dup)
    blank = write(tmp_path / "blank.txt", "a\n\nb\nc\nd\n")
    with pytest.raises(InputError, match=r"blank.txt:2: blank line"):
        load_graph(edges, nodes=blank)
    feats = write(tmp_path / "f.csv", "a,1\nb,1\nc,1\nd,1\nq,1\n")
    full = write(tmp_path / "full.txt", "a\nb\nc\nd\n")
    with pytest.raises(InputError, match="feature row id 'q' is not in the node file"):
        load_graph(edges, nodes=full, features=feats)


@pytest.mark.parametrize(
    "fallback,source,width", [("identity", "identity", 5), ("degree", "degree", 17),
                              ("random", "random", 64), ("learnable", "learnable", 0),
                              ("none", "none", 0)]
)  # fmt: skip
def test_feature_fallbacks(tmp_path, fallback, source, width):
    g = load_graph(write(tmp_path / "e.csv", "0,1\n1,2\n2,3\n3,4\n"), feature_fallback=fallback)
    assert g.feature_source == source and g.num_features == width
    if fallback in ("none", "learnable"):
        assert g.data.x is None
    if fallback == "random":  # fixed: the same graph always gets the same features
        assert torch.equal(g.data.x, gio.random_features(5))
        assert g.data.x.shape == (5, 64)
    with pytest.raises(gio.GraphaeError, match="feature_fallback='ones' is invalid"):
        load_graph(tmp_path / "e.csv", feature_fallback="ones")
