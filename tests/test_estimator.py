"""Tests of the scikit-learn interface (graphae/estimator.py).

scikit-learn's own estimator checks
-----------------------------------
``GraphAEEmbedder`` runs every check scikit-learn 1.9 generates for an
unsupervised transformer (``parametrize_with_checks``, legacy checks included):
API checks (clone, repr, get/set params, no attributes set in ``__init__``,
``fit`` returns self, parameters not overwritten), input validation (1-D, empty,
NaN/inf, complex, object dtype, read-only memmap, Fortran order, lists and other
array-likes, sparse input refused with a message), fitted-state checks, pickling,
idempotent and deterministic ``fit``, ``fit_transform`` == ``fit().transform``,
subset and sample-order invariance of ``transform``, dtype preservation (float32
and float64) and ``n_features_in_``. All of them pass; ``X`` is read as a node
feature matrix whose rows are joined into a k-nearest-neighbour graph (module
docs of ``graphae.estimator``).

Checks that are skipped or never generated, and why:

* ``check_array_api_input`` -- skipped by scikit-learn itself unless
  ``SCIPY_ARRAY_API=1``; graphae computes in torch and does not claim Array API
  support.
* sample-weight checks (``check_sample_weights_*``) -- not generated: ``fit`` has
  no ``sample_weight``.
* ``check_transformers_unfitted_stateless``, ``check_requires_y_none``,
  ``check_fit_non_negative``, ``check_nonsquare_error`` -- not generated: the
  estimator needs ``fit``, takes no ``y``, accepts negative values and is not
  ``pairwise``.
* classifier / regressor / clusterer / outlier checks -- not generated (it is
  none of those).

``NodeEmbeddingLookup`` takes node *ids* as ``X``, so the checks that feed random
float matrices as ``X`` do not apply to it; it runs the API checks, and the four
of those that fit on a float feature matrix are expected to fail (listed below).
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import estimator_checks_generator, parametrize_with_checks
from torch_geometric.data import Data

import graphae
from graphae import Embeddings, GraphAEEmbedder, NodeEmbeddingLookup
from graphae.config import RunConfig
from graphae.errors import GraphaeError
from graphae.evaluation.metrics import DEFAULT_CS, node_probe
from graphae.nn.encoders import encoders

REPO = Path(__file__).resolve().parents[1]
LESMIS = REPO / "examples" / "data" / "les_miserables.csv"

#: Small and fast: every estimator check fits in a few milliseconds.
FAST = {"epochs": 3, "hidden_channels": 8, "out_channels": 4, "device": "cpu"}

LOOKUP_NOT_APPLICABLE = {
    name: "X holds node ids (1 or 2 columns), not a float feature matrix; "
    "this check fits on random float features"
    for name in (
        "check_fit_score_takes_y",
        "check_dont_overwrite_parameters",
        "check_n_features_in_after_fitting",
        "check_positive_only_tag_during_fit",
    )
}


# --------------------------------------------------------------------------- sklearn checks


@parametrize_with_checks([GraphAEEmbedder(**FAST)])
def test_sklearn_estimator_checks(estimator: GraphAEEmbedder, check) -> None:
    check(estimator)


def _lookup_checks():
    emb = Embeddings(range(5), np.eye(5, 3))
    return list(
        estimator_checks_generator(
            NodeEmbeddingLookup(emb),
            legacy=False,
            expected_failed_checks=LOOKUP_NOT_APPLICABLE,
            mark="xfail",
            xfail_strict=True,
        )
    )


@pytest.mark.parametrize(
    ("estimator", "check"),
    _lookup_checks(),
    ids=lambda v: getattr(getattr(v, "func", v), "__name__", None) if callable(v) else None,
)
def test_lookup_api_checks(estimator: NodeEmbeddingLookup, check) -> None:
    check(estimator)


# --------------------------------------------------------------------------- parameters


def test_params_mirror_run_config() -> None:
    """Every estimator parameter is a RunConfig field (or one of its own two),
    with RunConfig's default, so the two never drift apart."""
    defaults = RunConfig(graph="x")
    for name, value in GraphAEEmbedder().get_params().items():
        if name in ("n_neighbors", "config_options"):
            continue
        want = getattr(defaults, name)
        assert value == want or (value is None and want == {}), name


