"""Sweep folder -> tidy tables, mean ± std over seeds, and the capacity answer per dataset.

Tables written by :func:`write_tables` under ``OUT/tables/``:

* ``runs.csv`` / ``runs.json`` — one row per finished run: its labels
  (``dataset``, ``encoder``, ``decoder``, ``variant``, ``seed``, ``kind``,
  ``baseline``), every metric of its ``result.json`` (test values at the best
  validation epoch, ``val/...`` beside them), ``params/*``, ``time/*``,
  ``memory/peak_rss_mb``, ``device`` and its configuration as ``cfg/<field>``.
* ``summary.csv`` / ``summary.json`` — one row per configuration (the runs that
  differ only by seed): ``n`` seeds and their list ``seeds`` ("0,1,2"), the
  mean of each numeric column under its own name and the sample standard
  deviation as ``<column>_std``; a column that some seeds of a row lack also
  gets ``<column>_n``, the seeds its mean is over. Two runs with the same labels
  and seed are refused, not averaged (:func:`collect`).
* ``layers.csv`` — one row per run and layer of the layer-wise probes, and
  ``layers_summary.csv``, their means over seeds.
* ``answers.json`` — :func:`capacity_answers`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graphae.bench.runner import SWEEP, read_failures
from graphae.bench.stats import paired_difference, spearman
from graphae.errors import GraphaeError

__all__ = [
    "GROUP_KEYS",
    "capacity_answers",
    "collect",
    "collect_with_references",
    "loss_column",
    "loss_groups",
    "primary_metric",
    "summarize",
    "write_tables",
]

log = logging.getLogger(__name__)

#: Columns that identify a configuration (a summary row): everything but the seed.
GROUP_KEYS = [
    "kind",
    "dataset",
    "encoder",
    "decoder",
    "decoder_name",
    "decoder_kind",
    "variant",
    "baseline",
]


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str))


def _sweep_info(out: Path) -> dict[str, Any]:
    path = out / SWEEP
    if path.is_file():
        return json.loads(path.read_text())
    return {}


def collect(out: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Read every finished run of a sweep folder.

    Only the runs listed in ``sweep.json`` are read (runs of an earlier version
    of the spec stay on disk but out of the tables); without it, every run folder.

    Args:
        out: The sweep folder.

    Returns:
        ``(runs, layers, info)``: the run table, the layer table and a dict with
        ``sweep`` (sweep.json), ``missing`` (ids not finished), ``skipped``
        (baselines that did not apply, with reasons), ``failures`` (the
        latest error of each unfinished failed run) and ``curves`` (the saved
        training history of every model run, one row per epoch: the run's
        labels, ``epoch``, ``loss`` and ``val/*``; empty where no run kept one).
    """
    out = Path(out)
    info = _sweep_info(out)
    listed = [r["run_id"] for r in info.get("runs", [])]
    runs_dir = out / "runs"
    if not listed and runs_dir.is_dir():
        listed = sorted(p.name for p in runs_dir.iterdir() if (p / "bench.json").is_file())
    rows: list[dict[str, Any]] = []
    layer_rows: list[dict[str, Any]] = []
    missing: list[str] = []
    skipped: list[dict[str, Any]] = []
    curve_rows: list[dict[str, Any]] = []
    for order, run_id in enumerate(listed):
        folder = runs_dir / run_id
        if not (folder / "bench.json").is_file() or not (folder / ".graphae-run").is_file():
            missing.append(run_id)
            continue
        bench = json.loads((folder / "bench.json").read_text())
        if bench.get("status") != "ok":
            skipped.append({"run_id": run_id, "reason": bench.get("reason", "")})
            continue
        result = json.loads((folder / "result.json").read_text())
        labels = {k: bench.get(k, "") for k in ["run_id", *GROUP_KEYS, "seed"]}
        row: dict[str, Any] = {**labels, "order": order}
        row.update({k: v for k, v in result.get("metrics", {}).items() if _scalar(v)})
        row.update({f"time/{k}": v for k, v in result.get("timings", {}).items()})
        mem = result.get("memory", {})
        if "peak_rss" in mem:
            row["memory/peak_rss_mb"] = mem["peak_rss"] / 2**20
        if "peak_cuda" in mem:
            row["memory/peak_cuda_mb"] = mem["peak_cuda"] / 2**20
        row["best_epoch"] = result.get("best_epoch")
        row["epochs_run"] = result.get("epochs_run")
        row["device"] = result.get("device")
        row["git"] = result.get("git")
        row.update({f"cfg/{k}": v for k, v in result.get("config", {}).items() if _scalar(v)})
        rows.append(row)
        if labels["kind"] == "model":
            curve_rows.extend(labels | _epoch_record(rec) for rec in result.get("history") or [])
        lpath = folder / "layers.json"
        if lpath.is_file():
            for rec in json.loads(lpath.read_text()).get("layers", []):
                layer_rows.append({**labels, "order": order, **rec})
    latest: dict[str, str] = {}
    for f in read_failures(out):
        latest[f["run_id"]] = f.get("error", "")
    failures = {k: v for k, v in latest.items() if k in missing}
    runs = pd.DataFrame(rows)
    _refuse_duplicate_seeds(runs, out, listed_by_sweep=bool(info.get("runs")))
    layers = pd.DataFrame(layer_rows)
    return (
        runs,
        layers,
        {
            "sweep": info,
            "missing": missing,
            "skipped": skipped,
            "failures": failures,
            "curves": pd.DataFrame(curve_rows),
        },
    )


