"""The README's tutorials run end to end and print what the README shows.

A runnable block is a fenced ``bash`` or ``python`` block right after an HTML
comment ``<!-- test:run NAME -->``; its expected output is the fenced block right
after ``<!-- test:expect NAME -->``. Blocks run in README order in one temporary
folder holding a copy of ``examples/data`` (so ``runs/`` lands there), with the
venv's ``graphae`` first on ``PATH`` and ``GRAPHAE_DATA`` pointing at the session's
copy of the offline datasets (conftest).

Output comparison, line by line (blank lines ignored): every number in the
expected text matches any number, ``...`` matches anything, runs of spaces match
any whitespace, and everything else must be equal; the number of lines must be
equal too. Blocks that train for minutes run with fewer epochs and seeds
(``SUBSTITUTIONS``); the others run exactly as written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"

MARKER = re.compile(r"<!-- test:(run|expect) ([\w-]+) -->\n```(\w+)\n(.*?)\n```", re.S)
NUM = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
TOKEN = re.compile(rf"(\.\.\.|{NUM}|\s+)")

#: Regex substitutions applied to a block before it runs (long trainings cut down).
SUBSTITUTIONS: dict[str, list[tuple[str, str]]] = {
    "benchmark": [(r"--epochs \d+", "--epochs 3"), (r"for seed in 0 1 2", "for seed in 0")],
    "ogb": [(r"--epochs \d+", "--epochs 1"), (r"for seed in 0 1 2", "for seed in 0")],
    "classify": [(r"(graphae train --dataset Cora --out runs/cora)\n", r"\1 --epochs 30\n")],
}


def readme_blocks() -> dict[str, dict[str, tuple[str, str]]]:
    """``{name: {"run": (language, code), "expect": (language, text)}}`` from the README."""
    blocks: dict[str, dict[str, tuple[str, str]]] = {}
    for kind, name, lang, body in MARKER.findall(README.read_text(encoding="utf-8")):
        assert kind not in blocks.get(name, {}), f"two '{kind}' blocks named {name!r}"
        blocks.setdefault(name, {})[kind] = (lang, body)
    return blocks


BLOCKS = readme_blocks()


def line_regex(line: str) -> str:
    """An expected output line as a regex (numbers and ``...`` are wildcards)."""
    out = []
    for part in TOKEN.split(line.strip()):
        if not part:
            continue
        if part == "...":
            out.append(".*")
        elif part.isspace():
            out.append(r"\s+")
        elif re.fullmatch(NUM, part):
            out.append(NUM)
        else:
            out.append(re.escape(part))
    return "".join(out)


def assert_output_matches(actual: str, expected: str) -> None:
    got = [line.strip() for line in actual.splitlines() if line.strip()]
    want = [line for line in expected.splitlines() if line.strip()]
    report = "\n--- expected ---\n" + expected + "\n--- got ---\n" + actual
    assert len(got) == len(want), f"{len(got)} lines, expected {len(want)}" + report
    for g, w in zip(got, want, strict=True):
        assert re.fullmatch(line_regex(w), g), f"line {g!r} does not match {w!r}" + report


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, data_root: Path) -> Path:
    """A fresh folder with ``examples/data`` in it, shared by the README's blocks."""
    root = tmp_path_factory.mktemp("readme")
    shutil.copytree(REPO / "examples" / "data", root / "examples" / "data")
    return root


