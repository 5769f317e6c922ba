"""Named datasets under a data root: Planetoid, Amazon, Coauthor, OGB link datasets.

The data root is ``--data-root`` (the ``root`` argument), else ``$GRAPHAE_DATA``,
else ``./data``. Each dataset lives in its own folder below it, laid out the way
PyG and OGB lay out their downloads, so a copy made by either library works::

    <root>/Planetoid/Cora/raw/ind.cora.{x,tx,allx,y,ty,ally,graph,test.index}
    <root>/Amazon/Photo/raw/amazon_electronics_photo.npz
    <root>/Coauthor/CS/raw/ms_academic_cs.npz
    <root>/ogb/ogbl_ddi/{raw/edge.csv.gz, raw/num-node-list.csv.gz, split/target/*.pt}
    <root>/SEAL/USAir.mat

Loading writes a ``processed/`` folder beside ``raw/`` (PyG's own cache for
Planetoid/Amazon/Coauthor, ``processed/graphae_v1.pt`` for OGB). A dataset whose
files are missing is downloaded when ``download=True`` and the network is
reachable; otherwise :class:`~graphae.errors.DatasetNotFoundError` says, on one
line, which folder was searched and how to provide the files. A failed download
or load removes every file and folder it created, so no half-written dataset is
left behind; files that were there before are never touched.

Safety (nothing read from the data root can run code; the readers are in
:mod:`graphae.data.safe_load`):

* OGB datasets are read from the user's data root only, by graphae's own reader:
  the raw ``.csv.gz`` files with pandas, and the split files (``torch.save``'d
  dicts of numpy arrays) with ``torch.load(weights_only=True)`` where only
  numpy's plain-array reconstruction is allowlisted. graphae never sets
  ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` (the switch ``ogb`` 1.3.6's own
  ``PygLinkPropPredDataset`` needs under torch >= 2.6) and does not use OGB's
  processed file; a split file that holds anything but arrays is refused. The
  environment is left exactly as it was. OGB's interactive prompts (``input()``
  when ``RELEASE_v1.txt`` is missing or a download exceeds 1 GB) and its
  PyPI version-check thread are never reached.
* Planetoid's raw files are Python pickles; they are read with an unpickler
  that only admits the handful of types they contain (numpy arrays, scipy CSR
  matrices, ``defaultdict(list)``). PyG's processed files are loaded with
  ``weights_only=True`` and no fallback.

Example::

    from graphae.data.datasets import load_dataset
    g = load_dataset("Cora")            # Graph: g.data, g.nodes, g.split ...
    g = load_dataset("ogbl-ddi", "/data", download=False)
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import os
import pickle
import re
import shutil
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch_geometric.data import Data

from graphae.data.graph import Graph, NodeIndex
from graphae.data.safe_load import restricted_planetoid_pickle, torch_load_arrays
from graphae.data.split import LinkSplit, pair_keys
from graphae.errors import DatasetNotFoundError, GraphaeError, exception_summary
from graphae.registry import Registry

__all__ = [
    "ENV_DATA_ROOT",
    "DatasetInfo",
    "available_datasets",
    "canonical_name",
    "data_root",
    "dataset_info",
    "datasets",
    "load_dataset",
    "ogb_evaluator",
]

log = logging.getLogger(__name__)

#: Environment variable naming the data root.
ENV_DATA_ROOT = "GRAPHAE_DATA"

#: Registry of named datasets: ``datasets.make(name, root, download)`` -> :class:`Graph`.
#: Prefer :func:`load_dataset`, which also resolves aliases and the data root.
datasets: Registry[Graph] = Registry("dataset")

_DOWNLOAD_TIMEOUT_S = 60.0
_OGB_CACHE = "graphae_v1.pt"
_DOWNLOAD_OFF = "downloading is off (download=False)"


# --------------------------------------------------------------------------- roots


def data_root(explicit: str | Path | None = None) -> Path:
    """The data root: ``explicit``, else ``$GRAPHAE_DATA``, else ``./data``.

    Args:
        explicit: A root given on the command line (``--data-root``) or in code.

    Returns:
        The root as an absolute path (it need not exist).
    """
    if explicit is not None and str(explicit) != "":
        root = Path(explicit)
    elif os.environ.get(ENV_DATA_ROOT):
        root = Path(os.environ[ENV_DATA_ROOT])
    else:
        root = Path("data")
    return root.expanduser().absolute()


# ----------------------------------------------------------------------- metadata


@dataclass(frozen=True)
class DatasetInfo:
    """What graphae knows about one named dataset.

    Attributes:
        name: Canonical lower snake case name.
        family: ``"planetoid"``, ``"amazon"``, ``"coauthor"``, ``"ogb"``, ``"seal"``
            or ``"builtin"`` (generated, needs no files).
        subdir: Folder of the dataset relative to the data root (``""`` for builtin).
        required: Files, relative to ``subdir``, that must exist to load offline.
        description: One line for ``graphae datasets``.
        aliases: Other accepted spellings (matched case-insensitively, ignoring
            ``-``, ``_``, spaces and dots).
        params: Loader-specific settings.
    """

    name: str
    family: str
    subdir: str
    required: tuple[str, ...]
    description: str
    aliases: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def folder(self, root: Path) -> Path:
        """The dataset's folder under ``root``."""
        return root / self.subdir if self.subdir else root

    def missing(self, root: Path) -> list[Path]:
        """Required files absent under ``root`` (absolute paths)."""
        folder = self.folder(root)
        return [folder / f for f in self.required if not (folder / f).is_file()]


