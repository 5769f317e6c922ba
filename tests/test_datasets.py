"""Tests for graphae.data.datasets: named datasets, official splits, offline errors, safety."""

from __future__ import annotations

import io
import os
import pickle
import re
import shutil
import sys
import threading
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from graphae.data.datasets import (
    ENV_DATA_ROOT,
    available_datasets,
    canonical_name,
    dataset_info,
    datasets,
    load_dataset,
    ogb_evaluator,
)
from graphae.data.datasets import data_root as resolve_root
from graphae.data.split import EdgeSet
from graphae.errors import DatasetNotFoundError, GraphaeError

WEIGHTS_ENV = "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"


# ------------------------------------------------------------------------ helpers


class _Evil:
    """Unpickling this creates ``marker``: stands for any code run from a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _csv_gz(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(np.asarray(rows)).to_csv(path, header=False, index=False, compression="gzip")


def _save_split(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(obj, path, _use_new_zipfile_serialization=False)  # OGB's format


def _fake_ddi(folder: Path) -> None:
    """A 6-node stand-in for ogbl-ddi, laid out like OGB's download."""
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]])
    _csv_gz(folder / "raw/edge.csv.gz", edges)
    _csv_gz(folder / "raw/num-node-list.csv.gz", [[6]])
    _csv_gz(folder / "raw/num-edge-list.csv.gz", [[5]])
    (folder / "RELEASE_v1.txt").write_text("ddi\n")
    s = folder / "split/target"
    _save_split(s / "train.pt", {"edge": edges})
    _save_split(
        s / "valid.pt", {"edge": np.array([[0, 2]]), "edge_neg": np.array([[0, 5], [1, 4]])}
    )
    _save_split(s / "test.pt", {"edge": np.array([[1, 3]]), "edge_neg": np.array([[0, 4]])})


def _zip_of(folder: Path, top: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in sorted(folder.rglob("*")):
            zf.write(p, f"{top}/{p.relative_to(folder)}")
    return buf.getvalue()


def _one_line(e: BaseException) -> str:
    msg = str(e)
    assert "\n" not in msg, msg
    return msg


@pytest.fixture(scope="module")
def ddi(data_root: Path):
    """ogbl-ddi with its official split, loaded once for this module."""
    return load_dataset("ogbl-ddi", data_root, download=False)


# ---------------------------------------------------------------------- data root


def test_data_root_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_DATA_ROOT, str(tmp_path / "env"))
    assert resolve_root(tmp_path / "explicit") == tmp_path / "explicit"
    assert resolve_root("~") == Path.home()
    assert resolve_root() == tmp_path / "env"
    monkeypatch.delenv(ENV_DATA_ROOT)
    monkeypatch.chdir(tmp_path)
    assert resolve_root() == tmp_path / "data"
    assert resolve_root("") == tmp_path / "data"


def test_session_points_graphae_data_at_the_copy(data_root: Path) -> None:
    assert resolve_root() == data_root
    g = load_dataset("CiteSeer")  # no root: $GRAPHAE_DATA
    assert g.name == "citeseer"


# ------------------------------------------------------------------------ Planetoid


def test_cora_public_split(cora) -> None:
    d = cora.data
    assert cora.name == "cora" and not cora.directed and cora.split is None
    assert cora.num_nodes == 2708 and cora.num_edges == 10556 and cora.num_features == 1433
    assert d.x.dtype == torch.float32 and d.y.dtype == torch.long
    assert int(d.y.max()) + 1 == 7
    assert [int(d[m].sum()) for m in ("train_mask", "val_mask", "test_mask")] == [140, 500, 1000]
    assert cora.nodes.ids == list(range(2708))
    assert cora.feature_source == "dataset" and cora.meta["family"] == "planetoid"
    assert cora.meta["features"] == "bag_of_words"  # feature_norm="auto" row-normalises them
    # Both directions of every edge.
    assert EdgeSet(d.edge_index, 2708, directed=True).contains(d.edge_index.flip(0)).all()


def test_citeseer_public_split(data_root: Path) -> None:
    g = load_dataset("CiteSeer", data_root, download=False)
    assert (g.name, g.num_nodes, g.num_edges, g.num_features) == ("citeseer", 3327, 9104, 3703)
    assert int(g.y.max()) + 1 == 6
    assert [int(g.data[m].sum()) for m in ("train_mask", "val_mask", "test_mask")] == [
        120,
        500,
        1000,
    ]


