"""``graphae report DIR``: a Markdown report with plots from a sweep folder.

Writes ``DIR/report.md`` and ``DIR/plots/*.png`` (matplotlib, Agg backend),
rebuilding ``DIR/tables/*`` first (:func:`graphae.bench.aggregate.write_tables`):

* ``capacity.png`` — probe score vs decoder parameters (log x; parameter-free
  decoders at labelled positions in the linear part of a symlog axis), one line
  per encoder (and variant), structure and feature decoders drawn apart, the
  baselines as horizontal lines, self-supervised references (DGI, GRACE, BGRL:
  ``decoder_kind == "contrastive"``) as dashed lines with a star at their
  head's parameter count, labelled with their encoder's;
* ``loss_vs_probe.png`` — reconstruction loss vs probe score per decoder kind,
  with Spearman's ρ: does a lower loss mean better features?
* ``layers.png`` — layer-wise probe curves through encoder and decoder;
* ``curves.png`` — validation score and training loss per epoch, mean over
  seeds, where the sweep saved histories (:mod:`graphae.bench.curves`), beside
  a convergence table of every configuration's best and last epochs;
* the answer to the capacity question per dataset, stated from the numbers,
  tables of every configuration beside its baselines, and the published anchors
  of ``benchmarks/anchors.md``.

This module writes the text and assembles the report; the figures are drawn by
:mod:`graphae.bench.plots` and :func:`graphae.bench.curves.plot_curves`, and the
numbers formatted by :mod:`graphae.bench.formats`.
"""

from __future__ import annotations

import datetime as _dt
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graphae.bench.aggregate import primary_metric, write_tables
from graphae.bench.anchors import default_anchors_path, match_anchors, read_anchors
from graphae.bench.curves import (
    CHANCE_AUC,
    LATE_FRACTION,
    convergence_table,
    mean_curves,
    plot_curves,
)
from graphae.bench.formats import (
    METRIC_NAMES,
    count,
    format_loss,
    format_params,
    format_value,
    markdown_table,
)
from graphae.bench.plots import plot_capacity, plot_layers, plot_loss_vs_probe
from graphae.bench.spec import HEURISTIC_BASELINES
from graphae.bench.stats import EXACT_MAX_N, PAIRED_EXACT_MAX_N, PERMUTATION_DRAWS

__all__ = ["write_report"]

log = logging.getLogger(__name__)


def _source_line(gits: pd.Series, shown: int = 3) -> str:
    """The report's ``- Source:`` line: which commits the runs came from, with counts.

    Args:
        gits: One commit per run (``"<hash>"``, ``"<hash>+dirty"`` or missing).
        shown: How many commits to name; the rest are counted.

    Returns:
        The Markdown line, or ``""`` when no run recorded a commit.
    """
    known = gits.dropna().astype(str)
    known = known[known != ""]
    if known.empty:
        return ""
    counts = known.value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    named = [
        f"`{g[:12]}{'+dirty' if g.endswith('+dirty') else ''}` ({count(n, 'run')})"
        for g, n in counts.head(shown).items()
    ]
    line = f"- Source: {', '.join(named)}"
    if len(counts) > shown:
        more = len(counts) - shown
        line += f" and {count(more, 'more commit')} (column `git` of `tables/runs.csv`)"
    dirty = int(known.str.endswith("+dirty").sum())
    if dirty:
        line += f"; {dirty} of {len(known)} runs came from a source tree with uncommitted changes"
    return line + "."


# ------------------------------------------------------------------------- text


def _trend(rho: float, p: float) -> str:
    """What a Spearman ρ between loss and probe score says, with its significance."""
    if abs(rho) <= 0.3:
        return "loss and probe score were unrelated"
    side = "better" if rho < 0 else "worse"
    if p < 0.05:
        return f"lower loss went with {side} probes"
    return f"lower loss tended to go with {side} probes, not significantly"


