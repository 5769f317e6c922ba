"""scikit-learn interface: train embeddings in a pipeline, look vectors up by node id.

:class:`GraphAEEmbedder` is a scikit-learn transformer around :func:`graphae.fit`:
its keyword parameters mirror :class:`~graphae.config.RunConfig`, ``fit(graph)``
trains one graph autoencoder and keeps the frozen embeddings of the epoch
selected on validation, and ``transform`` returns node vectors.

:class:`NodeEmbeddingLookup` turns node ids into their vectors (and node pairs
into pair features) so that embeddings feed any scikit-learn model::

    emb = graphae.load_embeddings("runs/cora")
    clf = make_pipeline(NodeEmbeddingLookup(emb), StandardScaler(), LogisticRegression())
    clf.fit(train_ids, y_train).score(test_ids, y_test)

What ``X`` means for :class:`GraphAEEmbedder`:

* **A graph** — a ``networkx`` graph, a square scipy sparse adjacency matrix, a
  PyG ``Data``, a pandas edge-list ``DataFrame`` (``source``/``target``/
  ``weight`` columns), a path to any file :func:`graphae.load_graph` reads, or
  a loaded :class:`~graphae.data.graph.Graph` (e.g. ``graphae.load_dataset("Cora")``).
  Embeddings are keyed by the graph's node ids.
* **A numeric array** ``(n_samples, n_features)`` (dense; lists and other
  array-likes too) — each row is a node with those features, and the graph is
  the symmetrised k-nearest-neighbour graph of the rows (Euclidean,
  ``n_neighbors``), as in scikit-learn's ``SpectralEmbedding``. Node ids are the
  row numbers. This is what makes the estimator usable on tabular data and what
  scikit-learn's estimator checks exercise.

The two readings never overlap: dense arrays are always features and sparse
matrices always adjacency; an edge list goes in as a ``DataFrame`` or a file.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from graphae.config import RunConfig
from graphae.data.features import input_features, normalize_features, resolve_feature_norm
from graphae.data.graph import Graph, NodeId
from graphae.embeddings import Embeddings, load_embeddings
from graphae.errors import GraphaeError

if TYPE_CHECKING:
    from graphae.models import GraphAutoEncoder
    from graphae.pipeline import TrainedRun
    from graphae.results import RunResult

__all__ = ["GraphAEEmbedder", "NodeEmbeddingLookup"]

logger = logging.getLogger(__name__)

#: RunConfig fields that name the input; the estimator takes the input in ``fit``.
_INPUT_FIELDS = frozenset({"dataset", "graph", "features", "feature_ids", "labels", "data_root"})

#: Estimator parameters that are not RunConfig fields.
_OWN_PARAMS = frozenset({"n_neighbors", "config_options"})

_PAIR_OPS = ("hadamard", "concat", "abs_diff")


def _run_config_defaults() -> dict[str, Any]:
    """Every ``RunConfig`` field's default; ``None`` for a mapping field (``{}`` in RunConfig).

    scikit-learn wants immutable defaults in ``__init__``'s signature, so a field
    with ``default_factory=dict`` is ``None`` here (:meth:`GraphAEEmbedder.make_config`
    turns ``None`` back into ``{}``).
    """
    out: dict[str, Any] = {}
    for f in dataclasses.fields(RunConfig):
        out[f.name] = None if f.default is dataclasses.MISSING else f.default
    return out


#: The one source of :class:`GraphAEEmbedder`'s defaults: ``RunConfig``'s fields.
_DEFAULTS = _run_config_defaults()

# --------------------------------------------------------------------------- inputs


def _is_graph_input(X: Any) -> bool:
    """Whether ``X`` is a graph (as opposed to a feature matrix or a list of ids)."""
    import networkx as nx
    import scipy.sparse as sp
    from torch_geometric.data import Data

    if isinstance(X, (Graph, nx.Graph, Data, str, os.PathLike)) or sp.issparse(X):
        return True
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        return False
    return isinstance(X, pd.DataFrame)


def _load_graph_input(X: Any, *, features: Any = None, directed: bool = False) -> Graph:
    """A :class:`Graph` from any graph input :func:`_is_graph_input` accepts."""
    import scipy.sparse as sp

    from graphae.data.io import load_graph

    if isinstance(X, Graph):
        if features is not None:
            raise GraphaeError("features= cannot be combined with an already loaded Graph")
        return X
    if sp.issparse(X) and (X.ndim != 2 or X.shape[0] != X.shape[1]):
        raise GraphaeError(
            f"a sparse X is read as an adjacency matrix and must be square, got shape "
            f"{X.shape}; sparse feature matrices are not supported (pass dense features, "
            "or the graph as a networkx graph, edge DataFrame or file)"
        )
    return load_graph(X, features=features, directed=directed)


def _knn_edges(X: np.ndarray, k: int) -> np.ndarray:
    """``(2, n*k)`` edges from each row to its ``k`` nearest other rows (Euclidean)."""
    from sklearn.neighbors import NearestNeighbors

    nbrs = NearestNeighbors(n_neighbors=k).fit(X).kneighbors(return_distance=False)
    src = np.repeat(np.arange(X.shape[0]), k)
    return np.stack([src, nbrs.reshape(-1)])


def _row_keys(X: np.ndarray) -> list[bytes]:
    """A hashable key per row: the float64 bytes (``-0.0`` counted as ``0.0``)."""
    rows = np.ascontiguousarray(np.asarray(X, dtype=np.float64) + 0.0)
    return [r.tobytes() for r in rows]


def _clear_caches(model: torch.nn.Module) -> None:
    """Forget cached propagation matrices and feature copies (they pin the last graph)."""
    from graphae.nn.tensor_cache import TensorCache

    for module in model.modules():
        for value in vars(module).values():
            if isinstance(value, TensorCache):
                value.clear()


def _plain_id(value: Any) -> Any:
    """A numpy scalar as a Python value; an integral float as an int."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _id_columns(X: Any, what: str = "X") -> np.ndarray:
    """Node ids as an ``(n, 1)`` or ``(n, 2)`` array (object or numeric dtype).

    Accepts a list, tuple, numpy array, pandas Series/Index/DataFrame or torch
    tensor of ids, ``(n,)`` / ``(n, 1)`` for nodes and ``(n, 2)`` for pairs.
    """
    if hasattr(X, "detach"):
        X = X.detach().cpu().numpy()
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    arr = np.asarray(X) if not isinstance(X, (list, tuple)) else np.asarray(X, dtype=object)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[1] not in (1, 2):
        raise GraphaeError(
            f"{what} must be node ids, shape (n,) or (n, 1), or node pairs, shape (n, 2); "
            f"got shape {arr.shape}"
        )
    return arr


