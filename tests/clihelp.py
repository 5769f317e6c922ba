"""Helpers shared by the command-line tests: run ``graphae`` in-process, snapshot folders."""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

#: A 20-node ring with chords (40 edges): enough to split 85/5/10 and train in a blink.
RING = "".join(f"n{i},n{(i + 1) % 20}\n" for i in range(20)) + "".join(
    f"n{i},n{(i + 5) % 20}\n" for i in range(20)
)


def run_cli(args: list[object], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``graphae ARGS`` through :func:`graphae.cli.main` in-process: ``(exit code, stdout, stderr)``."""
    from graphae.cli import main

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        with pytest.raises(SystemExit) as info:
            main([str(a) for a in args])
    finally:
        root.handlers[:], root.level = saved
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), out, err


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (``None`` for folders)."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


def assert_one_line_error(code: int, err: str, expected: list[str]) -> None:
    """Exit code 2, exactly one ``graphae: error:`` line on stderr holding every ``expected`` part."""
    assert code == 2, f"exit code {code}, stderr {err!r}"
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, f"stderr is not one line: {err!r}"
    assert "Traceback" not in err
    assert lines[0].startswith("graphae: error: "), lines[0]
    for part in expected:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"


REPO = Path(__file__).resolve().parents[1]


def run_subprocess(
    args: list[object], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m graphae.cli ARGS`` in a fresh interpreter (one thread, no warnings)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "graphae.cli", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def load_script(name: str) -> ModuleType:
    """Import ``benchmarks/<name>.py`` as a module (registered in ``sys.modules``)."""
    path = REPO / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod
