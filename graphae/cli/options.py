"""One table from ``RunConfig`` fields to ``graphae train`` flags, and run config files.

:data:`FLAGS` says, for the fields that need it, the flag's name, help panel,
help text, kind (a path, or repeatable ``KEY=VALUE`` options) and metavar.
Every other field of :class:`~graphae.config.RunConfig` (read by
:func:`graphae.cli.schema.run_config_fields`) gets a flag too: ``--field-name``
in the "Other settings" panel with its docstring as help and its validation's
values as choices. So a field added to ``RunConfig`` is reachable from the
command line, from ``--set`` and from a config file without touching the CLI.

Config files (``graphae train --config FILE``) are YAML or JSON mappings in the
format of a ``graphae bench`` spec's run settings:

* ``RunConfig`` fields at the top level, as in a run folder's ``config.json``
  (so a finished run can be replayed: ``--config runs/x`` or
  ``--config runs/x/config.json``);
* optionally a ``train:`` mapping of shared fields, as in a sweep spec;
* ``dataset``, ``encoder`` and ``decoder`` as a name or as a sweep-spec entry:
  ``decoder: {name: mlp, options: {depth: 2}, config: {lr: 0.005}}``,
  ``dataset: {name: Cora}`` or ``dataset: {graph: edges.csv, labels: y.csv}``
  (checked by the same code as ``graphae bench``).

Precedence: ``RunConfig`` defaults < the file < flags given on the command line
< ``--set key=value``. Values are type-checked against the field's annotation
and the result goes through ``RunConfig``'s own validation; errors name the flag
(``--epochs``), the ``--set`` key or the file, not the Python field.

This module imports only the standard library at import time (and PyYAML when
a file is read), so building the command line stays fast.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphae.cli.schema import FieldSpec, run_config_fields
from graphae.errors import GraphaeError
from graphae.registry import did_you_mean

__all__ = [
    "FLAGS",
    "PANELS",
    "Flag",
    "build_config",
    "flag_name",
    "load_config_file",
    "parse_sets",
]

#: Help panels of ``graphae train --help``, in order.
PANELS = ("Config", "Input", "Model", "Variants", "Training", "Output", "Other settings")


@dataclass(frozen=True)
class Flag:
    """How one ``RunConfig`` field appears on the command line.

    Attributes:
        panel: Help panel (one of :data:`PANELS`).
        help: Help text (default: the field's docstring entry).
        flag: Option declaration, e.g. ``"--compile"`` (default ``--field-name``;
            ``bool`` fields also get ``--no-field-name`` unless ``flag`` is given).
        kind: ``"path"`` (a file or folder), ``"options"`` (repeatable
            ``KEY=VALUE``, for ``dict`` fields) or ``None`` (from the annotation).
        metavar: Shown placeholder (default from the type).
    """

    panel: str = "Other settings"
    help: str | None = None
    flag: str | None = None
    kind: str | None = None
    metavar: str | None = None


_I, _M, _V, _T = "Input", "Model", "Variants", "Training"

#: The table: ``RunConfig`` field -> its flag. Fields not listed get a default :class:`Flag`.
FLAGS: dict[str, Flag] = {
    "dataset": Flag(_I, "Named dataset, e.g. Cora (see `graphae datasets`).", metavar="NAME"),
    "graph": Flag(
        _I,
        "Your graph: edge list (.csv/.tsv/.txt, also .gz/.bz2/.xz/.zst compressed, or "
        ".parquet), .graphml, .gml, .gexf, .adjlist or scipy .npz.",
        kind="path",
        metavar="FILE",
    ),
    "features": Flag(
        _I,
        "Node features: .csv with an id column (or compressed, or .parquet), or .npy.",
        kind="path",
        metavar="FILE",
    ),
    "feature_ids": Flag(
        _I, "Ids of the rows of a .npy feature file, one per line.", kind="path", metavar="FILE"
    ),
    "feature_norm": Flag(
        _I,
        "Feature preprocessing: auto (row-normalise the bag-of-words features of "
        "Planetoid/Amazon/Coauthor, use other features as given), row (divide each row "
        "by its L1 norm) or none.",
    ),
    "labels": Flag(_I, "Node labels: .csv with columns id,label.", kind="path", metavar="FILE"),
    "nodes": Flag(
        _I,
        "Node list, one id per line: every node of --graph, isolated ones included.",
        kind="path",
        metavar="FILE",
    ),
    "feature_fallback": Flag(
        _I,
        "Features of a --graph without --features: auto (identity up to 2,048 nodes, "
        "else degree features beside learnable input codes), identity, degree, random, "
        "learnable, degree_learnable or none.",
    ),
    "featureless_decoder": Flag(
        _I,
        "auto: a --graph without features gets the ncn decoder (<= 2,048 nodes) or the inner "
        "product, trained with and without the heuristic-counts head where common neighbours "
        "score >= 0.75 validation AUC, the better kept; off: keep --decoder as given "
        "(naming --decoder on the command line implies off).",
    ),
    "export_edges": Flag(
        _I,
        "What the exported embeddings and model have seen: split (the best epoch's model "
        "over the split's training edges), all (that model over every edge), refit "
        "(retrained on every edge for the best epoch count); auto: refit for a --graph "
        "without features, else split. result.json's metrics stay the held-out split's.",
    ),
    "directed": Flag(_I, "Treat --graph as directed."),
    "data_root": Flag(
        _I, "Dataset root (default $GRAPHAE_DATA or ./data).", kind="path", metavar="DIR"
    ),
    "encoder": Flag(_M, "Encoder (`graphae ls encoders`).", metavar="NAME"),
    "decoder": Flag(
        _M,
        "Decoder (`graphae ls decoders`): structure, or feature (a feature-only model).",
        metavar="NAME",
    ),
    "hidden_channels": Flag(_M, "Hidden width."),
    "out_channels": Flag(_M, "Embedding width."),
    "num_layers": Flag(_M, "Encoder layers."),
    "dropout": Flag(_M, "Encoder dropout."),
    "encoder_options": Flag(
        _M, "Extra encoder option KEY=VALUE (repeatable).", "--encoder-option", "options"
    ),
    "decoder_options": Flag(
        _M,
        "Extra decoder option KEY=VALUE (repeatable; `graphae ls decoders NAME`).",
        "--decoder-option",
        "options",
    ),
    "feature_decoder": Flag(
        _M,
        "Feature decoder beside --decoder (joint reconstruction), e.g. mirror.",
        metavar="NAME",
    ),
    "feature_decoder_options": Flag(
        _M,
        "Extra feature-decoder option KEY=VALUE (repeatable).",
        "--feature-decoder-option",
        "options",
    ),
    "objective": Flag(
        _M,
        "Training objective: reconstruction (the autoencoder) or a self-supervised "
        "one without a decoder: dgi, grace or bgrl.",
    ),
    "objective_options": Flag(
        _M,
        "Objective option KEY=VALUE, e.g. tau=0.4 (repeatable).",
        "--objective-option",
        "options",
    ),
    "reconstruct_weights": Flag(
        _V, "Reconstruct edge weights: soft BCE targets w / max(w) for the positives."
    ),
    "feature_loss": Flag(_V, "Feature loss: mse or sce."),
    "feature_loss_form": Flag(
        _T,
        "Feature loss of a decoder ending in a linear map: auto (from that map, without "
        "the N x F reconstruction) or dense (same loss up to float rounding).",
    ),
    "sce_gamma": Flag(_V, "Exponent of the SCE feature loss."),
    "structure_weight": Flag(_V, "Weight of the structure loss."),
    "feature_weight": Flag(_V, "Weight of the feature loss."),
    "loss": Flag(_V, "Structure loss: pairs (sampled) or dense (Kipf, <= 20,000 nodes)."),
    "variational": Flag(_V, "VGAE: μ/log σ heads and a KL term."),
    "kl_weight": Flag(_V, "Weight of the KL term (default 1/N)."),
    "adversarial": Flag(_V, "ARGA: adversarial regulariser towards N(0, I)."),
    "adversarial_weight": Flag(_V, "Weight of the ARGA loss."),
    "edge_mask": Flag(_V, "MaskGAE: fraction of edges masked and reconstructed (0: off)."),
    "degree_weight": Flag(_V, "MaskGAE degree-decoder loss weight (0: none)."),
    "feature_mask": Flag(_V, "GraphMAE: fraction of nodes with masked features (0: off)."),
    "feature_noise": Flag(_V, "Denoising: Gaussian feature noise std (0: off)."),
    "edge_dropout": Flag(_V, "Denoising: fraction of edges dropped each step (0: off)."),
    "variant_options": Flag(
        _V,
        "Secondary variant setting KEY=VALUE, e.g. replace_rate=0.05.",
        "--variant-option",
        "options",
    ),
    "lr": Flag(_T, "Adam learning rate."),
    "lr_schedule": Flag(
        _T,
        "Learning-rate schedule: constant, cosine (decays from --lr towards 0 "
        "over --epochs, as GraphMAE) or linear (Refined GAE's linear decay).",
    ),
    "lr_decay_every": Flag(_T, "Epochs between updates of --lr-schedule linear."),
    "grad_clip": Flag(_T, "Clip the gradients' total L2 norm to this every step (default: off)."),
    "grad_clip_scope": Flag(
        _T,
        "--grad-clip over all parameters (global) or per part: codes, encoder, decoders (parts).",
    ),
    "mask_target_edges": Flag(
        _T, "Remove each batch's target edges from the message-passing graph of that step."
    ),
    "weight_decay": Flag(_T, "Adam weight decay."),
    "epochs": Flag(_T, "Maximum epochs."),
    "patience": Flag(_T, "Early-stopping patience in evaluations (0: off)."),
    "eval_every": Flag(_T, "Evaluate on the validation edges every N epochs (and at the last)."),
    "batch_size": Flag(_T, "Positive pairs per step (default: full batch)."),
    "neg_ratio": Flag(_T, "Negative pairs sampled per positive pair in training."),
    "val_ratio": Flag(_T, "Validation fraction of edges."),
    "test_ratio": Flag(_T, "Test fraction of edges."),
    "seed": Flag(_T, "Random seed (split, init, negatives)."),
    "split_seed": Flag(_T, "Seed of the random edge split (default: --seed)."),
    "select": Flag(
        _T,
        "Model selection: link, probe (validation), loss (the parameters with the lowest "
        "training loss), last or "
        "ogb (the official OGB metric).",
    ),
    "optimization": Flag(
        _T, "Latent codes (--encoder embedding, hybrid tables): joint or alternating."
    ),
    "alternate_every": Flag(_T, "Epochs per phase of --optimization alternating."),
    "prior_sigma": Flag(_T, "σ of the L2 prior (1/σ²)·mean‖z_i‖² on latent codes (default: none)."),
    "code_lr": Flag(_T, "Learning rate of the latent codes (default: --lr)."),
    "device": Flag(_T, "auto, cpu, cuda or cuda:N.", metavar="DEVICE"),
    "deterministic": Flag(_T, "Deterministic kernels (bit-identical CPU runs)."),
    "precision": Flag(_T, "fp32 (exact), tf32 or bf16 (autocast; for GPUs)."),
    "compile": Flag(_T, "torch.compile the training step (GPU speed).", "--compile"),
    "feature_matmul": Flag(
        _T,
        "First-layer product with the features: auto (sparse on the CPU for features at "
        "most 10% non-zero), dense or sparse (same result up to float rounding).",
    ),
    "propagation_order": Flag(
        _T,
        "GCN decoder layers: auto (propagate at the narrower width: (ÂH)W when a layer "
        "widens) or transform_first (Â(HW), PyG's order; same result up to float rounding).",
    ),
    "propagation_layout": Flag(
        _T,
        "How GCN layers store Â: auto (CSR on the CPU; on CUDA dense for graphs of <= 8,192 "
        "nodes and >= 1% density, e.g. ogbl-ddi), sparse (CSR) or dense (same result up to "
        "float rounding).",
    ),
}


def _fields() -> dict[str, FieldSpec]:
    return {f.name: f for f in run_config_fields()}


def flag_of(spec: FieldSpec) -> Flag:
    """The table's :class:`Flag` of a field (a default one when it is not listed)."""
    return FLAGS.get(spec.name, Flag())


def flag_name(name: str) -> str:
    """The command-line flag of a ``RunConfig`` field: ``encoder_options`` -> ``--encoder-option``."""
    spec = _fields().get(name)
    flag = FLAGS.get(name, Flag()).flag
    if flag is not None:
        return flag
    if spec is not None and _base_type(spec.annotation)[0] == "dict":
        return "--" + name.removesuffix("s").replace("_", "-")
    return "--" + name.replace("_", "-")


def _base_type(annotation: str) -> tuple[str, bool]:
    """``"int | None"`` -> ``("int", True)``; ``"dict[str, Any]"`` -> ``("dict", False)``."""
    parts = [p.strip() for p in annotation.split("|")]
    optional = "None" in parts
    parts = [p for p in parts if p != "None"]
    base = parts[0] if len(parts) == 1 else "any"
    m = re.match(r"(?:typing\.)?(Optional)\[(.*)\]$", base)
    if m:
        base, optional = m.group(2), True
    base = base.split("[", 1)[0].lower()
    if base not in ("int", "float", "str", "bool", "dict"):
        base = "any"
    return base, optional


def kind_of(spec: FieldSpec) -> str:
    """``path``, ``options``, ``bool``, ``int``, ``float``, ``str``, ``choice`` or ``json``."""
    flag = flag_of(spec)
    base, _ = _base_type(spec.annotation)
    if flag.kind is not None:
        return flag.kind
    if base == "dict":
        return "options"
    if base == "any":
        return "json"
    if base == "str" and spec.choices:
        return "choice"
    return base


# --------------------------------------------------------------------------- values


def parse_options(items: list[str] | None, flag: str) -> dict[str, object]:
    """``["depth=3", "mode=concat"]`` -> ``{"depth": 3, "mode": "concat"}`` (JSON values)."""
    out: dict[str, object] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise GraphaeError(f"{flag} {item!r}: expected KEY=VALUE")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def cli_value(spec: FieldSpec, value: Any) -> Any:
    """A parsed command-line value as the ``RunConfig`` field wants it."""
    kind = kind_of(spec)
    if value is None:
        return {} if kind == "options" else None
    if kind == "path":
        return str(value)
    if kind == "options":
        return parse_options(value, flag_name(spec.name))
    if kind == "json":
        return _yaml_value(value)
    return value


def _yaml_value(text: str) -> Any:
    """``"0.5"`` -> 0.5, ``"true"`` -> True, ``"null"`` -> None, ``"[1, 2]"`` -> [1, 2], else text."""
    import yaml

    try:
        return yaml.safe_load(text) if text.strip() else text
    except yaml.YAMLError:
        return text


_TYPE_NAMES = {"int": "an integer", "float": "a number", "str": "text", "bool": "true or false"}


def check_value(spec: FieldSpec, value: Any, where: str) -> Any:
    """``value`` checked against the field's type (ints widen to floats).

    Raises:
        GraphaeError: ``"<where>: expected an integer, got 'abc'"``.
    """
    base, optional = _base_type(spec.annotation)
    if value is None:
        if optional or base == "any":
            return None
        raise GraphaeError(
            f"{where}: {spec.name} cannot be null (expected {_TYPE_NAMES.get(base, 'a value')})"
        )
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "str": isinstance(value, str),
        "bool": isinstance(value, bool),
        "dict": isinstance(value, Mapping),
        "any": True,
    }[base]
    if not ok:
        want = _TYPE_NAMES.get(base, "a mapping of options")
        raise GraphaeError(f"{where}: expected {want}, got {value!r}")
    if base == "float":
        return float(value)
    if base == "dict":
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def parse_sets(items: list[str] | None) -> dict[str, Any]:
    """``--set key=value`` items -> ``{field: value}`` (YAML values; ``a.b=v`` sets a dict key).

    Raises:
        GraphaeError: On a malformed item or an unknown field.
    """
    fields = _fields()
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise GraphaeError(f"--set {item!r}: expected KEY=VALUE, e.g. --set epochs=100")
        name, dot, sub = key.partition(".")
        name = name.replace("-", "_")
        if name not in fields:
            raise GraphaeError(
                f"--set {key}: unknown setting{did_you_mean(name, list(fields))}; settings: "
                + ", ".join(fields)
            )
        value = _yaml_value(text)
        spec = fields[name]
        if dot:
            if _base_type(spec.annotation)[0] != "dict":
                raise GraphaeError(f"--set {key}: {name} has no keys (it is not a mapping)")
            out.setdefault(name, {})[sub] = value
            continue
        out[name] = check_value(spec, value, f"--set {key}")
    return out


