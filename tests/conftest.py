"""Shared fixtures: an offline, writable data root and small graphs.

Datasets come from the read-only copies in ``../shared/datasets`` (or the folder
named by ``$GRAPHAE_SHARED_DATASETS``). They are never loaded in place: the parts
a test needs are copied once per session into a temporary data root, and
``$GRAPHAE_DATA`` points there for the whole session, so no test reads or writes
``./data``. When ``$GRAPHAE_DATA`` already names an existing folder (outside the
shared copies) that folder is used as it is.

Fixtures other test files use (keep the names stable):

* ``data_root`` -- the session data root holding ``Planetoid/`` and ``ogb/``.
* ``shared_data`` -- ``shared_data("Amazon/Photo")`` copies one more part of the
  shared folder into the data root and returns the root.
* ``cora`` -- the loaded Cora :class:`~graphae.data.graph.Graph` (session-scoped:
  treat it as read-only, ``copy.deepcopy`` it before changing it).
* ``tiny_graph`` -- factory for small in-memory graphs.

Tests needing a dataset that is absent are skipped with the reason, except under
``CI=true``, where they fail: CI always has the shared copies beside the clone.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

SHARED_ENV = "GRAPHAE_SHARED_DATASETS"
DATA_ENV = "GRAPHAE_DATA"
DEFAULT_PARTS = ("Planetoid", "ogb")


def shared_datasets_dir() -> Path:
    """The read-only dataset copies: ``$GRAPHAE_SHARED_DATASETS`` or ``../shared/datasets``."""
    env = os.environ.get(SHARED_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "datasets"


def fingerprint(folder: Path) -> dict[str, tuple[int, int]]:
    """``relative path -> (size, mtime_ns)`` of every file and folder under ``folder``."""
    out = {}
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        out[str(path.relative_to(folder))] = (st.st_size if path.is_file() else -1, st.st_mtime_ns)
    return out


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(
            f"{reason} (CI=true: the shared datasets must be beside the clone)", pytrace=False
        )
    pytest.skip(reason)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


@pytest.fixture(scope="session")
def shared_fingerprint() -> dict[str, tuple[int, int]]:
    """Fingerprint of the shared dataset folder taken at session start (empty if absent)."""
    return _SHARED_AT_START


_SHARED_AT_START: dict[str, tuple[int, int]] = {}
_OWN_ROOTS: set[Path] = set()  # temporary roots this session made (safe to copy into)


@pytest.fixture(scope="session", autouse=True)
def _session_data_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point ``$GRAPHAE_DATA`` at a session temp folder (or keep a user's existing one),
    and check at the end that the shared copies were not modified."""
    shared = shared_datasets_dir()
    if shared.is_dir():
        _SHARED_AT_START.update(fingerprint(shared))
    existing = os.environ.get(DATA_ENV)
    if existing and Path(existing).is_dir() and not _inside(Path(existing), shared):
        yield Path(existing).absolute()
    else:
        root = tmp_path_factory.mktemp("graphae-data")
        _OWN_ROOTS.add(root)
        mp = pytest.MonkeyPatch()
        mp.setenv(DATA_ENV, str(root))
        try:
            yield root
        finally:
            mp.undo()
    if shared.is_dir() and fingerprint(shared) != _SHARED_AT_START:
        raise AssertionError(f"tests modified the read-only shared datasets in {shared}")


def _ensure_part(root: Path, part: str) -> None:
    """Copy ``shared/<part>`` into ``root/<part>`` unless it is already there.

    A user's own ``$GRAPHAE_DATA`` is never written to: a part missing there makes
    the test unavailable instead.
    """
    if (root / part).exists():
        return
    if root not in _OWN_ROOTS:
        _unavailable(
            f"{DATA_ENV}={root} has no {part}/ folder; unset {DATA_ENV} to test on "
            f"temporary copies of {shared_datasets_dir()}"
        )
    src = shared_datasets_dir() / part
    if not src.is_dir():
        _unavailable(
            f"dataset folder {part!r} not found under {shared_datasets_dir()} "
            f"(set {SHARED_ENV} to the offline copies)"
        )
    shutil.copytree(src, root / part)


@pytest.fixture(scope="session")
def data_root(_session_data_root: Path) -> Path:
    """The session data root, holding copies of ``Planetoid/`` and ``ogb/``."""
    for part in DEFAULT_PARTS:
        _ensure_part(_session_data_root, part)
    return _session_data_root


@pytest.fixture(scope="session")
def shared_data(_session_data_root: Path) -> Callable[[str], Path]:
    """Factory: ``shared_data("Amazon/Photo")`` copies that part into the data root
    (once per session) and returns the root."""

    def copy(part: str) -> Path:
        _ensure_part(_session_data_root, part)
        return _session_data_root

    return copy


@pytest.fixture(scope="session")
def cora(data_root: Path):  # -> Graph (graphae imported lazily)
    """Cora with the public split, loaded once per session (treat as read-only)."""
    from graphae.data.datasets import load_dataset
    from graphae.errors import DatasetNotFoundError

    try:
        return load_dataset("cora", data_root, download=False)
    except DatasetNotFoundError as e:
        _unavailable(str(e))


@pytest.fixture
def tiny_graph() -> Callable[..., object]:
    """Factory for small graphs.

    ``tiny_graph()`` gives two triangles ``0-1-2`` and ``3-4-5`` joined by ``2-3``:
    6 nodes, 7 undirected edges (14 ``edge_index`` entries), identity features,
    labels ``[0, 0, 0, 1, 1, 1]``. ``tiny_graph(edges, num_nodes=None, x=None,
    y=None, directed=False, name="tiny")`` builds any other graph; undirected
    edges are stored in both directions and ``x`` defaults to the identity.
    """
    import torch
    from torch_geometric.data import Data
    from torch_geometric.utils import to_undirected

    from graphae.data.graph import Graph, NodeIndex

    def make(
        edges: list[tuple[int, int]] | None = None,
        num_nodes: int | None = None,
        *,
        x: torch.Tensor | None = None,
        y: torch.Tensor | list[int] | None = None,
        directed: bool = False,
        name: str = "tiny",
    ) -> Graph:
        if edges is None:
            edges = [(0, 1), (1, 2), (0, 2), (2, 3), (3, 4), (4, 5), (3, 5)]
            y = [0, 0, 0, 1, 1, 1] if y is None else y
        ei = torch.tensor(edges, dtype=torch.long).t().reshape(2, -1)
        n = num_nodes if num_nodes is not None else int(ei.max()) + 1 if ei.numel() else 0
        if not directed:
            ei = to_undirected(ei, num_nodes=n)
        source = "identity" if x is None else "file"
        data = Data(x=torch.eye(n) if x is None else x.float(), edge_index=ei, num_nodes=n)
        if y is not None:
            data.y = torch.as_tensor(y, dtype=torch.long)
        return Graph(data, NodeIndex.range(n), name, directed, feature_source=source)

    return make


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Tiny tensors: one thread avoids oversubscription on a shared machine
    (``pytestmark = pytest.mark.usefixtures("one_thread")`` in a module)."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
