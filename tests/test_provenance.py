"""The source commit recorded with every run: ``+dirty`` means the code changed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from graphae.results import git_hash

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(root: Path, *args: str) -> str:
    cmd = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A committed checkout with the package, its metadata and a results folder."""
    (tmp_path / "graphae").mkdir()
    (tmp_path / "graphae" / "core.py").write_text("X = 1\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'graphae'\n")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "sweep-run.log").write_text("run 1\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "init")
    return tmp_path


def test_a_clean_checkout_gives_the_bare_commit(checkout: Path) -> None:
    head = _git(checkout, "rev-parse", "HEAD")
    assert git_hash(checkout) == head
    assert len(head) == 40


def test_results_written_during_a_sweep_leave_the_source_clean(checkout: Path) -> None:
    head = _git(checkout, "rev-parse", "HEAD")
    (checkout / "results" / "sweep-run.log").write_text("run 1\nrun 2\n")
    (checkout / "results" / "report.md").write_text("new, untracked\n")
    (checkout / "notes.txt").write_text("untracked at the top\n")
    assert git_hash(checkout) == head


@pytest.mark.parametrize(
    "change",
    [
        lambda r: (r / "graphae" / "core.py").write_text("X = 2\n"),
        lambda r: (r / "graphae" / "new_module.py").write_text("Y = 1\n"),
        lambda r: (r / "pyproject.toml").write_text("[project]\nname = 'other'\n"),
    ],
    ids=["edited-module", "untracked-module", "edited-metadata"],
)
def test_a_changed_source_is_dirty(checkout: Path, change) -> None:
    head = _git(checkout, "rev-parse", "HEAD")
    change(checkout)
    assert git_hash(checkout) == head + "+dirty"


def test_outside_git_there_is_no_commit(tmp_path: Path) -> None:
    assert git_hash(tmp_path) is None


def test_the_report_names_the_commits_by_run_count() -> None:
    import pandas as pd

    from graphae.bench.report import _source_line

    a, b, c, d = ("a" * 40, "b" * 40, "c" * 40, "d" * 40)
    gits = pd.Series([b, a + "+dirty", b, c, b, a + "+dirty", d, None, ""])
    assert _source_line(gits) == (
        f"- Source: `{'b' * 12}` (3 runs), `{'a' * 12}+dirty` (2 runs), `{'c' * 12}` (1 run)"
        " and 1 more commit (column `git` of `tables/runs.csv`); 2 of 7 runs came from a"
        " source tree with uncommitted changes."
    )
    assert _source_line(pd.Series([a, a])) == f"- Source: `{'a' * 12}` (2 runs)."
    assert _source_line(pd.Series([None, None])) == ""
