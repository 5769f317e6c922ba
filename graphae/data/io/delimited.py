"""Delimited text: comment lines, delimiter sniffing, cells as strings, parse errors."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from graphae.data.io.files import _read_text, _suffix
from graphae.data.io.where import _Where
from graphae.errors import InputError

logger = logging.getLogger(__package__)  # one logger, "graphae.data.io", for the package

_DELIMITERS = (",", "\t", ";", "|")
_SAMPLE_LINES = 200
_EXPECTED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_EOF_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


@dataclass
class _Table:
    """Cells of a delimited text file, all as strings (``""`` for a missing cell).

    Attributes:
        frame: ``(R, K)`` string cells, blank lines removed.
        where: File and the line of each row.
        delimiter: The delimiter used (``None`` = runs of whitespace).
    """

    frame: pd.DataFrame
    where: _Where
    delimiter: str | None

    @property
    def num_rows(self) -> int:
        return len(self.frame)

    def row(self, i: int) -> list[str]:
        return [str(c) for c in self.frame.iloc[i].tolist()]

    def drop_first(self) -> _Table:
        """The table without its first row (a header)."""
        assert self.where.lines is not None
        where = _Where(self.where.path, self.where.lines[1:])
        return _Table(self.frame.iloc[1:].reset_index(drop=True), where, self.delimiter)


def _leading_comments(text: str) -> tuple[int, list[str]]:
    """Count leading ``#``/``%`` comment lines; return them and a sample of the rest.

    Returns:
        ``(skip, sample)``: lines to skip, and up to ``_SAMPLE_LINES`` non-blank
        lines after them.
    """
    skip, sample = 0, []
    for line in io.StringIO(text):
        if not sample and (line.startswith(("#", "%")) or not line.strip()):
            skip += 1
            continue
        if line.strip():
            sample.append(line.rstrip("\r\n"))
            if len(sample) >= _SAMPLE_LINES:
                break
    return skip, sample


def _field_counts(sample: list[str], delimiter: str | None) -> list[int]:
    if delimiter is None:
        return [len(line.split()) for line in sample]
    return [len(r) for r in csv.reader(sample, delimiter=delimiter, skipinitialspace=True)]


def _sniff(sample: list[str], suffix: str) -> tuple[str | None, int]:
    """Pick the delimiter under which the sample splits most consistently.

    Candidates are ``,`` tab ``;`` ``|`` and runs of whitespace (``None``); the
    file extension's own delimiter is tried first and wins ties.

    Returns:
        ``(delimiter, ncols)`` where ``ncols`` is the most common field count.
    """
    order: list[str | None] = list(_DELIMITERS)
    preferred = {".csv": ",", ".tsv": "\t"}.get(suffix)
    if preferred is not None:
        order.remove(preferred)
        order.insert(0, preferred)
    order.append(None)
    best: tuple[float, str | None, int] = (-1.0, None, 1)
    for delim in order:
        counts = Counter(_field_counts(sample, delim))
        ncols, hits = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        score = hits / len(sample) if ncols >= 2 else 0.0
        if score > best[0]:
            best = (score, delim, ncols)
    return best[1], best[2]


def _parser_error(e: Exception, where: str, skip: int) -> InputError:
    msg = str(e)
    m = _EXPECTED.search(msg)
    if m:
        return InputError(
            f"expected {m[1]} columns but found {m[3]}; every line needs the same columns "
            "(quote ids that contain the delimiter)",
            where,
            int(m[2]),
        )
    m = _EOF_QUOTE.search(msg)
    if m:
        return InputError(
            'unclosed quote: a field opened with " is never closed; close or remove the quote',
            where,
            skip + int(m[1]) + 1,
        )
    return InputError(f"could not parse the file ({msg.splitlines()[-1].strip()})", where)


def _read_frame(
    text: str, where: str, delimiter: str | None, skip: int, ncols: int
) -> pd.DataFrame:
    """All cells as strings, one row per physical line after ``skip`` (vectorised)."""
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=r"\s+" if delimiter is None else delimiter,
            header=None,
            names=range(ncols),
            index_col=False,
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            skiprows=skip,
            skipinitialspace=True,
            quotechar='"',
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as e:
        raise _parser_error(e, where, skip) from None


def _read_table(path: Path, what: str, delimiter: str | None = None) -> _Table:
    """Read a delimited text file; the delimiter is sniffed unless given."""
    text, where = _read_text(path, what)
    skip, sample = _leading_comments(text)
    if not sample:
        raise InputError(f"the {what} holds only comment lines; give a file with data", where)
    if delimiter is None:
        delim, ncols = _sniff(sample, _suffix(path))
    else:
        delim = None if delimiter == " " else delimiter
        counts = Counter(_field_counts(sample, delim))
        ncols = max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
    if skip:
        logger.info("%s: skipped %d leading comment/blank lines (# or %%)", where, skip)
    frame = _read_frame(text, where, delim, skip, ncols)
    lines = np.arange(len(frame), dtype=np.int64) + skip + 1
    blank = (frame == "").all(axis=1).to_numpy()
    if blank.any():
        frame, lines = frame[~blank].reset_index(drop=True), lines[~blank]
    return _Table(frame, _Where(where, lines), delim)
