"""Run folders and checkpoints: the ``--out`` rules, atomic replacement, training states.

graphae writes into a temporary sibling and renames it into place; it replaces
only folders it wrote (they hold a ``.graphae-run`` manifest), keeps whatever a
user added to them, deletes only files it wrote, and refuses everything else
unless ``force`` -- and even then never overwrites a file it did not write.
"""

from __future__ import annotations

import json
import os
import random
import signal
from pathlib import Path

import numpy as np
import pytest
import torch

from graphae import rundir
from graphae.errors import GraphaeError, InputError
from graphae.rundir import (
    MANIFEST,
    TrainingState,
    capture_rng,
    check_out_dir,
    has_training_checkpoint,
    is_run_folder,
    load_checkpoint,
    load_training_state,
    prepare_checkpoint_dir,
    remove_checkpoint_dir,
    restore_rng,
    save_checkpoint,
    save_training_state,
    signals_deferred,
    write_atomic_folder,
)


def tree(folder: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


def writer(files: dict[str, str]):
    def write(tmp: Path) -> None:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")

    return write


def siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name != folder.name)


# ------------------------------------------------------------------ --out rules


def test_out_may_be_new_empty_or_an_earlier_run(tmp_path: Path) -> None:
    check_out_dir(tmp_path / "new" / "deeper")  # parents are created later
    (tmp_path / "empty").mkdir()
    check_out_dir(tmp_path / "empty")
    write_atomic_folder(tmp_path / "run", writer({"a.txt": "1"}))
    assert is_run_folder(tmp_path / "run")
    check_out_dir(tmp_path / "run")


def test_out_refusals(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(GraphaeError, match="is a file"):
        check_out_dir(tmp_path / "file")
    with pytest.raises(GraphaeError, match="is a file, not a folder"):
        check_out_dir(tmp_path / "file" / "sub")
    user = tmp_path / "user"
    user.mkdir()
    (user / "thesis.tex").write_text("x", encoding="utf-8")
    with pytest.raises(GraphaeError, match=r"not a graphae run folder.*--force"):
        check_out_dir(user)
    check_out_dir(user, force=True)
    (user / "result.json").write_text("{}", encoding="utf-8")
    with pytest.raises(GraphaeError, match=r"overwrite result\.json"):
        check_out_dir(user, force=True)


@pytest.mark.parametrize("manifest", ["not json", '{"files": "x"}', "[]", '{"files": [1]}'])
def test_unreadable_manifest_is_not_a_run_folder(tmp_path: Path, manifest: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST).write_text(manifest, encoding="utf-8")
    (out / "mine.txt").write_text("x", encoding="utf-8")
    assert not is_run_folder(out)
    with pytest.raises(GraphaeError, match="not a graphae run folder"):
        write_atomic_folder(out, writer({"a": "1"}))
    assert (out / "mine.txt").read_text() == "x"


def test_new_folder_is_written_atomically_with_a_manifest(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "run"
    write_atomic_folder(out, writer({"x.txt": "1", "y.txt": "2"}))
    assert json.loads((out / MANIFEST).read_text())["files"] == ["x.txt", "y.txt"]
    assert siblings(out) == []  # no temporary folder left


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failed_write_leaves_the_previous_folder_byte_identical(tmp_path: Path, exc) -> None:
    out = tmp_path / "run"
    write_atomic_folder(out, writer({"x.txt": "old"}))
    before = tree(tmp_path)

    def failing(tmp: Path) -> None:
        (tmp / "x.txt").write_text("new", encoding="utf-8")
        raise exc

    with pytest.raises(type(exc)):
        write_atomic_folder(out, failing)
    assert tree(tmp_path) == before


def test_replacing_a_run_keeps_user_files_and_drops_only_stale_graphae_files(
    tmp_path: Path,
) -> None:
    out = tmp_path / "run"
    write_atomic_folder(out, writer({"embeddings.csv": "old", "result.json": "old"}))
    (out / "my_notes.md").write_text("keep me", encoding="utf-8")
    (out / "plots").mkdir()
    (out / "plots" / "fig.png").write_bytes(b"\x89PNG")
    write_atomic_folder(out, writer({"embeddings.npy": "new", "result.json": "new"}))
    assert (out / "result.json").read_text() == "new"
    assert (out / "embeddings.npy").read_text() == "new"
    assert not (out / "embeddings.csv").exists()  # graphae's own stale file goes
    assert (out / "my_notes.md").read_text() == "keep me"  # the user's stay
    assert (out / "plots" / "fig.png").read_bytes() == b"\x89PNG"
    assert json.loads((out / MANIFEST).read_text())["files"] == ["embeddings.npy", "result.json"]
    assert siblings(out) == []
    # and the user's files survive a third run too (they are not in the manifest)
    write_atomic_folder(out, writer({"result.json": "third"}))
    assert (out / "my_notes.md").read_text() == "keep me"


def test_user_file_with_a_graphae_name_stops_the_replacement(tmp_path: Path) -> None:
    out = tmp_path / "run"
    write_atomic_folder(out, writer({"result.json": "old"}))
    (out / "embeddings.npy").write_text("the user's own", encoding="utf-8")
    before = tree(tmp_path)
    with pytest.raises(GraphaeError, match=r"embeddings\.npy.*not written by graphae"):
        write_atomic_folder(out, writer({"result.json": "new", "embeddings.npy": "ours"}))
    assert tree(tmp_path) == before


def test_force_adds_files_to_a_user_folder_and_deletes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "data.csv").write_text("precious", encoding="utf-8")
    write_atomic_folder(out, writer({"result.json": "r"}), force=True)
    assert (out / "data.csv").read_text() == "precious"
    assert (out / "result.json").read_text() == "r"
    # now it holds a manifest: a later run replaces only graphae's files
    write_atomic_folder(out, writer({"result.json": "r2"}))
    assert (out / "data.csv").read_text() == "precious"
    assert (out / "result.json").read_text() == "r2"


def test_signals_are_deferred_while_renaming(tmp_path: Path) -> None:
    seen: list[int] = []
    old = signal.signal(signal.SIGINT, lambda s, f: seen.append(s))
    try:
        with signals_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            inside = list(seen)
        assert inside == [] and seen == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, old)