def test_processed_cache_reused(data_root: Path, cora) -> None:
    assert (data_root / "Planetoid/Cora/processed/data.pt").is_file()
    again = load_dataset("cora", data_root, download=False)
    assert torch.equal(again.data.edge_index, cora.data.edge_index)
    assert torch.equal(again.data.x, cora.data.x)


# ---------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Cora", "cora"),
        ("CORA", "cora"),
        ("CiteSeer", "citeseer"),
        ("PubMed", "pubmed"),
        ("ogbl-ddi", "ogbl_ddi"),
        ("OGBL_DDI", "ogbl_ddi"),
        ("ddi", "ogbl_ddi"),
        ("ogbl-citation2", "ogbl_citation2"),
        ("ogbl-collab", "ogbl_collab"),
        ("ogbl-ppa", "ogbl_ppa"),
        ("Amazon Computers", "amazon_computers"),
        ("amazon-photo", "amazon_photo"),
        ("Coauthor-CS", "coauthor_cs"),
        ("coauthor physics", "coauthor_physics"),
        ("KarateClub", "karate_club"),
        ("USAir", "seal_usair"),
    ],
)
def test_aliases(given: str, expected: str) -> None:
    assert canonical_name(given) == expected
    assert dataset_info(given).name == expected


def test_registered_names() -> None:
    names = datasets.names()
    for name in ("cora", "citeseer", "pubmed", "amazon_computers", "amazon_photo",
                 "coauthor_cs", "coauthor_physics", "ogbl_ddi", "ogbl_collab",
                 "ogbl_citation2", "ogbl_ppa", "karate_club"):  # fmt: skip
        assert name in names
    assert all(n == n.lower() and "-" not in n for n in names)


def test_unknown_name_lists_valid_names(tmp_path: Path) -> None:
    with pytest.raises(GraphaeError) as exc:
        load_dataset("cora2", tmp_path)
    msg = _one_line(exc.value)
    assert "cora2" in msg and "cora" in msg and "ogbl_ddi" in msg
    assert isinstance(exc.value, ValueError)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------- missing data


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("Cora", "Planetoid/Cora/raw"),
        ("amazon_photo", "Amazon/Photo/raw"),
        ("coauthor_cs", "Coauthor/CS/raw"),
        ("ogbl-ddi", "ogb/ogbl_ddi"),
        ("seal_usair", "SEAL"),
    ],
)
def test_missing_dataset_offline(tmp_path: Path, name: str, where: str) -> None:
    with pytest.raises(DatasetNotFoundError) as exc:
        load_dataset(name, tmp_path, download=False)
    msg = _one_line(exc.value)
    assert str(tmp_path / where) in msg
    assert "download=False" in msg and ENV_DATA_ROOT in msg and "--data-root" in msg
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_missing_root_is_not_created(tmp_path: Path) -> None:
    root = tmp_path / "absent"
    with pytest.raises(DatasetNotFoundError, match=re.escape(str(root))):
        load_dataset("ogbl-ddi", root, download=False)
    assert not root.exists()


def _offline_cp(written: list[Path]):
    """Stand-in for PyG's fs.cp offline: writes a partial file, then fails."""

    def cp(src: str, dst: str, *args, **kwargs) -> None:
        part = Path(dst) / Path(src).name
        part.write_bytes(b"half")
        written.append(part)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    return cp


def test_failed_pyg_download_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    written: list[Path] = []
    monkeypatch.setattr("torch_geometric.io.fs.cp", _offline_cp(written))
    with pytest.raises(DatasetNotFoundError) as exc:
        load_dataset("cora", tmp_path)
    msg = _one_line(exc.value)
    assert "URLError" in msg and str(tmp_path / "Planetoid/Cora/raw") in msg
    assert written, "the download was attempted"
    assert list(tmp_path.iterdir()) == []


def test_failed_download_keeps_files_that_were_there(tmp_path: Path, monkeypatch) -> None:
    raw = tmp_path / "Planetoid/Cora/raw"
    raw.mkdir(parents=True)
    (raw / "ind.cora.test.index").write_text("1\n")
    (tmp_path / "Planetoid/notes.txt").write_text("mine")
    monkeypatch.setattr("torch_geometric.io.fs.cp", _offline_cp([]))
    with pytest.raises(DatasetNotFoundError):
        load_dataset("cora", tmp_path)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == [
        "Planetoid",
        "Planetoid/Cora",
        "Planetoid/Cora/raw",
        "Planetoid/Cora/raw/ind.cora.test.index",
        "Planetoid/notes.txt",
    ]
    assert (raw / "ind.cora.test.index").read_text() == "1\n"