def test_every_estimator_default_is_run_config_field_default() -> None:
    """The signature scikit-learn introspects holds explicit keyword-only parameters,
    and each one that is a RunConfig field defaults to that field's declared
    default (a mapping field's ``{}`` is ``None``): one source, read from the class."""
    fields = {f.name: f for f in dataclasses.fields(RunConfig)}
    params = inspect.signature(GraphAEEmbedder.__init__).parameters
    own = {"self", "n_neighbors", "config_options"}
    assert all(
        p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params.values()
    )  # no **kwargs: get_params reads the names
    assert set(params) - own <= set(fields)
    assert len(set(params) - own) == 19
    for name, p in params.items():
        if name in own:
            continue
        f = fields[name]
        if f.default is dataclasses.MISSING:
            assert f.default_factory() == {} and p.default is None, name  # type: ignore[misc]
        else:
            assert p.default == f.default and type(p.default) is type(f.default), name


def test_get_set_params_clone_and_config() -> None:
    est = GraphAEEmbedder(epochs=7, decoder_options={"hidden": 4})
    assert est.get_params()["epochs"] == 7
    assert est.set_params(lr=0.05, config_options={"batch_size": 64}) is est
    twin = clone(est)
    assert twin is not est and twin.get_params() == est.get_params()
    config = est.make_config()
    assert (config.epochs, config.lr, config.batch_size) == (7, 0.05, 64)
    assert config.decoder_options == {"hidden": 4}
    assert config.decoder_options is not est.decoder_options  # params stay unchanged
    with pytest.raises(GraphaeError, match="config_options may not set epochs"):
        GraphAEEmbedder(config_options={"epochs": 3}).make_config()
    with pytest.raises(GraphaeError, match="unknown config keys"):
        GraphAEEmbedder(config_options={"epoch": 3}).make_config()
    with pytest.raises(GraphaeError, match="invalid value for lr"):
        GraphAEEmbedder(lr=-1).fit(np.random.default_rng(0).normal(size=(20, 3)))


def test_clone_of_fitted_is_unfitted() -> None:
    est = GraphAEEmbedder(**FAST).fit(_two_communities())
    assert not hasattr(clone(est), "embedding_")


# --------------------------------------------------------------------------- graph inputs


def _two_communities() -> nx.Graph:
    g = nx.Graph()
    for c in "ab":
        nodes = [f"{c}{i}" for i in range(6)]
        g.add_edges_from((u, v) for i, u in enumerate(nodes) for v in nodes[i + 1 :])
    g.add_edge("a0", "b0")
    return g


@pytest.mark.parametrize("kind", ["networkx", "scipy", "pyg", "dataframe", "path", "graph"])
def test_fit_accepts_every_graph_input(kind: str, tmp_path: Path) -> None:
    g = _two_communities()
    ids = list(g.nodes)
    if kind == "networkx":
        X, want_ids = g, ids
    elif kind == "scipy":
        X, want_ids = sp.csr_array(nx.to_scipy_sparse_array(g, nodelist=ids)), list(range(12))
    elif kind == "pyg":
        rows = {n: i for i, n in enumerate(ids)}
        ei = torch.tensor([[rows[u], rows[v]] for u, v in g.edges]).t()
        X = Data(x=torch.eye(12), edge_index=torch.cat([ei, ei.flip(0)], 1), num_nodes=12)
        want_ids = list(range(12))
    elif kind == "dataframe":
        X, want_ids = nx.to_pandas_edgelist(g), ids
    elif kind == "path":
        X = tmp_path / "edges.csv"
        nx.to_pandas_edgelist(g).to_csv(X, index=False)
        want_ids = ids
    else:
        X, want_ids = graphae.load_graph(g), ids
    est = GraphAEEmbedder(**FAST)
    assert est.fit(X) is est
    assert est.node_ids_ == want_ids
    assert est.embedding_.shape == (12, 4) and est.embedding_.dtype == np.float32
    assert est.embeddings_.ids == want_ids
    np.testing.assert_array_equal(est.embeddings_.vectors, est.embedding_)
    assert [h["epoch"] for h in est.history_] == [1, 2, 3]
    assert "link/auc" in est.result_.metrics and est.result_.epochs_run == 3
    assert isinstance(est.model_, graphae.GraphAutoEncoder)
    assert not hasattr(est, "n_features_in_")