def test_sigint_during_the_swap_lands_after_it(tmp_path: Path, monkeypatch) -> None:
    """A Ctrl-C between the renames would leave no folder at ``out``; it is held until the end."""
    out = tmp_path / "run"
    write_atomic_folder(out, writer({"x.txt": "old"}))
    # Python's own Ctrl-C handler, whatever an earlier test in the session left installed
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    real_rename = os.rename
    calls = []

    def rename(a: object, b: object) -> None:
        calls.append((a, b))
        if len(calls) == 1:  # after moving the old folder aside, "press" Ctrl-C
            os.kill(os.getpid(), signal.SIGINT)
        real_rename(a, b)

    monkeypatch.setattr(rundir.os, "rename", rename)
    try:
        with pytest.raises(KeyboardInterrupt):
            write_atomic_folder(out, writer({"x.txt": "new"}))
    finally:
        signal.signal(signal.SIGINT, previous)
    assert (out / "x.txt").read_text() == "new"  # the swap completed before the interrupt


# ------------------------------------------------------------------ model checkpoints


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    model = torch.nn.Linear(3, 2)
    save_checkpoint(tmp_path, model, {"config": {"a": 1}}, {"id_type": "str", "ids": ["x"]})
    state, spec, nodes = load_checkpoint(tmp_path)
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    assert spec["config"] == {"a": 1} and spec["format"] == rundir.CHECKPOINT_FORMAT
    assert nodes["ids"] == ["x"]


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda d: (d / "model.pt").write_bytes(b""), "not a readable torch tensor file"),
        (lambda d: torch.save({"w": [1, 2]}, d / "model.pt"), "state dict of tensors"),
        (lambda d: torch.save({"w": np.zeros(2)}, d / "model.pt"), "pickled Python objects"),
        (lambda d: (d / "nodes.json").write_bytes(b"\xff\xfe"), "corrupted checkpoint metadata"),
        (lambda d: (d / "model.json").write_text("[]"), "does not describe a graphae model"),
        (lambda d: (d / "model.json").unlink(), "missing model.json"),
    ],
)
def test_damaged_checkpoints_are_one_line_input_errors(tmp_path: Path, damage, expected) -> None:
    save_checkpoint(tmp_path, torch.nn.Linear(2, 2), {"config": {}}, {"ids": []})
    damage(tmp_path)
    with pytest.raises(InputError) as info:
        load_checkpoint(tmp_path)
    assert expected in str(info.value) and "\n" not in str(info.value)


# ------------------------------------------------------------------ training checkpoints


def make_state(epoch: int = 3) -> TrainingState:
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    model(torch.randn(5, 4)).sum().backward()
    opt.step()
    return TrainingState(
        epoch=epoch,
        model=model.state_dict(),
        optimizer=opt.state_dict(),
        best_score=0.875,
        best_epoch=2,
        best_state={k: v.clone() for k, v in model.state_dict().items()},
        bad_evals=1,
        history=[{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25, "val/auc": 0.875}],
        rng=capture_rng(torch.Generator().manual_seed(7)),
        config={"graph": "g.csv", "epochs": 10},
        meta={"num_nodes": 5},
    )


def test_training_state_round_trip(tmp_path: Path) -> None:
    s = make_state()
    save_training_state(tmp_path / "ck", s)
    t = load_training_state(tmp_path / "ck")
    assert (t.epoch, t.best_score, t.best_epoch, t.bad_evals) == (3, 0.875, 2, 1)
    assert t.history == s.history and t.config == s.config and t.meta == s.meta
    assert all(torch.equal(t.model[k], v) for k, v in s.model.items())
    assert t.best_state is not None and t.best_state.keys() == s.model.keys()
    opt = torch.optim.Adam(torch.nn.Linear(4, 2).parameters(), lr=0.1)
    opt.load_state_dict(t.optimizer)  # a usable optimiser state
    assert torch.equal(t.rng["generator"], s.rng["generator"])
    names = sorted(p.name for p in (tmp_path / "ck").iterdir())
    assert names == [".graphae-checkpoint", "checkpoint.json", "state-0000003.pt"]


