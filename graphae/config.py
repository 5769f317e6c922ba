"""``RunConfig``: the one description of a run, and its rules.

Every way of starting a run (``graphae train`` and its ``--config`` files, the
sweep specs of ``graphae bench``, the scikit-learn estimator, :func:`graphae.fit`)
builds a :class:`RunConfig`; nothing else describes a run. Reading this module
needs no torch (the command line's ``--help`` builds its options from it): the
registries that validate encoder/decoder/objective names are imported when a
config is checked.

* :data:`CHOICES`: the valid values of every enumerated field, for validation
  and for the command line's choices (the modules that implement each choice
  keep their own tuple; ``tests/test_config.py`` checks they agree).
* :data:`WHERE_FIELDS` / :data:`LATER_FIELDS`: what :meth:`RunConfig.identity`
  leaves out, so that run ids and table fingerprints of earlier runs stay valid.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from graphae.errors import GraphaeError

__all__ = ["CHOICES", "LATER_FIELDS", "RECORDED_BEFORE", "WHERE_FIELDS", "RunConfig"]

#: The valid values of each enumerated :class:`RunConfig` field.
CHOICES: dict[str, tuple[str, ...]] = {
    "feature_norm": ("auto", "row", "none"),
    "lr_schedule": ("constant", "cosine", "linear"),
    "precision": ("fp32", "tf32", "bf16"),
    "feature_loss": ("mse", "sce"),
    "loss": ("pairs", "dense"),
    "select": ("link", "probe", "loss", "last", "ogb"),
    "objective": ("reconstruction", "dgi", "grace", "bgrl"),
    "optimization": ("joint", "alternating"),
    "grad_clip_scope": ("global", "parts"),
    "feature_fallback": (
        "auto",
        "identity",
        "degree",
        "random",
        "learnable",
        "degree_learnable",
        "none",
    ),
    "featureless_decoder": ("auto", "off"),
    "export_edges": ("auto", "split", "all", "refit"),
    "feature_matmul": ("auto", "dense", "sparse"),
    "propagation_order": ("auto", "transform_first"),
    "feature_loss_form": ("auto", "dense"),
    "propagation_layout": ("auto", "sparse", "dense"),
}


#: What a valid value is, for the error message of :class:`RunConfig`.
_RULES = {
    "epochs": ">= 1",
    "hidden_channels": ">= 1",
    "out_channels": ">= 1",
    "num_layers": ">= 1",
    "lr": "> 0",
    "lr_schedule": "constant, cosine or linear",
    "dropout": "in [0, 1)",
    "eval_every": ">= 1",
    "patience": ">= 0; 0 turns early stopping off",
    "neg_ratio": "> 0",
    "feature_norm": "auto, row or none",
    "batch_size": ">= 1, or unset for full batch",
    "feature_loss": "mse or sce",
    "sce_gamma": "> 0",
    "structure_weight": ">= 0",
    "feature_weight": ">= 0",
    "loss": "pairs or dense",
    "kl_weight": ">= 0, or unset for 1/N",
    "edge_mask": "in [0, 1)",
    "degree_weight": ">= 0",
    "feature_mask": "in [0, 1)",
    "feature_noise": ">= 0",
    "edge_dropout": "in [0, 1)",
    "select": "link, probe, loss, last or ogb",
    "optimization": "joint or alternating",
    "alternate_every": ">= 1",
    "prior_sigma": "> 0, or unset for no prior",
    "code_lr": "> 0, or unset for lr",
    "objective": "reconstruction, dgi, grace or bgrl",
    "lr_decay_every": ">= 1 (and lr_schedule linear when not 1)",
    "grad_clip": "> 0, or unset for no clipping",
    "grad_clip_scope": "global or parts",
    "feature_fallback": ", ".join(CHOICES["feature_fallback"]),
    "featureless_decoder": "auto or off",
    "export_edges": "auto, split, all or refit",
    "feature_matmul": "auto, dense or sparse",
    "propagation_order": "auto or transform_first",
    "feature_loss_form": "auto or dense",
    "propagation_layout": "auto, sparse or dense",
}


def _rule(name: str) -> str:
    """What a valid value of field ``name`` is, for an error message ("" if unknown)."""
    if name in _RULES:
        return _RULES[name]
    return ", ".join(CHOICES[name]) if name in CHOICES else ""


#: Fields that say where a run happens, not what it is (may change between machines).
WHERE_FIELDS = ("device", "data_root")
#: Fields added after run records existed, with the value that reproduces the
#: earlier behaviour; :meth:`RunConfig.identity` omits them at that value.
LATER_FIELDS: dict[str, Any] = {
    "lr_schedule": "constant",
    "mask_target_edges": False,
    "lr_decay_every": 1,
    "grad_clip": None,
    "grad_clip_scope": "global",
    "feature_fallback": "auto",
    "nodes": None,
    "featureless_decoder": "auto",
    "export_edges": "auto",
    "feature_matmul": "auto",
    "propagation_order": "auto",
    "feature_loss_form": "auto",
    "propagation_layout": "auto",
}
#: Later fields whose default computes differently from what runs saved before
#: the field existed did, with the value that reproduces those runs bit for bit
#: (:meth:`RunConfig.from_record`).
RECORDED_BEFORE: dict[str, Any] = {
    "feature_matmul": "dense",
    "propagation_order": "transform_first",
    "feature_loss_form": "dense",
    "propagation_layout": "sparse",
}


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run. Defaults are Kipf & Welling's GAE setting.

    Attributes:
        dataset: Named dataset (``graphae datasets``), or ``None`` with ``graph``.
        graph: Path of a user graph file (edge list, GraphML, ``.npz``...).
        features: Optional node-feature file for ``graph``.
        feature_norm: ``"auto"`` (row-normalise the bag-of-words features of
            the built-in Planetoid/Amazon/Coauthor datasets, use every other
            input as given), ``"row"`` (divide each feature row by its L1 norm)
            or ``"none"``; never applied to the identity/degree fallbacks
            (:mod:`graphae.data.features`).
        feature_ids: Optional id list aligning a ``.npy`` feature matrix.
        labels: Optional node-label file for ``graph``.
        directed: Treat ``graph`` as directed.
        data_root: Dataset root (default ``$GRAPHAE_DATA`` or ``./data``).
        encoder: Encoder name (``graphae ls encoders``).
        decoder: Decoder name (``graphae ls decoders``): a structure decoder, a
            feature decoder (a feature-only model) or ``"none"``.
        hidden_channels: Hidden width.
        out_channels: Embedding width ``d``.
        num_layers: Encoder layers.
        dropout: Encoder dropout.
        encoder_options: Extra encoder keyword arguments.
        decoder_options: Extra decoder keyword arguments.
        lr: Adam learning rate.
        lr_schedule: ``"constant"``, or ``"cosine"``: every optimiser of the run
            (codes and θ included; not ARGA's discriminator) uses
            ``lr · (1 + cos(π (epoch − 1) / epochs)) / 2`` in epoch ``epoch``
            (GraphMAE's schedule: the full rate in epoch 1, decaying towards 0),
            or ``"linear"``: Refined GAE's linear decay to ``lr · 1e-4``, updated
            every ``lr_decay_every`` epochs (:func:`graphae.training.schedules.lr_factor`).
        weight_decay: Adam weight decay.
        epochs: Maximum training epochs.
        patience: Stop after this many evaluations without a better validation AUC
            (0 disables early stopping).
        eval_every: Evaluate on validation every this many epochs.
        val_ratio: Validation fraction of edges (random splits).
        test_ratio: Test fraction of edges (random splits).
        split_seed: Seed of the random split; ``None`` uses ``seed``.
        seed: Seed of initialisation, negatives and dropout.
        device: ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
        neg_ratio: Negatives per positive in training.
        batch_size: Positive pairs per step (``None``: one full-batch step per epoch).
        deterministic: Use deterministic algorithms only (bit-identical CPU runs).
        precision: ``"fp32"`` (exact fp32: TF32 matmuls off, the reproducible
            mode), ``"tf32"`` (TF32 matmuls on CUDA) or ``"bf16"`` (bf16 autocast of
            the dense work; sparse propagation stays fp32).
        compile: ``torch.compile`` the training loss (GPU speed; the first
            epochs pay the compilation).
        feature_matmul: How the first layer of the ``gcn``, ``linear`` and
            ``mlp`` encoders multiplies the input features by its weight:
            ``"dense"`` (a GEMM), ``"sparse"`` (a CSR copy of the features,
            kept once; the same product up to float summation order) or
            ``"auto"`` (sparse on the CPU when at most 10% of the features are
            non-zero and no corruption rewrites them each step, else dense);
            :mod:`graphae.nn.sparse_input`.
        propagation_order: How the GCN layers of the ``mirror``, ``tied``,
            ``pinv`` and ``gnn`` decoders order ``Â H W``: ``"auto"`` propagates
            at the narrower of the layer's two widths (``(Â H) W`` when the layer
            widens, e.g. to the ``F`` features; the same product up to float
            rounding) or ``"transform_first"`` (``Â (H W)`` always: PyG's
            ``GCNConv`` order, and graphae's before this field);
            :func:`graphae.nn.decoders.gcn_product`.
        propagation_layout: How every GCN-type layer stores the normalised
            adjacency ``Â``: ``"sparse"`` (CSR, graphae's only layout before
            this field), ``"dense"`` (an ``N x N`` matrix multiplied by a GEMM;
            the same product up to float summation order) or ``"auto"`` (on CUDA
            dense for graphs of at most 8,192 nodes with at least 1% of the pairs
            connected, e.g. ogbl-ddi, else sparse; always sparse on the CPU,
            where the GEMM did not pay);
            :func:`graphae.nn.propagation.choose_layout`.
        feature_decoder: Feature decoder beside the structure ``decoder`` (joint
            GALA/DOMINANT-style reconstruction), or ``None``.
        feature_decoder_options: Extra feature-decoder keyword arguments.
        feature_loss: ``"mse"`` or ``"sce"`` (GraphMAE's scaled cosine error).
        feature_loss_form: How the feature loss is computed: ``"auto"`` (from
            the last linear map of a ``linear``, ``mirror``, ``tied`` or
            ``pinv`` decoder, without the ``(N, F)`` reconstruction: the same
            loss up to float rounding;
            :func:`graphae.models.losses.affine_feature_loss`) or ``"dense"``
            (always form ``x̂``: graphae's way before this field).
        sce_gamma: SCE exponent.
        structure_weight: Weight of the structure reconstruction loss.
        feature_weight: Weight of the feature reconstruction loss.
        loss: Structure loss: ``"pairs"`` (sampled pairs) or ``"dense"`` (Kipf's
            re-weighted full-graph loss; graphs of at most 20,000 nodes).
        variational: VGAE: μ / log σ heads, reparameterised ``z``, KL term.
        kl_weight: Weight of the KL term; ``None`` for ``1/N`` (Kipf & Welling).
        adversarial: ARGA: a discriminator pushes ``z`` towards ``N(0, I)``.
        adversarial_weight: Weight of the generator loss.
        edge_mask: MaskGAE: fraction of training pairs hidden from the encoder each
            step and reconstructed as the positives (0 = off).
        degree_weight: MaskGAE degree-decoder loss weight (0 = no degree decoder).
        feature_mask: GraphMAE: fraction of nodes whose features are replaced by
            a learnable mask token and reconstructed (0 = off).
        feature_noise: Denoising: std of Gaussian noise on the encoder's features.
        edge_dropout: Denoising: fraction of message-passing pairs dropped each step.
        variant_options: Secondary variant settings (``graphae.models.VARIANT_OPTIONS``).
        select: Model selection on validation: ``"link"`` (decoder link AUC, or the
            inner-product AUC without a structure decoder), ``"probe"`` (node-probe
            accuracy on the validation nodes), ``"loss"`` (the parameters with
            the lowest training loss, DGI's rule: with full-batch training an
            epoch's loss is measured before its step, so the kept parameters are
            those the previous epoch left, ``best_epoch`` counting the epochs
            that made them; patience counts epochs without a lower loss) or
            ``"last"`` (the final epoch) or ``"ogb"`` (the official OGB metric on
            the validation split, e.g. Hits@20 for ogbl-ddi; OGB datasets only).
        reconstruct_weights: Reconstruct edge weights, not just edges: each
            training positive's target is its weight divided by the largest
            weight (soft-label BCE, so ``σ(score)`` approximates the normalised
            weight); negatives keep target 0. Needs a weighted graph, the
            ``pairs`` loss and no edge masking.
        objective: ``"reconstruction"`` (the autoencoder) or a self-supervised
            objective that trains the encoder without a decoder: ``"dgi"``,
            ``"grace"`` or ``"bgrl"`` (:mod:`graphae.models.contrastive`).
        optimization: Latent codes (``embedding`` encoder, hybrid tables):
            ``"joint"`` (codes and decoder step together) or ``"alternating"``
            (``alternate_every`` epochs on the codes with θ frozen, then as many
            on θ with the codes frozen); see :mod:`graphae.training.strategies`.
        alternate_every: Epochs per phase of the alternating strategy.
        prior_sigma: σ of the L2 prior ``(1/σ²)·mean_{i∈batch}‖z_i‖²`` on latent
            codes; ``None``: no prior.
        code_lr: Learning rate of the latent codes (SparseAdam); ``None``: ``lr``.
        objective_options: Options of that objective
            (:data:`graphae.models.contrastive.OBJECTIVE_OPTIONS`).
        mask_target_edges: Remove each mini-batch's positive pairs (both
            directions when undirected) from the message-passing graph of that
            training step (Refined GAE's ``maskinput``; :class:`graphae.training.steps.TargetEdgeMask`).
        lr_decay_every: Epochs between the updates of the ``"linear"`` schedule
            (1: every epoch; Refined GAE's default is 100).
        grad_clip: Clip the gradients' total L2 norm to this before every
            optimiser step (:func:`graphae.training.steps.clip_gradients`); ``None``: off.
        grad_clip_scope: ``"global"`` (one norm over every parameter) or
            ``"parts"`` (latent tables, encoder and decoders clipped
            separately, as Refined GAE does).
        feature_fallback: What a user ``graph`` without a ``features`` file
            gets: ``"auto"`` (one-hot identity up to 2,048 nodes, else
            ``"degree_learnable"``), ``"identity"``, ``"degree"``,
            ``"random"``, ``"learnable"`` (a GNN encoder learns an input code
            per node), ``"degree_learnable"`` (degree features beside such
            codes) or ``"none"`` (no features: the encoder options must give
            codes); see :func:`graphae.data.io.load_graph`. Named datasets are
            not affected. A run records the resolved value.
        nodes: Optional file of node ids, one per line: the full node set of
            ``graph``, isolated nodes included.
        featureless_decoder: ``"auto"``: a featureless user ``graph`` trained
            with the default inner-product decoder gets the common-neighbour
            decoder ``ncn`` up to 2,048 nodes (the inner product above),
            trained with and without the heuristic-counts head where common
            neighbours are informative and the better on validation kept
            (chosen by measurement, :mod:`graphae.featureless`); ``"off"``
            keeps the decoder as given.
        export_edges: What the exported embeddings and saved model have seen:
            ``"split"`` (the model of the best validation epoch, encoded over
            the split's message-passing graph), ``"all"`` (that model encoded
            over every edge of the input), ``"refit"`` (a model retrained on
            every edge for the selected number of epochs, then encoded over
            every edge; ``result.json``'s metrics stay those of the held-out
            split). ``"auto"``: ``"refit"`` for a featureless user ``graph``,
            else ``"split"``.
    """

    dataset: str | None = None
    graph: str | None = None
    features: str | None = None
    feature_ids: str | None = None
    labels: str | None = None
    directed: bool = False
    data_root: str | None = None
    encoder: str = "gcn"
    decoder: str = "inner_product"
    feature_norm: str = "auto"
    hidden_channels: int = 32
    out_channels: int = 16
    num_layers: int = 2
    dropout: float = 0.0
    encoder_options: dict[str, Any] = field(default_factory=dict)
    decoder_options: dict[str, Any] = field(default_factory=dict)
    lr: float = 0.01
    lr_schedule: str = "constant"
    weight_decay: float = 0.0
    epochs: int = 400
    patience: int = 200
    eval_every: int = 1
    val_ratio: float = 0.05
    test_ratio: float = 0.10
    split_seed: int | None = None
    seed: int = 0
    device: str = "auto"
    neg_ratio: float = 1.0
    batch_size: int | None = None
    deterministic: bool = False
    precision: str = "fp32"
    compile: bool = False
    feature_matmul: str = "auto"
    propagation_order: str = "auto"
    propagation_layout: str = "auto"
    feature_decoder: str | None = None
    feature_decoder_options: dict[str, Any] = field(default_factory=dict)
    feature_loss: str = "mse"
    sce_gamma: float = 2.0
    feature_loss_form: str = "auto"
    structure_weight: float = 1.0
    feature_weight: float = 1.0
    loss: str = "pairs"
    variational: bool = False
    kl_weight: float | None = None
    adversarial: bool = False
    adversarial_weight: float = 1.0
    edge_mask: float = 0.0
    degree_weight: float = 0.0
    feature_mask: float = 0.0
    feature_noise: float = 0.0
    edge_dropout: float = 0.0
    variant_options: dict[str, Any] = field(default_factory=dict)
    select: str = "link"
    reconstruct_weights: bool = False
    objective: str = "reconstruction"
    objective_options: dict[str, Any] = field(default_factory=dict)
    optimization: str = "joint"
    alternate_every: int = 1
    prior_sigma: float | None = None
    code_lr: float | None = None
    mask_target_edges: bool = False
    lr_decay_every: int = 1
    grad_clip: float | None = None
    grad_clip_scope: str = "global"
    feature_fallback: str = "auto"
    nodes: str | None = None
    featureless_decoder: str = "auto"
    export_edges: str = "auto"

    def __post_init__(self) -> None:
        if (self.dataset is None) == (self.graph is None):
            raise GraphaeError(
                "give exactly one of a dataset name (--dataset) or a graph file (--graph)"
            )
        checks = {
            "epochs": self.epochs >= 1,
            "hidden_channels": self.hidden_channels >= 1,
            "out_channels": self.out_channels >= 1,
            "num_layers": self.num_layers >= 1,
            "lr": self.lr > 0,
            "lr_schedule": self.lr_schedule in CHOICES["lr_schedule"],
            "dropout": 0 <= self.dropout < 1,
            "eval_every": self.eval_every >= 1,
            "patience": self.patience >= 0,
            "neg_ratio": self.neg_ratio > 0,
            "feature_norm": self.feature_norm in CHOICES["feature_norm"],
            "batch_size": self.batch_size is None or self.batch_size >= 1,
            "feature_loss": self.feature_loss in CHOICES["feature_loss"],
            "sce_gamma": self.sce_gamma > 0,
            "structure_weight": self.structure_weight >= 0,
            "feature_weight": self.feature_weight >= 0,
            "loss": self.loss in CHOICES["loss"],
            "kl_weight": self.kl_weight is None or self.kl_weight >= 0,
            "edge_mask": 0 <= self.edge_mask < 1,
            "degree_weight": self.degree_weight >= 0,
            "feature_mask": 0 <= self.feature_mask < 1,
            "feature_noise": self.feature_noise >= 0,
            "edge_dropout": 0 <= self.edge_dropout < 1,
            "select": self.select in CHOICES["select"],
            "precision": self.precision in CHOICES["precision"],
            "optimization": self.optimization in CHOICES["optimization"],
            "alternate_every": self.alternate_every >= 1,
            "prior_sigma": self.prior_sigma is None or self.prior_sigma > 0,
            "code_lr": self.code_lr is None or self.code_lr > 0,
            "objective": self.objective in CHOICES["objective"],
            "lr_decay_every": self.lr_decay_every >= 1
            and (self.lr_decay_every == 1 or self.lr_schedule == "linear"),
            "grad_clip": self.grad_clip is None or self.grad_clip > 0,
            "grad_clip_scope": self.grad_clip_scope in CHOICES["grad_clip_scope"],
            "feature_fallback": self.feature_fallback in CHOICES["feature_fallback"],
            "featureless_decoder": self.featureless_decoder in CHOICES["featureless_decoder"],
            "export_edges": self.export_edges in CHOICES["export_edges"],
            "feature_matmul": self.feature_matmul in CHOICES["feature_matmul"],
            "propagation_order": self.propagation_order in CHOICES["propagation_order"],
            "propagation_layout": self.propagation_layout in CHOICES["propagation_layout"],
            "feature_loss_form": self.feature_loss_form in CHOICES["feature_loss_form"],
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise GraphaeError(
                f"invalid value for {', '.join(bad)}: "
                + ", ".join(
                    f"{k}={getattr(self, k)!r}" + (f" (must be {_rule(k)})" if _rule(k) else "")
                    for k in bad
                )
            )
        if self.nodes is not None and self.graph is None:
            raise GraphaeError("nodes (a node list) applies to a graph file (--graph) only")
        if self.feature_ids is not None and self.features is None:
            raise GraphaeError(
                "feature_ids (--feature-ids) names the rows of a feature file: give it with "
                "features (--features)"
            )
        # The registries hold the valid names (plug-ins included): imported here, when a
        # config is checked, so that reading this module needs no torch.
        from graphae.models import resolve_decoders
        from graphae.models.contrastive import resolve_options
        from graphae.nn.encoders import encoders

        encoders.get(self.encoder)
        resolve_decoders(self.decoder, self.feature_decoder)
        if self.objective != "reconstruction":
            resolve_options(self.objective, self.objective_options)
        elif self.objective_options:
            raise GraphaeError("objective_options apply to objective dgi, grace or bgrl only")
        if self.mask_target_edges and (self.loss != "pairs" or self.edge_mask > 0):
            raise GraphaeError(
                "mask_target_edges hides each batch's sampled positive pairs: it needs the "
                "sampled-pairs loss (loss='pairs') and no edge masking (edge_mask already hides "
                "its own targets)"
            )
        if self.reconstruct_weights and (self.loss != "pairs" or self.edge_mask > 0):
            raise GraphaeError(
                "reconstruct_weights needs the sampled-pairs loss (loss='pairs') without "
                "edge masking (edge_mask=0)"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dataclasses.asdict(self)

    def identity(self) -> dict[str, Any]:
        """What makes two runs the same run: :meth:`to_dict` without where it runs
        (:data:`WHERE_FIELDS`) and without fields added after runs were first
        recorded while they hold their "as before" value (:data:`LATER_FIELDS`),
        so that the ids and fingerprints of earlier runs stay valid.
        """
        d = self.to_dict()
        for k in WHERE_FIELDS:
            d.pop(k, None)
        for k, neutral in LATER_FIELDS.items():
            if d.get(k) == neutral:
                d.pop(k)
        return d

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> RunConfig:
        """Build from a dict, rejecting unknown keys with the list of valid ones."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(obj) - names)
        if unknown:
            raise GraphaeError(f"unknown config keys {unknown}; valid keys: {sorted(names)}")
        return cls(**obj)

    @classmethod
    def from_record(cls, obj: dict[str, Any]) -> RunConfig:
        """Build from a saved config (a run folder's or checkpoint's), as it ran.

        Fields of :data:`RECORDED_BEFORE` missing from ``obj`` (saved before
        they existed) take the value that reproduces that run, not today's
        default.
        """
        return cls.from_dict(obj).as_recorded_by(obj)

    def as_recorded_by(self, recorded: dict[str, Any]) -> RunConfig:
        """This config with the :data:`RECORDED_BEFORE` values of the fields
        ``recorded`` (a saved config dict) does not have."""
        old = {k: v for k, v in RECORDED_BEFORE.items() if k not in recorded}
        return self.replace(**old) if old else self

    def replace(self, **changes: Any) -> RunConfig:
        """Copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)