def _refuse_duplicate_seeds(runs: pd.DataFrame, out: Path, listed_by_sweep: bool) -> None:
    """Two runs with the same labels and seed would be averaged as two seeds of one row.

    That happens when a folder without ``sweep.json`` holds runs of more than one
    version of its spec (every run folder is read then), or a sweep lists two
    configurations under one label.

    Raises:
        GraphaeError: Naming the first clash and what to do.
    """
    if runs.empty:
        return
    keys = [k for k in [*GROUP_KEYS, "seed"] if k in runs.columns]
    dup = runs[runs.duplicated(keys, keep=False)]
    if dup.empty:
        return
    first = dup.groupby(keys, sort=False, dropna=False)["run_id"].apply(list).iloc[0]
    if listed_by_sweep:
        fix = "give each configuration of the spec its own decoder label or variant name"
    else:
        fix = (
            f"{out} has no {SWEEP}, so every run folder was read; list the spec's current "
            f"runs with `graphae bench SPEC --out {out} --max-runs 0` (it runs nothing)"
        )
    raise GraphaeError(
        f"{len(dup)} runs in {out} share their labels and seed with another run, e.g. "
        f"{', '.join(first)}: they would be averaged as seeds of one row; {fix}"
    )


def _epoch_record(rec: dict[str, Any]) -> dict[str, Any]:
    """One history entry's curve values: ``epoch``, ``loss`` and the ``val/*`` scores."""
    return {k: v for k, v in rec.items() if k in ("epoch", "loss") or k.startswith("val/")}


def summarize(runs: pd.DataFrame, keys: list[str] | None = None) -> pd.DataFrame:
    """Mean and sample std over seeds of every numeric column, per configuration.

    Args:
        runs: The run table (:func:`collect`).
        keys: Grouping columns (default :data:`GROUP_KEYS`).

    Returns:
        One row per configuration, in sweep order: the keys, ``n``, ``<col>``
        (mean) and ``<col>_std`` (NaN with a single seed), ``<col>_n`` for a
        column missing in some runs; ``cfg/*`` and ``device`` columns keep their
        first value.
    """
    if runs.empty:
        return pd.DataFrame()
    keys = [k for k in (keys or GROUP_KEYS) if k in runs.columns]
    skip = {"seed", "order", "cfg/seed", "best_epoch", "epochs_run"}
    numeric = [
        c
        for c in runs.columns
        if c not in keys
        and c not in skip
        and not c.startswith("cfg/")
        and pd.api.types.is_numeric_dtype(runs[c])
        and runs[c].dtype != bool
    ]
    first = [c for c in runs.columns if c.startswith("cfg/") or c in ("device",)]
    g = runs.groupby(keys, sort=False, dropna=False)
    mean = g[numeric].mean()
    std = g[numeric].std(ddof=1).add_suffix("_std")
    size = g.size().rename("n")
    counts = g[numeric].count()
    partial = [c for c in numeric if (counts[c] < size).any()]  # a metric some seeds lack
    parts = [size, g["order"].min(), mean, std]
    if partial:
        parts.append(counts[partial].add_suffix("_n"))
    if "seed" in runs.columns:
        parts.append(g["seed"].agg(_seed_list).rename("seeds"))
    extra = [c for c in ("best_epoch", "epochs_run") if c in runs.columns]
    if extra:
        parts.append(g[extra].mean())
    if first:
        parts.append(g[first].first())
    out = pd.concat(parts, axis=1).reset_index().sort_values("order", kind="stable")
    return out.reset_index(drop=True)


