"""The error map: what reaches the top of a command -> one line on stderr and an exit code.

=========================================================  =====  ==================================
exception                                                  code   line on stderr
=========================================================  =====  ==================================
:class:`~graphae.errors.GraphaeError` (a user mistake)     2      ``graphae: error: <message>``
``FileNotFoundError``, ``IsADirectoryError``,              2      ``graphae: error: <reason>: <file>``
``PermissionError``, ``NotADirectoryError``
``KeyboardInterrupt``                                      130    ``graphae: interrupted; ...``
click ``Abort``                                            130    ``graphae: aborted``
click ``UsageError`` (bad flag or value)                   2      ``graphae: error: ... (see: ...)``
other click exceptions                                     own    click's own message
anything else                                              --     raised (a bug: full traceback)
=========================================================  =====  ==================================
"""

from __future__ import annotations

import importlib

import typer

from graphae.errors import GraphaeError

__all__ = ["exit_code", "one_line"]

_FILE_ERRORS = (FileNotFoundError, IsADirectoryError, PermissionError, NotADirectoryError)


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) as one space."""
    return " ".join(text.split())


def exit_code(e: BaseException) -> int | None:
    """Print the one-line message of ``e`` on stderr and return its exit code.

    Args:
        e: The exception that ended a command.

    Returns:
        The exit code, or ``None`` for an exception the map does not know (the
        caller re-raises it).
    """
    if isinstance(e, GraphaeError):
        typer.echo(f"graphae: error: {one_line(str(e))}", err=True)
        return 2
    if isinstance(e, _FILE_ERRORS):
        typer.echo(f"graphae: error: {e.strerror or e}: {e.filename}", err=True)
        return 2
    if isinstance(e, KeyboardInterrupt):
        typer.echo("graphae: interrupted; earlier outputs are left as they were", err=True)
        return 130
    kinds = _click_exception_types()
    if isinstance(e, kinds["Abort"]):
        typer.echo("graphae: aborted", err=True)
        return 130
    if isinstance(e, kinds["UsageError"]):
        cmd = getattr(getattr(e, "ctx", None), "command_path", None) or "graphae"
        msg = one_line(e.format_message()).replace(": Value error, ", ": ")  # type: ignore[attr-defined]
        typer.echo(f"graphae: error: {msg} (see: {cmd} --help)", err=True)
        return 2
    if isinstance(e, kinds["ClickException"]):
        e.show()  # type: ignore[attr-defined]
        return int(e.exit_code)  # type: ignore[attr-defined]
    return None


def _click_exception_types() -> dict[str, tuple[type, ...]]:
    """Click's ``Abort``/``UsageError``/``ClickException`` classes, from click itself and
    from the copy newer typer versions vendor (``typer._click``), whichever exist."""
    out: dict[str, tuple[type, ...]] = {"Abort": (), "UsageError": (), "ClickException": ()}
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        for key in out:
            cls = getattr(mod, key, None)
            if isinstance(cls, type):
                out[key] += (cls,)
    return out
