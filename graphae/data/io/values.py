"""Value checks: numbers, weights and node ids, each error at its record."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphae.data.io.where import _Where


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _is_int_token(token: str) -> bool:
    try:
        return str(int(token)) == token
    except ValueError:
        return False


def _value_problem(token: str, what: str) -> str:
    """Why ``token`` is not a finite number (for a message)."""
    if token.strip() == "":
        return f"missing {what} (the line has an empty or missing column)"
    if _is_number(token):
        return f"{what} is {token.strip()}; it must be a finite number"
    return f"non-numeric {what} {token!r}; it must be a number"


def _parse_numbers(tokens: pd.Series, where: _Where, what: str, first_hint: str = "") -> np.ndarray:
    """``(R,)`` float64 values of string ``tokens``; the first bad one is an error.

    ``first_hint`` is appended to the message when the bad value is on the first row.
    """
    values = pd.to_numeric(tokens, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        token = str(tokens.iloc[i])
        hint = first_hint if i == 0 and not _is_number(token) else ""
        raise where.error(_value_problem(token, what) + hint, i)
    return values


def _check_weights(w: np.ndarray, where: _Where) -> None:
    """NaN, inf and negative weights are errors at their record."""
    bad = ~np.isfinite(w)
    if bad.any():
        i = int(np.argmax(bad))
        raise where.error(f"weight is {w[i]}; weights must be finite numbers", i)
    neg = w < 0
    if neg.any():
        i = int(np.argmax(neg))
        raise where.error(
            f"negative weight {w[i]:g}; weights must be >= 0 (drop the edge or rescale them)",
            i,
        )


def _check_ids(tokens: np.ndarray, where: _Where, what: str) -> None:
    empty = tokens == ""
    if empty.any():
        i = int(np.argmax(empty))
        raise where.error(
            f"empty or missing {what} (is a column missing?); every line needs a {what}", i
        )


def _id_tokens(column: pd.Series, where: _Where, what: str) -> np.ndarray:
    """Text form of an id column of a DataFrame (integral floats read as ints)."""
    missing = column.isna().to_numpy()
    if missing.any():
        raise where.error(f"missing {what}; give every row a {what}", int(np.argmax(missing)))
    if pd.api.types.is_float_dtype(column) and (column % 1 == 0).all():
        column = column.astype(np.int64)
    tokens = column.astype(str).to_numpy(dtype=object)
    _check_ids(tokens, where, what)
    return tokens


def _check_unique(ids: list[str], where: _Where, what: str) -> None:
    s = pd.Series(ids)
    dup = s.duplicated(keep=False).to_numpy()
    if dup.any():
        firsts = np.flatnonzero(dup)
        tok = ids[firsts[0]]
        second = int(next(k for k in firsts[1:] if ids[k] == tok))
        first_at = (
            f" (first on line {int(where.lines[firsts[0]])})" if where.lines is not None else ""
        )
        raise where.error(
            f"duplicate id {tok!r} in the {what}{first_at}; each node needs exactly one row", second
        )
