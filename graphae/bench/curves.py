"""Training curves and convergence of a sweep's runs, for ``graphae report``.

Did each rung train long enough? Two answers, from what every run folder keeps:

* :func:`convergence_table` — from every run's ``best_epoch`` and
  ``epochs_run``: how many seeds selected an epoch in the last tenth of their
  training (their validation score was still rising when training ended, so a
  longer budget might change the row);
* :func:`mean_curves` / :func:`plot_curves` — where the sweep saves histories
  (``save: {history: true}``; :func:`graphae.bench.aggregate.collect` gathers
  them as ``info["curves"]``), the validation selection score and the training
  loss per epoch, averaged over seeds, one line per configuration
  (``plots/curves.png``, ``tables/curves.csv``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from graphae.bench.aggregate import GROUP_KEYS

__all__ = [
    "CHANCE_AUC",
    "LATE_FRACTION",
    "convergence_table",
    "curve_metric",
    "late_gain",
    "mean_curves",
    "plot_curves",
]

#: A best epoch after this fraction of the epochs run counts as "late".
LATE_FRACTION = 0.9

#: A run whose link AUC at its kept epoch (test pairs; the inner product of z for the
#: feature decoders) is at most this learned nothing the pairs can tell: its
#: embeddings collapsed or never left their start.
CHANCE_AUC = 0.55

#: Configuration columns of a curve row (GROUP_KEYS without the baseline ones).
_KEYS = [k for k in GROUP_KEYS if k not in ("kind", "baseline")]


def _name(enc: str, dec: str, var: str, variants: int, bold: bool = False) -> str:
    """A configuration's row or legend name; the variant only where a dataset has several."""
    dec = f"**{dec}**" if bold else dec
    return f"{enc} + {dec}" + (f" / {var}" if var and variants > 1 else "")


def curve_metric(curves: pd.DataFrame) -> str | None:
    """The validation column to draw: an official OGB metric, else the probe, else AUC."""
    vals = [c for c in curves.columns if c.startswith("val/")]
    official = [c for c in vals if c not in ("val/auc", "val/probe")]
    for pick in (official, ["val/probe"], ["val/auc"]):
        present = [c for c in pick if c in vals and curves[c].notna().any()]
        if present:
            return present[0]
    return None


def mean_curves(curves: pd.DataFrame) -> pd.DataFrame:
    """Mean over seeds per configuration and epoch, with ``seeds`` (how many had it).

    An epoch enters a configuration's mean only from the seeds that reached it,
    so a curve may end on fewer seeds where some stopped early.
    """
    if curves.empty:
        return curves
    values = [c for c in curves.columns if c == "loss" or c.startswith("val/")]
    grouped = curves.groupby([*_KEYS, "epoch"], sort=False, dropna=False)
    mean = grouped[values].mean()
    mean["seeds"] = grouped["seed"].nunique()
    return mean.reset_index()


def late_gain(history: pd.DataFrame, metric: str) -> float | None:
    """How much one run's best validation score rose in its last tenth of epochs.

    Args:
        history: One run's curve rows (``epoch`` and ``metric`` columns).
        metric: The validation column (:func:`curve_metric`).

    Returns:
        ``max(score in the last 10% of epochs) - max(score before)`` when both
        parts were scored and it is positive, ``0.0`` when the best came
        earlier, ``None`` without enough scored epochs.
    """
    h = history[history[metric].notna()]
    if h.empty:
        return None
    cut = LATE_FRACTION * float(h["epoch"].max())
    early, late = h[h["epoch"] <= cut][metric], h[h["epoch"] > cut][metric]
    if early.empty or late.empty:
        return None
    return max(0.0, float(late.max() - early.max()))


def _link_auc(runs: pd.DataFrame) -> pd.Series | None:
    """Each run's link AUC on the test pairs at its kept epoch: its decoder's, or for a
    feature decoder (no pair decoder) the inner product of z's; ``None`` when no run has one."""
    cols = [c for c in ("link/auc", "link_ip/auc") if c in runs]
    if not cols:
        return None
    auc = runs[cols[0]]
    for c in cols[1:]:
        auc = auc.fillna(runs[c])
    return auc if auc.notna().any() else None


