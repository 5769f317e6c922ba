"""``python -m graphae.cli`` (and ``torchrun -m graphae.cli``): the ``graphae`` command line."""

from __future__ import annotations

from graphae.cli.app import main

if __name__ == "__main__":  # pragma: no cover
    main()