def _lookup_rows(emb: Embeddings, ids: Iterable[Any], handle_unknown: str) -> np.ndarray:
    """Rows of ``ids`` in ``emb``; ``-1`` for unknown ids when ``handle_unknown="zero"``."""
    index = emb.index
    rows = []
    for raw in ids:
        node = _plain_id(raw)
        if node in index:
            rows.append(index.row(node))
        elif handle_unknown == "zero":
            rows.append(-1)
        else:
            raise GraphaeError(
                f"unknown node id {node!r}: not among the {len(emb)} embedded nodes "
                "(use handle_unknown='zero' to map unknown ids to zero vectors)"
            )
    return np.asarray(rows, dtype=np.int64)


def _resolve_embeddings(source: Any) -> Embeddings:
    """An :class:`Embeddings` from itself, a file, a run folder or a fitted :class:`GraphAEEmbedder`."""
    if isinstance(source, Embeddings):
        return source
    if isinstance(source, (str, os.PathLike)):
        return load_embeddings(source)
    if isinstance(getattr(source, "embeddings_", None), Embeddings):
        return source.embeddings_
    raise GraphaeError(
        f"embeddings must be an Embeddings, a file or run folder path, or a fitted "
        f"GraphAEEmbedder; got {type(source).__name__}"
    )


# --------------------------------------------------------------------------- estimator