def _kind_sentence(kind: str, k: dict[str, Any], metric: str) -> str:
    low = k.get("lowest_loss")
    if low is None:
        return ""
    where = "training" if k.get("loss") == "recon/train_loss" else "held-out"
    if k.get("rungs", 0) < 2:
        return f" {low['decoder']} is the only {kind} rung."
    s = (
        f" Among the {k['rungs']} {kind} rungs the lowest {where} reconstruction loss is "
        f"{low['decoder']}'s ({format_loss(low['value'], low.get('std'))})"
    )
    rho = k.get("spearman_loss_vs_probe")
    if rho is not None:
        pv = k["spearman_p"]
        pt = "p < 0.001" if pv < 0.001 else f"p = {pv:.2g}"
        if k.get("spearman_p_method") == "exact":
            pt = "exact " + pt
        trend = _trend(rho, pv)
        s += f"; Spearman ρ(loss, {metric}) = {rho:+.2f} ({pt}): {trend}"
        h = k.get("heldout") or {}
        if h.get("spearman_loss_vs_probe") is not None:
            s += f" (held-out loss: ρ = {h['spearman_loss_vs_probe']:+.2f})"
    return s + "."


def _answer_lines(answers: list[dict[str, Any]], summary: pd.DataFrame) -> list[str]:
    lines: list[str] = []
    multi = len({(a["encoder"], a["variant"]) for a in answers}) > 1
    for a in answers:
        best = a["best"]
        if best is None:
            continue
        metric = METRIC_NAMES.get(a["metric"], a["metric"])
        head = f"**{a['dataset']}**" + (f" ({a['encoder']}, {a['variant']})" if multi else "")
        s = (
            f"{head}: the best {metric} comes from the **{best['decoder']}** decoder "
            f"({format_value(best['value'], best['std'])}, {count(best['n'], 'seed')})"
        )
        ru = a.get("runner_up")
        if ru is not None:
            gap = best["value"] - ru["value"]
            close = " — within one standard deviation" if a.get("runner_up_within_std") else ""
            s += f", ahead of {ru['decoder']} ({ru['value']:.3f}) by {gap:.3f}{close}"
            s += _paired_phrase(a.get("runner_up_paired"))
        s += "."
        seeds = a.get("seeds") or {}
        if seeds and not seeds.get("same_sets"):
            lo, hi = seeds["min"], seeds["max"]
            ran = f"{lo}–{hi} seeds" if lo != hi else "different seeds"
            s += (
                f" The rungs ran {ran} (each seed is its own split): each mean is over its "
                "own seeds, so the gap between two means is not a paired comparison"
            )
            s += (
                '; "seed by seed" counts only the seeds both rows ran.'
                if a.get("runner_up_paired")
                else "."
            )
        vp = a.get("val_pick")
        if vp is not None and vp["decoder"] != best["decoder"]:
            s += f" Validation probe accuracy alone would pick {vp['decoder']}."
        bk = a.get("best_kind")
        kb = a["kinds"].get(bk or "", {})
        if kb.get("lowest_loss") is not None and kb.get("rungs", 0) >= 2:
            where = "training" if kb.get("loss") == "recon/train_loss" else "held-out"
            if kb.get("best_is_lowest_loss"):
                s += (
                    f" **Yes**: it is also the {bk} decoder with the lowest {where} "
                    "reconstruction loss."
                )
            else:
                s += (
                    f" **No**: it is not the {bk} decoder with the lowest {where} "
                    f"reconstruction loss ({kb['lowest_loss']['decoder']})"
                )
                lb = kb.get("loss_of_best")
                if kb.get("lowest_loss_within_std") and lb is not None:
                    s += (
                        f", though its loss ({format_loss(lb['value'], lb.get('std'))}) is "
                        "within one standard deviation of the lowest"
                    )
                s += "."
        for kind, k in a["kinds"].items():
            s += _kind_sentence(kind, k, metric)
        bb = a.get("best_baseline")
        if bb is not None:
            verdict = "beats" if a.get("beats_baselines") else "does **not** beat"
            s += (
                f" The best rung {verdict} the best baseline ({bb['baseline']}, {bb['value']:.3f})."
            )
        lp = a.get("link_probe_best")
        if lp is not None and a["metric"] != "probe/link_auc":
            s += f" On the link probe the best rung is {lp['decoder']} ({format_value(lp['value'], lp['std'])})."
        s += _official_sentence(a, summary)
        s += _contrastive_sentence(a)
        lines.append("- " + s)
    return lines


