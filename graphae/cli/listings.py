"""What ``graphae datasets`` and ``graphae ls`` print: rows of plain data (also as JSON).

* :func:`dataset_rows`: every named dataset under the name the README uses
  (``Cora``, ``Amazon Computers``, ``ogbl-ddi``), its size (nodes, from the
  registry's description), whether its files are present, its folder and the
  bytes on disk.
* :func:`component_options`: a registered encoder's or decoder's options with
  their defaults, read from the factory's signature.
* :func:`objective_rows` and :func:`variant_rows`: the training objectives with
  their options, and the variant switches with their defaults.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

from graphae.cli.options import FLAGS, flag_name
from graphae.cli.schema import run_config_fields

__all__ = [
    "component_options",
    "dataset_rows",
    "display_name",
    "objective_rows",
    "variant_rows",
]


def display_name(info: Any) -> str:
    """The documented spelling of a dataset (accepted by ``--dataset``)."""
    params = info.params or {}
    if info.family == "planetoid":
        return str(params.get("pyg_name", info.name))
    if info.family in ("amazon", "coauthor"):
        return f"{params.get('cls', info.family.title())} {params.get('pyg_name', '')}".strip()
    if info.family == "ogb":
        return info.name.replace("_", "-")
    return info.name


def _nodes(description: str) -> int | None:
    m = re.search(r"([\d,]+) nodes", description)
    return int(m.group(1).replace(",", "")) if m else None


def _disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def dataset_rows(root: str | Path | None = None) -> list[dict[str, Any]]:
    """One row per named dataset.

    Args:
        root: Data root (default ``$GRAPHAE_DATA`` or ``./data``).

    Returns:
        Dicts with ``name`` (documented spelling), ``key`` (registry name),
        ``family``, ``nodes`` (``None`` when not stated), ``present``, ``path``
        (``""`` for builtin graphs), ``bytes`` (on disk; ``None`` when absent)
        and ``description``.
    """
    from graphae.data.datasets import available_datasets, data_root, dataset_info

    base = data_root(root)
    rows = []
    for row in available_datasets(base):
        info = dataset_info(row["name"])
        path = Path(row["path"]) if row["path"] else None
        size = _disk_bytes(path) if path is not None and path.is_dir() else None
        rows.append(
            {
                "name": display_name(info),
                "key": row["name"],
                "family": row["family"],
                "nodes": _nodes(row["description"]),
                "present": bool(row["present"]),
                "path": row["path"],
                "bytes": size,
                "description": row["description"],
            }
        )
    return rows


def human_bytes(n: int | None) -> str:
    """``1536`` -> ``"1.5 KB"``; ``None`` -> ``"-"``."""
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"  # pragma: no cover


def component_options(kind: str, name: str) -> list[dict[str, Any]]:
    """Options of a registered encoder or decoder: ``[{"name", "default", "required"}]``.

    The context arguments graphae fills in itself (widths, layer count...) are
    left out; what remains is what ``--encoder-option``/``--decoder-option`` set.

    Raises:
        GraphaeError: For an unknown name (listing the valid ones).
    """
    from graphae.nn.decoders import DECODER_CONTEXT, decoders, shared_options
    from graphae.nn.encoders import ENCODER_CONTEXT, encoders

    registry, context = (
        (encoders, ENCODER_CONTEXT) if kind == "encoder" else (decoders, DECODER_CONTEXT)
    )
    factory = registry.get(name)
    out = []
    for p in inspect.signature(factory).parameters.values():
        if p.name in context or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        required = p.default is inspect.Parameter.empty
        out.append(
            {"name": p.name, "default": None if required else p.default, "required": required}
        )
    if kind == "decoder":
        out += [
            {"name": k, "default": v, "required": False} for k, v in shared_options(name).items()
        ]
    return out


def objective_rows() -> list[dict[str, Any]]:
    """``[{"name", "description", "options": {name: default}}]`` for every objective."""
    from graphae.models.contrastive import OBJECTIVE_OPTIONS

    desc = {
        "reconstruction": "the autoencoder: reconstruct the graph (and features) from z",
        "dgi": "Deep Graph Infomax (Veličković et al. 2019): local-global mutual information",
        "grace": "GRACE (Zhu et al. 2020): InfoNCE between two augmented views",
        "bgrl": "BGRL (Thakoor et al. 2022): bootstrapped latents, online/target encoders",
    }
    rows = [{"name": "reconstruction", "description": desc["reconstruction"], "options": {}}]
    for name, options in OBJECTIVE_OPTIONS.items():
        rows.append({"name": name, "description": desc.get(name, ""), "options": dict(options)})
    return rows


def variant_rows() -> list[dict[str, Any]]:
    """The variant switches (``train`` flags of the Variants panel) and ``--variant-option`` keys."""
    from graphae.models import VARIANT_OPTIONS

    rows = []
    for spec in run_config_fields():
        flag = FLAGS.get(spec.name)
        if flag is None or flag.panel != "Variants" or spec.name == "variant_options":
            continue
        rows.append(
            {
                "name": spec.name,
                "flag": flag_name(spec.name),
                "default": spec.default,
                "description": flag.help or spec.help,
            }
        )
    for key, default in VARIANT_OPTIONS.items():
        rows.append(
            {
                "name": f"variant_options.{key}",
                "flag": f"--variant-option {key}=...",
                "default": default,
                "description": "secondary variant setting",
            }
        )
    return rows
