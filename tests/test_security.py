"""Safe by default (issue 9): nothing graphae reads runs code, nothing it writes clobbers data.

* Checkpoints: a ``model.pt`` (or a training-checkpoint ``state-*.pt``, or a
  ``--split-file``) crafted to run code when unpickled is refused with one line
  and the code does not run -- the marker file it would create never appears.
* Arrays: object arrays in ``.npy``/``.npz`` (features, graphs, embeddings) are refused.
* XML: a billion-laughs GraphML/GEXF fails fast, within a time and memory bound.
* OGB: loaded from the data root without ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``; a
  malicious split file is refused even when the user exported that switch.

The ``--out`` rules are tested in ``test_rundir.py`` (library) and
``test_bad_input_cli.py`` (command line).
"""

from __future__ import annotations

import os
import pickle
import shutil
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from clihelp import RING, assert_one_line_error, run_cli, snapshot

from graphae.config import RunConfig
from graphae.errors import InputError
from graphae.pipeline import fit
from graphae.rundir import load_checkpoint, load_training_state, save_run
from graphae.training.callbacks import TrainingControl

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
{body}
"""
GRAPHML_BODY = """<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
 <graph edgedefault="undirected">
  <node id="&lol9;"/><node id="b"/><edge source="&lol9;" target="b"/>
 </graph>
</graphml>"""
GEXF_BODY = """<gexf xmlns="http://www.gexf.net/1.2draft" version="1.2">
 <graph defaultedgetype="undirected">
  <nodes><node id="&lol9;" label="x"/><node id="b" label="b"/></nodes>
  <edges><edge id="0" source="&lol9;" target="b"/></edges>
 </graph>
</gexf>"""


class Evil:
    """Unpickling this runs ``os.system("touch MARKER")``: stands for any code in a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


