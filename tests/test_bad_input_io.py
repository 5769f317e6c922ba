"""Bad input to the graph loaders: every mistake is one InputError line saying what,
where (file and line) and how to fix it. Cases from issue 7 and issue 9.

Each case builds its input under ``tmp_path`` and lists substrings the message
must contain (``{dir}`` is replaced by ``tmp_path``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from torch_geometric.data import Data

from graphae.data.io import files as gio
from graphae.data.io import load_graph
from graphae.errors import GraphaeError, InputError

Case = Callable[[Path], tuple[tuple[Any, ...], dict[str, Any]]]


def text_file(name: str, text: str, **kwargs: Any) -> Case:
    def build(d: Path) -> tuple[tuple[Any, ...], dict[str, Any]]:
        (d / name).write_text(text, encoding="utf-8")
        return (d / name,), kwargs

    return build


def with_edges(edges: str, **files: str) -> Callable[..., Case]:
    """Edge list ``e.csv`` plus side files; kwargs name which file goes to which option."""

    def make(**options: str) -> Case:
        def build(d: Path) -> tuple[tuple[Any, ...], dict[str, Any]]:
            (d / "e.csv").write_text(edges, encoding="utf-8")
            for name, text in files.items():
                (d / name.replace("_", ".")).write_text(text, encoding="utf-8")
            return (d / "e.csv",), {k: d / v for k, v in options.items()}

        return build

    return make


def npy_features(arr: np.ndarray, edges: str = "0,1\n1,2\n", ids: str | None = None) -> Case:
    def build(d: Path) -> tuple[tuple[Any, ...], dict[str, Any]]:
        (d / "e.csv").write_text(edges, encoding="utf-8")
        np.save(d / "x.npy", arr, allow_pickle=True)
        kwargs: dict[str, Any] = {"features": d / "x.npy"}
        if ids is not None:
            (d / "ids.txt").write_text(ids, encoding="utf-8")
            kwargs["feature_ids"] = d / "ids.txt"
        return (d / "e.csv",), kwargs

    return build


def big_with_broken_line(broken: str) -> Case:
    def build(d: Path) -> tuple[tuple[Any, ...], dict[str, Any]]:
        lines = [f"node{i},node{i + 1},{i % 5 + 1}" for i in range(100_000)]
        lines[54_320] = broken
        (d / "big.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return (d / "big.csv",), {}

    return build


def in_memory(obj_factory: Callable[[], Any], **kwargs: Any) -> Case:
    return lambda d: ((obj_factory(),), kwargs)


def binary_file(name: str, data: bytes) -> Case:
    def build(d: Path) -> tuple[tuple[Any, ...], dict[str, Any]]:
        (d / name).write_bytes(data)
        return (d / name,), {}

    return build


def npz_object_array(d: Path) -> tuple[tuple[Any, ...], dict[str, Any]]:
    np.savez(d / "obj.npz", data=np.array([{"evil": 1}], dtype=object))
    return (d / "obj.npz",), {}


def npz_not_sparse(d: Path) -> tuple[tuple[Any, ...], dict[str, Any]]:
    np.savez(d / "dense.npz", adjacency=np.eye(3))
    return (d / "dense.npz",), {}


def directory(d: Path) -> tuple[tuple[Any, ...], dict[str, Any]]:
    (d / "graph.csv").mkdir()
    return (d / "graph.csv",), {}


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
 <graph edgedefault="undirected">
  <node id="&lol9;"/><node id="b"/><edge source="&lol9;" target="b"/>
 </graph>
</graphml>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE g [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<gexf xmlns="http://www.gexf.net/1.2draft">
 <graph><nodes><node id="&secret;"/></nodes></graph>
</gexf>
"""

F = "f_csv"  # side-file name helper: f_csv -> f.csv
EDGES_ABC = "a,b\nb,c\n"

