"""Published anchors: read ``benchmarks/anchors.md`` and match its rows to a sweep's summary.

The anchors file holds a Markdown table with the columns ``method``,
``dataset``, ``metric``, ``published``, ``graphae metric``, ``graphae row``,
``protocol`` and ``source``. ``graphae row`` is a space-separated list of
conditions ``key=value``, ``key!=value``, ``key>value`` or ``key<value`` on the
summary table; ``key`` is a column (``decoder_name``, ``encoder``, ``variant``...)
or a :class:`~graphae.config.RunConfig` field (looked up as ``cfg/<key>``). A
condition on a field the sweep does not have never matches.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["default_anchors_path", "match_anchors", "read_anchors"]

_COND = re.compile(r"^([A-Za-z_][\w/@.]*)(>=|<=|!=|=|>|<)(.*)$")


def default_anchors_path() -> Path | None:
    """``benchmarks/anchors.md`` of the source tree, when graphae runs from a checkout."""
    import graphae

    path = Path(graphae.__file__).resolve().parent.parent / "benchmarks" / "anchors.md"
    return path if path.is_file() else None


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def read_anchors(path: str | Path) -> list[dict[str, str]]:
    """Rows of the first Markdown table whose header has ``graphae metric``.

    Args:
        path: The anchors Markdown file.

    Returns:
        One dict per row keyed by the lower-case header names.
    """
    lines = Path(path).read_text().splitlines()
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    for line in lines:
        if not line.strip().startswith("|"):
            if rows:
                break
            header = None
            continue
        cells = _cells(line)
        if header is None:
            low = [c.lower() for c in cells]
            if "graphae metric" in low:
                header = low
            continue
        if all(set(c) <= set("-: ") for c in cells):
            continue
        rows.append(dict(zip(header, cells, strict=False)))
    return rows


def _value(text: str) -> Any:
    t = text.strip()
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    try:
        return float(t)
    except ValueError:
        return t


def _holds(row: pd.Series, cond: str) -> bool:
    m = _COND.match(cond)
    if not m:
        return False
    key, op, raw = m.groups()
    col = key if key in row.index else f"cfg/{key}"
    if col not in row.index:
        return False
    have, want = row[col], _value(raw)
    if isinstance(have, float) and pd.isna(have):
        return False
    if isinstance(want, bool) or isinstance(have, (bool,)):
        have_b = str(have).lower() in ("true", "1", "1.0")
        return (
            (have_b == bool(want)) if op == "=" else (have_b != bool(want)) if op == "!=" else False
        )
    if isinstance(want, float):
        try:
            h = float(have)
        except (TypeError, ValueError):
            return False
        return {
            "=": h == want,
            "!=": h != want,
            ">": h > want,
            "<": h < want,
            ">=": h >= want,
            "<=": h <= want,
        }[op]
    eq = str(have).lower() == str(want).lower()
    return eq if op == "=" else (not eq) if op == "!=" else False


def match_anchors(anchors: list[dict[str, str]], summary: pd.DataFrame) -> list[dict[str, Any]]:
    """Set each anchor beside the sweep's matching configuration.

    Among several matching model configurations the one with the best mean of
    the anchor's metric is shown, and the number of matches is reported (so a
    reader knows a choice was made).

    Args:
        anchors: :func:`read_anchors` rows.
        summary: The sweep's summary table.

    Returns:
        One dict per anchor: the anchor's fields plus ``ours`` (mean, in the
        anchor's percent scale), ``ours_std``, ``n``, ``configuration`` and
        ``matches``.
    """
    out = []
    models = summary[summary["kind"] == "model"] if not summary.empty else summary
    for a in anchors:
        rec: dict[str, Any] = {
            **a,
            "ours": None,
            "ours_std": None,
            "n": 0,
            "configuration": "",
            "matches": 0,
        }
        metric = a.get("graphae metric", "")
        if models.empty or metric not in models.columns:
            out.append(rec)
            continue
        ds = models["dataset"].astype(str).str.lower() == a.get("dataset", "").lower()
        cand = models[ds]
        conds = a.get("graphae row", "").split()
        keep = [all(_holds(r, c) for c in conds) for _, r in cand.iterrows()]
        cand = cand[pd.Series(keep, index=cand.index, dtype=bool)]
        cand = cand[cand[metric].notna()]
        if cand.empty:
            out.append(rec)
            continue
        best = cand.loc[cand[metric].idxmax()]
        std = best.get(f"{metric}_std")
        rec.update(
            ours=100 * float(best[metric]),
            ours_std=None if std is None or pd.isna(std) else 100 * float(std),
            n=int(best["n"]),
            configuration=f"{best['encoder']} / {best['decoder']} / {best['variant']}",
            matches=len(cand),
        )
        out.append(rec)
    return out
