"""Bad input through the real command line (issue 7, issue 9).

Every case runs ``graphae`` on a malformed input and asserts: exit code 2, ONE
line on stderr that names what is wrong and where (file and line when there is
one), no traceback, and nothing written -- the ``--out`` target is absent or
byte-identical, and no temporary or checkpoint folder is left beside it.

The loaders' own messages are tested case by case in ``test_bad_input_io.py``;
here the point is the whole path: option parsing, config validation, loading,
model building and the run-folder rules, as a user meets them. Most cases call
``graphae.cli.main`` in-process (fast); a few run ``python -m graphae.cli`` in a
real subprocess.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from clihelp import RING, assert_one_line_error, run_cli, run_subprocess, snapshot

# ----------------------------------------------------------------------- cases
#
# A case writes its inputs into the folder it is given and returns the argv.
# ``OUT`` in the argv is replaced by the --out path (which must stay absent).

Case = Callable[[Path], list[str]]


def train_on(edges: str, *extra: str, name: str = "e.csv", **files: str) -> Case:
    """``graphae train --graph e.csv`` with side files (``f_csv`` -> ``f.csv``)."""

    def build(d: Path) -> list[str]:
        (d / name).write_text(edges, encoding="utf-8")
        for fname, text in files.items():
            (d / fname.replace("_", ".")).write_text(text, encoding="utf-8")
        args = ["train", "--graph", d / name, "--out", "OUT", "--epochs", "2", "--device", "cpu"]
        return [*args, *(a.replace("{d}", str(d)) for a in extra)]

    return build


def train_bytes(data: bytes, name: str = "e.csv") -> Case:
    def build(d: Path) -> list[str]:
        (d / name).write_bytes(data)
        return ["train", "--graph", d / name, "--out", "OUT", "--device", "cpu"]

    return build


def train_npy(arr: np.ndarray, ids: str) -> Case:
    """``--features x.npy --feature-ids ids.txt`` on the triangle a-b-c."""

    def build(d: Path) -> list[str]:
        np.save(d / "x.npy", arr)
        (d / "ids.txt").write_text(ids, encoding="utf-8")
        extra = ["--features", "{d}/x.npy", "--feature-ids", "{d}/ids.txt"]
        return train_on(EDGES, *extra)(d)

    return build


def big_with_broken_line(d: Path) -> list[str]:
    lines = [f"node{i},node{i + 1},{i % 5 + 1}" for i in range(100_000)]
    lines[54_320] = "node1,node2,oops"
    (d / "big.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ["train", "--graph", d / "big.csv", "--out", "OUT", "--device", "cpu"]


def directory_as_graph(d: Path) -> list[str]:
    (d / "g.csv").mkdir()
    return ["train", "--graph", d / "g.csv", "--out", "OUT"]


def out_is_a_file(d: Path) -> list[str]:
    (d / "e.csv").write_text(RING, encoding="utf-8")
    (d / "taken").write_text("my notes\n", encoding="utf-8")
    return ["train", "--graph", d / "e.csv", "--out", d / "taken", "--epochs", "2"]


def out_is_a_user_folder(d: Path) -> list[str]:
    (d / "e.csv").write_text(RING, encoding="utf-8")
    (d / "mine").mkdir()
    (d / "mine" / "thesis.tex").write_text("\\section{Results}\n", encoding="utf-8")
    return ["train", "--graph", d / "e.csv", "--out", d / "mine", "--epochs", "2"]


def partial_is_a_user_folder(d: Path) -> list[str]:
    (d / "e.csv").write_text(RING, encoding="utf-8")
    (d / "OUT.partial").mkdir()
    (d / "OUT.partial" / "keep.txt").write_text("mine\n", encoding="utf-8")
    return ["train", "--graph", d / "e.csv", "--out", "OUT", "--epochs", "2"]


def embed_with(corrupt: Callable[[Path], None]) -> Case:
    def build(d: Path) -> list[str]:
        import shutil

        shutil.copytree(_trained_run(), d / "run")
        corrupt(d / "run")
        return ["embed", d / "run", "--out", "OUT.npy"]

    return build


def embed_existing_out(d: Path) -> list[str]:
    import shutil

    shutil.copytree(_trained_run(), d / "run")
    (d / "emb.npy").write_bytes(b"the user's own file")
    return ["embed", d / "run", "--out", d / "emb.npy"]


def embed_other_graph(d: Path) -> list[str]:
    """The featureless ring run (identity inputs) asked to embed another graph."""
    import shutil

    shutil.copytree(_trained_run(), d / "run")
    (d / "other.csv").write_text(RING.replace("n", "m"), encoding="utf-8")
    return ["embed", d / "run", "--out", "OUT.npy", "--graph", d / "other.csv"]


def baseline_with(*extra: str) -> Case:
    def build(d: Path) -> list[str]:
        (d / "e.csv").write_text(RING, encoding="utf-8")
        return ["baseline", "--graph", d / "e.csv", *extra]

    return build


_TRAINED: list[Path] = []


def _trained_run() -> Path:
    """A tiny finished run folder, trained once per session (see the fixture)."""
    assert _TRAINED, "the trained_run fixture must run first"
    return _TRAINED[0]


@pytest.fixture(scope="module", autouse=True)
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from graphae.config import RunConfig
    from graphae.pipeline import fit
    from graphae.rundir import save_run

    d = tmp_path_factory.mktemp("run")
    (d / "e.csv").write_text(RING, encoding="utf-8")
    run = fit(
        RunConfig(graph=str(d / "e.csv"), epochs=3, device="cpu", val_ratio=0.1, test_ratio=0.1)
    )
    save_run(d / "run", run)
    _TRAINED[:] = [d / "run"]
    return d / "run"


EDGES = "a,b\nb,c\nc,a\n"
FEATS = "a,1,2\nb,3,4\nc,5,6\n"

CASES: dict[str, tuple[Case, list[str]]] = {
    "empty file": (train_on(""), ["e.csv", "empty"]),
    "header only": (train_on("source,target,weight\n"), ["e.csv", "no edges"]),
    "wrong column count": (
        train_on("a,b,1\nb,c,2\nc,d,3,4\n"),
        ["e.csv:3:", "expected 3 columns but found 4"],
    ),
    "non-numeric weight": (train_on("a,b,1\nb,c,heavy\n"), ["e.csv:2:", "non-numeric weight"]),
    "NaN weight": (train_on("a,b,1\nb,c,NaN\n"), ["e.csv:2:", "NaN"]),
    "inf weight": (train_on("a,b,inf\nb,c,1\n"), ["e.csv:1:", "inf"]),
    "negative weight": (train_on("a,b,1\nb,c,-2\n"), ["e.csv:2:", "negative weight"]),
    "NaN feature": (
        train_on(EDGES, "--features", "{d}/f.csv", f_csv="a,1,2\nb,nan,0\nc,1,1\n"),
        ["f.csv:2:", "nan"],
    ),
    "unknown id in label file": (
        train_on(EDGES, "--labels", "{d}/y.csv", y_csv="a,x\nzz,y\n"),
        ["y.csv:2:", "unknown node id 'zz'"],
    ),
    "duplicate id in feature-ids file": (
        train_npy(np.zeros((3, 2)), "a\nb\nb\n"),
        ["ids.txt:3:", "duplicate id 'b'"],
    ),
    "feature-ids count differs from .npy rows": (
        train_npy(np.zeros((3, 2)), "a\nb\n"),
        ["ids.txt", "2 ids", "3 rows"],
    ),
    "duplicate id in feature file": (
        train_on(EDGES, "--features", "{d}/f.csv", f_csv="a,1\nb,2\nc,3\nb,4\n"),
        ["f.csv:4:", "duplicate id 'b'"],
    ),
    "feature row of the wrong width": (
        train_on(EDGES, "--features", "{d}/f.csv", f_csv="a,1,2\nb,3\nc,4,5\n"),
        ["f.csv:2:", "2 feature columns"],
    ),
    "graph node without a feature row": (
        train_on(EDGES, "--features", "{d}/f.csv", f_csv="a,1\nb,2\n"),
        ["f.csv", "no feature row", "'c'"],
    ),
    "unknown feature normalisation": (
        train_on(EDGES, "--feature-norm", "l2"),
        ["--feature-norm", "'l2'", "'auto', 'row', 'none'"],
    ),
    "unknown learning-rate schedule": (
        train_on(EDGES, "--lr-schedule", "step"),
        ["--lr-schedule", "'step'", "'constant', 'cosine', 'linear'"],
    ),
    "single node graph": (train_on("a,a\n"), ["e.csv", "single node"]),
    "no edges (only self loops)": (train_on("a,a\nb,b\n"), ["e.csv", "no edges"]),
    "all isolated (zero weights)": (train_on("a,b,0\nb,c,0\n"), ["e.csv", "isolated"]),
    "too few edges to split": (train_on("a,b\n"), ["too few", "--val-ratio"]),
    "100k lines, one broken line": (big_with_broken_line, ["big.csv:54321:", "'oops'"]),
    "binary file as edge list": (
        train_bytes(b"PK\x03\x04" + bytes(range(256)) * 4),
        ["e.csv:1:", "binary"],
    ),
    "directory instead of file": (directory_as_graph, ["g.csv", "is a directory"]),
    "missing file": (
        lambda d: ["train", "--graph", d / "nope.csv", "--out", "OUT"],
        ["nope.csv", "not found"],
    ),
    "unknown dataset": (
        lambda d: ["train", "--dataset", "NoSuchGraph", "--out", "OUT"],
        ["NoSuchGraph"],
    ),
    "both --dataset and --graph": (
        train_on(RING, "--dataset", "Cora"),
        ["exactly one"],
    ),
    "misspelt dataset": (
        lambda d: ["train", "--dataset", "Corra", "--out", "OUT"],
        ["unknown dataset 'Corra' (did you mean 'cora'?); valid datasets: "],
    ),
    "unknown decoder": (
        train_on(RING, "--decoder", "magic"),
        ["unknown decoder 'magic'", "inner_product"],
    ),
    "misspelt decoder": (
        train_on(RING, "--decoder", "bilnear"),
        ["unknown decoder 'bilnear' (did you mean 'bilinear'?); valid decoders: "],
    ),
    "unknown encoder": (train_on(RING, "--encoder", "magic"), ["unknown encoder 'magic'", "gcn"]),
    "unknown --decoder-option key": (
        train_on(RING, "--decoder", "mlp", "--decoder-option", "depht=2"),
        ["'depht'", "valid options"],
    ),
    "unknown --encoder-option key": (
        train_on(RING, "--encoder-option", "heads=4"),
        ["encoder 'gcn' has no option 'heads'", "valid options"],
    ),
    "--encoder-option value the encoder rejects": (
        train_on(RING, "--encoder", "gat", "--encoder-option", "heads=3"),
        ["heads=3", "divide"],
    ),
    "--decoder-option value of the wrong type": (
        train_on(RING, "--decoder", "mlp", "--decoder-option", "depth=three"),
        ["decoder 'mlp'", "option 'depth' must be an integer", "'three'"],
    ),
    "--feature-ids without --features": (
        train_on(RING, "--feature-ids", "{d}/ids.txt", ids_txt="n0\n"),
        ["--feature-ids", "give it with features (--features)"],
    ),
    "baseline --heuristic-option of the wrong type": (
        baseline_with("--heuristic", "katz", "--heuristic-option", "beta=abc"),
        ["heuristic 'katz'", "option 'beta' must be a number", "'abc'"],
    ),
    "--decoder-option without =": (
        train_on(RING, "--decoder-option", "depth"),
        ["--decoder-option 'depth'", "KEY=VALUE"],
    ),
    "bad --device": (train_on(RING, "--device", "tpu"), ["device", "tpu"]),
    "--device cuda without CUDA": (
        train_on(RING, "--device", "cuda:7"),
        ["cuda:7"],
    ),
    "--epochs 0": (train_on(RING, "--epochs", "0"), ["epochs"]),
    "--epochs not a number": (train_on(RING, "--epochs", "many"), ["--epochs", "--help"]),
    "--lr negative": (train_on(RING, "--lr", "-1"), ["lr"]),
    "unknown --embeddings-format": (
        train_on(RING, "--embeddings-format", "xlsx"),
        ["--embeddings-format", "'xlsx'", "'npy', 'npz', 'csv', 'parquet'"],
    ),
    "unknown option": (train_on(RING, "--learning-rate", "0.1"), ["--learning-rate"]),
    "--checkpoint-every negative": (
        train_on(RING, "--checkpoint-every", "-1"),
        ["--checkpoint-every"],
    ),
    "--out is a file": (out_is_a_file, ["taken", "is a file"]),
    "--out is a user's folder": (
        out_is_a_user_folder,
        ["mine", "not a graphae run folder", "--force"],
    ),
    "<out>.partial is a user's folder": (
        partial_is_a_user_folder,
        ["OUT.partial", "not made by graphae"],
    ),
    "--resume without a checkpoint": (
        lambda d: ["train", "--resume", "--out", "OUT"],
        ["no training checkpoint"],
    ),
    "--reconstruct-weights on an unweighted graph": (
        train_on(RING, "--reconstruct-weights"),
        ["reconstruct_weights needs edge weights"],
    ),
    "corrupted checkpoint (garbage model.pt)": (
        embed_with(lambda r: (r / "model.pt").write_bytes(b"\x00garbage" * 10)),
        ["model.pt", "refused or corrupted"],
    ),
    "corrupted checkpoint (truncated model.pt)": (
        embed_with(lambda r: (r / "model.pt").write_bytes((r / "model.pt").read_bytes()[:100])),
        ["model.pt", "refused or corrupted"],
    ),
    "corrupted checkpoint (model.json not JSON)": (
        embed_with(lambda r: (r / "model.json").write_text("{oops", encoding="utf-8")),
        ["corrupted checkpoint metadata"],
    ),
    "checkpoint missing model.pt": (
        embed_with(lambda r: (r / "model.pt").unlink()),
        ["missing model.pt"],
    ),
    "embed --out exists": (embed_existing_out, ["emb.npy exists", "--force"]),
    "embed a folder that is not a run": (
        lambda d: ["embed", d, "--out", "OUT.npy"],
        ["missing model.pt"],
    ),
    "embed a run folder that does not exist": (
        lambda d: ["embed", d / "nope", "--out", "OUT.npy"],
        ["nope: no such run folder"],
    ),
    "embed another graph with a run's identity inputs": (
        embed_other_graph,
        ["own nodes' 'identity' inputs", "--feature-fallback degree"],
    ),
    "evaluate a path that does not exist": (
        lambda d: ["evaluate", d / "nope"],
        ["nope: no such run folder or embeddings file"],
    ),
    "check-split of a folder that is not a run": (
        lambda d: ["check-split", d],
        ["no config.json"],
    ),
}


def test_number_of_distinct_cli_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, case) -> None:
    build, expected = CASES[case]
    work = tmp_path / "work"
    work.mkdir()
    out = work / "OUT"
    args = [str(a).replace("OUT", str(out)) if str(a).startswith("OUT") else a for a in build(work)]
    before = snapshot(work)
    code, _, err = run_cli(args, capsys)
    assert_one_line_error(code, err, expected)
    assert snapshot(work) == before, "something was written"
    assert not out.exists()


def test_unreadable_file_is_a_one_line_error(tmp_path, capsys, monkeypatch) -> None:
    """Permissions are checked with ``os.access`` (simulated: CI may run as root)."""
    from graphae.data.io import files as gio

    path = tmp_path / "e.csv"
    path.write_text(RING, encoding="utf-8")
    real = os.access
    monkeypatch.setattr(gio.os, "access", lambda p, m: False if Path(p) == path else real(p, m))
    code, _, err = run_cli(["train", "--graph", path, "--out", tmp_path / "o"], capsys)
    assert_one_line_error(code, err, ["e.csv"])
    assert "permission denied" in err or "not readable" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root reads a chmod 000 file; covered by test_unreadable_file_is_a_one_line_error",
)
def test_unreadable_file_real_permissions(tmp_path, capsys) -> None:
    path = tmp_path / "e.csv"
    path.write_text(RING, encoding="utf-8")
    path.chmod(0)
    try:
        code, _, err = run_cli(["train", "--graph", path, "--out", tmp_path / "o"], capsys)
    finally:
        path.chmod(0o600)
    assert_one_line_error(code, err, ["e.csv"])
    assert "permission denied" in err or "not readable" in err


def test_out_user_folder_is_left_byte_identical(tmp_path, capsys) -> None:
    """Issue 9 acceptance: exit 2, one line, the folder byte-identical (mtimes too)."""
    (tmp_path / "e.csv").write_text(RING, encoding="utf-8")
    mine = tmp_path / "mine"
    (mine / "sub").mkdir(parents=True)
    (mine / "data.csv").write_text("precious,1\n", encoding="utf-8")
    (mine / "sub" / "notes.md").write_text("# notes\n", encoding="utf-8")
    (mine / "config.json").write_text('{"mine": true}\n', encoding="utf-8")
    stat = {p: p.stat().st_mtime_ns for p in mine.rglob("*")}
    before = snapshot(tmp_path)
    code, _, err = run_cli(
        ["train", "--graph", tmp_path / "e.csv", "--out", mine, "--epochs", "2"], capsys
    )
    assert_one_line_error(code, err, [str(mine), "not a graphae run folder"])
    assert snapshot(tmp_path) == before
    assert {p: p.stat().st_mtime_ns for p in mine.rglob("*")} == stat
    # --force does not overwrite the user's own config.json either
    code, _, err = run_cli(
        ["train", "--graph", tmp_path / "e.csv", "--out", mine, "--epochs", "2", "--force"], capsys
    )
    assert_one_line_error(code, err, ["config.json", "did not write"])
    assert snapshot(tmp_path) == before


def test_quoted_ids_with_spaces_unicode_and_commas_succeed(tmp_path, capsys) -> None:
    from graphae.embeddings import load_embeddings

    names = ["New York, NY", "São Paulo", "東京 都", 'say "hi"', "a b", "Zürich", "x,y,z", "ø"]
    q = [f'"{n.replace(chr(34), chr(34) * 2)}"' for n in names]
    lines = [f"{q[i]},{q[(i + 1) % 8]}" for i in range(8)] + [
        f"{q[i]},{q[(i + 3) % 8]}" for i in range(8)
    ]
    (tmp_path / "e.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = run_cli(
        [
            "train",
            "--graph",
            tmp_path / "e.csv",
            "--out",
            tmp_path / "run",
            "--epochs",
            "3",
            "--device",
            "cpu",
            "--val-ratio",
            "0.1",
            "--test-ratio",
            "0.1",
        ],
        capsys,
    )
    assert code == 0, err
    emb = load_embeddings(tmp_path / "run")
    assert sorted(emb.ids) == sorted(names)
    assert emb["New York, NY"].shape == (16,)


def test_real_subprocess_errors_are_one_line(tmp_path) -> None:
    """``python -m graphae.cli`` end to end: a broken line and a user's --out folder."""
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "keep.txt").write_text("keep\n", encoding="utf-8")
    (tmp_path / "e.csv").write_text("a,b,1\nb,c,oops\n", encoding="utf-8")
    before = snapshot(tmp_path)
    start = time.perf_counter()
    for args, expected in [
        (["train", "--graph", "e.csv", "--out", "o"], "e.csv:2:"),
        (["train", "--graph", "e.csv", "--out", "mine"], "not a graphae run folder"),
    ]:
        proc = run_subprocess(args, tmp_path)
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert expected in lines[0]
    assert snapshot(tmp_path) == before
    assert time.perf_counter() - start < 120


def test_a_cuda_ordinal_beyond_the_machines_devices_is_a_clear_error(monkeypatch) -> None:
    """On a CUDA machine, ``--device cuda:7`` with one GPU is refused before any work."""
    import torch

    from graphae.errors import GraphaeError
    from graphae.training.runtime import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert resolve_device("cuda:0") == torch.device("cuda:0")
    assert resolve_device("cuda") == torch.device("cuda")
    with pytest.raises(GraphaeError, match=r"'cuda:7'.*1 CUDA device\(s\); use cuda:0 to cuda:0"):
        resolve_device("cuda:7")
