"""Numbers and tables as the report writes them: "0.856 ± 0.006", "13,039", "—".

Shared by the report's text (:mod:`graphae.bench.report`) and its plots
(:mod:`graphae.bench.plots`); pure string formatting, no pandas or matplotlib.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "METRIC_NAMES",
    "count",
    "format_loss",
    "format_params",
    "format_value",
    "markdown_table",
]

#: How the report names a metric column, in its text and on its axes.
METRIC_NAMES = {
    "probe/node_accuracy": "node-probe accuracy",
    "probe/link_auc": "link-probe AUC",
    "probe/nmi": "k-means NMI",
    "link/auc": "decoder link AUC",
    "recon/loss": "reconstruction loss",
}


def format_value(mean: Any, std: Any = None, scale: float = 1.0, digits: int = 3) -> str:
    """``"mean ± std"`` to ``digits`` decimals; ``"—"`` for a missing mean.

    Args:
        mean: The value; ``None`` or NaN gives ``"—"``.
        std: Its standard deviation, left out when ``None`` or NaN.
        scale: Multiplies both (``100`` for percentages).
        digits: Decimals of both.
    """
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "—"
    s = f"{scale * float(mean):.{digits}f}"
    if std is not None and not (isinstance(std, float) and math.isnan(std)):
        s += f" ± {scale * float(std):.{digits}f}"
    return s


def format_loss(mean: Any, std: Any = None, significant: int = 4) -> str:
    """A loss to ``significant`` digits, its std to the same decimals.

    Losses span 0.008 (a feature MSE) to 1.4 (a pair BCE): a fixed 4 decimals
    showed 0.010862 ± 0.000043 as "0.0109 ± 0.0000".
    """
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "—"
    v = float(mean)
    digits = significant - 1 - math.floor(math.log10(abs(v))) if v != 0 else significant
    return format_value(v, std, digits=max(0, digits))


def format_params(v: Any) -> str:
    """A parameter count with thousands separators (``13039`` -> ``"13,039"``)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{round(float(v)):,}"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub Markdown table: one header row, a rule, one line per row of cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``"1 run"``, ``"3 runs"``: ``n`` with its noun in the right number.

    Args:
        n: How many.
        noun: The singular (``"finished run"``).
        plural: The plural when it is not ``noun + "s"``.
    """
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"