# --------------------------------------------------------------------------- files

_SWEEP_KEYS = ("datasets", "encoders", "decoders", "variants", "seeds", "baselines")
_INPUT_FIELDS = ("dataset", "graph", "features", "feature_ids", "labels", "directed")


def load_config_file(path: str | Path) -> dict[str, Any]:
    """A run config file (YAML/JSON, or a run folder's ``config.json``) as ``{field: value}``.

    Args:
        path: The file, or a run folder (its ``config.json`` is read).

    Returns:
        Type-checked ``RunConfig`` fields (not yet validated together).

    Raises:
        GraphaeError: One line naming the file and the key.
    """
    path = Path(path)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise GraphaeError(f"--config {path}: a folder without config.json; give a config file")
        path = path / "config.json"
    if not path.is_file():
        raise GraphaeError(f"--config {path}: no such file")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            obj = json.loads(text)
        else:
            import yaml

            obj = yaml.safe_load(text)
    except (ValueError, Exception) as e:  # json.JSONDecodeError, yaml.YAMLError
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise GraphaeError(f"--config {path}: not valid YAML/JSON ({first})") from None
    if obj is None:
        obj = {}
    if not isinstance(obj, Mapping):
        raise GraphaeError(
            f"--config {path}: expected a mapping of settings, got {type(obj).__name__}"
        )
    return expand_config(dict(obj), str(path))