def test_newer_checkpoint_replaces_the_older_state_file(tmp_path: Path) -> None:
    save_training_state(tmp_path, make_state(3))
    save_training_state(tmp_path, make_state(6))
    assert sorted(p.name for p in tmp_path.glob("state-*.pt")) == ["state-0000006.pt"]
    assert load_training_state(tmp_path).epoch == 6


def test_crash_before_the_commit_keeps_the_previous_checkpoint(tmp_path, monkeypatch) -> None:
    save_training_state(tmp_path, make_state(3))
    real = os.replace

    def crash_on_json(a: object, b: object) -> None:
        if str(b).endswith("checkpoint.json"):
            raise KeyboardInterrupt
        real(a, b)

    monkeypatch.setattr(rundir.os, "replace", crash_on_json)
    with pytest.raises(KeyboardInterrupt):
        save_training_state(tmp_path, make_state(6))
    monkeypatch.undo()
    assert load_training_state(tmp_path).epoch == 3  # still the committed one
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda d: (d / "checkpoint.json").write_text("{"), "corrupted checkpoint metadata"),
        (lambda d: next(d.glob("state-*.pt")).unlink(), "missing state file"),
        (lambda d: next(d.glob("state-*.pt")).write_bytes(b"junk"), "refused or corrupted"),
        (
            lambda d: (d / "checkpoint.json").write_text(
                (d / "checkpoint.json").read_text().replace('"epoch": 3', '"epoch": 4', 1)
            ),
            "does not match",
        ),
        (lambda d: (d / "checkpoint.json").unlink(), "no training checkpoint"),
    ],
)
def test_damaged_training_checkpoints_are_refused(tmp_path: Path, damage, expected) -> None:
    save_training_state(tmp_path, make_state(3))
    damage(tmp_path)
    with pytest.raises(InputError) as info:
        load_training_state(tmp_path)
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_checkpoint_folder_rules(tmp_path: Path) -> None:
    user = tmp_path / "user"
    user.mkdir()
    (user / "x.txt").write_text("x", encoding="utf-8")
    with pytest.raises(GraphaeError, match="not made by graphae"):
        prepare_checkpoint_dir(user)
    with pytest.raises(GraphaeError, match="not made by graphae"):
        save_training_state(user, make_state())
    assert sorted(p.name for p in user.iterdir()) == ["x.txt"]
    (tmp_path / "f").write_text("x", encoding="utf-8")
    with pytest.raises(GraphaeError, match="is a file"):
        prepare_checkpoint_dir(tmp_path / "f")
    ck = tmp_path / "ck"
    save_training_state(ck, make_state())
    assert has_training_checkpoint(ck)
    (ck / "mine.txt").write_text("keep", encoding="utf-8")
    remove_checkpoint_dir(ck)
    assert sorted(p.name for p in ck.iterdir()) == [".graphae-checkpoint", "mine.txt"]
    (ck / "mine.txt").unlink()
    save_training_state(ck, make_state())
    remove_checkpoint_dir(ck)
    assert not ck.exists()
    remove_checkpoint_dir(user)  # not ours: untouched
    assert (user / "x.txt").exists()


def test_rng_states_round_trip() -> None:
    gen = torch.Generator().manual_seed(3)
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(4)
    snap = capture_rng(gen)
    a = (random.random(), np.random.rand(), torch.rand(3), torch.rand(2, generator=gen))
    json.dumps({k: v for k, v in snap.items() if k in ("python", "numpy")})  # JSON-ready
    restore_rng(snap, gen)
    b = (random.random(), np.random.rand(), torch.rand(3), torch.rand(2, generator=gen))
    assert a[0] == b[0] and a[1] == b[1]
    assert torch.equal(a[2], b[2]) and torch.equal(a[3], b[3])


def test_save_run_logs_the_embeddings_at_their_final_path(tmp_path: Path, caplog) -> None:
    """The embeddings are written inside a temporary sibling folder; the log names
    where they end up, never the temporary folder (which is gone after the rename)."""
    import logging

    from graphae.config import RunConfig
    from graphae.pipeline import fit

    edges = tmp_path / "e.csv"
    edges.write_text("".join(f"n{i},n{(i + 1) % 12}\n" for i in range(12)), encoding="utf-8")
    run = fit(RunConfig(graph=str(edges), epochs=2, device="cpu", val_ratio=0.1, test_ratio=0.1))
    with caplog.at_level(logging.INFO, logger="graphae"):
        out = rundir.save_run(tmp_path / "run", run, embeddings_format="csv")
    wrote = [r.getMessage() for r in caplog.records if r.getMessage().startswith("wrote ")]
    assert wrote == [f"wrote {out / 'embeddings.csv'} (12 nodes x {run.export_z.shape[1]} dims)"]
    assert (out / "embeddings.csv").is_file()
