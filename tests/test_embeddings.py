"""Tests for graphae.embeddings: exact round trips, atomic writes, safe loading, hand-off."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import graphae.embeddings as emb_mod
from graphae.data.graph import NodeIndex
from graphae.embeddings import Embeddings, load_embeddings
from graphae.errors import GraphaeError, InputError

FORMATS = [".npy", ".npz", ".csv", ".parquet"]
ID_SETS = {
    "int": [10, -3, 2**40, 0],
    "str": ["007", "a,b", "naïve", "with space"],
    "digit_str": ["1", "2", "3", "4"],  # must stay strings, not become ints
    "tricky_str": ['q"uote', "new\nline", "", "tab\t😀"],
    "huge_int": [2**70, -(2**65), 1, 2],  # beyond int64
}
VECTORS = np.array(
    [
        [1 / 3, -0.0, 1e-45, np.finfo(np.float32).max],
        [np.pi, np.nan, np.inf, -np.inf],
        [0.1, 1e-38, -2.5e-7, 123456789.0],
        [7.0, -1.0, 0.5, np.finfo(np.float32).tiny],
    ],
    dtype=np.float32,
)


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("kind", list(ID_SETS))
def test_round_trip_exact(tmp_path: Path, ext: str, kind: str) -> None:
    ids = ID_SETS[kind]
    emb = Embeddings(ids, VECTORS)
    path = emb.save(tmp_path / f"emb{ext}")
    back = load_embeddings(path)
    assert back.ids == ids
    assert [type(i) for i in back.ids] == [type(i) for i in ids]
    assert back.vectors.dtype == np.float32
    assert np.array_equal(_bits(back.vectors), _bits(VECTORS))  # bit-exact, incl. -0.0 and nan
    assert back == emb
    expected = ["emb.ids.json", "emb.npy"] if ext == ".npy" else [f"emb{ext}"]
    assert _files(tmp_path) == expected  # no temporaries left behind


def test_npz_ids_are_never_object_arrays(tmp_path: Path) -> None:
    for kind in ("int", "str"):
        Embeddings(ID_SETS[kind], VECTORS).save(tmp_path / f"{kind}.npz")
        with np.load(tmp_path / f"{kind}.npz", allow_pickle=False) as z:
            assert z["ids"].dtype.kind == ("i" if kind == "int" else "U")
            assert str(z["id_type"]) == kind
            assert z["vectors"].dtype == np.float32


def test_csv_layout_and_pandas_interop(tmp_path: Path) -> None:
    import pandas as pd

    Embeddings(["007", "a,b"], [[0.5, 1 / 3], [2.0, -1.0]]).save(tmp_path / "e.csv")
    text = (tmp_path / "e.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "id,dim_0,dim_1"
    assert text.splitlines()[1] == '"007",0.5,0.333333343'
    df = pd.read_csv(tmp_path / "e.csv", dtype={"id": str}, keep_default_na=False)
    assert df["id"].tolist() == ["007", "a,b"]
    Embeddings([5, 6], [[1.0], [2.0]]).save(tmp_path / "i.csv")
    assert (tmp_path / "i.csv").read_text().splitlines()[1] == "5,1"


def test_csv_written_by_pandas_infers_id_type(tmp_path: Path) -> None:
    import pandas as pd

    pd.DataFrame({"id": [3, 1], "dim_0": [0.25, 0.5]}).to_csv(tmp_path / "a.csv", index=False)
    assert load_embeddings(tmp_path / "a.csv").ids == [3, 1]
    pd.DataFrame({"id": ["007", "x"], "dim_0": [0.25, 0.5]}).to_csv(tmp_path / "b.csv", index=False)
    assert load_embeddings(tmp_path / "b.csv").ids == ["007", "x"]


def test_run_folder_and_load_alias(tmp_path: Path) -> None:
    emb = Embeddings([1, 2], [[1.0, 0.0], [0.0, 1.0]])
    emb.save(tmp_path / "embeddings.csv")
    assert Embeddings.load(tmp_path) == emb
    Embeddings([7, 8], [[1.0, 0.0], [0.0, 1.0]]).save(tmp_path / "embeddings.npz")
    assert load_embeddings(tmp_path).ids == [7, 8]  # .npz preferred over .csv
    with pytest.raises(InputError, match="no embeddings file"):
        load_embeddings(tmp_path / "..")


def test_empty_embeddings_round_trip(tmp_path: Path) -> None:
    emb = Embeddings([], np.zeros((0, 3)))
    for ext in FORMATS:
        back = load_embeddings(emb.save(tmp_path / f"e{ext}"))
        assert len(back) == 0
        assert back.dim == 3


# --------------------------------------------------------------------------- atomic writes


def _fail_writing(*args: object, **kwargs: object) -> None:
    fh = args[0]
    fh.write(b"partial garbage")  # type: ignore[attr-defined]
    raise OSError("disk full")


@pytest.mark.parametrize(
    ("ext", "target"),
    [
        (".npy", "np.save"),
        (".npz", "np.savez"),
        (".csv", None),
        (".parquet", "pyarrow.parquet.write_table"),
    ],
)
def test_failed_write_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ext: str, target: str | None
) -> None:
    path = tmp_path / f"emb{ext}"
    Embeddings(["a", "b"], VECTORS[:2]).save(path)
    before = {name: (tmp_path / name).read_bytes() for name in _files(tmp_path)}
    if target is None:
        monkeypatch.setattr(np, "savetxt", lambda *a, **k: (_ for _ in ()).throw(OSError("boom")))
    elif target.startswith("np."):
        monkeypatch.setattr(np, target[3:], _fail_writing)
    else:
        import pyarrow.parquet as pq

        monkeypatch.setattr(pq, "write_table", lambda table, fh: _fail_writing(fh))
    with pytest.raises(OSError):
        Embeddings(["x", "y", "z"], VECTORS[:3]).save(path)
    after = {name: (tmp_path / name).read_bytes() for name in _files(tmp_path)}
    assert after == before  # old files intact, no temporaries, no partial file


def test_npy_failed_rename_restores_sidecar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "emb.npy"
    Embeddings(["a", "b"], VECTORS[:2]).save(path)
    before = {name: (tmp_path / name).read_bytes() for name in _files(tmp_path)}
    real_replace = os.replace

    def flaky(src: object, dst: object) -> None:
        if str(dst).endswith("emb.npy") and ".tmp" in str(src):
            raise OSError("rename failed")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(emb_mod.os, "replace", flaky)
    with pytest.raises(OSError, match="rename failed"):
        Embeddings(["x", "y", "z"], VECTORS[:3]).save(path)
    monkeypatch.undo()
    after = {name: (tmp_path / name).read_bytes() for name in _files(tmp_path)}
    assert after == before  # sidecar rolled back: matrix and ids still agree
    assert load_embeddings(path).ids == ["a", "b"]


def test_failed_first_npy_write_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(np, "save", _fail_writing)
    with pytest.raises(OSError):
        Embeddings([1], [[1.0]]).save(tmp_path / "new.npy")
    assert _files(tmp_path) == []


# --------------------------------------------------------------------------- safe / bad input


class _Marker:
    """Unpickling this would create a marker file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.path, "w"))