def _seed_list(seeds: pd.Series) -> str:
    """The seeds of one configuration, sorted: ``"0,1,2"``."""
    return ",".join(str(v) for v in sorted(seeds.dropna().unique()))


def primary_metric(frame: pd.DataFrame) -> str:
    """``probe/node_accuracy`` when the rows have it, else ``probe/link_auc``."""
    col = "probe/node_accuracy"
    if col in frame.columns and frame[col].notna().any():
        return col
    return "probe/link_auc"


def _spearman(a: pd.Series, b: pd.Series) -> tuple[float | None, float | None, str | None]:
    ok = a.notna() & b.notna()
    res = spearman(a[ok].to_numpy(), b[ok].to_numpy())
    return (None, None, None) if res is None else (res.rho, res.p, res.method)


def _pick(frame: pd.DataFrame, col: str, lowest: bool = False) -> dict[str, Any] | None:
    if col not in frame.columns or not frame[col].notna().any():
        return None
    idx = frame[col].idxmin() if lowest else frame[col].idxmax()
    row = frame.loc[idx]
    return {**_entry(row, col), "n": int(row["n"])}


def _entry(row: pd.Series, col: str) -> dict[str, Any]:
    """One summary row's ``decoder`` with ``col``'s mean (``value``) and ``std``."""
    std = row.get(f"{col}_std")
    return {
        "decoder": row["decoder"],
        "value": float(row[col]),
        "std": None if std is None or pd.isna(std) else float(std),
    }


def loss_column(frame: pd.DataFrame) -> str | None:
    """The reconstruction loss the capacity question is about.

    ``recon/train_loss`` (what the decoder reached on the training graph at the
    selected epoch) when the runs have it, else ``recon/loss`` (held-out: the
    structure BCE on the test pairs, or the feature loss); ``None`` without either.
    """
    for col in ("recon/train_loss", "recon/loss"):
        if col in frame.columns and frame[col].notna().any():
            return col
    return None


def loss_groups(frame: pd.DataFrame) -> pd.Series:
    """Which rows' reconstruction losses are the same quantity, one label per row.

    The decoder kind (``structure``, ``feature``, ``joint``); feature rows also
    name their feature loss (``feature (mse)``, ``feature (sce)``), since an MSE
    and a scaled cosine error are different objectives whose values, and lowest
    values, say nothing about each other.

    Args:
        frame: Run or summary rows with ``decoder_kind`` (and ``cfg/feature_loss``).

    Returns:
        The labels, on ``frame``'s index.
    """
    kind = frame["decoder_kind"].astype(str)
    if "cfg/feature_loss" not in frame:
        return kind
    loss = frame["cfg/feature_loss"]
    named = (kind == "feature") & loss.notna()
    return kind.where(~named, kind + " (" + loss.astype(str) + ")")


def _loss_stats(frame: pd.DataFrame, loss_col: str, metric: str) -> dict[str, Any]:
    rho, p, method = (
        _spearman(frame[loss_col], frame[metric]) if metric in frame else (None, None, None)
    )
    return {
        "loss": loss_col,
        "lowest_loss": _pick(frame, loss_col, lowest=True),
        "spearman_loss_vs_probe": rho,
        "spearman_p": p,
        "spearman_p_method": method,
    }


def _value_of(frame: pd.DataFrame, decoder: str, col: str) -> dict[str, Any] | None:
    """``col``'s mean and std in the row of ``decoder`` (the first such row)."""
    rows = frame[frame["decoder"] == decoder]
    if rows.empty or col not in rows or pd.isna(rows[col].iloc[0]):
        return None
    return _entry(rows.iloc[0], col)


