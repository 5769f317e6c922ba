"""Sweep specs: a YAML file -> validated :class:`SweepSpec` -> one :class:`RunSpec` per run.

A spec is the product ``datasets × encoders × decoders × variants × seeds``
plus shared training settings (any :class:`~graphae.config.RunConfig` field) and
the baselines probed beside the trained runs::

    # graphae bench benchmarks/configs/example.yaml --out runs/example
    name: example
    datasets: [Cora, {name: PubMed, optional: true}]
    encoders: [gcn]
    decoders:
      - inner_product
      - {name: mlp, options: {depth: 2, width: 64}, label: mlp-d2}
      - {name: mirror, config: {feature_loss: sce}}
    variants:
      plain: {}
      vgae: {variational: true}
    seeds: 5                      # or a list: [0, 1, 2]
    train: {epochs: 300, patience: 50}
    baselines: [untrained, features, spectral]
    layers: {node: true, link: true, nmi: true}   # + max_width: W to skip wider layers
    save: {embeddings: false, model: false, history: true}
    exclude:
      - {decoder: mirror, variant: vgae}

Every run gets a stable id, ``<slug>-<hash>``, where the hash covers the run's
full configuration except where it runs (``device``, ``data_root``): the same
spec gives the same ids on any machine, and changing a setting gives new ids.
Mistakes raise :class:`~graphae.errors.GraphaeError` with one line naming the
file, the entry and the valid choices.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphae.errors import GraphaeError
from graphae.registry import did_you_mean

__all__ = [
    "BASELINES",
    "HEURISTIC_BASELINES",
    "AxisEntry",
    "DatasetEntry",
    "RunSpec",
    "SweepSpec",
    "config_hash",
    "load_spec",
    "parse_spec",
]

#: Baselines probed in every table, with what each is.
#: The link-heuristic baselines (registered names of :mod:`graphae.nn.heuristics`): they score
#: pairs on the message-passing graph (``link/*`` metrics) instead of producing embeddings.
HEURISTIC_BASELINES = (
    "common_neighbors",
    "adamic_adar",
    "resource_allocation",
    "preferential_attachment",
    "katz",
)

BASELINES: dict[str, str] = {
    "untrained": "the encoder at its random initialisation (same seed), never trained",
    "features": "the raw node features X",
    "spectral": "truncated SVD of the normalised adjacency of the message-passing graph, d = out_channels",
    "common_neighbors": "link heuristic: common neighbours on the message-passing graph",
    "adamic_adar": "link heuristic: Adamic-Adar on the message-passing graph",
    "resource_allocation": "link heuristic: resource allocation on the message-passing graph",
    "preferential_attachment": "link heuristic: degree product on the message-passing graph",
    "katz": "link heuristic: truncated Katz index (beta 0.005, walks <= 3) on the message-passing graph",
}

_TOP_KEYS = {
    "name": "sweep name (used in the report)",
    "description": "free text for the report",
    "datasets": "list of dataset names or {name, optional, config} / {graph, features, labels, ...}",
    "encoders": "list of encoder names or {name, label, options, config}",
    "decoders": "list of decoder names or {name, label, options, config}",
    "variants": "mapping name -> RunConfig overrides (default {plain: {}})",
    "seeds": "an int n (seeds 0..n-1) or a list of ints",
    "train": "shared RunConfig fields",
    "baselines": f"list from {sorted(BASELINES)} (default all), or [] for none",
    "layers": "layer-wise probing: false, or {node, link, nmi} switches and max_width",
    "save": "what each run folder keeps: {embeddings, model, history}",
    "exclude": "list of partial matches {dataset, encoder, decoder, variant, seed} to skip",
}
_AXIS_KEYS = ("name", "label", "options", "config")
_DATASET_KEYS = (
    "name",
    "label",
    "optional",
    "config",
    "graph",
    "features",
    "feature_ids",
    "labels",
    "directed",
)
#: RunConfig fields owned by the sweep axes (not settable in ``train`` or ``config``).
_AXIS_FIELDS = (
    "dataset",
    "graph",
    "features",
    "feature_ids",
    "labels",
    "directed",
    "encoder",
    "decoder",
    "encoder_options",
    "decoder_options",
    "seed",
)
_LAYER_KEYS = {"node": True, "link": True, "nmi": True}
_SAVE_KEYS = {"embeddings": False, "model": False, "history": True}


def _config_fields() -> dict[str, Any]:
    from graphae.config import RunConfig

    return {f.name: f for f in dataclasses.fields(RunConfig)}


def _unknown(where: str, what: str, key: str, valid: Iterable[str]) -> GraphaeError:
    valid = sorted(valid)
    return GraphaeError(
        f"{where}: unknown {what} {key!r}{did_you_mean(key, valid)}; valid {what}s: {', '.join(valid)}"
    )


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return s or "x"


def _label_value(v: Any) -> str:
    if isinstance(v, bool):
        return "" if v else "no"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (list, tuple)):
        return "x".join(map(str, v))
    return str(v)


def default_label(name: str, options: Mapping[str, Any]) -> str:
    """``mlp`` + ``{depth: 2, width: 64}`` -> ``mlp-depth2-width64``; booleans as flags."""
    parts = [name]
    for k, v in sorted(options.items()):
        if isinstance(v, bool):
            parts.append(k if v else f"no{k}")
        else:
            parts.append(f"{k}{_label_value(v)}")
    return "-".join(parts)


def config_hash(obj: Mapping[str, Any], length: int = 10) -> str:
    """Stable short hash of a JSON-able mapping (sorted keys, compact separators)."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