def test_object_array_npz_refused_without_unpickling(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    bad_ids = np.empty(2, dtype=object)
    bad_ids[0], bad_ids[1] = _Marker(str(marker)), "b"
    np.savez(tmp_path / "evil.npz", ids=bad_ids, vectors=np.zeros((2, 2), np.float32))
    with pytest.raises(InputError, match="object array"):
        load_embeddings(tmp_path / "evil.npz")
    assert not marker.exists()
    np.savez(tmp_path / "obj.npz", ids=np.array([1, "a"], dtype=object), vectors=np.zeros((2, 1)))
    with pytest.raises(InputError, match="refused"):
        load_embeddings(tmp_path / "obj.npz")


def test_object_npy_refused(tmp_path: Path) -> None:
    Embeddings([1, 2], np.zeros((2, 2))).save(tmp_path / "e.npy")
    np.save(tmp_path / "e.npy", np.array([[1, "a"], [2, "b"]], dtype=object), allow_pickle=True)
    with pytest.raises(InputError, match="refused"):
        load_embeddings(tmp_path / "e.npy")


def _one_line_input_error(path: Path, match: str) -> InputError:
    with pytest.raises(InputError, match=match) as info:
        load_embeddings(path)
    assert "\n" not in str(info.value)
    return info.value


def test_bad_files_give_one_line_input_errors(tmp_path: Path) -> None:
    _one_line_input_error(tmp_path / "missing.npz", "file not found")
    (tmp_path / "e.txt").write_text("x")
    _one_line_input_error(tmp_path / "e.txt", "unsupported embeddings format '.txt'")
    for ext in (".npz", ".npy", ".parquet"):
        (tmp_path / f"junk{ext}").write_bytes(b"\x00garbage\nmore")
        if ext == ".npy":
            (tmp_path / "junk.ids.json").write_text('{"id_type": "int", "ids": [1]}')
        _one_line_input_error(tmp_path / f"junk{ext}", "corrupted")
    np.savez(tmp_path / "mismatch.npz", ids=np.arange(3), vectors=np.zeros((4, 2), np.float32))
    _one_line_input_error(tmp_path / "mismatch.npz", "3 ids but 4 vectors")
    Embeddings([1, 2], np.zeros((2, 2))).save(tmp_path / "m.npy")
    (tmp_path / "m.ids.json").write_text('{"id_type": "int", "ids": [1, 2, 3]}')
    _one_line_input_error(tmp_path / "m.npy", "3 ids but 2 vectors")
    (tmp_path / "m.ids.json").write_text('{"id_type": "int", "ids": ["1", 2]}')
    _one_line_input_error(tmp_path / "m.npy", "declared id_type")
    (tmp_path / "m.ids.json").unlink()
    _one_line_input_error(tmp_path / "m.npy", "sidecar m.ids.json not found")
    np.savez(tmp_path / "noids.npz", vectors=np.zeros((2, 2)))
    _one_line_input_error(tmp_path / "noids.npz", "missing array")


def test_bad_csv_reports_line(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text("id,dim_0,dim_1\na,1,2\nb,3,oops\n")
    err = _one_line_input_error(tmp_path / "e.csv", "not a number")
    assert err.line == 3
    (tmp_path / "f.csv").write_text("id,dim_0\na,1\nb,3,4\n")
    assert _one_line_input_error(tmp_path / "f.csv", "expected 2 fields").line == 3
    (tmp_path / "g.csv").write_text("id,dim_0\na,1\na,2\n")
    _one_line_input_error(tmp_path / "g.csv", "duplicate node id 'a'")


def test_save_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    emb = Embeddings([1], [[1.0]])
    with pytest.raises(GraphaeError, match="unsupported embeddings format"):
        emb.save(tmp_path / "e.txt")
    with pytest.raises(GraphaeError, match="does not exist"):
        emb.save(tmp_path / "nope" / "e.npz")
    with pytest.raises(GraphaeError, match="NUL"):
        Embeddings(["a\x00"], [[1.0]]).save(tmp_path / "e.npz")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(GraphaeError, match="pip install pyarrow"):
        emb.save(tmp_path / "e.parquet")
    assert _files(tmp_path) == []


# --------------------------------------------------------------------------- the object


def _hand_built() -> Embeddings:
    vecs = [[1, 0], [1, 0], [1, 1], [0, 1], [-1, 0], [0, 0]]
    return Embeddings(["q", "same", "diag", "orth", "opposite", "zero"], vecs)


def test_nearest_exact_order() -> None:
    emb = _hand_built()
    got = emb.nearest("q", k=10)
    assert [i for i, _ in got] == ["same", "diag", "orth", "zero", "opposite"]
    sims = [s for _, s in got]
    assert sims == pytest.approx([1.0, 2**-0.5, 0.0, 0.0, -1.0])
    assert emb.nearest("q", k=2) == got[:2]
    assert [i for i, _ in emb.nearest("orth", k=2)] == ["diag", "q"]
    with pytest.raises(GraphaeError, match="'missing'"):
        emb.nearest("missing")


def test_lookup_getitem_subset() -> None:
    emb = Embeddings([10, 20, 30], np.arange(6, dtype=np.float32).reshape(3, 2))
    assert emb[20].tolist() == [2.0, 3.0]
    assert emb.lookup([30, 10]).tolist() == [[4.0, 5.0], [0.0, 1.0]]
    assert emb.lookup([30, 10]).shape == (2, 2)
    with pytest.raises(GraphaeError, match="unknown node id 99"):
        emb.lookup([10, 99])
    with pytest.raises(GraphaeError, match="'x'"):
        emb["x"]
    sub = emb.subset([30, 10])
    assert sub.ids == [30, 10]
    assert sub.vectors.tolist() == [[4.0, 5.0], [0.0, 1.0]]
    assert 20 in emb and 99 not in emb


def test_hand_off_numpy_torch_pandas() -> None:
    emb = Embeddings(["b", "a"], [[1.0, 2.0], [3.0, 4.0]])
    assert len(emb) == 2 and emb.dim == 2 and emb.id_type == "str"
    assert not emb.vectors.flags.writeable
    arr = emb.to_numpy()
    arr[0, 0] = 99.0
    assert emb.vectors[0, 0] == 1.0
    t = emb.to_torch()
    assert t.dtype == torch.float32 and t.shape == (2, 2)
    df = emb.to_pandas()
    assert list(df.index) == ["b", "a"] and df.index.name == "id"
    assert list(df.columns) == ["dim_0", "dim_1"]
    assert df.loc["a"].tolist() == [3.0, 4.0]
    assert Embeddings.from_pandas(df) == emb
    assert repr(emb) == "Embeddings(2 nodes x 2 dims, str ids)"


def test_constructor_accepts_numpy_ids_nodeindex_and_tensors() -> None:
    a = Embeddings(np.arange(3), torch.ones(3, 2, dtype=torch.float64))
    assert a.ids == [0, 1, 2] and all(type(i) is int for i in a.ids)
    assert a.vectors.dtype == np.float32
    b = Embeddings(NodeIndex(["x", "y"]), np.zeros((2, 1)))
    assert b.index == NodeIndex(["x", "y"])
    with pytest.raises(GraphaeError, match="2 ids but 3 vectors"):
        Embeddings([1, 2], np.zeros((3, 1)))
    with pytest.raises(GraphaeError, match="duplicate"):
        Embeddings([1, 1], np.zeros((2, 1)))
    with pytest.raises(GraphaeError, match="2-D"):
        Embeddings([1, 2], np.zeros(2))
    with pytest.raises(GraphaeError, match="integers or strings"):
        Embeddings([1.5, 2.5], np.zeros((2, 1)))
