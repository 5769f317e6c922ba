"""``RunResult``: what a run measured, plus the environment that produced it."""

from __future__ import annotations

import json
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphae._version import __version__

if TYPE_CHECKING:
    from graphae.data.graph import Graph
    from graphae.data.split import LinkSplit


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries a result depends on."""
    import numpy
    import scipy
    import sklearn
    import torch
    import torch_geometric

    return {
        "graphae": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_geometric": torch_geometric.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "scikit_learn": sklearn.__version__,
    }


#: What makes a run's source "dirty": the package and its build metadata. Results,
#: logs and benchmark folders of the same checkout change while sweeps run and say
#: nothing about the code that produced a run.
SOURCE_PATHS = ("graphae", "pyproject.toml")


def git_hash(root: Path | None = None) -> str | None:
    """Commit of the graphae source tree, with ``+dirty`` when that source is modified.

    Only :data:`SOURCE_PATHS` count: a modified results file or sweep log in the same
    checkout leaves the hash clean, while an edited or new (untracked) module under
    ``graphae/`` marks it ``+dirty``.

    Args:
        root: The checkout to read; defaults to the one this module was imported from.

    Returns:
        ``"<40-hex commit>"`` or ``"<commit>+dirty"``; ``None`` outside git or without git.
    """
    root = Path(__file__).resolve().parent.parent if root is None else root
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "status",
                "--porcelain",
                "--untracked-files=all",
                "--",
                *SOURCE_PATHS,
            ],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "")


def graph_record(
    graph: Graph, split: LinkSplit, false_negative_rate: float | None = None
) -> dict[str, Any]:
    """``RunResult.graph``: the input graph and its split, the same for every kind of run.

    Args:
        graph: The input graph.
        split: The link split the run used.
        false_negative_rate: The split's rate of validation/test negatives that
            are true edges (:func:`graphae.data.split.false_negative_rate`);
            ``None``: computed here (0.0 for an official split).

    Returns:
        ``{name, num_nodes, num_edges, num_features, feature_source, directed,
        split: {<sizes>, source, false_negative_rate}}``.
    """
    if false_negative_rate is None:
        from graphae.data.split import false_negative_rate as rate

        false_negative_rate = (
            rate(split, graph.data.edge_index) if split.source == "random" else 0.0
        )
    return {
        "name": graph.name,
        "num_nodes": graph.num_nodes,
        "num_edges": graph.num_edges,
        "num_features": graph.num_features,
        "feature_source": graph.feature_source,
        "directed": graph.directed,
        "split": {
            **split.sizes(),
            "source": split.source,
            "false_negative_rate": false_negative_rate,
        },
    }


@dataclass
class RunResult:
    """The record of one run, saved as ``result.json``.

    Attributes:
        config: The run's configuration (``RunConfig.to_dict()``).
        metrics: Flat metrics: ``link/auc``, ``link/ap``, ``link/hits@50``,
            ``link/mrr``, ``probe/node_accuracy``, ``probe/link_auc``,
            ``probe/nmi``, ``recon/loss`` (test values at the best validation
            epoch), ``val/...`` beside them, and ``params/encoder``,
            ``params/decoder``.
        best_epoch: Epoch (1-based) selected on validation; with full-batch
            ``select="loss"`` the epoch whose parameters had the lowest training
            loss (0: the initial parameters).
        epochs_run: Epochs actually trained (early stopping may cut them).
        timings: Seconds: ``total``, ``train``, ``per_epoch``, ``evaluate``.
        memory: Peak memory in bytes (``peak_rss`` on CPU, ``peak_cuda`` on GPU).
        graph: Graph summary (nodes, edges, features, split sizes, false-negative rate).
        device: Device the run used.
        versions: Library versions.
        git: Source commit, or ``None``.
        history: Per-evaluation records ``{epoch, loss, val/auc, ...}``.
        reproducibility: What it takes to repeat the run: ``deterministic``,
            ``seed``, ``split_seed``, ``split_source``, ``torch_num_threads``,
            ``cublas_workspace_config`` and ``resumed_after_epoch``.
        export: What the run folder's embeddings and model saw when they are
            not the measured ones (``export_edges`` ``"all"``/``"refit"``):
            ``{"edges", "mp_edges", "epochs", "seconds"}``; empty otherwise.
    """

    config: dict[str, Any]
    metrics: dict[str, float]
    best_epoch: int
    epochs_run: int
    timings: dict[str, float]
    memory: dict[str, int]
    graph: dict[str, Any]
    device: str
    versions: dict[str, str] = field(default_factory=library_versions)
    git: str | None = field(default_factory=git_hash)
    history: list[dict[str, float]] = field(default_factory=list)
    reproducibility: dict[str, Any] = field(default_factory=dict)
    export: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``config`` is kept in ``config.json`` too)."""
        return asdict(self)

    def to_json(self) -> str:
        """Pretty JSON text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, allow_nan=True)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> RunResult:
        """Inverse of :meth:`to_dict`."""
        return cls(**obj)

    @classmethod
    def load(cls, path: str | Path) -> RunResult:
        """Read ``result.json`` (or a run folder holding one)."""
        p = Path(path)
        if p.is_dir():
            p = p / "result.json"
        return cls.from_dict(json.loads(p.read_text()))