def recorded_values(path: str | Path) -> dict[str, Any]:
    """The settings a finished run ran with that its ``config.json`` does not say.

    A run folder written before a field existed has no key for it, and today's
    default for a few such fields computes differently from the code that ran it
    (:data:`graphae.config.RECORDED_BEFORE`, and the featureless defaults of
    :func:`graphae.featureless.as_recorded`). Replaying that folder with
    ``--config`` takes these values, so it repeats the run rather than today's
    variant of it.

    Args:
        path: The ``--config`` argument: a run folder, or a file in one.

    Returns:
        ``{field: value}`` to apply over the folder's ``config.json``; empty for a
        file that is not a finished run's record (no ``result.json`` beside it), a
        record this version wrote, or one that is not a valid config.
    """
    path = Path(path)
    cfg_path = path / "config.json" if path.is_dir() else path
    result_path = cfg_path.parent / "result.json"
    if cfg_path.name != "config.json" or not result_path.is_file():
        return {}
    from graphae.config import RunConfig
    from graphae.featureless import as_recorded

    try:
        recorded = json.loads(cfg_path.read_text(encoding="utf-8"))
        graph = json.loads(result_path.read_text(encoding="utf-8")).get("graph") or {}
        as_given = RunConfig.from_dict(recorded)
    except (ValueError, AttributeError, TypeError, GraphaeError):
        return {}  # not a record this code reads; load_config_file / RunConfig say why
    meta = {"num_nodes": graph["num_nodes"]} if "num_nodes" in graph else None
    ran = as_recorded(as_given.as_recorded_by(recorded), recorded, meta).to_dict()
    given = as_given.to_dict()
    return {k: v for k, v in ran.items() if v != given[k]}


