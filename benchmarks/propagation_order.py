"""Training epoch of the GCN decoders with each ``propagation_order``, side by side.

The mirrored decoders (``mirror``, ``tied``, ``pinv``) end in a layer that widens
from the hidden width to the ``F`` input features, and the ``gnn`` decoder's first
layer widens from ``d`` to the hidden width. ``transform_first`` (PyG's
``GCNConv`` order, graphae's before) propagates those layers at the wide side;
``auto`` propagates at the narrow side. :mod:`epoch_ab` with the field fixed:
each row trains the same config with both orders, alternating, ``--repeats``
times, and reports the median whole-epoch time, the speed-up and the node
probe of each order.

The feature loss is formed densely here (``feature_loss_form="dense"``, as when
these figures were first measured): the factored loss reads the last layer as
``(Â H) W`` under either order, which would hide the difference.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/propagation_order.py --data-root DIR \\
        --datasets "Amazon Photo" Cora --epochs 20 --repeats 3 \\
        --out benchmarks/results/propagation-order-cpu.md
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import epoch_ab

if __name__ == "__main__":
    cli = epoch_ab.parser(
        "propagation_order",
        ("transform_first", "auto"),
        rungs=("tied-sce", "pinv-sce", "mirror-sce", "gnn"),
        fixed={"feature_loss_form": "dense"},
    )
    epoch_ab.main(cli.parse_args(), script="benchmarks/propagation_order.py")