@dataclass(frozen=True)
class AxisEntry:
    """One encoder or decoder of the sweep.

    Attributes:
        name: Registered name.
        label: Unique label in tables and run ids.
        options: Encoder/decoder options (``encoder_options`` / ``decoder_options``).
        config: Other RunConfig overrides that come with this entry.
    """

    name: str
    label: str
    options: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetEntry:
    """One dataset of the sweep: a named dataset or a user graph file.

    Attributes:
        label: Name in tables and run ids.
        fields: RunConfig fields that select the data (``dataset`` or ``graph`` ...).
        optional: Skip (with a note) instead of failing when the files are absent.
        config: Other RunConfig overrides for this dataset (e.g. ``batch_size``).
    """

    label: str
    fields: dict[str, Any]
    optional: bool = False
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: a trained model or a baseline.

    Attributes:
        run_id: Stable id (folder name under ``runs/``).
        kind: ``"model"`` or ``"baseline"``.
        dataset: Dataset label.
        encoder: Encoder label (``""`` for the features/spectral baselines).
        decoder: Decoder label (``""`` for baselines).
        variant: Variant name (``""`` for baselines).
        seed: Seed.
        config: The :class:`~graphae.config.RunConfig`.
        baseline: Baseline name for ``kind == "baseline"``.
        decoder_name: Registered decoder name (``""`` for baselines and
            self-supervised rows).
        decoder_kind: ``structure``, ``feature``, ``joint``, ``contrastive`` (a
            ``RunConfig.objective`` other than reconstruction: DGI, GRACE, BGRL,
            reference rows without a decoder) or ``""``.
    """

    run_id: str
    kind: str
    dataset: str
    encoder: str
    decoder: str
    variant: str
    seed: int
    config: Any  # RunConfig (imported lazily)
    baseline: str | None = None
    decoder_name: str = ""
    decoder_kind: str = ""

    def labels(self) -> dict[str, Any]:
        """The table columns that identify the run."""
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "dataset": self.dataset,
            "encoder": self.encoder,
            "decoder": self.decoder,
            "decoder_name": self.decoder_name,
            "decoder_kind": self.decoder_kind,
            "variant": self.variant,
            "baseline": self.baseline or "",
            "seed": self.seed,
        }

    def describe(self) -> str:
        """One line for ``--dry-run``."""
        if self.kind == "baseline":
            what = f"baseline {self.baseline}" + (f" ({self.encoder})" if self.encoder else "")
            return f"{self.run_id}  {self.dataset} {what} seed={self.seed}"
        return (
            f"{self.run_id}  {self.dataset} {self.encoder} {self.decoder} {self.variant} "
            f"seed={self.seed}"
        )


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep spec.

    Attributes:
        name: Sweep name.
        description: Free text.
        datasets, encoders, decoders: Axis entries.
        variants: ``name -> RunConfig overrides``.
        seeds: Seeds.
        train: Shared RunConfig fields.
        baselines: Baselines to probe.
        layers: Layer-wise probe switches (``{}`` = off) and ``max_width``: layers
            wider than it are listed unprobed (``None``: every layer).
        save: What run folders keep.
        exclude: Partial label matches to skip.
        source: The spec file (or ``"<dict>"``).
        text: The spec's text, copied beside the results.
    """

    name: str
    description: str
    datasets: list[DatasetEntry]
    encoders: list[AxisEntry]
    decoders: list[AxisEntry]
    variants: dict[str, dict[str, Any]]
    seeds: list[int]
    train: dict[str, Any]
    baselines: list[str]
    layers: dict[str, Any]
    save: dict[str, bool]
    exclude: list[dict[str, Any]]
    source: str = "<dict>"
    text: str = ""

    def dataset_present(self, entry: DatasetEntry) -> bool:
        """Whether a dataset's files are there (user graphs: the graph file exists)."""
        if "graph" in entry.fields:
            return Path(entry.fields["graph"]).exists()
        from graphae.data.datasets import data_root, dataset_info

        root = data_root(self.train.get("data_root"))
        return not dataset_info(entry.fields["dataset"]).missing(root)

    def runs(self, *, skip_missing_optional: bool = True) -> list[RunSpec]:
        """Every run of the sweep, baselines first within each dataset and seed.

        Args:
            skip_missing_optional: Leave out datasets marked ``optional`` whose
                files are absent.

        Returns:
            The runs, in execution order (dataset, seed, then encoder/decoder/variant).
        """
        out: list[RunSpec] = []
        seen: dict[str, str] = {}
        for ds in self.datasets:
            if ds.optional and skip_missing_optional and not self.dataset_present(ds):
                continue
            for seed in self.seeds:
                for run in self._dataset_seed_runs(ds, seed):
                    if self._excluded(run):
                        continue
                    if run.run_id in seen:
                        raise GraphaeError(
                            f"{self.source}: runs {seen[run.run_id]!r} and {run.describe()!r} "
                            "have the same configuration; give the entries different settings"
                        )
                    seen[run.run_id] = run.describe()
                    out.append(run)
        return out

    def skipped_datasets(self) -> list[str]:
        """Labels of optional datasets left out because their files are absent."""
        return [d.label for d in self.datasets if d.optional and not self.dataset_present(d)]

    # ---------------------------------------------------------------- internals

    def _excluded(self, run: RunSpec) -> bool:
        labels = run.labels()
        for rule in self.exclude:
            if all(str(labels.get(k)) == str(v) for k, v in rule.items()):
                return True
        return False

    def _make_config(self, where: str, layers: list[dict[str, Any]], **axis: Any) -> Any:
        from graphae.config import RunConfig

        merged: dict[str, Any] = {}
        for part in layers:
            merged.update(part)
        merged.update(axis)
        try:
            return RunConfig(**merged)
        except GraphaeError as e:
            raise GraphaeError(f"{self.source}: {where}: {e}") from None
        except TypeError as e:
            raise GraphaeError(f"{self.source}: {where}: {e}") from None

    def _dataset_seed_runs(self, ds: DatasetEntry, seed: int) -> list[RunSpec]:
        from graphae.models import resolve_decoders

        runs: list[RunSpec] = []
        base = [self.train, ds.config]
        first_dec = self.decoders[0]
        for name in self.baselines:
            if name == "untrained":
                targets = [(enc, enc.label) for enc in self.encoders]
            else:
                targets = [(self.encoders[0], "")]
            for enc, enc_label in targets:
                cfg = self._make_config(
                    f"baseline {name} on {ds.label}",
                    [*base, enc.config, first_dec.config],
                    **ds.fields,
                    encoder=enc.name,
                    encoder_options=enc.options,
                    decoder=first_dec.name,
                    decoder_options=first_dec.options,
                    seed=seed,
                )
                key = _baseline_key(name, cfg)
                slug = "-".join(_slug(p) for p in (ds.label, "baseline", name, enc_label) if p)
                runs.append(RunSpec(
                    run_id=f"{slug}-s{seed}-{config_hash(key)}", kind="baseline",
                    dataset=ds.label, encoder=enc_label, decoder="", variant="", seed=seed,
                    config=cfg, baseline=name,
                ))  # fmt: skip
        for enc in self.encoders:
            for dec in self.decoders:
                for vname, vcfg in self.variants.items():
                    where = f"{ds.label} × {enc.label} × {dec.label} × {vname}"
                    cfg = self._make_config(
                        where,
                        [*base, enc.config, dec.config, vcfg],
                        **ds.fields,
                        encoder=enc.name,
                        encoder_options=enc.options,
                        decoder=dec.name,
                        decoder_options=dec.options,
                        seed=seed,
                    )
                    structure, feature = resolve_decoders(cfg.decoder, cfg.feature_decoder)
                    kind = (
                        "joint"
                        if structure and feature
                        else "structure"
                        if structure
                        else "feature"
                    )
                    dec_name = dec.name
                    if getattr(cfg, "objective", "reconstruction") != "reconstruction":
                        # a self-supervised reference (DGI, GRACE, BGRL): no decoder at all
                        kind, dec_name = "contrastive", ""
                    key = _model_key(cfg)
                    slug = "-".join(_slug(p) for p in (ds.label, enc.label, dec.label, vname))
                    runs.append(RunSpec(
                        run_id=f"{slug}-s{seed}-{config_hash(key)}", kind="model",
                        dataset=ds.label, encoder=enc.label, decoder=dec.label, variant=vname,
                        seed=seed, config=cfg, decoder_name=dec_name, decoder_kind=kind,
                    ))  # fmt: skip
        return runs