CASES: dict[str, tuple[Case, list[str]]] = {
    "missing file": (lambda d: ((d / "nope.csv",), {}), ["nope.csv: ", "not found"]),
    "directory instead of file": (directory, ["graph.csv: ", "is a directory"]),
    "empty file": (text_file("g.csv", ""), ["g.csv: ", "empty"]),
    "only blank lines": (text_file("g.csv", "\n  \n\n"), ["g.csv: ", "blank"]),
    "only comments": (text_file("g.txt", "# nodes 3\n# edges 0\n"), ["g.txt: ", "comment"]),
    "header only": (text_file("g.csv", "source,target,weight\n"), ["g.csv: ", "no edges"]),
    "too many columns": (
        text_file("g.csv", "a,b,1\nb,c,2\nc,d,3,4\n"),
        ["g.csv:3: ", "expected 3 columns but found 4"],
    ),
    "too few columns": (
        text_file("g.csv", "a,b,1\nb,c,2\nc\n"),
        ["g.csv:3: ", "missing", "column"],
    ),
    "single column": (text_file("g.csv", "a\nb\nc\n"), ["g.csv:1: ", "single column"]),
    "four columns without header": (
        text_file("g.csv", "a,b,1,2\nb,c,1,2\n"),
        ["g.csv:1: ", "4 columns", "header"],
    ),
    "empty id": (text_file("g.csv", "a,b\n,c\n"), ["g.csv:2: ", "source id"]),
    "unclosed quote": (text_file("g.csv", 'a,b\nb,c\n"c,d\ne,f\n'), ["g.csv:3: ", "quote"]),
    "non-numeric weight": (
        text_file("g.csv", "a,b,1\nb,c,heavy\n"),
        ["g.csv:2: ", "non-numeric weight 'heavy'"],
    ),
    "NaN weight": (
        text_file("g.csv", "a,b,1\nb,c,NaN\n"),
        ["g.csv:2: ", "weight is NaN", "finite"],
    ),
    "inf weight": (text_file("g.csv", "a,b,inf\nb,c,1\n"), ["g.csv:1: ", "weight is inf"]),
    "negative weight": (
        text_file("g.csv", "a,b,1\nb,c,2\nc,a,-0.5\n"),
        ["g.csv:3: ", "negative weight -0.5", ">= 0"],
    ),
    "weighted=True without weights": (
        text_file("g.csv", EDGES_ABC, weighted=True),
        ["g.csv: ", "no weight column"],
    ),
    "single node": (text_file("g.csv", "a,a\n"), ["g.csv: ", "single node ('a')", "at least two"]),
    "no edges: only self loops": (
        text_file("g.csv", "a,a\nb,b\n"),
        ["g.csv: ", "no edges after dropping 2 self loops (2 isolated", "nothing to learn from"],
    ),
    "all isolated: zero weights": (
        text_file("g.csv", "a,b,0\nb,c,0\n"),
        ["g.csv: ", "no edges", "3 isolated nodes", "positive weight"],
    ),
    "binary file as edge list": (
        binary_file("g.csv", b"PK\x03\x04" + bytes(range(256)) * 4),
        ["g.csv:1: ", "binary"],
    ),
    "UTF-16 file as edge list": (
        binary_file("g.csv", "a,b\nb,c\n".encode("utf-16")),
        ["g.csv:1: ", "NUL", "UTF-8"],
    ),
    "latin-1 bytes": (binary_file("g.csv", b"a,b\nb,c\nd,\xe9t\xe9\n"), ["g.csv:3: ", "UTF-8"]),
    "unsupported extension": (text_file("g.xlsx", "a,b\n"), ["g.xlsx: ", "unsupported", ".csv"]),
    "npz with object arrays": (npz_object_array, ["obj.npz: ", "object arrays", "refuses"]),
    "npz that is not a sparse matrix": (npz_not_sparse, ["dense.npz: ", "save_npz"]),
    "corrupted npz": (binary_file("a.npz", b"not a zip at all"), ["a.npz: ", "not a valid .npz"]),
    "billion laughs GraphML": (
        text_file("bomb.graphml", BILLION_LAUGHS),
        ["bomb.graphml: ", "refused", "entities"],
    ),
    "billion laughs GEXF": (text_file("bomb.gexf", BILLION_LAUGHS), ["bomb.gexf: ", "refused"]),
    "external entity GEXF": (text_file("xxe.gexf", XXE), ["xxe.gexf: ", "refused"]),
    "malformed GraphML": (
        text_file("g.graphml", "<graphml><graph><node id='a'></graph>"),
        ["g.graphml:1: ", "not well-formed"],
    ),
    "garbage GML": (
        text_file("g.gml", "graph [ node [ id 1 ] edge [ source 1 "),
        ["g.gml: ", "GML"],
    ),
    "NaN feature in csv": (
        with_edges(EDGES_ABC, f_csv="id,x,y\na,1,2\nb,nan,0\nc,1,1\n")(features="f.csv"),
        ["f.csv:3: ", "is nan", "finite"],
    ),
    "inf feature in npy": (
        npy_features(np.array([[1.0], [np.inf], [0.0]])),
        ["x.npy: ", "row 1 (0-based)", "inf"],
    ),
    "non-numeric feature": (
        with_edges(EDGES_ABC, f_csv="a,1\nb,x\nc,2\n")(features="f.csv"),
        ["f.csv:2: ", "non-numeric feature"],
    ),
    "feature row of wrong width (short)": (
        with_edges(EDGES_ABC, f_csv="a,1,2\nb,3\nc,4,5\n")(features="f.csv"),
        ["f.csv:2: ", "1 value(s)", "2 feature columns"],
    ),
    "feature row of wrong width (long)": (
        with_edges(EDGES_ABC, f_csv="a,1,2\nb,3,4\nc,4,5,6\n")(features="f.csv"),
        ["f.csv:3: ", "expected 3 columns but found 4"],
    ),
    "duplicate id in feature file": (
        with_edges(EDGES_ABC, f_csv="a,1\nb,2\nc,3\nb,4\n")(features="f.csv"),
        ["f.csv:4: ", "duplicate id 'b'", "line 2"],
    ),
    "duplicate id in feature_ids file": (
        npy_features(np.zeros((3, 2)), edges=EDGES_ABC, ids="a\nb\na\n"),
        ["ids.txt:3: ", "duplicate id 'a'"],
    ),
    "feature_ids count mismatch": (
        npy_features(np.zeros((3, 2)), edges=EDGES_ABC, ids="a\nb\n"),
        ["ids.txt: ", "2 ids", "3 rows"],
    ),
    "npy without ids and string node ids": (
        npy_features(np.zeros((3, 2)), edges=EDGES_ABC),
        ["x.npy: ", "feature_ids=, or --feature-ids"],
    ),
    "npy with too few rows for the node ids": (
        npy_features(np.zeros((2, 2)), edges="0,1\n1,2\n"),
        ["x.npy: ", "0..1", "'2'"],
    ),
    "graph node without a feature row": (
        with_edges(EDGES_ABC, f_csv="a,1\nb,2\n")(features="f.csv"),
        ["f.csv: ", "no feature row", "'c'"],
    ),
    "npy object array features": (
        npy_features(np.array([[{"x": 1}], [None], [1]], dtype=object)),
        ["x.npy: ", "object array", "refuses"],
    ),
    "1-D npy features": (npy_features(np.zeros(3)), ["x.npy: ", "2-D"]),
    "unknown id in label file": (
        with_edges(EDGES_ABC, y_csv="a,x\nzz,y\n")(labels="y.csv"),
        ["y.csv:2: ", "unknown node id 'zz'"],
    ),
    "duplicate id in label file": (
        with_edges(EDGES_ABC, y_csv="a,x\nb,y\na,z\n")(labels="y.csv"),
        ["y.csv:3: ", "duplicate id 'a'"],
    ),
    "label file with three columns": (
        with_edges(EDGES_ABC, y_csv="a,x,1\nb,y,2\n")(labels="y.csv"),
        ["y.csv:1: ", "3 columns", "id,label"],
    ),
    "empty label": (
        with_edges(EDGES_ABC, y_csv="a,x\nb,\n")(labels="y.csv"),
        ["y.csv:2: ", "label"],
    ),
    "DataFrame with a missing id": (
        in_memory(lambda: pd.DataFrame({"source": ["a", None], "target": ["b", "c"]})),
        ["DataFrame row 1", "missing source id"],
    ),
    "DataFrame with a negative weight": (
        in_memory(
            lambda: pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"], "weight": [1, -2]})
        ),
        ["DataFrame row 1", "negative weight"],
    ),
    "non-square sparse matrix": (in_memory(lambda: sp.csr_matrix(np.ones((2, 3)))), ["square"]),
    "NaN in sparse matrix": (
        in_memory(lambda: sp.csr_matrix(np.array([[0, np.nan], [1.0, 0]]))),
        ["matrix entry (0, 1)", "nan"],
    ),
    "networkx non-numeric weight": (
        in_memory(lambda: nx.Graph([("a", "b", {"weight": "heavy"})])),
        ["non-numeric weight 'heavy'"],
    ),
    "networkx colliding ids": (in_memory(lambda: nx.Graph([(1, "1")])), ["same text form"]),
    "PyG edge_index out of range": (
        in_memory(lambda: Data(edge_index=torch.tensor([[0, 5], [1, 0]]), num_nodes=2)),
        ["outside 0..1"],
    ),
    "unsupported in-memory type": (
        in_memory(lambda: [(1, 2)]),
        ["cannot load a graph from a list"],
    ),
}