def _paired_phrase(paired: dict[str, Any] | None) -> str:
    """``"; seed by seed: higher on 7 of 10 (sign-flip p = 0.11, not significant)"``.

    Empty without a paired comparison (:func:`graphae.bench.aggregate._paired`).
    """
    if not paired:
        return ""
    n, p = paired["n"], paired["p"]
    verdict = "significant at 0.05" if p < 0.05 else "not significant"
    if p >= 0.05 and p <= paired["p_min"] + 1e-12:
        verdict += f"; the smallest p that {n} seeds allow"
    ties = n - paired["wins"] - paired["losses"]
    tied = f", tied on {ties}" if ties else ""
    return (
        f"; seed by seed: higher on {paired['wins']} of {n}{tied} "
        f"(sign-flip p = {p:.2g}, {verdict})"
    )


def _contrastive_sentence(a: dict[str, Any]) -> str:
    """Whether any autoencoder rung beats the best self-supervised row, per probe."""
    c = a.get("contrastive")
    if not c:
        return ""
    parts = []
    for key, probe, best in (
        ("node", METRIC_NAMES.get(a["metric"], a["metric"]), a.get("best")),
        ("link", "link-probe AUC", a.get("link_probe_best")),
    ):
        ref, beats = c.get(f"best_{key}"), c.get(f"rung_beats_{key}")
        if ref is None or best is None or beats is None:
            continue
        if key == "link" and a["metric"] == "probe/link_auc":
            continue
        tie = " (within one standard deviation)" if c.get(f"{key}_within_std") else ""
        verdict = "**beats**" if beats else "does **not** beat"
        parts.append(
            f"on the {probe} the best autoencoder rung ({best['decoder']}, {best['value']:.3f}) "
            f"{verdict} the best self-supervised row ({ref['decoder']}, "
            f"{format_value(ref['value'], ref['std'])}){tie}{_paired_phrase(c.get(f'{key}_paired'))}"
        )
    return (" Against the contrastive references: " + "; ".join(parts) + ".") if parts else ""


def _official_column(frame: pd.DataFrame, ds: str) -> str | None:
    """``link/<metric>`` of an OGB dataset's official metric, when the rows have it."""
    from graphae.evaluation.metrics import OGB_METRICS

    metric = OGB_METRICS.get(ds)
    col = f"link/{metric}"
    if metric is None or col not in frame.columns or not frame[col].notna().any():
        return None
    return col


def _official_sentence(a: dict[str, Any], summary: pd.DataFrame) -> str:
    """Which rung the decoder's own official metric (OGB) ranks first, beside the probe's."""
    rows = summary[
        (summary["dataset"] == a["dataset"])
        & (summary["kind"] == "model")
        & (summary["encoder"] == a["encoder"])
        & (summary["variant"] == a["variant"])
    ]
    col = _official_column(rows, a["dataset"])
    if col is None:
        return ""
    rows = rows[rows[col].notna()]
    top = rows.loc[rows[col].idxmax()]
    name = col.split("/")[1].replace("hits@", "Hits@")
    s = (
        f" On the decoder's own official metric ({name}, OGB Evaluator) the best rung is "
        f"{top['decoder']} ({format_value(100 * top[col], 100 * top.get(f'{col}_std', np.nan), digits=2)})"
    )
    best = a["best"]
    if best is not None and top["decoder"] != best["decoder"]:
        s += f", not the probe's choice ({best['decoder']})"
    return s + "."