def _model_key(cfg: Any) -> dict[str, Any]:
    return {"kind": "model", "config": cfg.identity()}


#: Config fields a baseline depends on (the split, the width, the encoder for "untrained").
_SPLIT_FIELDS = (
    "dataset",
    "graph",
    "features",
    "feature_ids",
    "labels",
    "directed",
    "val_ratio",
    "test_ratio",
    "split_seed",
    "seed",
)
_ENCODER_FIELDS = (
    "encoder",
    "encoder_options",
    "hidden_channels",
    "out_channels",
    "num_layers",
    "dropout",
    "variational",
)


def _baseline_key(name: str, cfg: Any) -> dict[str, Any]:
    d = cfg.to_dict()
    fields = list(_SPLIT_FIELDS)
    if d.get("nodes") is not None:  # a node list changes the graph (absent: earlier keys)
        fields.append("nodes")
    if name == "spectral":
        fields.append("out_channels")
    elif name == "untrained":
        fields.extend(_ENCODER_FIELDS)
    return {"kind": "baseline", "baseline": name, "config": {k: d[k] for k in fields}}


# ------------------------------------------------------------------------- parsing


def _check_mapping(where: str, obj: Any, valid: Iterable[str], what: str = "key") -> dict[str, Any]:
    if not isinstance(obj, Mapping):
        raise GraphaeError(f"{where}: expected a mapping, got {type(obj).__name__} {obj!r}")
    valid = list(valid)
    for k in obj:
        if k not in valid:
            raise _unknown(where, what, str(k), valid)
    return dict(obj)


