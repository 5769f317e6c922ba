"""Logging of the ``graphae`` commands: one format, on stderr."""

from __future__ import annotations

import logging
import sys

__all__ = ["setup_logging"]


def setup_logging(verbose: bool) -> None:
    """Log INFO and above with ``--verbose``, else WARNING and above, to stderr.

    Args:
        verbose: Whether the command was given ``--verbose``/``-v``.
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