def _results_table(summary: pd.DataFrame, ds: str) -> str:
    dm = summary[summary["dataset"] == ds]
    metric = primary_metric(dm)
    cols = [
        ("decoder link AUC", "link/auc"),
        (METRIC_NAMES.get(metric, metric), metric),
        ("link-probe AUC", "probe/link_auc"),
        ("NMI", "probe/nmi"),
        ("train recon loss", "recon/train_loss"),
        ("held-out recon loss", "recon/loss"),
    ]
    if metric == "probe/link_auc":  # no labels: the link probe is the feature score
        kept: dict[str, str] = {}  # key -> title, first title wins (the probe is listed twice)
        for title, key in cols:
            if key != "probe/nmi":
                kept.setdefault(key, title)
        cols = [(title, key) for key, title in kept.items()]
        official = _official_column(dm, ds)
        if official is not None:
            cols.insert(1, ("decoder " + official.split("/")[1] + " (official)", official))
    header = ["configuration", "kind", "decoder params", *[c[0] for c in cols], "s / run", "n"]
    rows = []
    variants = dm.loc[dm["kind"] == "model", "variant"].nunique()
    for _, r in dm.iterrows():
        if r["kind"] == "baseline":
            name = f"*baseline: {r['baseline']}*" + (f" ({r['encoder']})" if r["encoder"] else "")
            kind = "—"
        else:
            name = f"{r['encoder']} + **{r['decoder']}**" + (
                f" / {r['variant']}" if variants > 1 else ""
            )
            kind = str(r["decoder_kind"])
            if kind == "contrastive":
                name = f"{r['encoder']} + **{r['decoder']}** (self-supervised, no decoder)"
                kind = "contrastive (params = head)"
        vals = []
        for _, c in cols:
            if (
                c.startswith("link/")
                and r["kind"] == "baseline"
                and r["baseline"] not in HEURISTIC_BASELINES  # a heuristic scores pairs itself
            ):  # no decoder: inner product
                c = "link_ip/" + c.removeprefix("link/")
            if (
                c == "link/auc"
                and pd.isna(r.get(c, np.nan))
                and not pd.isna(r.get("link_ip/auc", np.nan))
            ):
                vals.append(format_value(r.get("link_ip/auc"), r.get("link_ip/auc_std")) + " (ip)")
                continue
            if c.startswith("recon/"):
                cell = format_loss(r.get(c, np.nan), r.get(f"{c}_std", np.nan))
            else:
                cell = format_value(r.get(c, np.nan), r.get(f"{c}_std", np.nan))
            k = r.get(f"{c}_n", np.nan)
            if cell != "—" and not pd.isna(k) and int(k) < int(r["n"]):
                cell += f" ({int(k)} of {int(r['n'])} seeds)"
            vals.append(cell)
        rows.append(
            [
                name,
                kind,
                format_params(r.get("params/decoder")),
                *vals,
                format_value(r.get("time/total", np.nan), digits=1),
                str(int(r["n"])),
            ]
        )
    return markdown_table(header, rows)


def _layers_table(
    layers_summary: pd.DataFrame, ds: str, summary: pd.DataFrame | None = None
) -> str:
    dl = layers_summary[layers_summary["dataset"] == ds]
    if dl.empty or "probe/node_accuracy" not in dl:
        metric = "probe/link_auc"
    else:
        metric = "probe/node_accuracy"
    if dl.empty or metric not in dl:
        return ""
    # columns by layer name ("encoder.2 (z)" and "encoder.2" are one column): a model
    # with fewer layers puts its z in an earlier column, marked "(z)" in its cell
    base = dl["name"].astype(str).str.replace(" (z)", "", regex=False)
    cols = (
        dl.assign(base=base)
        .sort_values(["position"], kind="stable")
        .drop_duplicates("base")["base"]
        .tolist()
    )
    z_votes = base[dl["name"].astype(str).str.endswith(" (z)")].value_counts()
    z_col = z_votes.index[0] if not z_votes.empty else None
    header = ["configuration", *[c + (" = z" if c == z_col else "") for c in cols]]
    rows = []
    keys = ["kind", "encoder", "decoder", "variant", "baseline"]
    for _key, grp in dl.groupby(keys, sort=False):
        first = grp.iloc[0]
        label = (
            f"untrained {first['encoder']}"
            if first["kind"] == "baseline"
            else f"{first['decoder']} / {first['variant']}"
        )
        cells = {}
        for _, r in grp.iterrows():
            name = str(r["name"])
            col = name.replace(" (z)", "")
            mark = " (z)" if name.endswith(" (z)") and col != z_col else ""
            cells[col] = format_value(r[metric]) + mark
        rows.append([label] + [cells.get(c, "") for c in cols])
    note = ""
    if dl[metric].isna().any():
        note = (
            "\n\n— : the layer was not probed (wider than the spec's `layers.max_width`, "
            "or its output was not finite; `skipped` / `error` in the run's layers.json)."
        )
    if summary is not None:
        models = summary[(summary["dataset"] == ds) & (summary["kind"] == "model")]
        probed = set(dl.loc[dl["kind"] == "model", "decoder"] + "/" + dl["variant"])
        unprobed = [
            f"{r['decoder']} / {r['variant']}"
            for _, r in models.iterrows()
            if f"{r['decoder']}/{r['variant']}" not in probed
        ]
        if unprobed:
            note += (
                f"\n\nNot probed layer-wise (their runs have no layers.json): "
                f"{', '.join(unprobed)}."
            )
    return (
        f"{METRIC_NAMES.get(metric, metric)} of each layer's output (mean over seeds):\n\n"
        + markdown_table(header, rows)
        + note
    )