def test_fit_transform_and_transform_of_graph_and_ids() -> None:
    g = _two_communities()
    est = GraphAEEmbedder(**FAST)
    z = est.fit_transform(g)
    np.testing.assert_array_equal(z, est.embedding_)
    np.testing.assert_array_equal(est.transform(g), z)  # the training graph: embedding_
    np.testing.assert_array_equal(est.transform(["b3", "a1"]), z[[9, 1]])
    np.testing.assert_array_equal(est.transform(np.array([["a2"]])), z[[2]])
    with pytest.raises(GraphaeError, match="unknown node id 'zz'"):
        est.transform(["zz"])
    with pytest.raises(GraphaeError, match="NodeEmbeddingLookup"):
        est.transform([["a0", "a1"]])


def test_transform_new_graph_inductively() -> None:
    """A graph with the training feature width is embedded by the trained encoder."""
    gen = torch.Generator().manual_seed(0)
    ei = torch.tensor([[0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 0, 0, 4, 2, 6]])
    ei = torch.cat([ei.reshape(2, -1), ei.reshape(2, -1).flip(0)], 1)
    train = Data(x=torch.randn(8, 5, generator=gen), edge_index=ei, num_nodes=8)
    est = GraphAEEmbedder(**FAST, val_ratio=0.1, test_ratio=0.1).fit(train)
    new = Data(x=torch.randn(4, 5, generator=gen), num_nodes=4,
               edge_index=torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]]))  # fmt: skip
    out = est.transform(new)
    with torch.no_grad():
        want = est.model_.encode(new.x, new.edge_index).numpy()
    np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-6)
    emb = est.embed(new)
    assert emb.ids == [0, 1, 2, 3] and emb.dim == 4
    with pytest.raises(GraphaeError, match="has 3 feature columns but the model was trained on 5"):
        est.transform(Data(x=torch.randn(4, 3), edge_index=new.edge_index, num_nodes=4))


def test_identity_features_do_not_transfer() -> None:
    est = GraphAEEmbedder(**FAST).fit(_two_communities())
    with pytest.raises(GraphaeError, match="identity features"):
        est.transform(nx.path_graph(5))


def test_sparse_feature_matrix_is_refused() -> None:
    with pytest.raises(GraphaeError, match="sparse X is read as an adjacency matrix"):
        GraphAEEmbedder(**FAST).fit(sp.random(20, 3, density=0.5, format="csr"))


def test_features_argument_for_graph_inputs() -> None:
    g = _two_communities()
    feats = np.arange(24, dtype=np.float32).reshape(12, 2)
    est = GraphAEEmbedder(**FAST).fit(nx.convert_node_labels_to_integers(g), features=feats)
    assert est.run_.graph.num_features == 2
    with pytest.raises(GraphaeError, match="only for graph inputs"):
        GraphAEEmbedder(**FAST).fit(feats, features=feats)


def test_path_input_keeps_string_ids() -> None:
    est = GraphAEEmbedder(**FAST).fit(str(LESMIS))
    assert est.node_ids_[:2] == ["Napoleon", "Myriel"]
    assert est.transform(["Valjean"]).shape == (1, 4)


# --------------------------------------------------------------------------- feature matrices


@pytest.fixture(scope="module")
def blobs() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(0, 1, (30, 4)), rng.normal(5, 1, (30, 4))])