_INFO: dict[str, DatasetInfo] = {}
_ALIASES: dict[str, str] = {}


def _squash(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", name.strip().lower())


def _register(info: DatasetInfo, loader: Callable[[DatasetInfo, Path, bool], Graph]) -> None:
    _INFO[info.name] = info
    for alias in (info.name, *info.aliases):
        _ALIASES[_squash(alias)] = info.name
    datasets.register(info.name, doc=info.description)(partial(loader, info))


def canonical_name(name: str) -> str:
    """The canonical registry name of ``name`` (``"Cora"`` -> ``"cora"``,
    ``"ogbl-ddi"`` -> ``"ogbl_ddi"``, ``"Amazon Photo"`` -> ``"amazon_photo"``).

    Raises:
        GraphaeError: For an unknown name, listing the valid names.
    """
    key = _ALIASES.get(_squash(name))
    if key is None:
        datasets.get(name)  # raises, listing the valid names
        raise AssertionError  # pragma: no cover - get() found a name we did not alias
    return key


def dataset_info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` of ``name`` (any accepted spelling)."""
    return _INFO[canonical_name(name)]


# ---------------------------------------------------------------- public loaders


def load_dataset(name: str, root: str | Path | None = None, *, download: bool = True) -> Graph:
    """Load a named dataset as a :class:`~graphae.data.graph.Graph`.

    Node-classification datasets (Planetoid, Amazon, Coauthor) give ``data.x``
    ``(N, F)`` float features, ``data.edge_index`` ``(2, E)`` with both directions
    of every edge, ``data.y`` ``(N,)`` labels and, for Planetoid, the public
    ``train_mask``/``val_mask``/``test_mask``; ``split`` is ``None``.

    OGB link datasets keep OGB's node numbering (``nodes`` is ``0..N-1``),
    ``data.edge_index`` is the official *training* graph (both directions,
    duplicates merged, collab's weights summed into ``data.edge_weight``;
    directed for ogbl-citation2), and ``split`` is the official
    :class:`~graphae.data.split.LinkSplit` (``source="official"``): ``train_pos``
    holds the training edges (unique ``u < v`` pairs when undirected),
    ``mp_edge_index`` equals ``data.edge_index``, and validation/test pairs are
    OGB's. ogbl-citation2's per-positive negatives are kept as
    ``val_neg_per_pos``/``test_neg_per_pos`` ``(P, 1000)`` and also flattened into
    ``val_neg``/``test_neg`` ``(2, P * 1000)`` (about 1.4 GB each).
    ``meta["ogb_name"]`` (e.g. ``"ogbl-ddi"``) and ``meta["eval_metric"]``
    name the ``ogb.linkproppred.Evaluator`` to use. ogbl-ddi and the SEAL graphs
    have no node features: ``data.x`` is ``None`` and ``feature_source`` is
    ``"none"``; the caller (model layer) decides what to feed the encoder,
    e.g. learnable node embeddings or an identity/degree fallback.

    Args:
        name: Dataset name, any accepted spelling (``"Cora"``, ``"ogbl-ddi"``...);
            see ``datasets.names()``.
        root: Data root; default ``$GRAPHAE_DATA`` or ``./data``.
        download: Download missing files (PyG / OGB sources). With ``False``
            a missing dataset raises at once and nothing is written.

    Returns:
        The graph, ``name`` set to the canonical name.

    Raises:
        GraphaeError: Unknown name (listing valid names), or files that exist but
            cannot be read (corrupted, or holding forbidden pickled objects).
        DatasetNotFoundError: Files missing and not downloadable.
    """
    key = canonical_name(name)
    info = _INFO[key]
    base = data_root(root)
    log.info("loading dataset %s from %s", key, info.folder(base))
    try:
        return datasets.get(key)(base, download)
    except GraphaeError:
        raise
    except (
        OSError,
        ValueError,
        RuntimeError,
        EOFError,
        KeyError,
        IndexError,
        pickle.UnpicklingError,
        zipfile.BadZipFile,
    ) as e:
        raise GraphaeError(
            f"could not load dataset {key!r} from {info.folder(base)}: {exception_summary(e)}; "
            "the files may be incomplete or corrupted: replace them with a fresh copy"
        ) from e


def available_datasets(root: str | Path | None = None) -> list[dict[str, Any]]:
    """Every registered dataset and whether its files are under the data root.

    Args:
        root: Data root; default ``$GRAPHAE_DATA`` or ``./data``.

    Returns:
        One dict per dataset, sorted by name, with ``name``, ``family``,
        ``present`` (all required files found; always ``True`` for builtin
        graphs), ``path`` (the dataset folder, ``""`` for builtin) and
        ``description``.
    """
    base = data_root(root)
    rows = []
    for name in datasets.names():
        info = _INFO[name]
        rows.append(
            {
                "name": name,
                "family": info.family,
                "present": not info.missing(base),
                "path": str(info.folder(base)) if info.subdir else "",
                "description": info.description,
            }
        )
    return rows


def ogb_evaluator(ogb_name: str) -> Any:
    """``ogb.linkproppred.Evaluator(ogb_name)``, imported without OGB's version check.

    Importing ``ogb`` normally starts a thread that asks PyPI for the newest
    release; offline it can hold the process open until a network timeout. This
    import skips that check (only while ``ogb`` is first imported).

    Args:
        ogb_name: e.g. ``graph.meta["ogb_name"]`` (``"ogbl-ddi"``).
    """
    with _without_ogb_version_check():
        from ogb.linkproppred import Evaluator
    return Evaluator(ogb_name)


@contextlib.contextmanager
def _without_ogb_version_check() -> Iterator[None]:
    """While ``ogb`` is first imported, make ``outdated`` unimportable so that
    ``ogb/version.py`` starts no PyPI check thread; restored afterwards."""
    if "ogb" in sys.modules:
        yield
        return
    sentinel = object()
    saved = sys.modules.get("outdated", sentinel)
    sys.modules["outdated"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if saved is sentinel:
            sys.modules.pop("outdated", None)
        else:
            sys.modules["outdated"] = saved  # type: ignore[assignment]


# ------------------------------------------------------------------ error helpers


class _DownloadError(Exception):
    """A download was refused (``download=False``) or failed; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _not_found(info: DatasetInfo, root: Path, reason: str, target: Path) -> DatasetNotFoundError:
    folder = info.folder(root)
    missing = info.missing(root)
    what = ", ".join(str(p.relative_to(folder)) for p in missing[:2])
    if len(missing) > 2:
        what += f" and {len(missing) - 2} more"
    return DatasetNotFoundError(
        f"dataset {info.name!r} not found: looked in {folder} (missing {what}); {reason}; "
        f"copy the files into {target} (layout in data/README.md) or run with internet "
        f"access, or point --data-root / {ENV_DATA_ROOT} at a data root that has them"
    )


# ------------------------------------------------------------ rollback on failure


def _listing(folder: Path) -> set[str]:
    out: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(folder):
        out.update(os.path.join(dirpath, n) for n in dirnames + filenames)
    return out


@contextlib.contextmanager
def _rollback_on_failure(folder: Path) -> Iterator[None]:
    """On any exception, delete what was created under ``folder`` (and the folder
    and its parents if they were created); pre-existing files are kept."""
    created_top: Path | None = None
    probe = folder
    while not probe.exists():
        created_top = probe
        if probe.parent == probe:
            break
        probe = probe.parent
    before = _listing(folder) if created_top is None else set()
    try:
        yield
    except BaseException:
        if created_top is not None:
            if created_top.exists():
                log.info("removing %s left by the failed load", created_top)
                shutil.rmtree(created_top, ignore_errors=True)
        elif folder.exists():
            for path in sorted(_listing(folder) - before, key=len):
                p = Path(path)
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p, ignore_errors=True)
                elif p.exists() or p.is_symlink():
                    p.unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------ PyG families


class _LogWriter(io.TextIOBase):
    """A text stream that sends each printed line to the module logger."""

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                log.info("%s", line.strip())
        return len(text)


@contextlib.contextmanager
def _prints_to_log() -> Iterator[None]:
    with contextlib.redirect_stdout(_LogWriter()), contextlib.redirect_stderr(_LogWriter()):
        yield


def _guarded_pyg_class(cls: type, allow_download: bool) -> type:
    """Subclass of a PyG dataset class that logs instead of printing, turns download
    problems into :class:`_DownloadError`, reads raw pickles restrictively and loads
    its processed file with ``weights_only=True`` and no fallback."""

    def download(self: Any) -> None:
        if not allow_download:
            raise _DownloadError(_DOWNLOAD_OFF)
        log.info("downloading %s into %s", type(self).__name__, self.raw_dir)
        try:
            with _prints_to_log():  # some PyG downloads print regardless of ``log``
                cls.download(self)
        except Exception as e:
            raise _DownloadError(f"the download failed ({exception_summary(e, 160)})") from e

    def process(self: Any) -> None:
        log.info("processing %s into %s", type(self).__name__, self.processed_dir)
        with restricted_planetoid_pickle():
            cls.process(self)

    def load(self: Any, path: str, data_cls: type = Data) -> None:
        out = torch_load_arrays(Path(path))
        if not isinstance(out, tuple) or len(out) not in (2, 3):
            raise GraphaeError(f"unexpected content in {path}: delete its processed/ folder")
        data, self.slices = out[0], out[1]
        data_cls = out[2] if len(out) == 3 else data_cls
        self.data = data_cls.from_dict(data) if isinstance(data, dict) else data

    attrs = {
        "download": download,
        "process": process,
        "load": load,
        # PyG prints progress unless ``log`` is False; graphae logs instead.
        "log": property(lambda self: False, lambda self, value: None),
        "__module__": __name__,
    }
    return type(cls.__name__, (cls,), attrs)


def _load_pyg(info: DatasetInfo, root: Path, download: bool) -> Graph:
    import torch_geometric.datasets as pyg_datasets

    cls = getattr(pyg_datasets, info.params["cls"])
    folder = info.folder(root)
    raw = folder / "raw"
    if info.missing(root) and not download:
        raise _not_found(info, root, _DOWNLOAD_OFF, raw)
    for name in ("pre_transform.pt", "pre_filter.pt"):  # PyG loads these unsafely
        if (folder / "processed" / name).is_file():
            torch_load_arrays(folder / "processed" / name)
    with _rollback_on_failure(folder):
        try:
            ds = _guarded_pyg_class(cls, download)(str(folder.parent), info.params["pyg_name"])
        except _DownloadError as e:
            raise _not_found(info, root, e.reason, raw) from e
    data = ds[0]
    out = Data(
        x=data.x.float(),
        edge_index=data.edge_index.long(),
        y=data.y.long().view(-1),
        num_nodes=int(data.num_nodes),
    )
    for key in ("train_mask", "val_mask", "test_mask"):
        if key in data:
            out[key] = data[key].bool()
    return Graph(
        data=out,
        nodes=NodeIndex.range(int(data.num_nodes)),
        name=info.name,
        directed=False,
        feature_source="dataset",
        # Planetoid, Amazon and Coauthor features are bag-of-words counts/indicators:
        # feature_norm="auto" row-normalises them (graphae.data.features)
        meta={"family": info.family, "path": str(folder), "features": "bag_of_words"},
    )


_PLANETOID_FILES = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")

for _name, _pyg, _desc in (
    ("cora", "Cora", "Cora citation graph (Planetoid, public split): 2,708 nodes, 7 classes"),
    ("citeseer", "CiteSeer", "CiteSeer citation graph (Planetoid, public split): 3,327 nodes"),
    ("pubmed", "PubMed", "PubMed citation graph (Planetoid, public split): 19,717 nodes"),
):
    _register(
        DatasetInfo(
            name=_name,
            family="planetoid",
            subdir=f"Planetoid/{_pyg}",
            required=tuple(f"raw/ind.{_name}.{f}" for f in _PLANETOID_FILES),
            description=_desc,
            params={"cls": "Planetoid", "pyg_name": _pyg},
        ),
        _load_pyg,
    )

for _name, _cls, _pyg, _file, _aliases, _desc in (
    ("amazon_computers", "Amazon", "Computers", "amazon_electronics_computers", ("computers",),
     "Amazon Computers co-purchase graph: 13,752 nodes, 767 features, 10 classes"),
    ("amazon_photo", "Amazon", "Photo", "amazon_electronics_photo", ("photo",),
     "Amazon Photo co-purchase graph: 7,650 nodes, 745 features, 8 classes"),
    ("coauthor_cs", "Coauthor", "CS", "ms_academic_cs", ("cs",),
     "Coauthor CS graph: 18,333 nodes, 6,805 features, 15 classes"),
    ("coauthor_physics", "Coauthor", "Physics", "ms_academic_phy", ("physics",),
     "Coauthor Physics graph: 34,493 nodes, 8,415 features, 5 classes"),
):  # fmt: skip
    _register(
        DatasetInfo(
            name=_name,
            family=_cls.lower(),
            subdir=f"{_cls}/{_pyg}",
            required=(f"raw/{_file}.npz",),
            description=_desc,
            aliases=_aliases,
            params={"cls": _cls, "pyg_name": _pyg},
        ),
        _load_pyg,
    )


# --------------------------------------------------------------------------- OGB


@dataclass(frozen=True)
class _OgbMeta:
    """The slice of ``ogb/linkproppred/master.csv`` (ogb 1.3.6) graphae needs."""

    ogb_name: str
    download_name: str
    split: str
    eval_metric: str
    directed: bool
    node_feat: bool
    node_files: tuple[str, ...] = ()
    edge_files: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"http://snap.stanford.edu/ogb/data/linkproppred/{self.download_name}.zip"

    def required(self) -> tuple[str, ...]:
        raw = ["edge", "num-node-list"]
        raw += ["node-feat"] if self.node_feat else []
        raw += [*self.node_files, *self.edge_files]
        split = [f"split/{self.split}/{p}.pt" for p in ("train", "valid", "test")]
        return (*(f"raw/{f}.csv.gz" for f in raw), *split)


_OGB = (
    _OgbMeta("ogbl-ddi", "ddi", "target", "hits@20", directed=False, node_feat=False),
    _OgbMeta("ogbl-collab", "collab", "time", "hits@50", directed=False, node_feat=True,
             edge_files=("edge_weight", "edge_year")),
    _OgbMeta("ogbl-citation2", "citation-v2", "time", "mrr", directed=True, node_feat=True,
             node_files=("node_year",)),
    _OgbMeta("ogbl-ppa", "ppassoc", "throughput", "hits@100", directed=False, node_feat=True),
)  # fmt: skip

_OGB_DESC = {
    "ogbl-ddi": "OGB drug-drug interactions: 4,267 nodes, no features, official split, Hits@20",
    "ogbl-collab": "OGB author collaborations: 235,868 nodes, weighted, official split, Hits@50",
    "ogbl-citation2": "OGB citations (directed): 2,927,963 nodes, official split, MRR",
    "ogbl-ppa": "OGB protein associations: 576,289 nodes, official split, Hits@100",
}


def _fetch(url: str, dest: Path) -> None:
    """Download ``url`` to ``dest`` through a temporary sibling file."""
    tmp = dest.with_name(dest.name + ".part")
    try:
        with _urlopen(url) as resp, open(tmp, "wb") as f:
            shutil.copyfileobj(resp, f, 1 << 20)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _urlopen(url: str) -> Any:
    return urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT_S)


def _download_ogb(meta: _OgbMeta, folder: Path) -> None:
    """Fetch OGB's zip, extract it beside ``folder`` and move in the files that are
    not there yet (existing files are never replaced or deleted)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    log.info("downloading %s from %s (this can take a while)", meta.ogb_name, meta.url)
    with tempfile.TemporaryDirectory(prefix=".graphae-download-", dir=folder.parent) as tmp:
        archive = Path(tmp) / f"{meta.download_name}.zip"
        try:
            _fetch(meta.url, archive)
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)
        except Exception as e:
            raise _DownloadError(f"the download failed ({exception_summary(e, 160)})") from e
        src = Path(tmp) / meta.download_name
        if not src.is_dir():
            raise _DownloadError(f"the downloaded archive has no {meta.download_name}/ folder")
        for path in sorted(src.rglob("*")):
            dest = folder / path.relative_to(src)
            if path.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
            elif not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(path), dest)


def _read_csv(path: Path, dtype: type) -> np.ndarray:
    import pandas as pd

    frame = pd.read_csv(path, compression="gzip", header=None, dtype=dtype)
    return frame.to_numpy(copy=True)  # writable, so torch.from_numpy may share it


def _ogb_tensors(folder: Path, meta: _OgbMeta) -> dict[str, Any]:
    """The training graph from OGB's raw CSVs, cached in ``processed/``."""
    from torch_geometric.utils import coalesce, to_undirected

    raw = folder / "raw"
    cache = folder / "processed" / _OGB_CACHE
    raw_mtime = max((raw / f).stat().st_mtime for f in os.listdir(raw))
    if cache.is_file() and cache.stat().st_mtime >= raw_mtime:
        try:
            out = torch_load_arrays(cache)
        except (RuntimeError, EOFError, OSError) as e:  # e.g. truncated: rebuild it
            log.warning("ignoring unreadable cache %s (%s)", cache, exception_summary(e))
            out = None
        if isinstance(out, dict) and out.get("ogb_name") == meta.ogb_name:
            return out
    log.info("reading %s raw files from %s", meta.ogb_name, raw)
    edge = torch.from_numpy(_read_csv(raw / "edge.csv.gz", np.int64)).t().contiguous()
    num_nodes = int(_read_csv(raw / "num-node-list.csv.gz", np.int64)[0, 0])
    weight = None
    if "edge_weight" in meta.edge_files:
        weight = torch.from_numpy(_read_csv(raw / "edge_weight.csv.gz", np.float32)).view(-1)
    if meta.directed:
        edge_index, weight = coalesce(edge, weight, num_nodes=num_nodes, reduce="sum")
    else:
        edge_index, weight = to_undirected(edge, weight, num_nodes=num_nodes, reduce="sum")
    out: dict[str, Any] = {"ogb_name": meta.ogb_name, "num_nodes": num_nodes}
    out["edge_index"] = edge_index
    if weight is not None:
        out["edge_weight"] = weight
    if meta.node_feat:
        out["x"] = torch.from_numpy(_read_csv(raw / "node-feat.csv.gz", np.float32))
    for name in meta.node_files:
        out[name] = torch.from_numpy(_read_csv(raw / f"{name}.csv.gz", np.int64)).view(-1)
    try:
        cache.parent.mkdir(exist_ok=True)
        part = cache.with_name(cache.name + ".part")
        torch.save(out, part)
        os.replace(part, cache)
    except OSError as e:  # a read-only data root still loads, just not cached
        log.warning("could not cache %s in %s (%s)", meta.ogb_name, cache, exception_summary(e))
    return out


def _as_tensors(obj: Any, path: Path) -> dict[str, torch.Tensor]:
    if not isinstance(obj, dict):
        raise GraphaeError(f"{path}: expected a dict of arrays, got {type(obj).__name__}")
    out = {}
    for key, value in obj.items():
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                raise GraphaeError(f"{path}: refusing object array {key!r}")
            value = torch.from_numpy(value)
        if not isinstance(value, torch.Tensor):
            raise GraphaeError(f"{path}: {key!r} is a {type(value).__name__}, not an array")
        out[str(key)] = value
    return out


def _ogb_split(
    folder: Path, meta: _OgbMeta, num_nodes: int, mp_ei: torch.Tensor, mp_ew: torch.Tensor | None
) -> LinkSplit:
    """The official split from ``split/<type>/{train,valid,test}.pt``."""
    parts = {}
    for part in ("train", "valid", "test"):
        path = folder / "split" / meta.split / f"{part}.pt"
        parts[part] = _as_tensors(torch_load_arrays(path), path)

    def pairs(d: dict[str, torch.Tensor], key: str = "edge") -> torch.Tensor:
        if "source_node" in d:
            return torch.stack([d["source_node"].long(), d["target_node"].long()])
        return d[key].long().t().contiguous()

    train = pairs(parts["train"])
    if meta.directed:
        train_pos = train
    else:
        keys = torch.unique(pair_keys(train, num_nodes, directed=False))
        train_pos = torch.stack([keys // num_nodes, keys % num_nodes])
    fields: dict[str, Any] = {}
    for part, prefix in (("valid", "val"), ("test", "test")):
        d = parts[part]
        fields[f"{prefix}_pos"] = pos = pairs(d)
        if "target_node_neg" in d:  # one list of negative destinations per positive
            per_pos = d["target_node_neg"].long().view(pos.size(1), -1)
            fields[f"{prefix}_neg_per_pos"] = per_pos
            src = pos[0].repeat_interleave(per_pos.size(1))
            fields[f"{prefix}_neg"] = torch.stack([src, per_pos.reshape(-1)])
        else:
            fields[f"{prefix}_neg"] = pairs(d, "edge_neg")
    for name, t in [("train", train_pos), *fields.items()]:
        if t.numel() and (int(t.min()) < 0 or int(t.max()) >= num_nodes):
            raise GraphaeError(f"{folder}: {name} holds node ids outside 0..{num_nodes - 1}")
    return LinkSplit(
        num_nodes=num_nodes,
        directed=meta.directed,
        mp_edge_index=mp_ei,
        mp_edge_weight=mp_ew,
        train_pos=train_pos,
        source="official",
        **fields,
    )


def _ogb_folder(root: Path, info: DatasetInfo) -> Path:
    folder = info.folder(root)
    legacy = folder.with_name(folder.name + "_pyg")  # OGB's older PyG folder name
    if not folder.exists() and legacy.is_dir():
        return legacy
    return folder


def _load_ogb(info: DatasetInfo, root: Path, download: bool) -> Graph:
    meta: _OgbMeta = info.params["meta"]
    folder = _ogb_folder(root, info)
    if folder != info.folder(root):
        info = dataclasses.replace(info, subdir=str(folder.relative_to(root)))
    with _rollback_on_failure(folder):
        if info.missing(root):
            if not download:
                raise _not_found(info, root, _DOWNLOAD_OFF, folder)
            try:
                _download_ogb(meta, folder)
            except _DownloadError as e:
                raise _not_found(info, root, e.reason, folder) from e
            if info.missing(root):
                raise _not_found(info, root, "the downloaded archive lacks them", folder)
        t = _ogb_tensors(folder, meta)
        n = int(t["num_nodes"])
        split = _ogb_split(folder, meta, n, t["edge_index"], t.get("edge_weight"))
    data = Data(x=t.get("x"), edge_index=t["edge_index"], num_nodes=n)
    if "edge_weight" in t:
        data.edge_weight = t["edge_weight"]
    for name in meta.node_files:
        data[name] = t[name]
    return Graph(
        data=data,
        nodes=NodeIndex.range(n),
        name=info.name,
        directed=meta.directed,
        split=split,
        feature_source="dataset" if data.x is not None else "none",
        meta={
            "family": "ogb",
            "path": str(folder),
            "ogb_name": meta.ogb_name,
            "eval_metric": meta.eval_metric,
        },
    )


for _meta in _OGB:
    _short = _meta.ogb_name.split("-", 1)[1]
    _register(
        DatasetInfo(
            name=f"ogbl_{_short}",
            family="ogb",
            subdir=f"ogb/ogbl_{_short}",
            required=_meta.required(),
            description=_OGB_DESC[_meta.ogb_name],
            aliases=(_short,),
            params={"meta": _meta},
        ),
        _load_ogb,
    )


# -------------------------------------------------------------------------- SEAL

_SEAL_URL = (
    "https://raw.githubusercontent.com/muhanzhang/SEAL/"
    "ca1f019a15fb0c21796042165b4e6bee73981dd3/Python/data/{}.mat"
)


def _load_seal(info: DatasetInfo, root: Path, download: bool) -> Graph:
    import scipy.io
    import scipy.sparse as sp
    from torch_geometric.utils import remove_self_loops, to_undirected

    folder = info.folder(root)
    path = folder / info.required[0]
    with _rollback_on_failure(folder):
        if not path.is_file():
            if not download:
                raise _not_found(info, root, _DOWNLOAD_OFF, folder)
            url = _SEAL_URL.format(path.stem)
            log.info("downloading %s from %s", info.name, url)
            folder.mkdir(parents=True, exist_ok=True)
            try:
                _fetch(url, path)
            except Exception as e:
                raise _not_found(
                    info, root, f"the download failed ({exception_summary(e, 160)})", folder
                ) from e
        adj = sp.coo_matrix(scipy.io.loadmat(path)["net"])
    n = int(adj.shape[0])
    ei = torch.from_numpy(np.vstack([adj.row, adj.col]).astype(np.int64))
    ei, _ = remove_self_loops(ei)
    ei = to_undirected(ei, num_nodes=n)
    return Graph(
        data=Data(x=None, edge_index=ei, num_nodes=n),
        nodes=NodeIndex.range(n),
        name=info.name,
        directed=False,
        feature_source="none",
        meta={"family": "seal", "path": str(path)},
    )


for _file, _desc in (
    ("USAir", "US airline routes: 332 nodes, 2,126 edges"),
    ("NS", "network-science co-authorship: 1,589 nodes, 2,742 edges"),
    ("PB", "political blogs: 1,222 nodes, 16,714 edges"),
    ("Yeast", "yeast protein interactions: 2,375 nodes, 11,693 edges"),
    ("Celegans", "C. elegans neural network: 297 nodes, 2,148 edges"),
    ("Power", "US power grid: 4,941 nodes, 6,594 edges"),
    ("Router", "internet router network: 5,022 nodes, 6,258 edges"),
    ("Ecoli", "E. coli metabolic network: 1,805 nodes, 14,660 edges"),
):
    _register(
        DatasetInfo(
            name=f"seal_{_file.lower()}",
            family="seal",
            subdir="SEAL",
            required=(f"{_file}.mat",),
            description=f"SEAL benchmark, {_desc}, no features",
            aliases=(_file,),
        ),
        _load_seal,
    )


# ----------------------------------------------------------------------- builtin


def _load_karate(info: DatasetInfo, root: Path, download: bool) -> Graph:
    import networkx as nx
    from torch_geometric.utils import to_undirected

    g = nx.karate_club_graph()
    n = g.number_of_nodes()
    ei = to_undirected(torch.tensor(list(g.edges()), dtype=torch.long).t(), num_nodes=n)
    y = torch.tensor([0 if g.nodes[i]["club"] == "Mr. Hi" else 1 for i in range(n)])
    return Graph(
        data=Data(x=torch.eye(n), edge_index=ei, y=y, num_nodes=n),
        nodes=NodeIndex.range(n),
        name=info.name,
        directed=False,
        feature_source="identity",
        meta={"family": "builtin"},
    )


_register(
    DatasetInfo(
        name="karate_club",
        family="builtin",
        subdir="",
        required=(),
        description="Zachary's karate club (networkx): 34 nodes, 78 edges, 2 clubs, needs no files",
        aliases=("karate", "KarateClub"),
    ),
    _load_karate,
)