def _anchor_table(matched: list[dict[str, Any]]) -> str:
    header = [
        "method",
        "dataset",
        "metric",
        "published",
        "graphae (×100)",
        "graphae configuration",
        "source",
    ]
    rows = []
    for a in matched:
        ours = "—" if a["ours"] is None else format_value(a["ours"], a["ours_std"], digits=2)
        conf = a["configuration"]
        if a["matches"] > 1:
            conf += f" (best of {a['matches']} matching)"
        rows.append(
            [
                a.get("method", ""),
                a.get("dataset", ""),
                a.get("metric", ""),
                a.get("published", ""),
                ours,
                conf,
                a.get("source", ""),
            ]
        )
    return markdown_table(header, rows)


def _convergence_section(
    out: Path, runs: pd.DataFrame, per_seed: pd.DataFrame, datasets: list[str], path: Path
) -> list[str]:
    """The report's "Convergence" section (and ``tables/curves.csv``, ``plots/curves.png``).

    ``per_seed`` is :func:`~graphae.bench.aggregate.collect`'s ``info["curves"]``.
    """
    tables = [(ds, convergence_table(runs, ds, per_seed)) for ds in datasets]
    if not any(t for _, t in tables):
        return []
    curves = mean_curves(per_seed)
    if not curves.empty:
        curves.to_csv(out / "tables" / "curves.csv", index=False)
    md = ["## Convergence\n"]
    md.append(
        "Each run trains until its epoch budget or its early stopping and keeps the epoch "
        "with the best score of its selection rule (the validation link AUC or official "
        "metric; the lowest training loss for rungs selected by loss). A seed whose best "
        f"epoch came after {LATE_FRACTION:.0%} of the epochs it ran was still improving by "
        "that rule when it stopped: a longer budget could change its row. A seed at "
        f"chance (link AUC on the test pairs ≤ {CHANCE_AUC} at its kept epoch; the inner "
        "product of z for the feature decoders) learned nothing the pairs can tell: its "
        "embedding collapsed or never left its start.\n"
    )
    if plot_curves(curves, datasets, path):
        md.append(
            f"![training curves]({path.parent.name}/{path.name})\n\nValidation score "
            "(the selection metric) and training loss per epoch, mean over the seeds that "
            "reached the epoch (`tables/curves.csv`).\n"
        )
    for ds, table in tables:
        if table:
            md.append(f"### {ds}\n\n{table}\n")
    return md


def _reproduce_command(spec_text: str) -> str | None:
    for line in spec_text.splitlines():
        t = line.strip()
        if t.startswith("#") and "graphae bench" in t:
            return t.lstrip("#").strip()
        if t and not t.startswith("#"):
            break
    return None