def run_block(name: str, cwd: Path) -> str:
    """Run the README block ``name`` in ``cwd``; return its stdout."""
    lang, code = BLOCKS[name]["run"]
    for pattern, repl in SUBSTITUTIONS.get(name, []):
        code, n = re.subn(pattern, repl, code)
        assert n, f"substitution {pattern!r} no longer applies to README block {name!r}"
    if lang == "bash":
        args = ["bash", "-e", "-o", "pipefail", "-c", code]
    elif lang == "python":
        script = cwd / f"readme_{name}.py"
        script.write_text(code)
        args = [sys.executable, str(script)]
    else:
        raise AssertionError(f"README block {name!r}: cannot run a {lang!r} block")
    env = {
        **os.environ,
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
    }
    proc = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert proc.returncode == 0, (
        f"README block {name!r} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    )
    return proc.stdout


def check_block(name: str, cwd: Path) -> str:
    out = run_block(name, cwd)
    assert_output_matches(out, BLOCKS[name]["expect"][1])
    return out


# --------------------------------------------------------------------------- the harness


def test_every_marked_block_is_tested() -> None:
    assert set(BLOCKS) == {"own-graph", "benchmark", "ogb", "classify", "python-api", "configs"}
    for name, parts in BLOCKS.items():
        assert "run" in parts, f"{name!r} has an expected output but no block to run"
        assert name == "ogb" or "expect" in parts, f"{name!r} shows no expected output"


def test_line_matching_rules() -> None:
    assert_output_matches("best epoch 7/9: auc=0.5  x\n\n", "best epoch 106/206: auc=0.8800 x")
    assert_output_matches("nearest: Javert (0.9)", "nearest: ...")
    with pytest.raises(AssertionError, match="does not match"):
        assert_output_matches("wrote runs/other", "wrote runs/lesmis")
    with pytest.raises(AssertionError, match="2 lines, expected 1"):
        assert_output_matches("a\nb", "a")


def test_quick_start_commands_unchanged() -> None:
    text = README.read_text(encoding="utf-8")
    assert (
        "pip install -e . && graphae train --graph examples/data/les_miserables.csv "
        "--out runs/lesmis" in text
    )
    assert "pip install -e '.[test]' && python -m pytest -q" in text


# --------------------------------------------------------------------------- the tutorials


def test_tutorial_1_own_edge_list(workdir: Path) -> None:
    check_block("own-graph", workdir)
    assert (workdir / "runs" / "lesmis" / "embeddings.npy").is_file()


def test_quick_start_twice_is_refused_and_keeps_the_first_run(tmp_path: Path) -> None:
    """The README's quick-start command, run twice: the second run is refused (exit 2, one
    line naming --overwrite) and the first run's files stay byte-identical."""
    shutil.copytree(REPO / "examples" / "data", tmp_path / "examples" / "data")
    command = "graphae train --graph examples/data/les_miserables.csv --out runs/lesmis"
    assert command in README.read_text(encoding="utf-8")
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    env["OMP_NUM_THREADS"] = os.environ.get("OMP_NUM_THREADS", "1")

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", command + " --epochs 20"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip

    assert run().returncode == 0
    folder = tmp_path / "runs" / "lesmis"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    second = run()
    assert second.returncode == 2 and second.stdout == ""
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "--overwrite" in lines[0] and "earlier graphae run" in lines[0]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_configs_and_tracking(workdir: Path) -> None:
    check_block("configs", workdir)
    records = (workdir / "runs" / "lesmis-mlp" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(r)["epoch"] for r in records] == list(range(1, 61))


def test_tutorial_2_benchmark_decoders(workdir: Path) -> None:
    out = check_block("benchmark", workdir)
    decoders = [line.split()[0] for line in out.splitlines()[1:]]
    assert decoders == ["inner_product", "bilinear", "mlp", "gnn"]  # by decoder parameters


@pytest.mark.slow
def test_tutorial_2_ogb(workdir: Path) -> None:
    from graphae.nn.encoders import encoders

    if "embedding" not in encoders.names():
        pytest.skip("the 'embedding' encoder (issue 4) is not registered yet")
    if not (workdir / "decoder_table.py").is_file():
        run_block("benchmark", workdir)
    out = run_block("ogb", workdir)
    header = out.splitlines()[0].split()
    assert "link/hits@20" in header and "probe/node_accuracy" not in header


def test_tutorial_3_classifier(workdir: Path) -> None:
    out = check_block("classify", workdir)
    pipeline = float(re.search(rf"test accuracy ({NUM})", out).group(1))
    probe = json.loads(out[out.index("{") :])["probe/node_accuracy"]
    assert abs(pipeline - probe) <= 0.005  # the acceptance: within 0.5 points
    check_block("python-api", workdir)