class GraphAEEmbedder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Graph-autoencoder node embeddings as a scikit-learn transformer.

    Every parameter is stored unchanged by ``__init__`` and validated in
    :meth:`fit`, which builds a :class:`~graphae.config.RunConfig` from them and
    calls :func:`graphae.fit`. Defaults are those of ``RunConfig`` (Kipf &
    Welling's GAE: 2-layer GCN 32 → 16, inner-product decoder, Adam lr 0.01, up
    to 400 epochs with early stopping on validation AUC, an 85/5/10 link split).

    Args:
        encoder: Encoder name (``graphae ls encoders``).
        decoder: Structure decoder name (``graphae ls decoders``).
        hidden_channels: Hidden width.
        out_channels: Embedding width ``d``.
        num_layers: Encoder layers.
        dropout: Encoder dropout.
        encoder_options: Extra encoder keyword arguments (``None``: none).
        decoder_options: Extra decoder keyword arguments (``None``: none).
        feature_decoder: Feature decoder beside the structure decoder, or ``None``.
        variational: VGAE (μ / log σ heads and a KL term).
        lr: Adam learning rate.
        weight_decay: Adam weight decay.
        epochs: Maximum training epochs.
        patience: Early-stopping patience in evaluations (0: off).
        val_ratio: Validation fraction of the edges.
        test_ratio: Test fraction of the edges.
        seed: Seed of the split, the initialisation and the negatives.
        device: ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``, ``"cuda:N"``.
            The fitted model is moved to the CPU afterwards.
        directed: Treat a graph input as directed.
        n_neighbors: ``k`` of the k-nearest-neighbour graph built when ``X`` is a
            feature matrix (capped at a third of the other rows, so the graph
            keeps non-edges to sample negatives from). Unused for graph inputs.
        config_options: Any other :class:`~graphae.config.RunConfig` field, e.g.
            ``{"batch_size": 4096, "deterministic": True, "select": "probe"}``.

    Attributes:
        embedding_: ``(n_nodes, d)`` float32 array (read-only), the frozen
            embeddings of the epoch selected on validation, in node order.
        embeddings_: The same as :class:`~graphae.embeddings.Embeddings`, keyed
            by node id (save it with ``.save(path)``).
        node_ids_: Node ids of the rows of ``embedding_`` (row numbers for a
            feature matrix).
        history_: Per-epoch records ``{"epoch", "loss", "val/auc", ...}``.
        result_: The :class:`~graphae.results.RunResult` (metrics, timings...).
        model_: The trained :class:`~graphae.models.GraphAutoEncoder` (CPU, eval mode).
        run_: The whole :class:`~graphae.pipeline.TrainedRun` (graph, split, config).
        n_features_in_: Number of feature columns (only when fitted on a matrix).

    Example:
        >>> import networkx as nx
        >>> est = GraphAEEmbedder(epochs=50).fit(nx.karate_club_graph())  # doctest: +SKIP
        >>> est.embedding_.shape  # doctest: +SKIP
        (34, 16)
    """

    def __init__(
        self,
        *,
        encoder: str = _DEFAULTS["encoder"],
        decoder: str = _DEFAULTS["decoder"],
        hidden_channels: int = _DEFAULTS["hidden_channels"],
        out_channels: int = _DEFAULTS["out_channels"],
        num_layers: int = _DEFAULTS["num_layers"],
        dropout: float = _DEFAULTS["dropout"],
        encoder_options: dict[str, Any] | None = _DEFAULTS["encoder_options"],
        decoder_options: dict[str, Any] | None = _DEFAULTS["decoder_options"],
        feature_decoder: str | None = _DEFAULTS["feature_decoder"],
        variational: bool = _DEFAULTS["variational"],
        lr: float = _DEFAULTS["lr"],
        weight_decay: float = _DEFAULTS["weight_decay"],
        epochs: int = _DEFAULTS["epochs"],
        patience: int = _DEFAULTS["patience"],
        val_ratio: float = _DEFAULTS["val_ratio"],
        test_ratio: float = _DEFAULTS["test_ratio"],
        seed: int = _DEFAULTS["seed"],
        device: str = _DEFAULTS["device"],
        directed: bool = _DEFAULTS["directed"],
        n_neighbors: int = 10,
        config_options: dict[str, Any] | None = None,
    ) -> None:
        self.encoder = encoder
        self.decoder = decoder
        self.hidden_channels = hidden_channels
        self.out_channels = out_channels
        self.num_layers = num_layers
        self.dropout = dropout
        self.encoder_options = encoder_options
        self.decoder_options = decoder_options
        self.feature_decoder = feature_decoder
        self.variational = variational
        self.lr = lr
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.patience = patience
        self.val_ratio = val_ratio
        self.test_ratio = test_ratio
        self.seed = seed
        self.device = device
        self.directed = directed
        self.n_neighbors = n_neighbors
        self.config_options = config_options

    # ------------------------------------------------------------------ sklearn
    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False  # sparse input is adjacency, never features
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    @property
    def _n_features_out(self) -> int:
        """Embedding width (for ``get_feature_names_out``)."""
        return int(self.embedding_.shape[1])

    def make_config(self, name: str = "<in-memory>") -> RunConfig:
        """The :class:`~graphae.config.RunConfig` these parameters describe.

        Args:
            name: Stands in for the graph file in the config (the graph is passed
                to :func:`graphae.fit` in memory).

        Raises:
            GraphaeError: On an invalid value or an unknown ``config_options`` key.
        """
        from graphae.config import RunConfig

        params = self.get_params(deep=False)
        options = dict(params.pop("config_options") or {})
        for key in _OWN_PARAMS - {"config_options"}:
            params.pop(key)
        clash = sorted(set(options) & (set(params) | _INPUT_FIELDS))
        if clash:
            raise GraphaeError(
                f"config_options may not set {', '.join(clash)}: "
                "use the estimator parameter, or pass the input to fit()"
            )
        for key in ("encoder_options", "decoder_options"):
            params[key] = dict(params[key] or {})
        return RunConfig.from_dict({"graph": name, **params, **options})

    def fit(self, X: Any, y: Any = None, *, features: Any = None) -> GraphAEEmbedder:
        """Train a graph autoencoder on ``X`` and keep its frozen node embeddings.

        Args:
            X: A graph (networkx, square scipy sparse adjacency, PyG ``Data``,
                edge-list ``DataFrame``, file path, :class:`Graph`) or a dense
                ``(n_samples, n_features)`` feature matrix (see the module docs).
            y: Ignored (unsupervised); node labels come with the graph.
            features: Node features for a graph input (an ``(N, F)`` array, or a
                ``.csv``/``.npy`` file as in :func:`graphae.load_graph`).

        Returns:
            ``self``, with ``embedding_`` ``(N, d)`` and the other fitted attributes.

        Raises:
            GraphaeError: On bad input or parameters (a ``ValueError``).
        """
        self._fit(X, features)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> np.ndarray:
        """:meth:`fit`, then the ``(N, d)`` embeddings of the training nodes.

        Returns:
            ``embedding_`` in the input's float dtype for a feature matrix
            (float64 for integer input), float32 for a graph.
        """
        dtype = self._fit(X, fit_params.pop("features", None), **fit_params)
        return self.embedding_.astype(dtype, copy=True)

    def _fit(self, X: Any, features: Any, **unused: Any) -> np.dtype:
        from graphae.pipeline import fit

        if unused:
            raise TypeError(f"unexpected fit parameters: {', '.join(sorted(unused))}")
        if _is_graph_input(X):
            graph = _load_graph_input(X, features=features, directed=self.directed)
            dtype = np.dtype(np.float32)
            fit_X = None
            if hasattr(self, "n_features_in_"):
                del self.n_features_in_
        else:
            if features is not None:
                raise GraphaeError("features= is only for graph inputs; X itself is the features")
            fit_X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
            graph = self._knn_graph(fit_X)
            dtype = fit_X.dtype
        config = self.make_config(f"<in-memory {graph.name}>")
        run = fit(config, graph=graph)
        run.model.cpu().eval()
        _clear_caches(run.model)
        run.split = run.split.to("cpu")
        self.run_: TrainedRun = run
        self.model_: GraphAutoEncoder = run.model
        self.result_: RunResult = run.result
        self.history_: list[dict[str, float]] = run.result.history
        self.embeddings_ = Embeddings(graph.nodes, run.z)
        self.embedding_: np.ndarray = self.embeddings_.vectors
        self.node_ids_: list[NodeId] = graph.nodes.ids
        self._fit_X = None if fit_X is None else np.ascontiguousarray(fit_X, dtype=np.float64)
        self._row_index = None if fit_X is None else self._index_rows(fit_X)
        return dtype

    def _effective_k(self, n: int) -> int:
        k = self.n_neighbors
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise GraphaeError(f"n_neighbors must be an integer >= 1, got {k!r}")
        return int(min(k, max(1, (n - 1) // 3)))

    def _knn_graph(self, X: np.ndarray) -> Graph:
        """The symmetrised k-NN graph of the rows of ``X``, features ``X``, ids ``0..n-1``."""
        from torch_geometric.data import Data
        from torch_geometric.utils import coalesce, to_undirected

        from graphae.data.graph import NodeIndex

        n = X.shape[0]
        self._k = k = self._effective_k(n)
        edges = torch.from_numpy(_knn_edges(X, k))
        edge_index = coalesce(to_undirected(edges, num_nodes=n), num_nodes=n)
        x = torch.from_numpy(np.asarray(X, dtype=np.float32))
        data = Data(x=x, edge_index=edge_index, num_nodes=n)
        return Graph(data, NodeIndex.range(n), name=f"knn{k}", feature_source="file")

    @staticmethod
    def _index_rows(X: np.ndarray) -> dict[bytes, int]:
        index: dict[bytes, int] = {}
        for row, key in enumerate(_row_keys(X)):
            index.setdefault(key, row)  # duplicates: the first row
        return index

    # ------------------------------------------------------------------ transform
    def transform(self, X: Any) -> np.ndarray:
        """Vectors of nodes: looked up, or computed by the trained encoder.

        * A **graph** (any input :meth:`fit` takes): embedded with the trained
          model over all of its edges; its features must have the width the
          model was trained on. The training graph itself gives ``embedding_``.
          Rows follow the graph's node order (see :meth:`embed` for the ids).
        * After fitting on a **feature matrix**, ``X`` is ``(n, n_features)``:
          a row equal to a training row is that node (its ``embedding_`` row);
          any other row is a new node joined to its ``n_neighbors`` nearest
          training rows (messages flow from them to it, never back) and
          embedded by the encoder, so each row's vector depends on that row
          alone, not on the rest of ``X``.
        * After fitting on a **graph**, ``X`` is a list or 1-D array of node ids
          (``(n,)`` or ``(n, 1)``), looked up in ``embeddings_``.

        With the ``embedding`` encoder (the auto-decoder) a new node has no
        encoder to embed it: its code is found by latent inference
        (:func:`graphae.inference.latent.infer_codes`) from its edges to the nodes
        seen in ``fit`` (a new row of a feature matrix: to its ``n_neighbors``
        nearest training rows, plus its features for a feature decoder), with
        the decoder and every trained code frozen.

        Args:
            X: A graph, a feature matrix or node ids (see above).

        Returns:
            ``(n, d)`` array: float32, or the input's float dtype for a matrix.

        Raises:
            GraphaeError: Unknown ids, a feature width mismatch, a new node of
                an auto-decoder without edges to nodes seen in ``fit``.
        """
        check_is_fitted(self, "embedding_")
        if _is_graph_input(X):
            return self.embed(X).to_numpy()
        if self._fit_X is not None:
            X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
            return self._embed_rows(X).astype(X.dtype, copy=False)
        ids = _id_columns(X)
        if ids.shape[1] != 1:
            raise GraphaeError(
                f"transform takes node ids, shape (n,) or (n, 1), got {ids.shape}; "
                "for node pairs use NodeEmbeddingLookup(estimator)"
            )
        return self.embedding_[_lookup_rows(self.embeddings_, ids[:, 0], "error")].copy()

    def embed(self, graph: Any, *, features: Any = None) -> Embeddings:
        """Embed a graph with the trained model, keyed by its node ids.

        Args:
            graph: Any graph input :meth:`fit` takes.
            features: Node features of ``graph`` (as in :meth:`fit`).

        Returns:
            :class:`~graphae.embeddings.Embeddings` of every node of ``graph``;
            ``embeddings_`` itself when ``graph`` is the training graph.

        Raises:
            GraphaeError: When the feature width differs from training, or for
                a new node of an auto-decoder without edges to nodes seen in fit.
        """
        check_is_fitted(self, "embedding_")
        g = _load_graph_input(graph, features=features, directed=self.run_.graph.directed)
        if self._same_graph(g):
            return self.embeddings_
        if self._transductive:  # auto-decoder: new nodes' codes by latent inference
            from graphae.inference.latent import embed_graph_nodes

            return Embeddings(
                g.nodes,
                embed_graph_nodes(
                    self.model_,
                    self.embeddings_,
                    g,
                    feature_norm=self.run_.config.feature_norm,
                    prior_sigma=self.run_.config.prior_sigma,
                ),
            )
        width = self.run_.graph.num_features
        if g.data.x is None or g.num_features != width:
            raise GraphaeError(
                f"{g.name} has {g.num_features} feature columns but the model was trained "
                f"on {width}; pass features= with {width} columns"
                + (
                    " (the training graph used one-hot identity features, which do not "
                    "transfer to another graph)"
                    if self.run_.graph.feature_source == "identity"
                    else ""
                )
            )
        x = input_features(g, self.run_.config.feature_norm)
        z = self._encode(x, g.data.edge_index, g.edge_weight)
        return Embeddings(g.nodes, z)

    @property
    def _transductive(self) -> bool:
        return self.run_.config.encoder == "embedding"

    def _same_graph(self, g: Graph) -> bool:
        t = self.run_.graph
        if g is t:
            return True
        if g.nodes != t.nodes or g.data.edge_index.shape != t.data.edge_index.shape:
            return False
        same = torch.equal(g.data.edge_index, t.data.edge_index)
        for a, b in ((g.data.x, t.data.x), (g.edge_weight, t.edge_weight)):
            same = same and (a is None) == (b is None) and (a is None or torch.equal(a, b))
        return bool(same)

    def _encode(self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: Any) -> np.ndarray:
        try:
            with torch.no_grad():
                z = self.model_.encode(x.float(), edge_index, edge_weight)
        finally:
            _clear_caches(self.model_)
        return z.float().numpy()

    def _embed_rows(self, X: np.ndarray) -> np.ndarray:
        """``(n, d)`` vectors of feature rows (see :meth:`transform`)."""
        keys = _row_keys(X)
        rows = np.fromiter((self._row_index.get(k, -1) for k in keys), np.int64, len(keys))
        out = np.empty((X.shape[0], self.embedding_.shape[1]), dtype=np.float32)
        seen = rows >= 0
        out[seen] = self.embedding_[rows[seen]]
        if not seen.all():
            out[~seen] = self._attach(X[~seen])
        return out

    def _attach(self, X_new: np.ndarray) -> np.ndarray:
        """Embed new rows as nodes receiving edges from their nearest training rows."""
        from sklearn.neighbors import NearestNeighbors

        n, m, k = self._fit_X.shape[0], X_new.shape[0], self._k
        nbrs = (
            NearestNeighbors(n_neighbors=k)
            .fit(self._fit_X)
            .kneighbors(X_new, return_distance=False)
        )
        if self._transductive:  # auto-decoder: codes inferred from edges to the k nearest rows
            from graphae.inference.latent import infer_codes

            pairs = torch.from_numpy(np.stack([np.repeat(np.arange(m), k), nbrs.reshape(-1)]))
            x_new = torch.from_numpy(X_new.astype(np.float32))
            z = infer_codes(
                self.model_,
                pairs.long(),
                m,
                x_new=x_new if self.model_.feature_decoder is not None else None,
                prior_sigma=self.run_.config.prior_sigma,
            )
            return z.numpy()
        new_edges = torch.from_numpy(np.stack([nbrs.reshape(-1), n + np.repeat(np.arange(m), k)]))
        split = self.run_.split
        edge_index = torch.cat([split.mp_edge_index, new_edges.long()], dim=1)
        edge_weight = None
        if split.mp_edge_weight is not None:
            edge_weight = torch.cat([split.mp_edge_weight, torch.ones(m * k)])
        x = torch.cat([self.run_.graph.data.x.float(), torch.from_numpy(X_new.astype(np.float32))])
        norm = resolve_feature_norm(self.run_.graph, self.run_.config.feature_norm)
        x = normalize_features(x, norm)  # row-wise, so the new rows get what training did
        return self._encode(x, edge_index, edge_weight)[n:]


# --------------------------------------------------------------------------- lookup


class NodeEmbeddingLookup(TransformerMixin, BaseEstimator):
    """Node ids → their embedding vectors, for scikit-learn pipelines.

    ``X`` holds node ids (the graph's original ids, ints or strings): a list or
    array of shape ``(n,)`` or ``(n, 1)`` gives each node's vector ``z_u``; an
    array of shape ``(n, 2)`` holds node pairs and gives pair features —
    ``z_u ⊙ z_v`` by default (the link probe's features), or ``[z_u, z_v]`` or
    ``|z_u − z_v|``. Nothing is learned: ``fit`` only loads the embeddings, and
    ``transform`` works without it.

    Args:
        embeddings: An :class:`~graphae.embeddings.Embeddings`, an embeddings
            file, a run folder, or a fitted :class:`GraphAEEmbedder`.
        pair_op: ``"hadamard"`` (``z_u * z_v``, ``d`` columns), ``"concat"``
            (``2d`` columns) or ``"abs_diff"`` (``|z_u - z_v|``, ``d`` columns).
        handle_unknown: ``"error"`` raises on an id that has no vector;
            ``"zero"`` gives it a zero vector.

    Attributes:
        embeddings_: The loaded :class:`~graphae.embeddings.Embeddings`.
        n_features_in_: Id columns of the ``X`` given to ``fit`` (1 or 2).

    Example:
        >>> pipe = make_pipeline(NodeEmbeddingLookup("runs/cora"), StandardScaler(),
        ...                      LogisticRegression())  # doctest: +SKIP
        >>> pipe.fit(train_ids, y_train).score(test_ids, y_test)  # doctest: +SKIP
    """

    def __init__(
        self,
        embeddings: Embeddings | str | os.PathLike[str] | GraphAEEmbedder,
        *,
        pair_op: str = "hadamard",
        handle_unknown: str = "error",
    ) -> None:
        self.embeddings = embeddings
        self.pair_op = pair_op
        self.handle_unknown = handle_unknown

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags

    def _check_params(self) -> None:
        if self.pair_op not in _PAIR_OPS:
            raise GraphaeError(f"unknown pair_op {self.pair_op!r}; valid: {', '.join(_PAIR_OPS)}")
        if self.handle_unknown not in ("error", "zero"):
            raise GraphaeError(
                f"unknown handle_unknown {self.handle_unknown!r}; valid: error, zero"
            )

    def fit(self, X: Any = None, y: Any = None) -> NodeEmbeddingLookup:
        """Load the embeddings (nothing is learned).

        Args:
            X: Optional node ids or pairs; only their column count is kept.
            y: Ignored.

        Returns:
            ``self``.
        """
        self._check_params()
        self.embeddings_ = _resolve_embeddings(self.embeddings)
        if X is not None:
            self.n_features_in_ = int(_id_columns(X).shape[1])
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Vectors of the nodes (or pair features of the pairs) in ``X``.

        Args:
            X: ``(n,)`` / ``(n, 1)`` node ids, or ``(n, 2)`` node pairs.

        Returns:
            ``(n, d)`` float32 node vectors; for pairs ``(n, d)`` (hadamard,
            abs_diff) or ``(n, 2d)`` (concat).

        Raises:
            GraphaeError: On an unknown id (``handle_unknown="error"``) or a bad shape.
        """
        self._check_params()
        emb = getattr(self, "embeddings_", None)
        if emb is None:
            emb = _resolve_embeddings(self.embeddings)
        ids = _id_columns(X)
        table = np.vstack([emb.vectors, np.zeros((1, emb.dim), dtype=np.float32)])
        cols = [
            table[_lookup_rows(emb, ids[:, j], self.handle_unknown)] for j in range(ids.shape[1])
        ]
        if len(cols) == 1:
            return cols[0]
        zu, zv = cols
        if self.pair_op == "hadamard":
            return zu * zv
        if self.pair_op == "abs_diff":
            return np.abs(zu - zv)
        return np.hstack([zu, zv])

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        """Output column names: ``dim_j`` for nodes; ``hadamard_dim_j``,
        ``abs_diff_dim_j`` or ``u_dim_j`` + ``v_dim_j`` for pairs (pairs when
        ``fit`` saw a 2-column ``X``)."""
        check_is_fitted(self, "embeddings_")
        d = self.embeddings_.dim
        dims = [f"dim_{j}" for j in range(d)]
        if getattr(self, "n_features_in_", 1) == 1:
            names = dims
        elif self.pair_op == "concat":
            names = [f"u_{c}" for c in dims] + [f"v_{c}" for c in dims]
        else:
            names = [f"{self.pair_op}_{c}" for c in dims]
        return np.asarray(names, dtype=object)