def _check_config(where: str, obj: Any) -> dict[str, Any]:
    fields = _config_fields()
    allowed = [k for k in fields if k not in _AXIS_FIELDS]
    if obj is None:
        return {}
    cfg = _check_mapping(where, obj, list(fields), "RunConfig field")
    for k in cfg:
        if k in _AXIS_FIELDS:
            raise GraphaeError(
                f"{where}: {k!r} is set by the sweep axes (datasets, encoders, decoders, seeds), "
                f"not here; fields allowed here: {', '.join(sorted(allowed))}"
            )
    return cfg


def _check_options(where: str, kind: str, name: str, options: Any) -> dict[str, Any]:
    """Options a registered encoder/decoder factory accepts (its keywords minus the context)."""
    from graphae.nn.decoders import DECODER_CONTEXT, decoders
    from graphae.nn.encoders import ENCODER_CONTEXT, encoders
    from graphae.registry import check_option_type

    registry, context = (
        (encoders, ENCODER_CONTEXT) if kind == "encoder" else (decoders, DECODER_CONTEXT)
    )
    try:
        factory = registry.get(name)
    except GraphaeError as e:
        raise GraphaeError(f"{where}: {e}") from None
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise GraphaeError(f"{where}: options must be a mapping, got {options!r}")
    params = inspect.signature(factory).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(options)
    valid = [k for k in params if k not in context]
    if kind == "encoder" and name != "embedding":  # learnable node tables (build_hybrid)
        from graphae.nn.latent import HYBRID_OPTIONS

        valid += [k for k in HYBRID_OPTIONS if k not in valid]
    if kind == "decoder":  # the heuristic-counts head, on every structure decoder
        from graphae.nn.decoders import shared_options

        valid += [k for k in shared_options(name) if k not in valid]
    for k in options:
        if k not in valid:
            raise GraphaeError(
                f"{where}: {kind} {name!r} has no option {k!r}{did_you_mean(str(k), valid)}; "
                f"valid options: {', '.join(valid) or 'none'}"
            )
        if k in params:
            try:
                check_option_type(kind, name, k, options[k], params[k])
            except GraphaeError as e:
                raise GraphaeError(f"{where}: {e}") from None
    return dict(options)


