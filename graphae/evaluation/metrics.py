"""The metric and probe functions: link metrics, OGB's evaluator, probes of frozen embeddings.

Link metrics (:func:`link_metrics`, :func:`ranking_metrics_per_positive`) rank
scores exactly as OGB's ``ogb.linkproppred.Evaluator`` does, and
:func:`ogb_metrics` calls that evaluator for OGB datasets. Ranking is computed in
chunks of positives against a *sorted* negative array with ``searchsorted``, so
memory stays ``O(P + N)`` — no ``P x N`` comparison matrix.

Probes measure the *frozen* embeddings, whatever decoder trained them
(design.md, "Protocol rules"): a logistic-regression node probe on standardised
embeddings (:func:`node_probe`, on a given split or :func:`random_node_split`),
a logistic-regression link probe on ``z_u ⊙ z_v`` (:func:`link_probe`,
:func:`split_link_probe` on a run's split) and k-means NMI against labels
(:func:`cluster_nmi`). Which split, labels and pairs a run's probes use is
decided in one place, :mod:`graphae.evaluation.measure`; the on-device forms of
the per-epoch link metrics are in :mod:`graphae.evaluation.device`.

Inputs may be torch tensors (any device) or numpy arrays. scikit-learn and ogb
are imported inside the functions that need them.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from graphae.errors import GraphaeError

__all__ = [
    "OGB_METRICS",
    "cluster_nmi",
    "link_metrics",
    "link_probe",
    "node_probe",
    "ogb_metrics",
    "ranking_metrics_per_positive",
    "split_link_probe",
]

logger = logging.getLogger(__name__)

#: Official metric of each OGB link dataset (``ogb/linkproppred/master.csv``).
OGB_METRICS: dict[str, str] = {
    "ogbl-ddi": "hits@20",
    "ogbl-collab": "hits@50",
    "ogbl-ppa": "hits@100",
    "ogbl-citation2": "mrr",
    "ogbl-wikikg2": "mrr",
    "ogbl-biokg": "mrr",
    "ogbl-vessel": "rocauc",
}

DEFAULT_CHUNK = 1 << 16
DEFAULT_CS: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0)


# --------------------------------------------------------------------------- inputs


def _to_numpy(x: Any, name: str, dtype: Any = np.float64) -> np.ndarray:
    """A torch tensor (any device, any float dtype) or array-like as a numpy array.

    Float inputs are widened to float64, which is exact, so comparisons between
    scores give the same answers as on the original dtype.
    """
    if hasattr(x, "detach"):  # torch.Tensor
        x = x.detach().cpu()
        if x.dtype.is_floating_point:
            x = x.double()
        x = x.numpy()
    try:
        return np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise GraphaeError(f"{name} could not be read as numbers: {_first_line(e)}") from None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _scores(x: Any, name: str, ndim: int | tuple[int, ...] = 1) -> np.ndarray:
    arr = _to_numpy(x, name)
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in allowed:
        raise GraphaeError(
            f"{name} must have {' or '.join(map(str, allowed))} dims, got {arr.shape}"
        )
    if arr.size == 0:
        raise GraphaeError(f"{name} is empty")
    if not np.isfinite(arr).all():
        raise GraphaeError(f"{name} contains NaN or infinite scores")
    return arr


def _chunks(n: int, chunk_size: int) -> Iterator[slice]:
    if chunk_size < 1:
        raise GraphaeError(f"chunk_size must be >= 1, got {chunk_size}")
    for start in range(0, n, chunk_size):
        yield slice(start, min(start + chunk_size, n))


# --------------------------------------------------------------------------- link metrics


def _shared_pool_ranks(pos: np.ndarray, neg_sorted: np.ndarray, chunk_size: int) -> np.ndarray:
    """OGB rank of every positive against one shared negative pool.

    ``rank_i = 1 + #(neg > pos_i) + 0.5 * #(neg == pos_i)`` (the mean of the
    optimistic and pessimistic ranks).

    Args:
        pos: ``(P,)`` positive scores.
        neg_sorted: ``(N,)`` negative scores in ascending order.
        chunk_size: Positives per vectorised step.

    Returns:
        ``(P,)`` float64 ranks.
    """
    n = neg_sorted.size
    ranks = np.empty(pos.size, dtype=np.float64)
    for s in _chunks(pos.size, chunk_size):
        p = pos[s]
        greater = n - np.searchsorted(neg_sorted, p, side="right")  # neg > p
        at_least = n - np.searchsorted(neg_sorted, p, side="left")  # neg >= p
        ranks[s] = 1.0 + 0.5 * (greater + at_least)
    return ranks


def link_metrics(
    pos_scores: Any,
    neg_scores: Any,
    ks: Sequence[int] = (10, 20, 50, 100),
    chunk_size: int = DEFAULT_CHUNK,
) -> dict[str, float]:
    """AUC, AP, Hits@K and MRR of positive vs negative pair scores.

    * ``auc``/``ap``: scikit-learn ``roc_auc_score`` / ``average_precision_score``.
    * ``hits@K``: OGB's ogbl-collab/ddi/ppa definition — the fraction of positives
      scoring strictly above the K-th highest negative; ``1.0`` when there are
      fewer than K negatives (as OGB does).
    * ``mrr``: mean reciprocal rank of each positive in the shared negative pool,
      ``rank = 1 + #(neg > pos) + 0.5 * #(neg == pos)``.

    With a 2-D ``neg_scores`` of shape ``(P, K)`` (one negative list per positive,
    ogbl-citation2 style), AUC/AP use all negatives pooled and Hits/MRR come from
    :func:`ranking_metrics_per_positive`.

    Args:
        pos_scores: ``(P,)`` scores (logits or probabilities) of positive pairs.
        neg_scores: ``(N,)`` scores of negative pairs, or ``(P, K)``.
        ks: The K values for Hits@K.
        chunk_size: Positives ranked per vectorised step (memory ``O(P + N)``).

    Returns:
        ``{"auc", "ap", "hits@K" for K in ks, "mrr"}`` as Python floats.

    Raises:
        GraphaeError: On empty inputs, NaN/inf scores or wrong shapes.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    pos = _scores(pos_scores, "pos_scores")
    neg = _scores(neg_scores, "neg_scores", ndim=(1, 2))
    if neg.ndim == 2 and neg.shape[0] != pos.size:
        raise GraphaeError(
            f"per-positive neg_scores must have shape (P, K) = ({pos.size}, K), got {neg.shape}"
        )
    flat = neg.reshape(-1)
    y = np.concatenate([np.ones(pos.size), np.zeros(flat.size)])
    s = np.concatenate([pos, flat])
    out: dict[str, float] = {
        "auc": float(roc_auc_score(y, s)),
        "ap": float(average_precision_score(y, s)),
    }
    if neg.ndim == 2:
        out.update(ranking_metrics_per_positive(pos, neg, ks=ks, chunk_size=chunk_size))
        return out
    neg_sorted = np.sort(flat)
    for k in ks:
        if k < 1:
            raise GraphaeError(f"Hits@K needs K >= 1, got {k}")
        if neg_sorted.size < k:
            out[f"hits@{k}"] = 1.0
            continue
        kth = neg_sorted[-k]  # K-th highest negative score
        hits = sum(int(np.count_nonzero(pos[c] > kth)) for c in _chunks(pos.size, chunk_size))
        out[f"hits@{k}"] = hits / pos.size
    ranks = _shared_pool_ranks(pos, neg_sorted, chunk_size)
    out["mrr"] = float(np.mean(1.0 / ranks))
    return out


