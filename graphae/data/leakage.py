"""Leakage checks for link-prediction splits: ours, PyG ``RandomLinkSplit`` outputs, OGB's.

:func:`check_split` takes a split in any of these forms and answers, per part
(train / val / test), how many pairs break a protocol rule of design.md:

========================================  =====================================================
check                                     what it counts
========================================  =====================================================
``pos_in_mp``                             val/test positives present, as given, in the graph
                                          the encoder propagates over when scoring that part
``pos_reversed_in_mp``                    val/test positives ``(u, v)`` whose reverse ``(v, u)``
                                          is in that message-passing graph (the classic
                                          leak of splitting an undirected graph's directed
                                          edge list: PyG ``RandomLinkSplit(is_undirected=False)``)
``neg_is_edge``                           negatives that are true edges of the graph (the
                                          false-negative rate; must be 0)
``neg_self_loop``                         negatives ``(u, u)``
``pos_in_train``                          val/test positives that are also training positives
``pos_in_val``                            test positives that are also validation positives
========================================  =====================================================

Pairs are compared *unordered* unless the split is directed (our directed
splits, or ``directed=True``); for a directed split ``pos_reversed_in_mp`` is
reported as information, not as a leak, since ``v -> u`` is then a different
edge. A message-passing graph of a later part may include the positives of an
earlier one (PyG passes validation edges to the encoder at test time); that is
not counted.

The report's :attr:`SplitReport.clean` is ``False`` as soon as one leak check
counts a pair; ``graphae check-split`` then exits with code 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from graphae.data.split import LinkSplit, pair_keys
from graphae.errors import GraphaeError

PARTS = ("train", "val", "test")

#: ``name -> (description, is_a_leak)`` in table order.
CHECKS: dict[str, tuple[str, bool]] = {
    "pos_in_mp": ("positive in message-passing graph", True),
    "pos_reversed_in_mp": ("positive reversed in message-passing graph", True),
    "neg_is_edge": ("negative is a true edge", True),
    "neg_self_loop": ("negative is a self loop", True),
    "pos_in_train": ("positive is also a train positive", True),
    "pos_in_val": ("positive is also a val positive", True),
}


@dataclass
class CheckResult:
    """One check on one part of a split.

    Attributes:
        check: Key of :data:`CHECKS`.
        part: ``"train"``, ``"val"`` or ``"test"``.
        count: Pairs that fail the check.
        total: Pairs checked.
        leak: Whether a non-zero count is a leak (else information only).
        examples: Up to three failing pairs ``(u, v)`` (node rows).
    """

    check: str
    part: str
    count: int
    total: int
    leak: bool
    examples: list[tuple[int, int]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """``count / total`` (0 for an empty part)."""
        return self.count / self.total if self.total else 0.0


@dataclass
class SplitReport:
    """What :func:`check_split` found.

    Attributes:
        source: What was checked (``"graphae random split"``, ``"PyG RandomLinkSplit"``...).
        num_nodes: ``N``.
        directed: Whether pairs were compared ordered.
        sizes: Pair counts per part (``train_pos``, ``val_pos``, ``val_neg``...).
        results: Every check that applies, in table order.
    """

    source: str
    num_nodes: int
    directed: bool
    sizes: dict[str, int]
    results: list[CheckResult]

    @property
    def leaks(self) -> list[CheckResult]:
        """Leak checks with a non-zero count."""
        return [r for r in self.results if r.leak and r.count > 0]

    @property
    def clean(self) -> bool:
        """No leak found."""
        return not self.leaks

    def get(self, check: str, part: str) -> CheckResult | None:
        """The result of ``check`` on ``part``, or ``None`` when it does not apply."""
        return next((r for r in self.results if r.check == check and r.part == part), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "source": self.source,
            "num_nodes": self.num_nodes,
            "directed": self.directed,
            "sizes": self.sizes,
            "clean": self.clean,
            "results": [
                {
                    "check": r.check,
                    "part": r.part,
                    "count": r.count,
                    "total": r.total,
                    "rate": r.rate,
                    "leak": r.leak,
                    "examples": [list(e) for e in r.examples],
                }
                for r in self.results
            ],
        }

    def table(self) -> str:
        """A small text table: one row per check, one column per part, and a verdict."""
        mode = "directed (ordered pairs)" if self.directed else "undirected (unordered pairs)"
        sizes = ", ".join(f"{k} {v}" for k, v in self.sizes.items())
        lines = [f"split: {self.source}; {self.num_nodes} nodes; {mode}", f"sizes: {sizes}"]
        rows = [("check", *PARTS, "status")]
        for key, (desc, _) in CHECKS.items():
            cells = []
            status = "ok"
            found = False
            for part in PARTS:
                r = self.get(key, part)
                if r is None:
                    cells.append("-")
                    continue
                found = True
                cell = f"{r.count}/{r.total}"
                if r.count:
                    cell += f" ({100 * r.rate:.1f}%)"
                    status = "LEAK" if r.leak else "info"
                cells.append(cell)
            if found:
                rows.append((desc, *cells, status))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if self.clean:
            lines.append("verdict: clean (no leak found)")
        else:
            by_check: dict[str, list[str]] = {}
            for r in self.leaks:
                by_check.setdefault(CHECKS[r.check][0], []).append(r.part)
            names = [f"{c} ({', '.join(parts)})" for c, parts in by_check.items()]
            first = self.leaks[0]
            ex = ", ".join(f"({u}, {v})" for u, v in first.examples)
            lines.append(f"verdict: LEAK in {len(by_check)} check(s): " + "; ".join(names))
            if ex:
                lines.append(f"e.g. {first.part} {CHECKS[first.check][0]}: {ex}")
        return "\n".join(lines)


# ------------------------------------------------------------------ normalised input


@dataclass
class _Parts:
    num_nodes: int
    directed: bool
    source: str
    pos: dict[str, Tensor]
    neg: dict[str, Tensor | None]
    mp: dict[str, Tensor | None]


def _as_pairs(t: Any, what: str) -> Tensor:
    if not isinstance(t, Tensor):
        raise GraphaeError(f"{what} must be a (2, P) tensor, got {type(t).__name__}")
    t = t.detach().cpu()
    if t.numel() == 0:
        return torch.empty(2, 0, dtype=torch.long)
    if t.dim() == 2 and t.size(0) != 2 and t.size(1) == 2:
        t = t.t()  # OGB stores (P, 2)
    if t.dim() != 2 or t.size(0) != 2:
        raise GraphaeError(f"{what} must have shape (2, P), got {tuple(t.shape)}")
    if t.is_floating_point() and not bool((t == t.round()).all()):
        raise GraphaeError(f"{what} holds non-integer node ids")
    return t.long()


def _labelled(d: Mapping[str, Any], part: str) -> tuple[Tensor | None, Tensor | None]:
    """Positives and negatives of one PyG-style part (``edge_label_index``/``edge_label``)."""
    if "pos_edge_label_index" in d:  # RandomLinkSplit(split_labels=True)
        pos = _as_pairs(d["pos_edge_label_index"], f"{part}.pos_edge_label_index")
        neg = d.get("neg_edge_label_index")
        return pos, _as_pairs(neg, f"{part}.neg_edge_label_index") if neg is not None else None
    if "edge_label_index" not in d:
        return None, None
    eli = _as_pairs(d["edge_label_index"], f"{part}.edge_label_index")
    label = d.get("edge_label")
    if label is None:
        return eli, None
    label = torch.as_tensor(label).detach().cpu().reshape(-1)
    if label.numel() != eli.size(1):
        raise GraphaeError(f"{part}.edge_label has {label.numel()} entries for {eli.size(1)} pairs")
    return eli[:, label != 0], eli[:, label == 0]


def _mapping(obj: Any) -> Mapping[str, Any] | None:
    if isinstance(obj, Mapping):
        return obj
    to_dict = getattr(obj, "to_dict", None)  # PyG Data
    if callable(to_dict):
        d = dict(to_dict())
        if getattr(obj, "num_nodes", None) is not None:
            d.setdefault("num_nodes", int(obj.num_nodes))
        return d
    return None


def _from_pyg_parts(
    parts: Sequence[Any] | Mapping[str, Any],
) -> tuple[dict, dict, dict, int | None]:
    if isinstance(parts, Mapping):
        seq = [parts.get("train"), parts.get("val", parts.get("valid")), parts.get("test")]
    else:
        seq = list(parts)
    if len(seq) != 3 or any(p is None for p in seq):
        raise GraphaeError("a PyG-style split needs three parts: train, val and test")
    pos: dict[str, Tensor] = {}
    neg: dict[str, Tensor | None] = {}
    mp: dict[str, Tensor | None] = {}
    n: int | None = None
    for name, part in zip(PARTS, seq, strict=True):
        d = _mapping(part)
        if d is None:
            raise GraphaeError(
                f"{name} part must be a PyG Data or a dict of tensors, got {type(part).__name__}"
            )
        p, q = _labelled(d, name)
        if p is None:
            raise GraphaeError(
                f"{name} part has no edge_label_index (or pos_edge_label_index); "
                "is it the output of RandomLinkSplit?"
            )
        pos[name], neg[name] = p, q
        ei = d.get("edge_index")
        mp[name] = _as_pairs(ei, f"{name}.edge_index") if ei is not None else None
        if d.get("num_nodes") is not None:
            n = max(n or 0, int(d["num_nodes"]))
    return pos, neg, mp, n


def _normalise(split: Any, num_nodes: int | None, directed: bool | None) -> _Parts:
    if isinstance(split, LinkSplit):
        mp = split.mp_edge_index.cpu()
        source = "graphae official split" if split.source == "official" else "graphae random split"
        return _Parts(
            num_nodes=split.num_nodes if num_nodes is None else num_nodes,
            directed=split.directed if directed is None else directed,
            source=source,
            pos={
                "train": split.train_pos.cpu(),
                "val": split.val_pos.cpu(),
                "test": split.test_pos.cpu(),
            },
            neg={"train": None, "val": split.val_neg.cpu(), "test": split.test_neg.cpu()},
            mp={"train": mp, "val": mp, "test": mp},
        )
    m = _mapping(split) if not isinstance(split, Sequence) else None
    if m is not None and "train_pos" in m:  # LinkSplit fields as a dict of tensors
        need = ["mp_edge_index", "train_pos", "val_pos", "val_neg", "test_pos", "test_neg"]
        missing = [k for k in need if k not in m]
        if missing:
            raise GraphaeError(
                f"LinkSplit tensors missing {', '.join(missing)}; give all of {', '.join(need)}"
            )
        mp = _as_pairs(m["mp_edge_index"], "mp_edge_index")
        pos = {k: _as_pairs(m[f"{k}_pos"], f"{k}_pos") for k in PARTS}
        neg = {
            "train": None,
            "val": _as_pairs(m["val_neg"], "val_neg"),
            "test": _as_pairs(m["test_neg"], "test_neg"),
        }
        n = num_nodes if num_nodes is not None else m.get("num_nodes")
        return _Parts(
            num_nodes=int(n) if n is not None else _max_node(pos, neg, {"mp": mp}) + 1,
            directed=bool(m.get("directed", False)) if directed is None else directed,
            source="LinkSplit tensors",
            pos=pos,
            neg=neg,
            mp={"train": mp, "val": mp, "test": mp},
        )
    if isinstance(split, Sequence | Mapping) and not isinstance(split, str | bytes):
        pos, neg, mp, n = _from_pyg_parts(split)
        if num_nodes is not None:
            n = num_nodes
        return _Parts(
            num_nodes=n if n is not None else _max_node(pos, neg, mp) + 1,
            directed=bool(directed),
            source="PyG-style train/val/test parts",
            pos=pos,
            neg=neg,
            mp=mp,
        )
    raise GraphaeError(
        f"cannot check a split of type {type(split).__name__}; give a LinkSplit, "
        "RandomLinkSplit's (train, val, test) output, or a dict of such tensors"
    )


def _max_node(*groups: Mapping[str, Tensor | None]) -> int:
    top = -1
    for g in groups:
        for t in g.values():
            if t is not None and t.numel():
                top = max(top, int(t.max()))
    return top


# ------------------------------------------------------------------ checks


def _member(keys: Tensor, table: Tensor) -> Tensor:
    if table.numel() == 0 or keys.numel() == 0:
        return torch.zeros(keys.numel(), dtype=torch.bool)
    idx = torch.searchsorted(table, keys).clamp_(max=table.numel() - 1)
    return table[idx] == keys


def _table(pairs: Tensor, n: int, directed: bool) -> Tensor:
    return torch.unique(pair_keys(pairs, n, directed))


def _result(check: str, part: str, pairs: Tensor, bad: Tensor, leak: bool) -> CheckResult:
    idx = bad.nonzero().flatten()[:3]
    ex = [(int(pairs[0, i]), int(pairs[1, i])) for i in idx]
    return CheckResult(check, part, int(bad.sum()), int(pairs.size(1)), leak, ex)


def check_split(
    split: Any,
    edge_index: Tensor | None = None,
    *,
    num_nodes: int | None = None,
    directed: bool | None = None,
    source: str | None = None,
) -> SplitReport:
    """Check a link split for leaks (see the module docstring for the checks).

    Args:
        split: A :class:`~graphae.data.split.LinkSplit` (ours or an official OGB
            one), the ``(train, val, test)`` output of PyG's ``RandomLinkSplit``
            (``Data`` objects with ``edge_index``, ``edge_label_index`` and
            ``edge_label``, or ``pos_/neg_edge_label_index``), or the same as
            dicts of tensors (``{"train": {...}, "val": {...}, "test": {...}}``,
            or ``LinkSplit`` field names).
        edge_index: ``(2, E)`` edges of the *full* graph, for the
            negatives-that-are-edges check; the union of every part's
            positives and message-passing edges is always added to it (for
            OGB the dataset's graph holds the training edges only).
        num_nodes: ``N`` (default: from the split).
        directed: Compare ordered pairs. Default: the split's own setting for a
            ``LinkSplit``, else ``False`` (undirected, as for Planetoid/OGB-style
            graphs stored with both directions).
        source: Name of what is checked, for the report.

    Returns:
        The :class:`SplitReport`.

    Raises:
        GraphaeError: When ``split`` is none of the accepted forms.
    """
    p = _normalise(split, num_nodes, directed)
    n, d = p.num_nodes, p.directed
    if n <= 0:
        raise GraphaeError("the split has no nodes")
    for group in (p.pos, p.neg, p.mp):
        for part, t in group.items():
            if t is not None and t.numel() and (int(t.min()) < 0 or int(t.max()) >= n):
                raise GraphaeError(f"{part} pairs hold node ids outside 0..{n - 1}")
    pieces = [t for g in (p.pos, p.mp) for t in g.values() if t is not None]
    if edge_index is not None:
        pieces.append(_as_pairs(edge_index, "edge_index"))
    full = torch.cat(pieces, 1) if pieces else torch.empty(2, 0, dtype=torch.long)
    full_t = _table(full, n, d)
    train_t = _table(p.pos["train"], n, d)
    val_t = _table(p.pos["val"], n, d)
    results: list[CheckResult] = []
    for part in ("val", "test"):
        pos = p.pos[part]
        mp = p.mp[part]
        if mp is not None:
            mp_t = _table(mp, n, True)
            same = _member(pair_keys(pos, n, True), mp_t)
            rev = _member(pair_keys(pos.flip(0), n, True), mp_t) & ~same
            results.append(_result("pos_in_mp", part, pos, same, True))
            results.append(_result("pos_reversed_in_mp", part, pos, rev, not d))
    for part in PARTS:
        neg = p.neg[part]
        if neg is None:
            continue
        results.append(
            _result("neg_is_edge", part, neg, _member(pair_keys(neg, n, d), full_t), True)
        )
        results.append(_result("neg_self_loop", part, neg, neg[0] == neg[1], True))
    for part in ("val", "test"):
        pos = p.pos[part]
        results.append(
            _result("pos_in_train", part, pos, _member(pair_keys(pos, n, d), train_t), True)
        )
    test = p.pos["test"]
    results.append(_result("pos_in_val", "test", test, _member(pair_keys(test, n, d), val_t), True))
    order = {k: i for i, k in enumerate(CHECKS)}
    results.sort(key=lambda r: (order[r.check], PARTS.index(r.part)))
    sizes = {f"{k}_pos": int(p.pos[k].size(1)) for k in PARTS}
    for k in PARTS:
        if p.neg[k] is not None:
            sizes[f"{k}_neg"] = int(p.neg[k].size(1))  # type: ignore[union-attr]
    if p.mp["train"] is not None:
        sizes["mp_edges"] = int(p.mp["train"].size(1))  # type: ignore[union-attr]
    return SplitReport(source or p.source, n, d, sizes, results)


def pyg_random_link_split(
    edge_index: Tensor,
    num_nodes: int,
    *,
    seed: int = 0,
    x: Tensor | None = None,
    **options: Any,
) -> tuple[Any, Any, Any]:
    """Run PyG's ``RandomLinkSplit(**options)`` on a graph (seeded), for :func:`check_split`.

    Args:
        edge_index: ``(2, E)`` edges as the dataset stores them.
        num_nodes: ``N``.
        seed: ``torch.manual_seed`` before splitting.
        x: Node features (optional; only carried along).
        **options: ``RandomLinkSplit`` keyword arguments (its defaults otherwise:
            ``num_val=0.1, num_test=0.2, is_undirected=False``).

    Returns:
        ``(train_data, val_data, test_data)``.

    Raises:
        GraphaeError: On an option ``RandomLinkSplit`` does not take.
    """
    import inspect

    from torch_geometric.data import Data
    from torch_geometric.transforms import RandomLinkSplit

    valid = sorted(inspect.signature(RandomLinkSplit).parameters)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise GraphaeError(
            f"RandomLinkSplit has no option {', '.join(map(repr, unknown))}; valid options: "
            + ", ".join(valid)
        )
    data = Data(edge_index=edge_index.cpu(), num_nodes=num_nodes)
    if x is not None:
        data.x = x
    state = torch.get_rng_state()
    torch.manual_seed(seed)
    try:
        return RandomLinkSplit(**options)(data)
    except (ValueError, TypeError, AssertionError) as e:
        raise GraphaeError(f"RandomLinkSplit({options}) failed: {e}") from None
    finally:
        torch.set_rng_state(state)
