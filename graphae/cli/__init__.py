"""The ``graphae`` command line: train | embed | evaluate | check-split | baseline |
datasets | ls | bench | report.

The CLI only assembles configs and calls the library. User mistakes
(:class:`~graphae.errors.GraphaeError`, missing files) print one line on stderr
and exit with code 2; Ctrl-C exits 130 and leaves earlier outputs intact.

``graphae train`` stops cleanly on SIGINT/SIGTERM: it finishes the epoch in
progress, writes a checkpoint to ``<out>.partial/``, prints one line saying
how to resume (``graphae train --resume --out <out>``) and exits with 130
(SIGINT) or 143 (SIGTERM); a second signal stops at once. ``graphae
check-split`` exits 0 when a split is clean and 1 when it leaks.

Modules:

* :mod:`~graphae.cli.app`: the typer app, its commands in ``--help`` order, and
  :func:`main` (the console entry point).
* :mod:`~graphae.cli.exits`: exceptions -> one-line messages and exit codes.
* One module per command: :mod:`~graphae.cli.train`, :mod:`~graphae.cli.embed`,
  :mod:`~graphae.cli.evaluate`, :mod:`~graphae.cli.check_split`,
  :mod:`~graphae.cli.baseline`, :mod:`~graphae.cli.datasets`,
  :mod:`~graphae.cli.ls`, :mod:`~graphae.cli.bench`, :mod:`~graphae.cli.report`.
* ``train``'s policies: :mod:`~graphae.cli.signals` (SIGINT/SIGTERM) and
  :mod:`~graphae.cli.resume` (``--out``, ``--overwrite``, ``--resume``).
* :mod:`~graphae.cli.options` (the table from ``RunConfig`` fields to flags, and
  config files), :mod:`~graphae.cli.schema` (``RunConfig``'s fields as the
  command line needs them), :mod:`~graphae.cli.listings` (what ``graphae
  datasets`` and ``graphae ls`` print), :mod:`~graphae.cli.logs` (logging setup).

Every module imports only the standard library and typer at import time; the
library (torch, torch_geometric, scikit-learn) is imported inside the commands,
so ``graphae --help`` stays fast. The library never imports ``graphae.cli``.
"""

from __future__ import annotations

from graphae.cli.app import app, main

__all__ = ["app", "main"]