def convergence_table(runs: pd.DataFrame, dataset: str, curves: pd.DataFrame | None = None) -> str:
    """Markdown: per model configuration, epochs run, best epoch, late-best seeds and
    seeds at chance (link AUC at the kept epoch ``<= CHANCE_AUC``).

    Args:
        runs: The run table.
        dataset: Its ``dataset`` value to tabulate.
        curves: The per-seed curve rows (``collect``'s ``info["curves"]``), for a
            column with the mean :func:`late_gain` of the validation score where
            histories were kept.

    Returns:
        The table, or ``""`` without model runs of ``dataset``.
    """
    if runs.empty or "best_epoch" not in runs:
        return ""
    dm = runs[(runs["kind"] == "model") & (runs["dataset"] == dataset)]
    dm = dm[dm["best_epoch"].notna() & dm["epochs_run"].notna()]
    if dm.empty:
        return ""
    dc = (
        curves[curves["dataset"] == dataset]
        if curves is not None and not curves.empty
        else pd.DataFrame()
    )
    metric = curve_metric(dc) if not dc.empty else None
    auc = _link_auc(dm)
    head = (
        "| configuration | seeds | epochs run (mean) | best epoch (mean, min–max) "
        f"| seeds with a late best (after {LATE_FRACTION:.0%} of their epochs) |"
    )
    if auc is not None:
        head += f" seeds at chance (link AUC ≤ {CHANCE_AUC}) |"
    lines = [
        head + (f" {metric} gained in the last {1 - LATE_FRACTION:.0%} (mean) |" if metric else ""),
        "|---|---|---|---|---|" + ("---|" if auc is not None else "") + ("---|" if metric else ""),
    ]
    variants = dm["variant"].nunique()
    for (enc, dec, var), g in dm.groupby(["encoder", "decoder", "variant"], sort=False):
        best, ran = g["best_epoch"].astype(float), g["epochs_run"].astype(float)
        late = int((best > LATE_FRACTION * ran).sum())
        name = _name(enc, dec, var, variants, bold=True)
        line = (
            f"| {name} | {len(g)} | {ran.mean():.0f} | {best.mean():.0f} "
            f"({best.min():.0f}–{best.max():.0f}) | {late} of {len(g)} |"
        )
        if auc is not None:
            scored = auc[g.index].dropna()
            at_chance = int((scored <= CHANCE_AUC).sum())
            line += f" {at_chance} of {len(scored)} |" if len(scored) else " — |"
        if metric:
            mine = dc[(dc["encoder"] == enc) & (dc["decoder"] == dec) & (dc["variant"] == var)]
            gains = [late_gain(h, metric) for _, h in mine.groupby("seed")]
            gains = [x for x in gains if x is not None]
            line += f" {sum(gains) / len(gains):.4f} |" if gains else " — |"
        lines.append(line)
    return "\n".join(lines)


def plot_curves(mean: pd.DataFrame, datasets: list[str], path: Path) -> bool:
    """``path``: validation score and training loss vs epoch, per dataset.

    Args:
        mean: :func:`mean_curves`.
        datasets: Datasets in report order.
        path: The PNG to write.

    Returns:
        Whether a figure was written (``False`` without curves).
    """
    import matplotlib.pyplot as plt

    if mean.empty:
        return False
    shown = [ds for ds in datasets if (mean["dataset"] == ds).any()]
    if not shown:
        return False
    fig, axes = plt.subplots(len(shown), 2, figsize=(13.0, 4.2 * len(shown)), squeeze=False)
    for i, ds in enumerate(shown):
        dm = mean[mean["dataset"] == ds]
        metric = curve_metric(dm)
        variants = dm["variant"].nunique()
        loss = dm["loss"].dropna() if "loss" in dm else pd.Series(dtype=float)
        configs = list(dm.groupby(["encoder", "decoder", "variant"], sort=False))
        for j, column in enumerate([metric, "loss"]):
            ax = axes[i][j]
            if column is None or column not in dm:
                ax.set_visible(False)
                continue
            for (enc, dec, var), g in configs:
                g = g[g[column].notna()].sort_values("epoch")
                if not g.empty:
                    ax.plot(g["epoch"], g[column], lw=1.2, label=_name(enc, dec, var, variants))
            ax.set_title(f"{ds}: {'validation ' + column[4:] if j == 0 else 'training loss'}")
            ax.set_xlabel("epoch")
            if j == 1 and bool((loss > 0).all()) and loss.max() > 20 * loss.min():
                ax.set_yscale("log")  # only where the loss spans decades
            ax.grid(alpha=0.3)
        axes[i][0].legend(fontsize=7, loc="best")
    fig.suptitle("Training curves (mean over seeds)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