def _axis(where: str, kind: str, items: Any) -> list[AxisEntry]:
    if isinstance(items, (str, Mapping)):
        items = [items]
    if not isinstance(items, list) or not items:
        raise GraphaeError(f"{where}: expected a non-empty list of {kind} names or entries")
    out: list[AxisEntry] = []
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        if isinstance(item, str):
            item = {"name": item}
        entry = _check_mapping(at, item, _AXIS_KEYS)
        if "name" not in entry:
            raise GraphaeError(f"{at}: missing 'name' (the registered {kind} name)")
        name = str(entry["name"]).strip().lower().replace("-", "_")
        options = _check_options(at, kind, name, entry.get("options"))
        config = _check_config(f"{at}.config", entry.get("config"))
        label = str(entry.get("label") or default_label(name, options))
        out.append(AxisEntry(name, label, options, config))
    labels = [e.label for e in out]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise GraphaeError(
            f"{where}: duplicate label {dup[0]!r}; give the entries distinct 'label's"
        )
    return out


def _datasets(where: str, items: Any) -> list[DatasetEntry]:
    if isinstance(items, (str, Mapping)):
        items = [items]
    if not isinstance(items, list) or not items:
        raise GraphaeError(f"{where}: expected a non-empty list of dataset names or entries")
    from graphae.data.datasets import canonical_name

    out: list[DatasetEntry] = []
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        if isinstance(item, str):
            item = {"name": item}
        entry = _check_mapping(at, item, _DATASET_KEYS)
        config = _check_config(f"{at}.config", entry.get("config"))
        optional = bool(entry.get("optional", False))
        if "graph" in entry:
            fields = {
                k: entry[k]
                for k in ("graph", "features", "feature_ids", "labels")
                if entry.get(k) is not None
            }
            fields = {k: str(v) for k, v in fields.items()}
            fields["directed"] = bool(entry.get("directed", False))
            label = str(entry.get("label") or entry.get("name") or Path(fields["graph"]).stem)
        else:
            if "name" not in entry:
                raise GraphaeError(f"{at}: give a dataset 'name' or a 'graph' file")
            extra = [k for k in ("features", "feature_ids", "labels", "directed") if k in entry]
            if extra:
                raise GraphaeError(
                    f"{at}: {extra[0]!r} applies to 'graph' files, not named datasets"
                )
            try:
                canonical_name(str(entry["name"]))
            except GraphaeError as e:
                raise GraphaeError(f"{at}: {e}") from None
            fields = {"dataset": str(entry["name"])}
            label = str(entry.get("label") or entry["name"])
        out.append(DatasetEntry(label, fields, optional, config))
    labels = [d.label for d in out]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise GraphaeError(f"{where}: duplicate dataset {dup[0]!r}")
    return out


def _switches(where: str, obj: Any, defaults: dict[str, bool]) -> dict[str, bool]:
    if obj is None or obj is True:
        return dict(defaults)
    if obj is False:
        return {}
    sw = _check_mapping(where, obj, defaults)
    for k, v in sw.items():
        if not isinstance(v, bool):
            raise GraphaeError(f"{where}.{k}: expected true or false, got {v!r}")
    return {**defaults, **sw}


def _layer_switches(where: str, obj: Any) -> dict[str, Any]:
    """The ``layers`` entry: probe switches plus ``max_width`` (a positive int or null)."""
    if isinstance(obj, Mapping) and "max_width" in obj:
        width = obj["max_width"]
        if width is not None and (
            isinstance(width, bool) or not isinstance(width, int) or width < 1
        ):
            raise GraphaeError(f"{where}.max_width: expected a positive int or null, got {width!r}")
        rest = {k: v for k, v in obj.items() if k != "max_width"}
        return {**_switches(where, rest, _LAYER_KEYS), "max_width": width}
    sw = _switches(where, obj, _LAYER_KEYS)
    return {**sw, "max_width": None} if sw else sw


