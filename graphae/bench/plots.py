"""The report's figures (matplotlib, Agg backend), one function per PNG.

* :func:`plot_capacity` — probe score vs decoder parameters (``capacity.png``);
* :func:`plot_loss_vs_probe` — reconstruction loss vs probe score per decoder kind
  (``loss_vs_probe.png``);
* :func:`plot_layers` — layer-wise probe curves through encoder and decoder
  (``layers.png``).

The per-epoch curves are drawn by :func:`graphae.bench.curves.plot_curves`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graphae.bench.aggregate import loss_column, loss_groups, primary_metric
from graphae.bench.formats import METRIC_NAMES, format_params

__all__ = ["plot_capacity", "plot_layers", "plot_loss_vs_probe"]

_KIND_STYLE = {"structure": ("-", "o"), "feature": ("--", "s"), "joint": (":", "^")}


def base_kind(group: str) -> str:
    """The decoder kind of a loss group (``"feature (sce)"`` -> ``"feature"``)."""
    return group.split(" (", 1)[0]


_BASELINE_STYLE = {"features": "--", "spectral": ":", "untrained": "-."}


def group_label(row: pd.Series, variants: int) -> str:
    return f"{row['encoder']}" + (f" / {row['variant']}" if variants > 1 else "")


def _zero_positions(n: int) -> list[float]:
    """Distinct x positions in ``[0, 0.8]`` for ``n`` parameter-free decoders (symlog linear part)."""
    if n <= 1:
        return [0.0] * n
    return list(np.linspace(0.0, 0.8, n))


def _capacity_x(frame: pd.DataFrame, zero_labels: list[str]) -> pd.Series:
    """x of each rung: its decoder parameters, or its slot among the parameter-free decoders."""
    x = frame["params/decoder"].astype(float).copy()
    slots = dict(zip(zero_labels, _zero_positions(len(zero_labels)), strict=True))
    for idx in frame.index[x == 0]:
        x[idx] = slots.get(frame.at[idx, "decoder"], 0.0)
    return x


def plot_capacity(summary: pd.DataFrame, datasets: list[str], path: Path) -> None:
    import matplotlib.pyplot as plt

    models = summary[summary["kind"] == "model"]
    rows = ["primary", "probe/link_auc"]
    fig, axes = plt.subplots(
        len(rows), len(datasets), figsize=(max(7.0, 5.6 * len(datasets)), 8.2), squeeze=False
    )
    variants = models["variant"].nunique()
    handles: list[Any] = []
    labels: list[str] = []
    for j, ds in enumerate(datasets):
        dm = models[models["dataset"] == ds]
        refs = dm[dm["decoder_kind"] == "contrastive"]  # DGI/GRACE/BGRL: reference lines
        dm = dm[dm["decoder_kind"] != "contrastive"]
        bl = summary[(summary["kind"] == "baseline") & (summary["dataset"] == ds)]
        zero = dm.loc[dm["params/decoder"].astype(float) == 0, "decoder"] if len(dm) else []
        zero_labels = list(dict.fromkeys(zero))
        for i, which in enumerate(rows):
            ax = axes[i][j]
            metric = primary_metric(dm) if which == "primary" else which
            if dm.empty or metric not in dm or not dm[metric].notna().any():
                ax.set_visible(False)
                continue
            colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
            groups = list(dm.groupby(["encoder", "variant"], sort=False))
            for g, ((_enc, _var), grp) in enumerate(groups):
                color = colors[g % len(colors)]
                label = group_label(grp.iloc[0], variants)
                for kind, sub in grp.groupby(loss_groups(grp), sort=False):
                    sub = sub.copy()
                    sub["x"] = _capacity_x(sub, zero_labels)
                    sub = sub.sort_values("x")
                    ls, marker = _KIND_STYLE.get(base_kind(kind), ("-", "o"))
                    ax.errorbar(
                        sub["x"],
                        sub[metric],
                        yerr=sub.get(f"{metric}_std"),
                        color=color,
                        linestyle=ls,
                        marker=marker,
                        capsize=3,
                        label=f"{label} ({kind} decoders)",
                    )
                    if g == 0:
                        for _, r in sub.iterrows():
                            ax.annotate(
                                str(r["decoder"]),
                                (r["x"], r[metric]),
                                textcoords="offset points",
                                xytext=(3, 4),
                                fontsize=7,
                                rotation=30,
                            )
            for _, b in bl.iterrows():
                if metric in b and not pd.isna(b[metric]):
                    name = b["baseline"] + (f" ({b['encoder']})" if b["encoder"] else "")
                    ax.axhline(
                        b[metric],
                        color="grey",
                        linewidth=1,
                        linestyle=_BASELINE_STYLE.get(b["baseline"], "-"),
                        label=f"baseline: {name}",
                    )
            _draw_references(ax, refs, metric)
            ax.set_xscale("symlog", linthresh=1.0, linscale=1.0)
            xmax = float(dm["params/decoder"].max()) if "params/decoder" in dm else 1.0
            if "params/decoder" in refs and refs["params/decoder"].notna().any():
                xmax = max(xmax, float(refs["params/decoder"].max()))
            ax.set_xlim(-0.2, max(10.0, xmax * 4))
            ax.axvspan(-0.2, 0.9, color="0.93", zorder=0)
            ax.text(
                0.35,
                0.01,
                "0 params",
                transform=ax.get_xaxis_transform(),
                fontsize=7,
                ha="center",
                va="bottom",
                color="0.4",
            )
            ax.set_xlabel("decoder's own trainable parameters (symlog)")
            ax.set_ylabel(METRIC_NAMES.get(metric, metric))
            ax.set_title(
                f"{ds}: {METRIC_NAMES.get(metric, metric)} vs decoder capacity", fontsize=10
            )
            ax.grid(True, alpha=0.3)
            if i == 0 and j == 0:
                handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(
            handles,
            labels,
            loc="lower center",
            ncol=2 if len(datasets) == 1 else 3,
            fontsize=8,
            frameon=False,
        )
    fig.tight_layout(
        rect=(0, 0.03 + 0.02 * math.ceil(len(handles) / (2 if len(datasets) == 1 else 3)), 1, 1)
    )
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _draw_references(ax: Any, refs: pd.DataFrame, metric: str) -> None:
    """Self-supervised rows (DGI, GRACE, BGRL) as horizontal reference lines.

    Each is a dashed line at its mean probe score with a star at its head's
    parameter count (the x axis), labelled with its encoder's parameter count:
    these methods have no decoder, and their encoder is not the rungs' encoder.
    """
    colors = ["#8c2d04", "#54278f", "#006d2c", "#08519c"]
    for k, (_, r) in enumerate(refs.iterrows()):
        if metric not in r or pd.isna(r[metric]):
            continue
        color = colors[k % len(colors)]
        label = (
            f"self-supervised: {r['encoder']} + {r['decoder']} "
            f"(encoder {format_params(r.get('params/encoder'))} params, "
            f"head {format_params(r.get('params/decoder'))})"
        )
        ax.axhline(r[metric], color=color, linewidth=1.2, linestyle=(0, (6, 2)), label=label)
        x = r.get("params/decoder")
        if x is not None and not pd.isna(x):
            ax.plot([float(x)], [r[metric]], marker="*", markersize=11, color=color)


def plot_loss_vs_probe(
    summary: pd.DataFrame, answers: list[dict[str, Any]], datasets: list[str], path: Path
) -> None:
    import matplotlib.pyplot as plt

    models = summary[summary["kind"] == "model"]
    models = models.assign(loss_group=loss_groups(models))
    order = {"structure": 0, "feature": 1, "joint": 2}
    kinds = sorted(
        {k for k in models["loss_group"] if base_kind(k) in order},
        key=lambda k: (order[base_kind(k)], k),
    )
    fig, axes = plt.subplots(
        max(len(kinds), 1),
        len(datasets),
        figsize=(5.0 * len(datasets), 4.0 * max(len(kinds), 1)),
        squeeze=False,
    )
    variants = models["variant"].nunique()
    for j, ds in enumerate(datasets):
        dm = models[models["dataset"] == ds]
        metric = primary_metric(dm)
        for i, kind in enumerate(kinds):
            ax = axes[i][j]
            sub = dm[dm["loss_group"] == kind]
            loss_col = loss_column(sub) if not sub.empty else None
            if loss_col is None:
                ax.set_visible(False)
                continue
            rhos = []
            for (_enc, _var), grp in sub.groupby(["encoder", "variant"], sort=False):
                label = group_label(grp.iloc[0], variants)
                ax.errorbar(
                    grp[loss_col],
                    grp[metric],
                    xerr=grp.get(f"{loss_col}_std"),
                    yerr=grp.get(f"{metric}_std"),
                    fmt="o",
                    capsize=3,
                    label=label,
                )
                for _, r in grp.iterrows():
                    ax.annotate(
                        str(r["decoder"]),
                        (r[loss_col], r[metric]),
                        textcoords="offset points",
                        xytext=(3, 3),
                        fontsize=7,
                    )
                for a in answers:
                    if (a["dataset"], a["encoder"], a["variant"]) == (ds, _enc, _var):
                        k = a["kinds"].get(kind, {})
                        if k.get("spearman_loss_vs_probe") is not None:
                            rhos.append(f"{label}: ρ={k['spearman_loss_vs_probe']:+.2f}")
            where = (
                "training graph, selected epoch" if loss_col == "recon/train_loss" else "held out"
            )
            loss_name = {"structure": "pair BCE", "feature": "feature loss"}.get(
                base_kind(kind), "total loss"
            )
            ax.set_xlabel(
                f"reconstruction loss ({loss_name}, {where}; lower = better fit)", fontsize=8
            )
            ax.set_ylabel(METRIC_NAMES.get(metric, metric))
            title = f"{ds}, {kind} decoders"
            if rhos:
                title += "\nSpearman " + "; ".join(rhos)
            ax.set_title(title, fontsize=9)
            ax.grid(True, alpha=0.3)
            if variants > 1 or sub["encoder"].nunique() > 1:
                ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_layers(
    layers_summary: pd.DataFrame, summary: pd.DataFrame, datasets: list[str], path: Path
) -> bool:
    import matplotlib.pyplot as plt

    if layers_summary.empty:
        return False
    metrics = [
        m
        for m in ("probe/node_accuracy", "probe/link_auc")
        if m in layers_summary and layers_summary[m].notna().any()
    ]
    if not metrics:
        return False
    fig, axes = plt.subplots(
        len(metrics),
        len(datasets),
        figsize=(max(7.0, 5.6 * len(datasets)), 3.9 * len(metrics) + 1.2),
        squeeze=False,
    )
    variants = summary.loc[summary["kind"] == "model", "variant"].nunique()
    palette = plt.get_cmap("tab20").colors
    colors: dict[str, Any] = {}
    legend: dict[str, Any] = {}
    for j, ds in enumerate(datasets):
        dl = layers_summary[layers_summary["dataset"] == ds]
        feats = summary[
            (summary["kind"] == "baseline")
            & (summary["dataset"] == ds)
            & (summary["baseline"] == "features")
        ]
        for i, metric in enumerate(metrics):
            ax = axes[i][j]
            if dl.empty:
                ax.set_visible(False)
                continue
            ticks: dict[int, str] = {}
            if not feats.empty and metric in feats and not pd.isna(feats[metric].iloc[0]):
                ticks[0] = "x"
            boundary = None
            keys = ["kind", "encoder", "decoder", "variant", "baseline"]
            for _key, grp in dl.groupby(keys, sort=False):
                grp = grp.sort_values("position")
                first = grp.iloc[0]
                if first["kind"] == "baseline":
                    label = f"untrained {first['encoder']}"
                    style = {"color": "grey", "linestyle": "-."}
                else:
                    label = f"{first['decoder']}" + (
                        f" / {first['variant']}" if variants > 1 else ""
                    )
                    color = colors.setdefault(label, palette[len(colors) % len(palette)])
                    ls = _KIND_STYLE.get(str(first["decoder_kind"]), ("-", "o"))[0]
                    style = {"color": color, "linestyle": ls}
                xs, ys = list(grp["position"]), list(grp[metric])
                if 0 in ticks:
                    xs, ys = [0, *xs], [float(feats[metric].iloc[0]), *ys]
                (line,) = ax.plot(xs, ys, marker="o", markersize=4, label=label, **style)
                legend.setdefault(label, line)
                z = grp[grp["name"].astype(str).str.endswith(" (z)")]
                if not z.empty:  # the embedding, wherever the model's depth puts it
                    ax.plot(z["position"], z[metric], marker="*", markersize=9,
                            linestyle="none", color=style["color"])  # fmt: skip
                for _, r in grp.iterrows():
                    ticks.setdefault(int(r["position"]), str(r["name"]).replace(" (z)", "=z"))
                enc = grp[grp["part"] == "encoder"]
                if not enc.empty:
                    boundary = int(enc["position"].max())
            if boundary is not None:
                ax.axvline(boundary + 0.5, color="0.6", linewidth=1, linestyle=":")
                ax.text(
                    boundary + 0.55,
                    0.02,
                    "decoder →",
                    transform=ax.get_xaxis_transform(),
                    fontsize=7,
                    color="0.4",
                )
            ax.set_xticks(sorted(ticks), [ticks[k] for k in sorted(ticks)], rotation=30, fontsize=7)
            ax.set_ylabel(METRIC_NAMES.get(metric, metric))
            ax.set_title(f"{ds}: layer-wise {METRIC_NAMES.get(metric, metric)}", fontsize=10)
            ax.grid(True, alpha=0.3)
    ncol = 4 if len(datasets) == 1 else 6
    fig.legend(
        list(legend.values()),
        list(legend),
        loc="lower center",
        ncol=ncol,
        fontsize=7,
        frameon=False,
    )
    fig.tight_layout(rect=(0, 0.02 + 0.025 * math.ceil(len(legend) / ncol), 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