class EvilOpen(Evil):
    """The same with ``builtins.open`` (no shell needed): creates the marker file."""

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny finished run folder (CPU, 3 epochs)."""
    d = tmp_path_factory.mktemp("secrun")
    (d / "e.csv").write_text(RING, encoding="utf-8")
    run = fit(
        RunConfig(graph=str(d / "e.csv"), epochs=3, device="cpu", val_ratio=0.1, test_ratio=0.1)
    )
    return save_run(d / "run", run)


def _copy_run(run_dir: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "run"
    shutil.copytree(run_dir, dst)
    return dst


@pytest.mark.parametrize(
    "payload",
    ["torch.save zip, os.system", "torch.save zip, open", "raw pickle", "legacy torch.save"],
)
def test_malicious_model_pt_is_refused_and_never_runs(run_dir, tmp_path, capsys, payload) -> None:
    run = _copy_run(run_dir, tmp_path)
    marker = tmp_path / "PWNED"
    state = torch.load(run / "model.pt", weights_only=True)
    if payload == "torch.save zip, os.system":
        torch.save({**state, "evil": Evil(marker)}, run / "model.pt")
    elif payload == "torch.save zip, open":
        torch.save({**state, "evil": EvilOpen(marker)}, run / "model.pt")
    elif payload == "raw pickle":
        (run / "model.pt").write_bytes(pickle.dumps(Evil(marker)))
    else:
        torch.save(Evil(marker), run / "model.pt", _use_new_zipfile_serialization=False)

    with pytest.raises(InputError) as info:
        load_checkpoint(run)
    msg = str(info.value)
    assert "\n" not in msg and "model.pt" in msg and "refused" in msg
    assert not marker.exists()

    before = snapshot(tmp_path)
    code, _, err = run_cli(["embed", run, "--out", tmp_path / "emb.npy"], capsys)
    assert_one_line_error(code, err, ["model.pt", "refused"])
    assert not marker.exists()
    assert snapshot(tmp_path) == before

    # The file really is malicious: an unrestricted load runs it (proves the test).
    if payload != "raw pickle":
        torch.load(run / "model.pt", weights_only=False)
    else:
        pickle.loads((run / "model.pt").read_bytes())
    assert marker.exists()


def test_malicious_training_checkpoint_is_refused_on_resume(tmp_path, capsys) -> None:
    (tmp_path / "e.csv").write_text(RING, encoding="utf-8")
    out = tmp_path / "out"
    from graphae.errors import TrainingInterrupted
    from graphae.rundir import partial_dir

    cfg = RunConfig(graph=str(tmp_path / "e.csv"), epochs=6, device="cpu")
    with pytest.raises(TrainingInterrupted):
        fit(cfg, checkpoint_dir=partial_dir(out), control=TrainingControl(stop_after=3))
    ckpt = partial_dir(out)
    state_file = next(ckpt.glob("state-*.pt"))
    marker = tmp_path / "PWNED"
    good = torch.load(state_file, weights_only=True)
    torch.save({**good, "rng_torch": Evil(marker)}, state_file)
    with pytest.raises(InputError, match="refused"):
        load_training_state(ckpt)
    code, _, err = run_cli(["train", "--resume", "--out", out], capsys)
    assert_one_line_error(code, err, ["state-", "refused"])
    assert not marker.exists() and not out.exists()


def test_malicious_split_file_is_refused(tmp_path, capsys) -> None:
    marker = tmp_path / "PWNED"
    torch.save({"train": {"edge_index": Evil(marker)}}, tmp_path / "split.pt")
    code, _, err = run_cli(["check-split", "--split-file", tmp_path / "split.pt"], capsys)
    assert_one_line_error(code, err, ["split.pt", "refused"])
    assert not marker.exists()


def test_object_arrays_are_refused_through_the_cli(tmp_path, capsys) -> None:
    (tmp_path / "e.csv").write_text("0,1\n1,2\n2,0\n", encoding="utf-8")
    obj = np.array([[{"x": 1}], [None], [1]], dtype=object)
    np.save(tmp_path / "x.npy", obj, allow_pickle=True)
    np.savez(tmp_path / "g.npz", data=np.array([EvilOpen(tmp_path / "PWNED")], dtype=object))
    np.save(tmp_path / "emb.npy", obj, allow_pickle=True)
    (tmp_path / "y.csv").write_text("0,a\n1,b\n2,a\n", encoding="utf-8")
    cases = [
        (["train", "--graph", tmp_path / "e.csv", "--features", tmp_path / "x.npy",
          "--out", tmp_path / "o"], ["x.npy", "object array"]),
        (["train", "--graph", tmp_path / "g.npz", "--out", tmp_path / "o"], ["g.npz", "object"]),
        (["evaluate", tmp_path / "emb.npy", "--labels", tmp_path / "y.csv"], ["emb.npy", "object"]),
    ]  # fmt: skip
    before = snapshot(tmp_path)
    for args, expected in cases:
        code, _, err = run_cli(args, capsys)
        assert_one_line_error(code, err, expected)
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize(("ext", "body"), [(".graphml", GRAPHML_BODY), (".gexf", GEXF_BODY)])
def test_billion_laughs_through_the_cli_fails_fast_and_small(tmp_path, capsys, ext, body) -> None:
    path = tmp_path / f"bomb{ext}"
    path.write_text(BILLION_LAUGHS.format(body=body), encoding="utf-8")
    tracemalloc.start()
    start = time.perf_counter()
    try:
        code, _, err = run_cli(["train", "--graph", path, "--out", tmp_path / "o"], capsys)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_one_line_error(code, err, [path.name, "refused"])
    assert elapsed < 5.0, elapsed
    assert peak < 64 * 2**20, f"peak Python memory {peak / 2**20:.0f} MiB"  # expansion: 3 GB
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------------ OGB


def _csv_gz(path: Path, rows: list[list[int]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(np.asarray(rows)).to_csv(path, header=False, index=False, compression="gzip")


def _fake_ddi(root: Path, valid: object) -> Path:
    """A 6-node stand-in for ogbl-ddi laid out like OGB's download, with ``valid`` as valid.pt."""
    folder = root / "ogb/ogbl_ddi"
    edges = [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]
    _csv_gz(folder / "raw/edge.csv.gz", edges)
    _csv_gz(folder / "raw/num-node-list.csv.gz", [[6]])
    _csv_gz(folder / "raw/num-edge-list.csv.gz", [[5]])
    (folder / "RELEASE_v1.txt").write_text("ddi\n", encoding="utf-8")
    split = folder / "split/target"
    split.mkdir(parents=True)
    save = {"_use_new_zipfile_serialization": False}  # OGB's own format
    torch.save({"edge": np.array(edges)}, split / "train.pt", **save)
    torch.save(valid, split / "valid.pt", **save)
    torch.save(
        {"edge": np.array([[1, 3]]), "edge_neg": np.array([[0, 4]])}, split / "test.pt", **save
    )
    return folder


def test_ogb_loads_without_the_unsafe_switch(tmp_path, capsys, monkeypatch) -> None:
    """The official split is read with weights_only=True; the environment is not touched."""
    _fake_ddi(tmp_path, {"edge": np.array([[0, 2]]), "edge_neg": np.array([[0, 5], [1, 4]])})
    monkeypatch.delenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", raising=False)
    calls: list[object] = []
    real = torch.load

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(kwargs.get("weights_only"))
        assert "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD" not in os.environ
        return real(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    code, out, err = run_cli(
        ["check-split", "--dataset", "ogbl-ddi", "--data-root", tmp_path], capsys
    )
    assert code == 0, err
    assert "official" in out and "verdict: clean" in out
    assert calls and all(w is True for w in calls), calls
    assert "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD" not in os.environ


def test_malicious_ogb_split_refused_even_with_the_unsafe_switch(
    tmp_path, capsys, monkeypatch
) -> None:
    marker = tmp_path / "PWNED"
    _fake_ddi(tmp_path, {"edge": EvilOpen(marker)})
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    args = ["check-split", "--dataset", "ogbl-ddi", "--data-root", tmp_path]
    code, _, err = run_cli(args, capsys)
    assert_one_line_error(code, err, ["valid.pt"])
    assert not marker.exists()
    assert not (tmp_path / "ogb/ogbl_ddi/processed").exists()