def expand_config(obj: dict[str, Any], source: str) -> dict[str, Any]:
    """Sweep-spec style entries and a ``train:`` section -> flat ``RunConfig`` fields."""
    fields = _fields()
    sweep = [k for k in _SWEEP_KEYS if k in obj]
    if sweep:
        raise GraphaeError(
            f"{source}: {sweep[0]!r} makes this a sweep spec (run it with graphae bench); "
            "give graphae train one run's settings, e.g. a sweep run's runs/<id>/config.json"
        )
    out: dict[str, Any] = {}
    train = obj.pop("train", None) or {}
    if not isinstance(train, Mapping):
        raise GraphaeError(f"{source}: train: expected a mapping of settings")
    for k in ("name", "description"):
        obj.pop(k, None)
    layers: list[tuple[str, Mapping[str, Any]]] = [(f"{source}: train", train)]
    entry_config: list[tuple[str, Mapping[str, Any]]] = []
    for key in ("dataset", "encoder", "decoder"):
        value = obj.get(key)
        if not isinstance(value, Mapping):
            continue
        from graphae.bench.spec import _axis, _datasets

        del obj[key]
        at = f"{source}: {key}"
        if key == "dataset":
            ds = _datasets(at, [value])[0]
            out.update(ds.fields)
            entry_config.append((f"{at}.config", ds.config))
        else:
            entry = _axis(at, key, [value])[0]
            out[key] = entry.name
            out[f"{key}_options"] = entry.options
            entry_config.append((f"{at}.config", entry.config))
    layers.append((source, obj))
    merged: dict[str, Any] = {}
    for where, layer in [*layers[:1], *entry_config, *layers[1:]]:
        for k, v in layer.items():
            if k not in fields:
                raise GraphaeError(
                    f"{where}: unknown setting {k!r}{did_you_mean(str(k), list(fields))}; "
                    f"settings: {', '.join(fields)}"
                )
            merged[k] = check_value(fields[k], v, f"{where}: {k}")
    merged.update(out)
    return merged