def check_message(err: InputError, expected: list[str], tmp_path: Path) -> None:
    msg = str(err)
    assert "\n" not in msg, f"message is not one line: {msg!r}"
    assert "Traceback" not in msg
    for part in expected:
        assert part.replace("{dir}", str(tmp_path)) in msg, f"{part!r} not in {msg!r}"


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_input_raises_one_line_input_error(tmp_path, case):
    build, expected = CASES[case]
    args, kwargs = build(tmp_path)
    with pytest.raises(InputError) as info:
        load_graph(*args, **kwargs)
    check_message(info.value, expected, tmp_path)


def test_number_of_distinct_bad_input_cases():
    assert len(CASES) >= 25


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ("node1,node2,3,extra", "expected 3 columns but found 4"),
        ("node1", "missing target id"),
        ("node1,node2", "missing weight"),
        ("node1,node2,oops", "non-numeric weight 'oops'"),
        ("node1,node2,-1", "negative weight"),
    ],
)
def test_100k_lines_one_broken_line_names_it_fast(tmp_path, broken, expected):
    args, _ = big_with_broken_line(broken)(tmp_path)
    start = time.perf_counter()
    with pytest.raises(InputError) as info:
        load_graph(*args)
    assert time.perf_counter() - start < 10.0
    check_message(info.value, ["big.csv:54321: ", expected], tmp_path)


@pytest.mark.parametrize("ext", [".graphml", ".gexf"])
def test_billion_laughs_fails_fast(tmp_path, ext):
    path = tmp_path / f"bomb{ext}"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(InputError, match="refused"):
        load_graph(path)
    assert time.perf_counter() - start < 2.0


def test_unreadable_file_detected(tmp_path, monkeypatch):
    """Permissions are checked with os.access (simulated: tests usually run as root)."""
    path = tmp_path / "g.csv"
    path.write_text("a,b\n", encoding="utf-8")
    real_access = os.access
    monkeypatch.setattr(
        gio.os, "access", lambda p, mode: False if Path(p) == path else real_access(p, mode)
    )
    with pytest.raises(InputError) as info:
        load_graph(path)
    check_message(info.value, ["g.csv: ", "permission denied", "chmod"], tmp_path)


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root can read a chmod 000 file; covered by test_unreadable_file_detected",
)
def test_unreadable_file_real_permissions(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("a,b\n", encoding="utf-8")
    path.chmod(0)
    try:
        with pytest.raises(InputError, match="permission denied"):
            load_graph(path)
    finally:
        path.chmod(0o600)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"header": "maybe"},
        {"weighted": "yes"},
        {"feature_fallback": "zeros"},  # "random" is a fallback since issue 20
        {"delimiter": "::"},
    ],
)
def test_invalid_options_are_graphae_errors(tmp_path, kwargs):
    path = tmp_path / "g.csv"
    path.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(GraphaeError, match="invalid"):
        load_graph(path, **kwargs)


def test_messy_but_valid_ids_work(tmp_path):
    """Spaces, unicode and commas inside quoted ids are data, not errors."""
    path = tmp_path / "g.csv"
    path.write_text('"New York, NY","São Paulo"\n"São Paulo","東京 都"\n', encoding="utf-8")
    g = load_graph(path)
    assert g.nodes.ids == ["New York, NY", "São Paulo", "東京 都"]