def write_report(
    out: str | Path,
    anchors: str | Path | None = None,
    references: list[str | Path] | tuple[str | Path, ...] = (),
) -> Path:
    """Rebuild the tables and write ``OUT/report.md`` with ``OUT/plots/*.png``.

    Args:
        out: The sweep folder.
        anchors: The anchors file (default ``benchmarks/anchors.md`` of the
            source tree; the section is left out when there is none).
        references: Other sweep folders whose model runs join the report (e.g.
            the self-supervised rows; :func:`~graphae.bench.aggregate.collect_with_references`).

    Returns:
        The report path.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    out = Path(out)
    t = write_tables(out, references)
    summary, layers_summary, answers, info = (
        t["summary"],
        t["layers_summary"],
        t["answers"],
        t["info"],
    )
    runs = t["runs"]
    sweep = info["sweep"]
    plots = out / "plots"
    plots.mkdir(exist_ok=True)
    datasets = list(dict.fromkeys(summary["dataset"])) if not summary.empty else []
    md: list[str] = []
    name = sweep.get("name") or out.name
    md.append(f"# {name}: feature quality vs decoder capacity\n")
    if sweep.get("description"):
        md.append(str(sweep["description"]).strip() + "\n")
    spec_text = (out / "spec.yaml").read_text() if (out / "spec.yaml").is_file() else ""
    cmd = _reproduce_command(spec_text)
    refs = info.get("references", [])
    own = runs[runs["source"] == ""] if "source" in runs else runs
    total = len(sweep.get("runs", [])) or len(own)
    report_cmd = " ".join([f"graphae report {out}", *(f"--references {r['folder']}" for r in refs)])
    devices = sorted(set(runs["device"].dropna())) if "device" in runs else []
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    md.append(
        f"Generated by `{report_cmd}` on {stamp} from {count(len(own), 'finished run')} "
        f"of {total} ({count(len(summary), 'configuration')}; seeds {sweep.get('seeds', '?')}; "
        f"device {', '.join(devices) or '?'})."
    )
    for r in refs:
        md.append(
            f"Reference rows: {r['runs']} finished model runs from the sweep `{r['folder']}`"
            + (f" ({r['missing']} not finished)" if r["missing"] else "")
            + " — same split, features and probes."
        )
    if cmd:
        md.append(f"Reproduce with `{cmd}` (finished runs are skipped), then `{report_cmd}`.")
    md.append(
        "\nFeature quality is measured on the frozen embeddings of each run's validation-selected "
        "epoch, apart from the decoder: a logistic-regression node probe (the public split where the "
        "dataset has one, else a seeded 10/10/80 split), a "
        "logistic-regression link probe on z_u ⊙ z_v (training pairs → test pairs) and k-means "
        "NMI. The decoder's own link AUC and its reconstruction loss on the test pairs are shown "
        "beside them. Values are mean ± sample std over seeds.\n"
    )
    if sweep.get("skipped_datasets"):
        md.append(
            f"Optional datasets left out (files absent): {', '.join(sweep['skipped_datasets'])}.\n"
        )
    md.append("## The answer\n")
    lines = _answer_lines(answers, summary)
    md.extend(lines or ["No finished model runs yet."])
    md.append(
        "\nReconstruction losses are compared only within a decoder kind and, for feature "
        "decoders, within one feature loss (an MSE and a scaled cosine error say nothing about "
        "each other). The *training* loss is the decoder's own objective on the training graph "
        "at the selected epoch (pair BCE for structure decoders, MSE or SCE for feature "
        "decoders); the *held-out* loss is the pair BCE on the test pairs (structure "
        "decoders; it also punishes over-confident scores) or the feature loss over all nodes "
        "(feature decoders). ρ is Spearman's rank correlation across the rungs of one "
        "group (one mean per rung); p is its two-sided permutation p-value, exact (every "
        f"ordering of the rungs) up to {EXACT_MAX_N} rungs, else from "
        f'{PERMUTATION_DRAWS:,} seeded orderings. "Seed by seed" compares two rows over '
        "the seeds both ran (a seed fixes the split and the initial draw, so the pair differs "
        "only by the model): the count of seeds on which the first is higher, and the "
        "two-sided sign-flip p-value of the mean per-seed difference, exact (every sign "
        f"pattern) up to {PAIRED_EXACT_MAX_N} seeds; with n seeds it cannot go below "
        "2/2^n (0.0625 at 5 seeds)."
    )
    if not summary.empty:
        plot_capacity(summary, datasets, plots / "capacity.png")
        plot_loss_vs_probe(summary, answers, datasets, plots / "loss_vs_probe.png")
        has_layers = plot_layers(layers_summary, summary, datasets, plots / "layers.png")
        md.append("\n## Probe score vs decoder capacity\n")
        md.append("![probe score vs decoder parameters](plots/capacity.png)\n")
        md.append(
            "Parameter-free decoders sit in the shaded band at the left (the linear part of "
            "the symlog axis), each at its own labelled position."
            + (
                " Grey horizontal lines are the baselines.\n"
                if (summary["kind"] == "baseline").any()
                else "\n"
            )
        )
        md.append("## Does a lower reconstruction loss mean better features?\n")
        md.append("![reconstruction loss vs probe score](plots/loss_vs_probe.png)\n")
        md.append("## Results\n")
        for ds in datasets:
            md.append(f"### {ds}\n")
            md.append(_results_table(summary, ds) + "\n")
        md.extend(_convergence_section(out, runs, info["curves"], datasets, plots / "curves.png"))
        if has_layers:
            md.append("## Layer-wise probes\n")
            md.append(
                "The same probes on every layer's output, through the encoder and (for the "
                "mirrored GNN decoders) on through the decoder. `x` is the input features "
                "(the features baseline); `=z` marks the embedding, and a star each "
                "model's own (a model with fewer layers has its z in an earlier column, "
                "marked (z) in the tables).\n"
            )
            md.append("![layer-wise probes](plots/layers.png)\n")
            for ds in datasets:
                table = _layers_table(layers_summary, ds, summary)
                if table:
                    md.append(f"### {ds}\n\n{table}\n")
    apath = Path(anchors) if anchors else default_anchors_path()
    if apath is not None and apath.is_file() and not summary.empty:
        matched = match_anchors(read_anchors(apath), summary)
        present = {d.lower() for d in datasets}
        matched = [a for a in matched if a.get("dataset", "").lower() in present]
        if matched:
            md.append("## Beside the published anchors\n")
            md.append(
                f"From `{apath.name}` (sources and protocols there). Protocols differ; "
                "these are landmarks, not replications.\n"
            )
            md.append(_anchor_table(matched) + "\n")
    md.append("## Runs, time and memory\n")
    if not own.empty:
        trained = own[own["kind"] == "model"]
        md.append(
            f"- {count(len(trained), 'trained run')}, "
            f"{count(len(own) - len(trained), 'baseline run')}; "
            f"total run time {own['time/total'].sum() / 60:.1f} min "
            f"(training {trained['time/train'].sum() / 60 if not trained.empty else 0:.1f} min)."
        )
        if len(runs) > len(own):
            extra = runs[runs["source"] != ""]
            md.append(
                f"- Reference runs (not counted above): {len(extra)}, "
                f"{extra['time/total'].sum() / 60:.1f} min."
            )
        if "memory/peak_rss_mb" in runs:
            md.append(
                f"- Peak resident memory of the sweep process: {runs['memory/peak_rss_mb'].max():.0f} MiB."
            )
        if "git" in runs:
            source = _source_line(runs["git"])
            if source:
                md.append(source)
    if info["skipped"]:
        md.append(
            f"- Baselines that did not apply: {len(info['skipped'])} "
            f"({info['skipped'][0]['reason']})."
        )
    if info["missing"]:
        md.append(
            f"- **{count(len(info['missing']), 'run')} not finished** (re-run the sweep command to "
            "finish them):"
        )
        for rid in info["missing"][:20]:
            err = info["failures"].get(rid)
            md.append(f"  - `{rid}`" + (f": failed with `{err}`" if err else ": not run yet"))
    md.append(
        "\nTables: `tables/runs.csv` (one row per run), `tables/summary.csv` (mean ± std "
        "per configuration), `tables/layers.csv`, `tables/answers.json`.\n"
    )
    path = out / "report.md"
    path.write_text("\n".join(md))
    log.info("wrote %s", path)
    return path