def _within_std(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """Whether two means are closer than the larger of their stds."""
    if a is None or b is None:
        return False
    stds = [v for v in (a.get("std"), b.get("std")) if v is not None]
    return bool(stds and abs(a["value"] - b["value"]) < max(stds))


def _seed_values(runs: pd.DataFrame, mask: pd.Series, metric: str) -> pd.Series:
    """``metric`` of the runs ``mask`` selects, indexed by seed (runs without it dropped)."""
    return runs[mask].dropna(subset=[metric]).set_index("seed")[metric]


def _paired(a: pd.Series, b: pd.Series) -> dict[str, Any] | None:
    """Two rows' seed-indexed values (:func:`_seed_values`) compared over their shared seeds.

    Returns:
        :class:`graphae.bench.stats.PairedResult` as a dict with the shared
        ``seeds``, or ``None`` with fewer than 2 shared seeds.
    """
    shared = sorted(set(a.index) & set(b.index))
    res = paired_difference(a[shared].to_numpy(), b[shared].to_numpy())
    if res is None:
        return None
    return {**asdict(res), "seeds": [int(v) for v in shared]}


def _usable(runs: pd.DataFrame | None, metric: str) -> bool:
    """Whether ``runs`` can give a paired comparison on ``metric``."""
    return runs is not None and not runs.empty and metric in runs and "seed" in runs


def capacity_answers(
    summary: pd.DataFrame, runs: pd.DataFrame | None = None
) -> list[dict[str, Any]]:
    """The capacity question, answered from the data for each dataset × encoder × variant.

    For each group of decoder rungs: the rung with the best mean probe score
    (``probe/node_accuracy``, or ``probe/link_auc`` on unlabelled graphs) and the
    best of the others (``runner_up``, with ``runner_up_within_std`` and, given
    the runs, ``runner_up_paired``: the two compared seed by seed over their
    shared seeds with the sign-flip test of
    :func:`graphae.bench.stats.paired_difference`), the rung validation would pick (best
    ``val/probe/node_accuracy``), the rung with the lowest reconstruction loss
    within each loss group (:func:`loss_groups`; structure BCE and feature loss
    are different quantities and are never compared), whether the best rung's
    loss is within one std of that lowest one, Spearman's ρ between
    reconstruction loss and probe score across the rungs of a group with its
    permutation p-value (:func:`graphae.bench.stats.spearman`), the seed counts
    (``seeds``: ``min``, ``max``, ``same_sets``) and the best baseline of the
    dataset.

    Self-supervised rows (``decoder_kind == "contrastive"``: DGI, GRACE, BGRL)
    are not rungs: each group's ``contrastive`` entry says whether its best
    rung beats the dataset's best contrastive row on the primary probe
    (``rung_beats_node``) and on the link probe (``rung_beats_link``).

    Args:
        summary: :func:`summarize` output.
        runs: The run table it summarises (:func:`collect`); without it the
            answers carry no paired comparisons.

    Returns:
        One dict per group.
    """
    if summary.empty:
        return []
    answers = []
    models = summary[summary["kind"] == "model"]
    contrastive = models[models["decoder_kind"] == "contrastive"]
    models = models[models["decoder_kind"] != "contrastive"]
    baselines = summary[summary["kind"] == "baseline"]
    for (dataset, encoder, variant), grp in models.groupby(
        ["dataset", "encoder", "variant"], sort=False
    ):
        metric = primary_metric(grp)
        ans: dict[str, Any] = {
            "dataset": dataset,
            "encoder": encoder,
            "variant": variant,
            "metric": metric,
            "rungs": len(grp),
            "best": _pick(grp, metric),
            "runner_up": None,
            "val_pick": _pick(grp, "val/" + metric) if metric == "probe/node_accuracy" else None,
            "link_probe_best": _pick(grp, "probe/link_auc"),
            "kinds": {},
        }
        if ans["best"] is not None and len(grp) > 1:
            # the best value among the other rows: a sort could put a tied row first
            ans["runner_up"] = _pick(grp.drop(index=grp[metric].idxmax()), metric)
        if ans["runner_up"] is not None:
            ans["runner_up_within_std"] = _within_std(ans["best"], ans["runner_up"])
            ans["runner_up_paired"] = (
                _paired(
                    _rung_values(runs, ans, ans["best"]["decoder"], metric),
                    _rung_values(runs, ans, ans["runner_up"]["decoder"], metric),
                )
                if _usable(runs, metric)
                else None
            )
        if "seeds" in grp:
            counts = grp["n"].astype(int)
            ans["seeds"] = {
                "min": int(counts.min()),
                "max": int(counts.max()),
                "same_sets": bool(grp["seeds"].nunique() == 1),
            }
        groups = loss_groups(grp)
        for kind, sub in grp.groupby(groups, sort=False):
            loss_col = loss_column(sub)
            if loss_col is None:
                continue
            info = _loss_stats(sub, loss_col, metric)
            info["rungs"] = len(sub)
            info["best"] = _pick(sub, metric)
            info["best_is_lowest_loss"] = bool(
                info["lowest_loss"]
                and info["best"]
                and info["lowest_loss"]["decoder"] == info["best"]["decoder"]
            )
            if info["best"] is not None:
                info["loss_of_best"] = _value_of(sub, info["best"]["decoder"], loss_col)
                info["lowest_loss_within_std"] = _within_std(
                    info["loss_of_best"], info["lowest_loss"]
                )
            if loss_col != "recon/loss" and "recon/loss" in sub and sub["recon/loss"].notna().any():
                info["heldout"] = _loss_stats(sub, "recon/loss", metric)
            ans["kinds"][kind] = info
        best = ans["best"]
        kind_of_best = groups[grp["decoder"] == best["decoder"]].iloc[0] if best else None
        ans["best_kind"] = kind_of_best
        k = ans["kinds"].get(kind_of_best or "", {})
        ans["best_is_lowest_loss"] = k.get("best_is_lowest_loss")
        bl = baselines[baselines["dataset"] == dataset]
        bl = bl[(bl["baseline"] != "untrained") | (bl["encoder"] == encoder)]
        if not bl.empty and metric in bl and bl[metric].notna().any():
            b = bl.loc[bl[metric].idxmax()]
            ans["best_baseline"] = {"baseline": b["baseline"], "value": float(b[metric])}
            ans["beats_baselines"] = bool(best and best["value"] > float(b[metric]))
        cl = contrastive[contrastive["dataset"] == dataset]
        if not cl.empty:
            ans["contrastive"] = _versus_contrastive(ans, cl, metric, runs)
        answers.append(ans)
    return answers


def _versus_contrastive(
    ans: dict[str, Any], cl: pd.DataFrame, metric: str, runs: pd.DataFrame | None = None
) -> dict[str, Any]:
    """Does any autoencoder rung beat the best self-supervised row (node and link probes)?

    ``rung_beats_node`` / ``rung_beats_link``: the best rung's mean is higher
    than the best contrastive row's mean (``None`` when either is missing);
    ``*_within_std``: the gap is smaller than the larger of the two stds;
    ``*_paired``: the two compared over their shared seeds (:func:`_paired`).
    """
    out: dict[str, Any] = {"rows": len(cl)}
    for key, col, best in (
        ("node", metric, ans["best"]),
        ("link", "probe/link_auc", ans["link_probe_best"]),
    ):
        ref = _pick(cl, col)
        out[f"best_{key}"] = ref
        if ref is None or best is None:
            out[f"rung_beats_{key}"] = None
            continue
        out[f"rung_beats_{key}"] = bool(best["value"] > ref["value"])
        out[f"{key}_within_std"] = _within_std(best, ref)
        out[f"{key}_paired"] = _paired_across(runs, ans, best["decoder"], ref["decoder"], col)
    return out


def _paired_across(
    runs: pd.DataFrame | None, ans: dict[str, Any], rung: str, ref: str, metric: str
) -> dict[str, Any] | None:
    """A rung of ``ans``'s group against a contrastive row of its dataset, by seed."""
    if not _usable(runs, metric):
        return None
    theirs = (
        (runs["kind"] == "model")
        & (runs["dataset"] == ans["dataset"])
        & (runs["decoder_kind"] == "contrastive")
        & (runs["decoder"] == ref)
    )
    return _paired(_rung_values(runs, ans, rung, metric), _seed_values(runs, theirs, metric))


def _rung_values(runs: pd.DataFrame, ans: dict[str, Any], decoder: str, metric: str) -> pd.Series:
    """``metric`` by seed of the rung ``decoder`` of ``ans``'s group (its dataset,
    encoder and variant)."""
    mine = (
        (runs["kind"] == "model")
        & (runs["dataset"] == ans["dataset"])
        & (runs["encoder"] == ans["encoder"])
        & (runs["variant"] == ans["variant"])
        & (runs["decoder"] == decoder)
    )
    return _seed_values(runs, mine, metric)


def _json_ready(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _json_ready(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_json_ready(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return None if np.isnan(obj) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _frame_json(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_json_ready(r) for r in frame.to_dict(orient="records")]


def collect_with_references(
    out: str | Path, references: list[str | Path] | tuple[str | Path, ...] = ()
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """:func:`collect` of a sweep folder plus the model runs of other sweep folders.

    A reference folder is another sweep on the same datasets and protocol (the
    self-supervised rows, too costly to sit inside the ladder's budget); its
    model runs join the tables as if they were the sweep's own, after them, with
    ``source`` naming their folder (the sweep's own runs have ``source`` "").
    Its baselines are left out (the sweep has its own), and so are runs the sweep
    itself holds (the same run id: a folder given as its own reference).

    Args:
        out: The sweep folder.
        references: Other sweep folders.

    Returns:
        As :func:`collect`; ``info["references"]`` lists ``{"folder", "runs",
        "missing"}`` per reference.

    Raises:
        GraphaeError: When a reference is not a sweep folder, or its model rows carry
            the labels of the sweep's own rows (they would be averaged into them).
    """
    runs, layers, info = collect(out)
    runs = runs.assign(source="") if not runs.empty else runs
    info["references"] = []
    for ref in references:
        ref = Path(ref)
        if not (ref / "runs").is_dir():
            raise GraphaeError(
                f"reference {ref} holds no runs/ folder; give a `graphae bench` folder"
            )
        r_runs, r_layers, r_info = collect(ref)
        if not r_runs.empty:
            own = set(runs["run_id"]) if not runs.empty else set()
            keep = (r_runs["kind"] == "model") & ~r_runs["run_id"].isin(own)
            _refuse_label_clash(runs, r_runs[keep], ref)
            offset = int(runs["order"].max()) + 1 if not runs.empty else 0
            r_runs = r_runs[keep]
            r_runs = r_runs.assign(order=r_runs["order"] + offset, source=str(ref))
            runs = pd.concat([runs, r_runs], ignore_index=True)
            kept = set(r_runs["run_id"])
            if not r_layers.empty:
                r_layers = r_layers[r_layers["run_id"].isin(kept)]
                r_layers = r_layers.assign(order=r_layers["order"] + offset)
                layers = pd.concat([layers, r_layers], ignore_index=True)
            r_curves = r_info["curves"]
            if not r_curves.empty:
                r_curves = r_curves[r_curves["run_id"].isin(kept)]
                info["curves"] = pd.concat([info["curves"], r_curves], ignore_index=True)
        info["references"].append(
            {"folder": str(ref), "runs": len(r_runs), "missing": len(r_info["missing"])}
        )
    return runs, layers, info


def _refuse_label_clash(runs: pd.DataFrame, ref_runs: pd.DataFrame, ref: Path) -> None:
    """A reference row with a sweep row's labels would be averaged into that row."""
    if runs.empty or ref_runs.empty:
        return
    keys = [k for k in GROUP_KEYS if k in runs.columns and k in ref_runs.columns]
    clash = ref_runs.merge(runs[keys].drop_duplicates(), on=keys, how="inner")
    if clash.empty:
        return
    r = clash.iloc[0]
    raise GraphaeError(
        f"reference {ref} has runs labelled like the sweep's own ({r['dataset']}, "
        f"{r['encoder']} + {r['decoder']} / {r['variant']}, e.g. {r['run_id']}): they "
        "would be averaged into the sweep's rows; give a sweep of other decoders or "
        "objectives as a reference"
    )


def write_tables(
    out: str | Path, references: list[str | Path] | tuple[str | Path, ...] = ()
) -> dict[str, Any]:
    """Collect a sweep folder and write ``OUT/tables/*`` (see the module docstring).

    Args:
        out: The sweep folder.
        references: Other sweep folders whose model runs join the tables
            (:func:`collect_with_references`).

    Returns:
        ``{"runs", "summary", "layers", "layers_summary", "answers", "info"}``:
        the frames, the answers and :func:`collect`'s info.
    """
    out = Path(out)
    runs, layers, info = collect_with_references(out, references)
    summary = summarize(runs)
    layer_keys = [*GROUP_KEYS, "position", "part", "name", "dim"]
    layers_summary = summarize(layers, layer_keys) if not layers.empty else pd.DataFrame()
    answers = capacity_answers(summary, runs)
    tables = out / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    for name, frame in (("runs", runs), ("summary", summary)):
        frame.to_csv(tables / f"{name}.csv", index=False)
        (tables / f"{name}.json").write_text(json.dumps(_frame_json(frame), indent=1))
    if not layers.empty:
        layers.to_csv(tables / "layers.csv", index=False)
        layers_summary.to_csv(tables / "layers_summary.csv", index=False)
    (tables / "answers.json").write_text(json.dumps(_json_ready(answers), indent=1))
    log.info("tables: %d runs, %d configurations in %s", len(runs), len(summary), tables)
    return {
        "runs": runs,
        "summary": summary,
        "layers": layers,
        "layers_summary": layers_summary,
        "answers": answers,
        "info": info,
    }