def test_matrix_fit_builds_knn_graph(blobs: np.ndarray) -> None:
    est = GraphAEEmbedder(**FAST, n_neighbors=5).fit(blobs)
    assert est.n_features_in_ == 4 and est.node_ids_ == list(range(60))
    g = est.run_.graph
    assert g.num_nodes == 60 and g.name == "knn5"
    deg = torch.bincount(g.data.edge_index[0], minlength=60)
    assert int(deg.min()) >= 5  # every node keeps its 5 nearest (symmetrised: maybe more)
    # no edge between the two far-apart blobs
    src, dst = g.data.edge_index
    assert not bool(((src < 30) != (dst < 30)).any())
    assert est.get_feature_names_out().tolist() == [f"graphaeembedder{i}" for i in range(4)]


def test_knn_capped_on_small_inputs() -> None:
    est = GraphAEEmbedder(**FAST, n_neighbors=50).fit(np.random.default_rng(1).normal(size=(13, 2)))
    assert est.run_.graph.name == "knn4"  # (13 - 1) // 3
    with pytest.raises(GraphaeError, match="n_neighbors must be an integer >= 1"):
        GraphAEEmbedder(**FAST, n_neighbors=0).fit(np.zeros((13, 2)))


def test_transform_new_rows(blobs: np.ndarray) -> None:
    est = GraphAEEmbedder(**FAST, n_neighbors=5).fit(blobs)
    rng = np.random.default_rng(2)
    new = np.vstack([rng.normal(0, 1, (3, 4)), rng.normal(5, 1, (3, 4))])
    out = est.transform(new)
    assert out.shape == (6, 4) and out.dtype == np.float64
    # each new row depends on itself and the training graph only
    one_by_one = np.vstack([est.transform(r[None]) for r in new])
    np.testing.assert_allclose(out, one_by_one, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(est.transform(new[::-1]), out[::-1], rtol=1e-5, atol=1e-6)
    # training rows map to their fitted vectors, new ones are computed
    mixed = est.transform(np.vstack([blobs[:2], new[:1]]))
    np.testing.assert_array_equal(mixed[:2], est.embedding_[:2].astype(np.float64))
    np.testing.assert_allclose(mixed[2], out[0], rtol=1e-5, atol=1e-6)
    # a new row equals what the encoder gives on the training graph plus that node
    split = est.run_.split
    nbrs = np.argsort(((blobs - new[0]) ** 2).sum(1), kind="stable")[:5]
    ei = torch.cat([split.mp_edge_index, torch.tensor([nbrs.tolist(), [60] * 5])], 1)
    x = torch.cat([est.run_.graph.data.x, torch.from_numpy(new[:1]).float()])
    with torch.no_grad():
        z = est.model_.encode(x, ei).numpy()
    np.testing.assert_allclose(out[0], z[60], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(z[:60], est.embedding_, rtol=1e-5, atol=1e-6)  # untouched
    with pytest.raises(ValueError, match="X has 3 features"):
        est.transform(new[:, :3])


def test_matrix_fit_dtypes(blobs: np.ndarray) -> None:
    est = GraphAEEmbedder(**FAST)
    assert est.fit_transform(blobs.astype(np.float32)).dtype == np.float32
    assert est.fit_transform(blobs.astype(np.int64)).dtype == np.float64
    assert est.transform(blobs.astype(np.float32)).dtype == np.float32


def test_pickle_round_trip(blobs: np.ndarray) -> None:
    est = GraphAEEmbedder(**FAST).fit(blobs)
    new = blobs[:5] + 0.1
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.transform(new), est.transform(new))
    np.testing.assert_array_equal(again.embedding_, est.embedding_)


def test_transform_leaves_no_cached_graph(blobs: np.ndarray) -> None:
    from graphae.nn.propagation import PropagationCache
    from graphae.nn.sparse_input import SparseInputCache
    from graphae.nn.tensor_cache import TensorCache

    est = GraphAEEmbedder(**FAST).fit(blobs)
    est.transform(blobs[:3] + 0.5)
    caches = [
        v for m in est.model_.modules() for v in vars(m).values() if isinstance(v, TensorCache)
    ]
    assert any(isinstance(c, PropagationCache) for c in caches)
    assert any(isinstance(c, SparseInputCache) for c in caches)  # the features, kept per tensor
    assert all(not c._entries for c in caches)


def test_new_nodes_with_embedding_encoder_are_refused(blobs: np.ndarray) -> None:
    """Latent inference needs the auto-decoder's code table: a model without one is
    refused for new nodes, while nodes seen in fit still work."""
    est = GraphAEEmbedder(**FAST).fit(blobs)
    est.run_ = copy.copy(est.run_)
    object.__setattr__(est.run_, "config", copy.copy(est.run_.config))
    object.__setattr__(est.run_.config, "encoder", "embedding")
    np.testing.assert_array_equal(est.transform(blobs[:3]), est.embedding_[:3].astype(np.float64))
    with pytest.raises(GraphaeError, match="latent inference"):
        est.transform(blobs[:3] + 0.5)
    with pytest.raises(GraphaeError, match="latent inference"):
        est.embed(nx.relabel_nodes(nx.path_graph(4), {3: 10**6}))  # one new node


@pytest.mark.skipif("embedding" not in encoders.names(), reason="no 'embedding' encoder yet")
def test_embedding_encoder_end_to_end() -> None:
    g = _two_communities()
    est = GraphAEEmbedder(**{**FAST, "encoder": "embedding"}).fit(g)
    np.testing.assert_array_equal(est.transform(["a1"]), est.embedding_[[1]])
    # a new node: its code comes from latent inference on its edges to known nodes
    h = nx.relabel_nodes(g, {"a0": "new"})
    out = est.embed(h)
    assert out.ids == list(h.nodes)
    kept = [i for i in h.nodes if i != "new"]
    np.testing.assert_array_equal(out.lookup(kept), est.embeddings_.lookup(kept))
    assert np.isfinite(out["new"]).all()


# --------------------------------------------------------------------------- lookup


@pytest.fixture
def small_emb() -> Embeddings:
    return Embeddings(["x", "y", "z"], np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 0.5]]))


def test_lookup_nodes_and_pairs(small_emb: Embeddings) -> None:
    look = NodeEmbeddingLookup(small_emb)
    np.testing.assert_array_equal(look.transform(["z", "x"]), [[0.0, 0.5], [1.0, 2.0]])
    np.testing.assert_array_equal(look.transform(np.array([["y"]])), [[3.0, -1.0]])
    np.testing.assert_array_equal(look.transform(pd.Series(["x"])), [[1.0, 2.0]])
    pairs = [("x", "y"), ("y", "z")]
    np.testing.assert_array_equal(look.transform(pairs), [[3.0, -2.0], [0.0, -0.5]])
    np.testing.assert_array_equal(
        look.set_params(pair_op="concat").transform(pairs), [[1, 2, 3, -1], [3, -1, 0, 0.5]]
    )
    np.testing.assert_array_equal(
        look.set_params(pair_op="abs_diff").transform(pairs), [[2.0, 3.0], [3.0, 1.5]]
    )
    assert look.transform(["x"]).dtype == np.float32


def test_lookup_int_ids_from_numpy_and_floats() -> None:
    emb = Embeddings([10, 20], np.array([[1.0], [2.0]]))
    look = NodeEmbeddingLookup(emb)
    np.testing.assert_array_equal(look.transform(np.array([20, 10])), [[2.0], [1.0]])
    np.testing.assert_array_equal(look.transform(np.array([20.0])), [[2.0]])
    np.testing.assert_array_equal(look.transform(torch.tensor([[10, 20]])), [[2.0]])


def test_lookup_unknown_ids(small_emb: Embeddings) -> None:
    with pytest.raises(GraphaeError, match="unknown node id 'w'"):
        NodeEmbeddingLookup(small_emb).transform(["w"])
    out = NodeEmbeddingLookup(small_emb, handle_unknown="zero").transform([("w", "x")])
    np.testing.assert_array_equal(out, [[0.0, 0.0]])
    with pytest.raises(GraphaeError, match="unknown pair_op"):
        NodeEmbeddingLookup(small_emb, pair_op="sum").fit()
    with pytest.raises(GraphaeError, match="shape"):
        NodeEmbeddingLookup(small_emb).transform(np.zeros((2, 3)))


def test_lookup_sources(small_emb: Embeddings, tmp_path: Path) -> None:
    small_emb.save(tmp_path / "emb.csv")
    run = tmp_path / "run"
    run.mkdir()
    small_emb.save(run / "embeddings.npz")
    for source in (tmp_path / "emb.csv", str(run), small_emb):
        look = NodeEmbeddingLookup(source).fit()
        assert look.embeddings_ == small_emb
        np.testing.assert_array_equal(look.transform(["y"]), [[3.0, -1.0]])
    est = GraphAEEmbedder(**FAST).fit(_two_communities())
    np.testing.assert_array_equal(NodeEmbeddingLookup(est).transform(["b0"]), est.embedding_[[6]])
    with pytest.raises(GraphaeError, match="embeddings must be"):
        NodeEmbeddingLookup(42).fit()


def test_lookup_feature_names(small_emb: Embeddings) -> None:
    look = NodeEmbeddingLookup(small_emb)
    assert look.fit(["x"]).get_feature_names_out().tolist() == ["dim_0", "dim_1"]
    assert look.fit([("x", "y")]).get_feature_names_out().tolist() == [
        "hadamard_dim_0",
        "hadamard_dim_1",
    ]
    look.set_params(pair_op="concat").fit([("x", "y")])
    assert look.get_feature_names_out().tolist()[::2] == ["u_dim_0", "v_dim_0"]
    look.set_output(transform="pandas")
    assert list(look.transform([("x", "y")]).columns) == [
        "u_dim_0",
        "u_dim_1",
        "v_dim_0",
        "v_dim_1",
    ]


def test_link_classification_pipeline() -> None:
    """Pairs -> z_u * z_v -> logistic regression separates edges from non-edges."""
    g = _two_communities()
    est = GraphAEEmbedder(device="cpu", epochs=100, seed=0).fit(g)
    edges = [e for e in g.edges if e != ("a0", "b0")]
    non = [(f"a{i}", f"b{j}") for i in range(6) for j in range(6) if (i, j) != (0, 0)]
    pairs = np.array(edges + non, dtype=object)
    y = np.r_[np.ones(len(edges)), np.zeros(len(non))]
    pipe = make_pipeline(NodeEmbeddingLookup(est), StandardScaler(), LogisticRegression())
    assert pipe.fit(pairs, y).score(pairs, y) > 0.9


# --------------------------------------------------------------------------- acceptance


def test_cora_pipeline_matches_linear_probe(cora) -> None:
    """make_pipeline(NodeEmbeddingLookup(emb), StandardScaler(), LogisticRegression) with
    C chosen on the public validation nodes gives the harness probe's accuracy."""
    est = GraphAEEmbedder(epochs=20, device="cpu", seed=0).fit(cora)
    emb = est.embeddings_
    ids = np.asarray(cora.nodes.ids)
    y = cora.y.numpy()
    train, val, test = (
        getattr(cora.data, m).numpy() for m in ("train_mask", "val_mask", "test_mask")
    )
    pipe = make_pipeline(
        NodeEmbeddingLookup(emb), StandardScaler(), LogisticRegression(max_iter=1000)
    )

    def val_accuracy(c: float) -> float:
        return (
            pipe.set_params(logisticregression__C=c)
            .fit(ids[train], y[train])
            .score(ids[val], y[val])
        )

    best_c = max(DEFAULT_CS, key=val_accuracy)
    acc = (
        pipe.set_params(logisticregression__C=best_c)
        .fit(ids[train], y[train])
        .score(ids[test], y[test])
    )
    probe = node_probe(emb.vectors, y, train, val, test, seed=0)
    assert best_c == probe["C"]
    assert abs(acc - probe["accuracy"]) <= 0.005
    assert probe["accuracy"] == pytest.approx(est.result_.metrics["probe/node_accuracy"])
    assert acc > 0.5  # far above the 1/7 chance level