def _seeds(where: str, obj: Any) -> list[int]:
    if isinstance(obj, bool):
        raise GraphaeError(f"{where}: expected an int or a list of ints, got {obj!r}")
    if isinstance(obj, int):
        if obj < 1:
            raise GraphaeError(f"{where}: need at least one seed, got {obj}")
        return list(range(obj))
    if (
        isinstance(obj, list)
        and obj
        and all(isinstance(s, int) and not isinstance(s, bool) for s in obj)
    ):
        if len(set(obj)) != len(obj):
            raise GraphaeError(f"{where}: repeated seeds in {obj}")
        return list(obj)
    raise GraphaeError(f"{where}: expected an int n (seeds 0..n-1) or a list of ints, got {obj!r}")


def parse_spec(obj: Any, source: str = "<dict>", text: str = "") -> SweepSpec:
    """Validate a spec mapping (the parsed YAML).

    Args:
        obj: The mapping.
        source: Where it came from, for error messages.
        text: The original text (kept beside the results).

    Returns:
        The :class:`SweepSpec`; every run's :class:`~graphae.config.RunConfig` has
        been built once, so a spec that parses has no invalid run.

    Raises:
        GraphaeError: One line naming the file, the entry and the fix.
    """
    top = _check_mapping(source, obj, _TOP_KEYS, "top-level key")
    for req in ("datasets", "decoders"):
        if req not in top:
            raise GraphaeError(f"{source}: missing {req!r} ({_TOP_KEYS[req]})")
    variants_obj = top.get("variants") or {"plain": {}}
    if isinstance(variants_obj, list):  # [plain, {vgae: {...}}] tolerated as a list of names
        raise GraphaeError(
            f"{source}: variants: expected a mapping name -> RunConfig overrides, "
            "e.g. {plain: {}, vgae: {variational: true}}"
        )
    if not isinstance(variants_obj, Mapping):
        raise GraphaeError(f"{source}: variants: expected a mapping name -> RunConfig overrides")
    variants = {
        str(k): _check_config(f"{source}: variants.{k}", v) for k, v in variants_obj.items()
    }
    baselines = top.get("baselines", list(BASELINES))
    if baselines is None:
        baselines = []
    if not isinstance(baselines, list):
        raise GraphaeError(f"{source}: baselines: expected a list from {sorted(BASELINES)}")
    for b in baselines:
        if b not in BASELINES:
            raise _unknown(f"{source}: baselines", "baseline", str(b), BASELINES)
    exclude = top.get("exclude") or []
    if not isinstance(exclude, list):
        raise GraphaeError(f"{source}: exclude: expected a list of partial matches")
    exclude = [
        _check_mapping(
            f"{source}: exclude[{i}]", e, ("dataset", "encoder", "decoder", "variant", "seed")
        )
        for i, e in enumerate(exclude)
    ]
    spec = SweepSpec(
        name=str(top.get("name") or Path(source).stem),
        description=str(top.get("description") or ""),
        datasets=_datasets(f"{source}: datasets", top["datasets"]),
        encoders=_axis(f"{source}: encoders", "encoder", top.get("encoders", ["gcn"])),
        decoders=_axis(f"{source}: decoders", "decoder", top["decoders"]),
        variants=variants,
        seeds=_seeds(f"{source}: seeds", top.get("seeds", 1)),
        train=_check_config(f"{source}: train", top.get("train")),
        baselines=list(dict.fromkeys(baselines)),
        layers=_layer_switches(f"{source}: layers", top.get("layers")),
        save=_switches(f"{source}: save", top.get("save"), _SAVE_KEYS),
        exclude=exclude,
        source=source,
        text=text,
    )
    spec.runs(skip_missing_optional=False)  # builds every RunConfig: fail now, not mid-sweep
    return spec


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a YAML sweep spec (see the module docstring for the format).

    Raises:
        GraphaeError: On unreadable YAML or an invalid spec (one line).
    """
    import yaml

    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise GraphaeError(f"cannot read sweep spec {path}: {e.strerror or e}") from None
    try:
        obj = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise GraphaeError(f"{path}:{at} invalid YAML: {problem}") from None
    if obj is None:
        raise GraphaeError(f"{path}: the spec is empty")
    return parse_spec(obj, source=str(path), text=text)