# --------------------------------------------------------------------------- building


def build_config(
    values: Mapping[str, Any],
    given: Callable[[str], bool],
    config_file: str | Path | None = None,
    sets: list[str] | None = None,
) -> Any:
    """The run's :class:`~graphae.config.RunConfig` from the parsed options.

    Args:
        values: Every ``RunConfig`` field's command-line value (parsed by typer).
        given: Whether a field's flag was given on the command line.
        config_file: ``--config`` file, or ``None``.
        sets: ``--set key=value`` items.

    Returns:
        The validated ``RunConfig``.

    Raises:
        GraphaeError: A one-line error naming the flag, the ``--set`` key or the file.
    """
    from graphae.config import RunConfig

    fields = _fields()
    base: dict[str, Any] = {}
    origin: dict[str, str] = {}
    if config_file is not None:
        base = load_config_file(config_file)
        origin = {k: f"{k} in {config_file}" for k in base}
    explicit = {n: cli_value(fields[n], v) for n, v in values.items() if n in fields and given(n)}
    if config_file is not None:
        ran = recorded_values(config_file)  # a run folder: as that run ran
        if {"dataset", "graph"} & set(explicit):
            ran.pop("feature_fallback", None)  # chosen for the recorded graph's size
            for k in _INPUT_FIELDS:  # a new input replaces the file's
                if k not in explicit:
                    base.pop(k, None)
        base.update(ran)
    if config_file is None:
        base = {n: cli_value(fields[n], v) for n, v in values.items() if n in fields}
    base.update(explicit)
    origin.update({n: flag_name(n) for n in explicit})
    overrides = parse_sets(sets)
    both = sorted(set(overrides) & set(explicit))
    if both:
        raise GraphaeError(
            f"{flag_name(both[0])} and --set {both[0]}=... both given; keep one of them"
        )
    for k, v in overrides.items():
        if isinstance(v, dict) and _base_type(fields[k].annotation)[0] == "dict":
            v = {**(base.get(k) or {}), **v}
        base[k] = v
        origin[k] = f"--set {k}"
    named = set(explicit) | set(overrides)
    if "decoder" in named and "featureless_decoder" not in named:
        # a decoder named on the command line is the decoder trained, even the default
        # inner product (featureless_decoder "auto" would otherwise replace it)
        base["featureless_decoder"] = "off"
    try:
        return RunConfig(**base)
    except GraphaeError as e:
        raise GraphaeError(_name_flags(str(e), origin)) from None


