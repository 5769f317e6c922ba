"""Small replicas of OGB link datasets, written in OGB's own download layout.

``write_replica(root, name)`` writes ``root/ogbl_<name>/`` the way OGB's zip
unpacks (ogb 1.3.6, ``ogb/linkproppred/master.csv``): ``RELEASE_v1.txt``,
``raw/edge.csv.gz``, ``raw/num-node-list.csv.gz``, ``raw/num-edge-list.csv.gz``,
``raw/node-feat.csv.gz`` and the dataset's additional node / edge files, and
``split/<type>/{train,valid,test}.pt`` (dicts of numpy arrays saved with
``torch.save(..., _use_new_zipfile_serialization=False)``):

========== ========== ========================================= ================================
dataset    split      train.pt                                   valid.pt / test.pt
========== ========== ========================================= ================================
collab     time       edge, weight, year                         edge, weight, year, edge_neg
ppa        throughput edge                                       edge, edge_neg
citation2  time       source_node, target_node                   + target_node_neg (P, K)
ddi        target     edge                                       edge, edge_neg
========== ========== ========================================= ================================

Every positive of valid / test is a true edge kept out of train; every
negative is a non-edge of the whole graph. The graphs are random but seeded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

#: name -> (folder, split type, add_inverse_edge, additional node files, additional edge files)
LAYOUT: dict[str, tuple[str, str, bool, tuple[str, ...], tuple[str, ...]]] = {
    "ogbl-collab": ("ogbl_collab", "time", True, (), ("edge_weight", "edge_year")),
    "ogbl-ppa": ("ogbl_ppa", "throughput", True, (), ()),
    "ogbl-citation2": ("ogbl_citation2", "time", False, ("node_year",), ()),
    "ogbl-ddi": ("ogbl_ddi", "target", True, (), ()),
}


def _csv_gz(path: Path, rows: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(np.asarray(rows)).to_csv(path, header=False, index=False, compression="gzip")


def _save(path: Path, obj: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(obj, path, _use_new_zipfile_serialization=False)


def write_replica(
    root: Path,
    name: str,
    num_nodes: int = 40,
    num_edges: int = 160,
    num_eval: int = 10,
    num_neg: int = 120,
    per_source_neg: int = 20,
    num_features: int = 6,
    seed: int = 0,
) -> dict[str, Any]:
    """Write a replica of OGB dataset ``name`` under ``root`` (OGB's ``root`` argument).

    Args:
        root: The data root; the dataset goes to ``root/<folder>``.
        name: ``"ogbl-collab"``, ``"ogbl-ppa"``, ``"ogbl-citation2"`` or ``"ogbl-ddi"``.
        num_nodes: Nodes.
        num_edges: Distinct edges (pairs ``u < v``; citation2: ordered pairs).
        num_eval: Positives in each of valid and test.
        num_neg: Shared negatives of valid / test (Hits datasets).
        per_source_neg: Negatives per positive (citation2's ``target_node_neg``).
        num_features: Node-feature width.
        seed: Seed.

    Returns:
        What was written: ``{"folder", "edges" (E, 2), "train", "valid", "test", "x"}``.
    """
    folder_name, split, _, node_files, edge_files = LAYOUT[name]
    rng = np.random.default_rng(seed)
    directed = name == "ogbl-citation2"
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < num_edges:
        u, v = (int(a) for a in rng.integers(0, num_nodes, 2))
        if u == v:
            continue
        pairs.add((u, v) if directed else (min(u, v), max(u, v)))
    edges = np.array(sorted(pairs), dtype=np.int64)
    rng.shuffle(edges)
    held = edges[: 2 * num_eval]
    valid_pos, test_pos, train = held[:num_eval], held[num_eval:], edges[2 * num_eval :]
    folder = Path(root) / folder_name
    x = rng.standard_normal((num_nodes, num_features)).astype(np.float32)
    # OGB's raw graph is the training graph (ddi, ppa, collab, citation2 alike)
    _csv_gz(folder / "raw/edge.csv.gz", train)
    _csv_gz(folder / "raw/num-node-list.csv.gz", [[num_nodes]])
    _csv_gz(folder / "raw/num-edge-list.csv.gz", [[len(train)]])
    if name != "ogbl-ddi":
        _csv_gz(folder / "raw/node-feat.csv.gz", x)
    years = rng.integers(2000, 2020, len(train))
    weights = rng.integers(1, 4, len(train))
    if "edge_weight" in edge_files:
        _csv_gz(folder / "raw/edge_weight.csv.gz", weights[:, None])
        _csv_gz(folder / "raw/edge_year.csv.gz", years[:, None])
    if "node_year" in node_files:
        _csv_gz(folder / "raw/node_year.csv.gz", rng.integers(1990, 2020, (num_nodes, 1)))
    (folder / "RELEASE_v1.txt").write_text(f"{name} replica (graphae tests)\n")

    def non_edges(count: int, src: int | None = None) -> np.ndarray:
        out: list[tuple[int, int]] = []
        seen: set[tuple[int, int]] = set()
        while len(out) < count:
            u = src if src is not None else int(rng.integers(0, num_nodes))
            v = int(rng.integers(0, num_nodes))
            key = (u, v) if directed else (min(u, v), max(u, v))
            if u == v or key in pairs or (src is None and key in seen):
                continue
            seen.add(key)
            out.append((u, v))
        return np.array(out, dtype=np.int64)

    parts: dict[str, dict[str, np.ndarray]] = {}
    if name == "ogbl-citation2":
        parts["train"] = {"source_node": train[:, 0], "target_node": train[:, 1]}
        for part, pos in (("valid", valid_pos), ("test", test_pos)):
            negs = np.stack([non_edges(per_source_neg, int(u))[:, 1] for u in pos[:, 0]])
            parts[part] = {
                "source_node": pos[:, 0],
                "target_node": pos[:, 1],
                "target_node_neg": negs,
            }
    else:
        parts["train"] = {"edge": train}
        if name == "ogbl-collab":
            parts["train"].update({"weight": weights, "year": years})
        for part, pos in (("valid", valid_pos), ("test", test_pos)):
            parts[part] = {"edge": pos, "edge_neg": non_edges(num_neg)}
            if name == "ogbl-collab":
                parts[part].update(
                    {"weight": np.ones(len(pos), np.int64), "year": np.full(len(pos), 2019)}
                )
    for part, obj in parts.items():
        _save(folder / "split" / split / f"{part}.pt", obj)
    return {"folder": folder, "edges": edges, "x": x, **parts}