def test_pyg_download_path(tmp_path: Path, monkeypatch, data_root: Path) -> None:
    source = data_root / "Planetoid/Cora/raw"

    def cp(src: str, dst: str, *args, **kwargs) -> None:  # a working "network"
        shutil.copy(source / Path(src).name, dst)

    monkeypatch.setattr("torch_geometric.io.fs.cp", cp)
    g = load_dataset("cora", tmp_path)
    assert (g.num_nodes, g.num_edges) == (2708, 10556)
    assert len(list((tmp_path / "Planetoid/Cora/raw").iterdir())) == 8


def test_failed_ogb_download_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    def offline(url: str):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr("graphae.data.datasets._urlopen", offline)
    with pytest.raises(DatasetNotFoundError) as exc:
        load_dataset("ogbl-ddi", tmp_path)
    msg = _one_line(exc.value)
    assert "URLError" in msg and str(tmp_path / "ogb/ogbl_ddi") in msg
    assert list(tmp_path.iterdir()) == []


def test_ogb_download_from_archive(tmp_path: Path, monkeypatch) -> None:
    _fake_ddi(tmp_path / "src")
    archive = _zip_of(tmp_path / "src", "ddi")
    urls: list[str] = []

    def online(url: str):
        urls.append(url)
        return io.BytesIO(archive)

    monkeypatch.setattr("graphae.data.datasets._urlopen", online)
    root = tmp_path / "root"
    g = load_dataset("ogbl-ddi", root)
    assert urls == ["http://snap.stanford.edu/ogb/data/linkproppred/ddi.zip"]
    assert g.num_nodes == 6 and g.split.val_pos.tolist() == [[0], [2]]
    assert sorted(p.name for p in (root / "ogb").iterdir()) == ["ogbl_ddi"]  # no temp left
    assert (root / "ogb/ogbl_ddi/RELEASE_v1.txt").is_file()


# ------------------------------------------------------------------------------ OGB


def test_ddi_official_split(ddi) -> None:
    assert ddi.name == "ogbl_ddi" and not ddi.directed
    assert ddi.num_nodes == 4267 and ddi.num_edges == 2_135_822
    assert ddi.data.x is None and ddi.feature_source == "none" and ddi.num_features == 0
    assert ddi.nodes.ids[:3] == [0, 1, 2] and len(ddi.nodes) == 4267
    assert ddi.meta["ogb_name"] == "ogbl-ddi" and ddi.meta["eval_metric"] == "hits@20"
    s = ddi.split
    assert s.source == "official" and s.num_nodes == 4267 and not s.directed
    assert s.sizes() == {
        "mp_edges": 2_135_822,
        "train_pos": 1_067_911,
        "val_pos": 133_489,
        "val_neg": 101_882,
        "test_pos": 133_489,
        "test_neg": 95_599,
    }
    assert s.mp_edge_weight is None and s.val_neg_per_pos is None
    assert bool((s.train_pos[0] < s.train_pos[1]).all())
    assert torch.equal(s.mp_edge_index, ddi.data.edge_index)
    mp = EdgeSet(s.mp_edge_index, 4267, directed=False)
    assert not mp.contains(s.val_pos).any() and not mp.contains(s.test_pos).any()
    assert mp.contains(s.train_pos).all()


def test_ogb_load_leaves_environment_as_it_was(data_root: Path, monkeypatch, ddi) -> None:
    for preset in (None, "0"):
        if preset is None:
            monkeypatch.delenv(WEIGHTS_ENV, raising=False)
        else:
            monkeypatch.setenv(WEIGHTS_ENV, preset)
        before = dict(os.environ)
        g = load_dataset("ogbl_ddi", data_root, download=False)  # cached this time
        assert dict(os.environ) == before
        assert torch.equal(g.split.test_neg, ddi.split.test_neg)


def test_ogb_cache_written_and_used(data_root: Path, ddi) -> None:
    cache = data_root / "ogb/ogbl_ddi/processed/graphae_v1.pt"
    assert cache.is_file()
    assert torch.load(cache, weights_only=True)["num_nodes"] == 4267


def test_fake_citation2_per_positive_negatives(tmp_path: Path) -> None:
    f = tmp_path / "ogb/ogbl_citation2"
    edges = np.array([[0, 1], [1, 2], [2, 0], [3, 2], [4, 3]])
    _csv_gz(f / "raw/edge.csv.gz", edges)
    _csv_gz(f / "raw/num-node-list.csv.gz", [[5]])
    _csv_gz(f / "raw/node-feat.csv.gz", np.arange(10).reshape(5, 2) / 10)
    _csv_gz(f / "raw/node_year.csv.gz", [[2000], [2001], [2002], [2003], [2004]])
    s = f / "split/time"
    _save_split(s / "train.pt", {"source_node": edges[:, 0], "target_node": edges[:, 1]})
    neg = np.array([[2, 3, 4], [0, 1, 2]])
    for part in ("valid", "test"):
        _save_split(
            s / f"{part}.pt",
            {
                "source_node": np.array([4, 3]),
                "target_node": np.array([0, 1]),
                "target_node_neg": neg,
            },
        )
    g = load_dataset("ogbl-citation2", tmp_path, download=False)
    assert g.directed and g.split.directed and g.meta["eval_metric"] == "mrr"
    assert g.data.x.shape == (5, 2) and g.data.x.dtype == torch.float32
    assert g.data.node_year.tolist() == [2000, 2001, 2002, 2003, 2004]
    assert g.num_edges == 5  # directed: one entry per edge
    assert g.split.train_pos.shape == (2, 5)
    assert g.split.val_pos.tolist() == [[4, 3], [0, 1]]
    assert torch.equal(g.split.val_neg_per_pos, torch.from_numpy(neg))
    assert g.split.test_neg.tolist() == [[4, 4, 4, 3, 3, 3], [2, 3, 4, 0, 1, 2]]


def test_fake_collab_weights_are_summed(tmp_path: Path) -> None:
    f = tmp_path / "ogb/ogbl_collab"
    edges = np.array([[0, 1], [0, 1], [1, 2]])  # (0, 1) in two years
    _csv_gz(f / "raw/edge.csv.gz", edges)
    _csv_gz(f / "raw/num-node-list.csv.gz", [[3]])
    _csv_gz(f / "raw/node-feat.csv.gz", np.eye(3))
    _csv_gz(f / "raw/edge_weight.csv.gz", [[1], [2], [5]])
    _csv_gz(f / "raw/edge_year.csv.gz", [[2010], [2011], [2012]])
    s = f / "split/time"
    _save_split(
        s / "train.pt", {"edge": edges, "weight": np.array([1, 2, 5]), "year": np.array([1, 2, 3])}
    )
    for part in ("valid", "test"):
        _save_split(s / f"{part}.pt", {"edge": np.array([[0, 2]]), "edge_neg": np.array([[1, 1]])})
    g = load_dataset("ogbl-collab", tmp_path, download=False)
    assert g.data.edge_index.tolist() == [[0, 1, 1, 2], [1, 0, 2, 1]]
    assert g.data.edge_weight.tolist() == [3.0, 3.0, 5.0, 5.0]
    assert torch.equal(g.split.mp_edge_weight, g.data.edge_weight)
    assert g.split.train_pos.tolist() == [[0, 1], [1, 2]]


def test_ogb_evaluator_without_version_thread() -> None:
    fresh = "ogb" not in sys.modules
    before = threading.active_count()
    ev = ogb_evaluator("ogbl-ddi")
    out = ev.eval({"y_pred_pos": torch.tensor([0.9, 0.1]), "y_pred_neg": torch.tensor([0.5] * 30)})
    assert out["hits@20"] == pytest.approx(0.5)
    if fresh:
        assert threading.active_count() == before


# ------------------------------------------------------------------------- safety


def test_malicious_split_file_refused(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "ogb/ogbl_ddi"
    _fake_ddi(folder)
    marker = tmp_path / "pwned"
    _save_split(folder / "split/target/valid.pt", {"edge": _Evil(marker)})
    monkeypatch.setenv(WEIGHTS_ENV, "1")  # even when the user forces unsafe loads
    with pytest.raises(GraphaeError) as exc:
        load_dataset("ogbl-ddi", tmp_path, download=False)
    assert "valid.pt" in _one_line(exc.value)
    assert not marker.exists()
    assert not (folder / "processed").exists()  # rolled back
    # The file really is malicious: an unrestricted load runs it.
    torch.load(folder / "split/target/valid.pt", weights_only=False)
    assert marker.exists()


def test_object_array_in_split_refused(tmp_path: Path) -> None:
    folder = tmp_path / "ogb/ogbl_ddi"
    _fake_ddi(folder)
    _save_split(folder / "split/target/test.pt", {"edge": np.array([[0, 1]], dtype=object)})
    with pytest.raises(GraphaeError, match=r"test\.pt"):
        load_dataset("ogbl-ddi", tmp_path, download=False)


def _private_cora(data_root: Path, tmp_path: Path) -> Path:
    shutil.copytree(data_root / "Planetoid/Cora/raw", tmp_path / "Planetoid/Cora/raw")
    return tmp_path / "Planetoid/Cora"


def test_malicious_planetoid_raw_file_refused(tmp_path: Path, data_root: Path) -> None:
    folder = _private_cora(data_root, tmp_path)
    marker = tmp_path / "pwned"
    (folder / "raw/ind.cora.graph").write_bytes(pickle.dumps(_Evil(marker), protocol=2))
    with pytest.raises(GraphaeError) as exc:
        load_dataset("cora", tmp_path, download=False)
    assert "ind.cora.graph" in _one_line(exc.value) and "forbidden" in str(exc.value)
    assert not marker.exists()
    assert sorted(p.name for p in folder.iterdir()) == ["raw"]  # processed/ rolled back


@pytest.mark.parametrize("name", ["data.pt", "pre_transform.pt"])
def test_malicious_processed_file_refused(tmp_path: Path, data_root: Path, name: str) -> None:
    folder = _private_cora(data_root, tmp_path)
    load_dataset("cora", tmp_path, download=False)
    marker = tmp_path / "pwned"
    torch.save((_Evil(marker), None, None), folder / "processed" / name)
    with pytest.raises(GraphaeError) as exc:
        load_dataset("cora", tmp_path, download=False)
    assert name in _one_line(exc.value)
    assert not marker.exists()
    assert (folder / "processed" / name).exists()  # not ours to delete


# ---------------------------------------------------------------- other datasets


def test_karate_club_needs_no_files(tmp_path: Path) -> None:
    g = load_dataset("karate", tmp_path / "nowhere", download=False)
    assert (g.name, g.num_nodes, g.num_edges, g.feature_source) == (
        "karate_club",
        34,
        156,
        "identity",
    )
    assert g.y.tolist().count(0) == 17 and set(g.y.tolist()) == {0, 1}
    assert not (tmp_path / "nowhere").exists()


def test_seal_usair(shared_data) -> None:
    g = load_dataset("USAir", shared_data("SEAL"), download=False)
    assert (g.name, g.num_nodes, g.num_edges) == ("seal_usair", 332, 2 * 2126)
    assert g.data.x is None and g.feature_source == "none"


def test_amazon_photo(shared_data) -> None:
    g = load_dataset("Amazon Photo", shared_data("Amazon/Photo"), download=False)
    assert (g.num_nodes, g.num_edges, g.num_features) == (7650, 238_162, 745)
    assert int(g.y.max()) + 1 == 8 and g.split is None


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "part", "counts"),
    [
        ("amazon_computers", "Amazon/Computers", (13_752, 491_722, 767, 10)),
        ("coauthor_cs", "Coauthor/CS", (18_333, 163_788, 6_805, 15)),
        ("coauthor_physics", "Coauthor/Physics", (34_493, 495_924, 8_415, 5)),
    ],
)
def test_large_node_datasets(shared_data, name: str, part: str, counts) -> None:
    g = load_dataset(name, shared_data(part), download=False)
    assert (g.num_nodes, g.num_edges, g.num_features, int(g.y.max()) + 1) == counts


# ------------------------------------------------------------------ availability


def test_available_datasets(data_root: Path) -> None:
    rows = {r["name"]: r for r in available_datasets(data_root)}
    assert sorted(rows) == datasets.names()
    assert rows["cora"]["present"] and rows["ogbl_ddi"]["present"]
    assert rows["cora"]["path"] == str(data_root / "Planetoid/Cora")
    assert rows["ogbl_ddi"]["family"] == "ogb"
    assert not rows["pubmed"]["present"]  # the shared copy has no ind.pubmed.allx
    assert not rows["ogbl_collab"]["present"]
    assert rows["karate_club"]["present"] and rows["karate_club"]["path"] == ""


def test_shared_datasets_not_modified(shared_fingerprint, data_root: Path, cora, ddi) -> None:
    from conftest import fingerprint, shared_datasets_dir

    shared = shared_datasets_dir()
    assert shared_fingerprint and fingerprint(shared) == shared_fingerprint
    assert not list(shared.rglob("processed"))


def test_unreadable_ogb_cache_is_rebuilt(tmp_path: Path) -> None:
    folder = tmp_path / "ogb/ogbl_ddi"
    _fake_ddi(folder)
    first = load_dataset("ogbl-ddi", tmp_path, download=False)
    cache = folder / "processed/graphae_v1.pt"
    cache.write_bytes(cache.read_bytes()[:50])  # truncated
    again = load_dataset("ogbl-ddi", tmp_path, download=False)
    assert torch.equal(again.data.edge_index, first.data.edge_index)
    assert torch.load(cache, weights_only=True)["num_nodes"] == 6
