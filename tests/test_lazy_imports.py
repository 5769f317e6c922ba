"""Lazy imports (issue 17): ``graphae --help`` loads neither torch_geometric nor
scikit-learn (nor torch), and every public name still resolves on first use.

Each check runs a fresh interpreter, since this test process has long imported
torch and friends.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "torch_geometric", "sklearn", "scipy", "numpy")


def _python(code: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )


def test_cli_module_imports_no_heavy_package() -> None:
    code = (
        "import sys, graphae, graphae.cli\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert 'torch_geometric' not in sys.modules\n"
    )
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr


def test_help_runs_without_heavy_packages() -> None:
    code = (
        "import sys\n"
        "from graphae.cli import main\n"
        "sys.argv = ['graphae', '--help']\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr
    for command in ("train", "embed", "evaluate", "bench"):
        assert command in proc.stdout


def test_every_public_name_resolves_and_is_cached() -> None:
    code = (
        "import graphae\n"
        "for name in graphae.__all__:\n"
        "    assert getattr(graphae, name) is not None, name\n"
        "    assert name in vars(graphae), name  # cached after the first access\n"
        "from graphae import fit, RunConfig, GraphAEEmbedder, encoders\n"
        "from graphae.pipeline import fit as fit2\n"
        "assert fit is fit2\n"
        "assert 'gcn' in encoders\n"
        "ns = {}\n"
        "exec('from graphae import *', ns)\n"
        "assert set(graphae.__all__) <= set(ns), set(graphae.__all__) - set(ns)\n"
        "assert set(graphae.__all__) <= set(dir(graphae))\n"
    )
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr


def test_unknown_attribute_raises_attribute_error() -> None:
    import graphae

    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        graphae.nonexistent  # noqa: B018