def ranking_metrics_per_positive(
    pos_scores: Any,
    neg_scores: Any,
    ks: Sequence[int] = (1, 3, 10),
    chunk_size: int = DEFAULT_CHUNK,
) -> dict[str, float]:
    """MRR and Hits@K with one negative list per positive (OGB ogbl-citation2).

    ``rank_i = 1 + 0.5 * (#(neg_i > pos_i) + #(neg_i >= pos_i))`` — the average of
    the optimistic and pessimistic ranks; ``hits@K`` is the fraction with
    ``rank <= K``, ``mrr`` the mean of ``1 / rank``.

    Args:
        pos_scores: ``(P,)`` positive scores.
        neg_scores: ``(P, K_neg)`` negatives; row ``i`` is ranked against ``pos_i``.
        ks: The K values for Hits@K.
        chunk_size: Positives (rows) per vectorised step.

    Returns:
        ``{"mrr", "hits@K" for K in ks}`` as Python floats.
    """
    pos = _scores(pos_scores, "pos_scores")
    neg = _scores(neg_scores, "neg_scores", ndim=2)
    if neg.shape[0] != pos.size:
        raise GraphaeError(f"neg_scores must have shape ({pos.size}, K), got {neg.shape}")
    ranks = np.empty(pos.size, dtype=np.float64)
    for s in _chunks(pos.size, chunk_size):
        p = pos[s, None]
        n = neg[s]
        ranks[s] = 1.0 + 0.5 * ((n > p).sum(axis=1) + (n >= p).sum(axis=1))
    out = {"mrr": float(np.mean(1.0 / ranks))}
    for k in ks:
        out[f"hits@{k}"] = float(np.count_nonzero(ranks <= k)) / pos.size
    return out


def ogb_metrics(ogb_name: str, pos_scores: Any, neg_scores: Any) -> dict[str, float]:
    """The official metric of an OGB link dataset via ``ogb.linkproppred.Evaluator``.

    Args:
        ogb_name: e.g. ``"ogbl-ddi"`` (hits@20), ``"ogbl-collab"`` (hits@50),
            ``"ogbl-ppa"`` (hits@100), ``"ogbl-citation2"`` (mrr).
        pos_scores: ``(P,)`` positive scores.
        neg_scores: ``(N,)`` shared negatives for Hits datasets; ``(P, K)`` for
            MRR datasets, or those ``P · K`` scores flat, each positive's ``K``
            in turn (the order of ``LinkSplit.val_neg`` / ``test_neg``).

    Returns:
        Keys matching :func:`link_metrics`: ``{"hits@20": ...}`` for Hits
        datasets; ``{"mrr", "hits@1", "hits@3", "hits@10"}`` for MRR datasets;
        ``{"auc": ...}`` for ogbl-vessel.

    Raises:
        GraphaeError: On an unknown dataset name or inputs of the wrong shape.
    """
    import torch
    from ogb.linkproppred import Evaluator

    if ogb_name not in OGB_METRICS:
        raise GraphaeError(
            f"unknown OGB link dataset {ogb_name!r}; valid names: {', '.join(sorted(OGB_METRICS))}"
        )
    metric = OGB_METRICS[ogb_name]
    pos = torch.from_numpy(_scores(pos_scores, "pos_scores"))
    neg = _scores(neg_scores, "neg_scores", ndim=(1, 2) if metric == "mrr" else 1)
    if metric == "mrr" and neg.ndim == 1:
        if neg.size % pos.numel():
            raise GraphaeError(
                f"{neg.size} flat negative scores for {pos.numel()} positives; an MRR dataset "
                "needs the same number K of negatives per positive, (P, K) or P·K in turn"
            )
        neg = neg.reshape(pos.numel(), -1)
    neg = torch.from_numpy(neg)
    with contextlib.redirect_stdout(io.StringIO()):  # the Evaluator prints on some paths
        evaluator = Evaluator(name=ogb_name)
        res = evaluator.eval({"y_pred_pos": pos, "y_pred_neg": neg})
    if metric == "mrr":
        return {
            "mrr": float(res["mrr_list"].double().mean()),
            "hits@1": float(res["hits@1_list"].double().mean()),
            "hits@3": float(res["hits@3_list"].double().mean()),
            "hits@10": float(res["hits@10_list"].double().mean()),
        }
    if metric == "rocauc":
        return {"auc": float(res["rocauc"])}
    return {metric: float(res[metric])}


# --------------------------------------------------------------------------- probes


def _embeddings(z: Any) -> np.ndarray:
    arr = _to_numpy(z, "embeddings")
    if arr.ndim != 2:
        raise GraphaeError(f"embeddings must be an (N, d) matrix, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise GraphaeError("embeddings contain NaN or infinite values (did training diverge?)")
    return arr


def _labels(y: Any, n: int) -> np.ndarray:
    arr = _to_numpy(y, "labels", dtype=np.int64).reshape(-1)
    if arr.size != n:
        raise GraphaeError(f"{arr.size} labels for {n} embeddings; they must match row for row")
    return arr


def _mask(m: Any, n: int, name: str) -> np.ndarray:
    arr = _to_numpy(m, name, dtype=bool).reshape(-1)
    if arr.size != n:
        raise GraphaeError(f"{name} has {arr.size} entries for {n} nodes")
    return arr


def _fit_logreg(x: np.ndarray, y: np.ndarray, c: float, seed: int) -> Any:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, solver="lbfgs", max_iter=1000, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, y)
    return clf


def random_node_split(
    y: np.ndarray, train_frac: float = 0.1, val_frac: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded stratified train/val/test node masks over labelled nodes (``y >= 0``).

    Falls back to an unstratified split (logged) when a class is too small to
    stratify.

    Args:
        y: ``(N,)`` integer labels, ``-1`` = unknown.
        train_frac: Fraction of labelled nodes for training.
        val_frac: Fraction for validation; the rest is test.
        seed: Split seed.

    Returns:
        ``(train_mask, val_mask, test_mask)``, each ``(N,)`` bool.
    """
    from sklearn.model_selection import train_test_split

    if not (train_frac > 0 and val_frac > 0 and train_frac + val_frac < 1):
        raise GraphaeError(
            f"train_frac={train_frac} and val_frac={val_frac} must be > 0 and sum to < 1"
        )
    idx = np.flatnonzero(y >= 0)
    yl = y[idx]
    rest_val = val_frac / (1 - train_frac)
    try:
        tr, rest = train_test_split(idx, train_size=train_frac, stratify=yl, random_state=seed)
        va, te = train_test_split(rest, train_size=rest_val, stratify=y[rest], random_state=seed)
    except ValueError:
        logger.info("node probe: classes too small to stratify; using an unstratified split")
        try:
            tr, rest = train_test_split(idx, train_size=train_frac, random_state=seed)
            va, te = train_test_split(rest, train_size=rest_val, random_state=seed)
        except ValueError as e:
            raise GraphaeError(
                f"too few labelled nodes ({idx.size}) for a probe split: {_first_line(e)}"
            ) from None
    masks = []
    for part in (tr, va, te):
        m = np.zeros(y.size, dtype=bool)
        m[part] = True
        masks.append(m)
    return masks[0], masks[1], masks[2]


def node_probe(
    z: Any,
    y: Any,
    train_mask: Any = None,
    val_mask: Any = None,
    test_mask: Any = None,
    seed: int = 0,
    Cs: Sequence[float] = DEFAULT_CS,
) -> dict[str, float]:
    """Linear-probe node classification on frozen embeddings.

    Embeddings are standardised with a scaler fit on the training nodes only;
    a logistic regression (lbfgs) is trained for each ``C`` in ``Cs``; the ``C``
    with the best validation accuracy (the first in ``Cs`` on ties) is kept and its
    test accuracy reported. Nodes with ``y == -1`` are ignored.

    Args:
        z: ``(N, d)`` embeddings.
        y: ``(N,)`` integer labels, ``-1`` = unknown.
        train_mask, val_mask, test_mask: ``(N,)`` bool masks of a public split
            (e.g. Planetoid); all three or none. When none, a fixed seeded
            stratified 10% / 10% / 80% split of the labelled nodes is used.
        seed: Seed of the fallback split and of the classifier.
        Cs: Inverse regularisation strengths to choose from.

    Returns:
        ``{"accuracy": test accuracy, "val_accuracy": ..., "C": chosen C}``.

    Raises:
        GraphaeError: On mismatched shapes, NaN embeddings, partial masks or a
            training part with fewer than two classes.
    """
    from sklearn.preprocessing import StandardScaler

    x = _embeddings(z)
    labels = _labels(y, x.shape[0])
    given = [m is not None for m in (train_mask, val_mask, test_mask)]
    if any(given) and not all(given):
        raise GraphaeError("node_probe needs all of train_mask, val_mask and test_mask, or none")
    if all(given):
        n = x.shape[0]
        known = labels >= 0
        tr = _mask(train_mask, n, "train_mask") & known
        va = _mask(val_mask, n, "val_mask") & known
        te = _mask(test_mask, n, "test_mask") & known
        source = "given"
    else:
        tr, va, te = random_node_split(labels, seed=seed)
        source = "random 10/10/80"
    for name, m in (("train", tr), ("validation", va), ("test", te)):
        if not m.any():
            raise GraphaeError(f"node probe: the {name} part has no labelled nodes")
    if np.unique(labels[tr]).size < 2:
        raise GraphaeError("node probe: the training part holds fewer than two classes")
    scaler = StandardScaler().fit(x[tr])
    xs = scaler.transform(x)
    best: tuple[float, float, Any] | None = None
    for c in Cs:
        clf = _fit_logreg(xs[tr], labels[tr], c, seed)
        val_acc = float((clf.predict(xs[va]) == labels[va]).mean())
        if best is None or val_acc > best[0]:
            best = (val_acc, c, clf)
    assert best is not None, "Cs must not be empty"
    val_acc, c, clf = best
    test_acc = float((clf.predict(xs[te]) == labels[te]).mean())
    logger.info(
        "node probe (%s split, %d/%d/%d): C=%g val %.4f test %.4f",
        source, tr.sum(), va.sum(), te.sum(), c, val_acc, test_acc,
    )  # fmt: skip
    return {"accuracy": test_acc, "val_accuracy": val_acc, "C": float(c)}


def _pairs(p: Any, name: str, n: int) -> np.ndarray:
    arr = _to_numpy(p, name, dtype=np.int64)
    if arr.ndim != 2 or arr.shape[0] != 2:
        raise GraphaeError(f"{name} must be a (2, P) array of node pairs, got shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise GraphaeError(f"{name} holds node indices outside 0..{n - 1}")
    return arr


def _hadamard(x: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    return x[pairs[0]] * x[pairs[1]]


def link_probe(
    z: Any,
    train_pos: Any,
    train_neg: Any,
    test_pos: Any,
    test_neg: Any,
    *,
    val_pos: Any = None,
    val_neg: Any = None,
    C: float = 1.0,
    Cs: Sequence[float] = DEFAULT_CS,
    max_train_pairs: int | None = 200_000,
    seed: int = 0,
) -> dict[str, float]:
    """Linear link probe: logistic regression on ``z_u ⊙ z_v`` of frozen embeddings.

    Pair features are standardised with a scaler fit on the training pairs.
    With ``val_pos``/``val_neg`` the ``C`` is chosen from ``Cs`` by validation
    AUC; otherwise ``C`` is used.

    Args:
        z: ``(N, d)`` embeddings.
        train_pos, train_neg: ``(2, P)`` / ``(2, Q)`` training pairs (rows of ``z``).
        test_pos, test_neg: ``(2, P')`` / ``(2, Q')`` test pairs.
        val_pos, val_neg: Optional validation pairs for choosing ``C``.
        C: Inverse regularisation strength when no validation pairs are given.
        Cs: Candidates when validation pairs are given.
        max_train_pairs: Cap on training pairs (a seeded sample keeping the
            positive/negative proportion, logged); ``None`` for no cap.
        seed: Seed of the sample and the classifier.

    Returns:
        ``{"auc", "ap"}`` on the test pairs (plus ``"val_auc"`` and ``"C"`` when
        validation pairs are given).
    """
    from sklearn.metrics import average_precision_score, roc_auc_score
    from sklearn.preprocessing import StandardScaler

    x = _embeddings(z)
    n = x.shape[0]
    tp, tn = _pairs(train_pos, "train_pos", n), _pairs(train_neg, "train_neg", n)
    if tp.shape[1] == 0 or tn.shape[1] == 0:
        raise GraphaeError("link probe needs training positives and negatives")
    total = tp.shape[1] + tn.shape[1]
    if max_train_pairs is not None and total > max_train_pairs:
        rng = np.random.default_rng(seed)
        keep_p = max(1, round(max_train_pairs * tp.shape[1] / total))
        keep_n = max(1, max_train_pairs - keep_p)
        tp = tp[:, rng.choice(tp.shape[1], keep_p, replace=False)]
        tn = tn[:, rng.choice(tn.shape[1], min(keep_n, tn.shape[1]), replace=False)]
        logger.info(
            "link probe: trained on a sample of %d of %d pairs", tp.shape[1] + tn.shape[1], total
        )
    x_train = np.concatenate([_hadamard(x, tp), _hadamard(x, tn)])
    y_train = np.concatenate([np.ones(tp.shape[1]), np.zeros(tn.shape[1])])
    scaler = StandardScaler().fit(x_train)
    x_train = scaler.transform(x_train)

    def features(pos: Any, neg: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
        p, q = _pairs(pos, f"{name}_pos", n), _pairs(neg, f"{name}_neg", n)
        if p.shape[1] == 0 or q.shape[1] == 0:
            raise GraphaeError(f"link probe needs {name} positives and negatives")
        f = scaler.transform(np.concatenate([_hadamard(x, p), _hadamard(x, q)]))
        return f, np.concatenate([np.ones(p.shape[1]), np.zeros(q.shape[1])])

    out: dict[str, float] = {}
    if (val_pos is None) != (val_neg is None):
        raise GraphaeError("link probe needs both val_pos and val_neg, or neither")
    if val_pos is not None:
        xv, yv = features(val_pos, val_neg, "val")
        best: tuple[float, float, Any] | None = None
        for c in Cs:
            clf = _fit_logreg(x_train, y_train, c, seed)
            auc = float(roc_auc_score(yv, clf.decision_function(xv)))
            if best is None or auc > best[0]:
                best = (auc, c, clf)
        assert best is not None, "Cs must not be empty"
        out["val_auc"], out["C"], clf = best[0], float(best[1]), best[2]
    else:
        clf = _fit_logreg(x_train, y_train, C, seed)
    xt, yt = features(test_pos, test_neg, "test")
    s = clf.decision_function(xt)
    out = {"auc": float(roc_auc_score(yt, s)), "ap": float(average_precision_score(yt, s)), **out}
    logger.info("link probe: test AUC %.4f AP %.4f", out["auc"], out["ap"])
    return out


def split_link_probe(
    z: Any, split: Any, num_nodes: int, seed: int = 0, max_pairs: int = 50_000
) -> float | None:
    """``probe/link_auc`` of a run: :func:`link_probe` on a link split.

    Trained on a seeded sample of at most ``max_pairs`` of the split's training
    positives with as many sampled non-edges, scored on the split's test pairs.
    Every caller (a run's final embeddings, baselines, hidden layers) draws the
    same sample for the same seed.

    Args:
        z: ``(N, d)`` embeddings.
        split: The run's :class:`~graphae.data.split.LinkSplit`.
        num_nodes: ``N``.
        seed: Seed of the sample.
        max_pairs: Cap on training positives.

    Returns:
        Test AUC, or ``None`` when the split has no test pairs (``test_ratio=0``).
    """
    import torch

    from graphae.data.split import EdgeSet, has_pairs, sample_negatives

    if not has_pairs(split.test_pos, split.test_neg):
        return None
    gen = torch.Generator().manual_seed(seed)
    train_pos = split.train_pos.cpu()
    if train_pos.size(1) > max_pairs:
        train_pos = train_pos[:, torch.randperm(train_pos.size(1), generator=gen)[:max_pairs]]
    exclude = EdgeSet(split.train_pos.cpu(), num_nodes, directed=split.directed)
    train_neg = sample_negatives(train_pos.size(1), exclude, generator=gen, device="cpu")
    lp = link_probe(
        z,
        train_pos.numpy(),
        train_neg.numpy(),
        split.test_pos.cpu().numpy(),
        split.test_neg.cpu().numpy(),
    )
    return float(lp["auc"])


def cluster_nmi(z: Any, y: Any, seed: int = 0, n_init: int = 10) -> float:
    """k-means NMI of the embeddings against the labels.

    Args:
        z: ``(N, d)`` embeddings (clustered as given, not standardised).
        y: ``(N,)`` integer labels; nodes with ``-1`` are left out.
        seed: k-means seed.
        n_init: k-means restarts.

    Returns:
        Normalised mutual information (arithmetic mean normalisation) in ``[0, 1]``.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    x = _embeddings(z)
    labels = _labels(y, x.shape[0])
    known = labels >= 0
    x, labels = x[known], labels[known]
    k = int(np.unique(labels).size)
    if k < 2:
        raise GraphaeError("cluster NMI needs at least two classes among the labelled nodes")
    if x.shape[0] < k:
        raise GraphaeError(f"cluster NMI needs at least {k} labelled nodes, got {x.shape[0]}")
    pred = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(x)
    nmi = float(normalized_mutual_info_score(labels, pred))
    logger.info("cluster NMI (k=%d): %.4f", k, nmi)
    return nmi
