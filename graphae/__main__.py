"""``python -m graphae``: the ``graphae`` command line."""

from graphae.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