_INVALID = re.compile(r"^invalid value for ([\w, ]+): (.*)$", re.S)


def _name_flags(message: str, origin: Mapping[str, str]) -> str:
    """``invalid value for epochs: epochs=0 (must be >= 1)`` -> ``invalid value for --epochs: 0 (...)``."""
    m = _INVALID.match(message)
    if not m:
        return message
    names = [n.strip() for n in m.group(1).split(",")]
    detail = m.group(2)
    for n in names:
        shown_as = "" if len(names) == 1 else origin.get(n, flag_name(n)) + " "
        detail = re.sub(rf"\b{re.escape(n)}=", lambda _m, s=shown_as: s, detail)
    shown = ", ".join(origin.get(n, flag_name(n)) for n in names)
    return f"invalid value for {shown}: {detail}"


# --------------------------------------------------------------------------- typer


_METAVARS = {"int": "INT", "float": "FLOAT", "str": "TEXT", "path": "PATH", "json": "VALUE"}


def typer_parameters() -> list[Any]:
    """One ``inspect.Parameter`` per ``RunConfig`` field, annotated with its ``typer.Option``.

    Defaults are the field's defaults; enumerated fields are ``Literal`` choices
    (shown in ``--help``, completed by the shell, and refused by name of the flag).
    """
    import inspect
    from typing import Annotated, Literal

    import typer

    params = []
    for spec in run_config_fields():
        flag = flag_of(spec)
        kind = kind_of(spec)
        _, optional = _base_type(spec.annotation)
        default: Any = spec.default
        decls: list[str] = [flag.flag] if flag.flag else []
        metavar = flag.metavar
        if kind == "options":
            py: Any = list[str] | None
            default = None
            decls = decls or [flag_name(spec.name)]
            metavar = metavar or "KEY=VALUE"
        elif kind == "path":
            py = Path | None if optional or default is None else Path
            default = Path(default) if default is not None else None
        elif kind == "choice":
            py = Literal[spec.choices]  # type: ignore[valid-type]
            if optional:
                py = py | None
            metavar = metavar or "[" + "|".join(spec.choices or ()) + "]"
        elif kind == "json":
            py = str | None
            default = None if default is None else json.dumps(default)
        else:
            py = {"int": int, "float": float, "str": str, "bool": bool}[kind]
            if optional:
                py = py | None
        if kind == "bool":
            metavar = ""  # a switch: no value to show
        elif metavar is None:
            metavar = _METAVARS.get(kind, "TEXT")
        help_text = flag.help or spec.help or spec.name
        option = typer.Option(
            *decls,
            help=help_text,
            rich_help_panel=flag.panel,
            metavar=metavar,
            show_default=kind not in ("options",) and default is not None,
        )
        params.append(
            inspect.Parameter(
                spec.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=default,
                annotation=Annotated[py, option],
            )
        )
    return params


def with_run_config_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give a ``**fields`` command every ``RunConfig`` field as an option (see :data:`FLAGS`)."""
    import functools
    import inspect

    sig = inspect.signature(func, eval_str=True)
    own = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    extra = typer_parameters()
    clash = {p.name for p in own} & {p.name for p in extra}
    if clash:
        raise TypeError(f"{func.__name__}: parameters {sorted(clash)} clash with RunConfig fields")
    first = [p for p in own if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    rest = [p for p in own if p.kind is inspect.Parameter.KEYWORD_ONLY]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    params = [*first, *extra, *rest]
    wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper
