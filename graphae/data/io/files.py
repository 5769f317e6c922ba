"""Files: existence and permission checks, compression, bytes, text and parquet."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from graphae.errors import InputError

#: Compressed text files are read transparently: ``edges.csv.gz``, ``feats.tsv.zst``...
COMPRESSION_EXTENSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd"}


def _check_file(path: Path, what: str) -> str:
    """Fail with a clear message unless ``path`` is a readable, non-empty file."""
    where = str(path)
    if not path.exists():
        raise InputError(f"{what} not found; check the path and its spelling", where)
    if path.is_dir():
        raise InputError(f"is a directory, but the {what} must be a file; name a file in it", where)
    if not path.is_file():
        raise InputError(f"is not a regular file; give the {what} as a file", where)
    if not os.access(path, os.R_OK):
        raise InputError(
            f"permission denied: cannot read the {what}; make it readable (chmod u+r) "
            "or copy it somewhere you can read",
            where,
        )
    if path.stat().st_size == 0:
        raise InputError(f"the {what} is empty; give a file with content", where)
    return where


def _suffix(path: Path) -> str:
    """The format extension, under a compression extension: ``edges.csv.gz`` -> ``.csv``."""
    last = path.suffix.lower()
    if last in COMPRESSION_EXTENSIONS:
        return Path(path.stem).suffix.lower()
    return last


def _decompress(data: bytes, path: Path, where: str, what: str) -> bytes:
    """``data`` decompressed by the codec ``path``'s extension names (unchanged otherwise)."""
    codec = COMPRESSION_EXTENSIONS.get(path.suffix.lower())
    if codec is None:
        return data
    try:
        if codec == "gzip":
            import gzip

            return gzip.decompress(data)
        if codec == "bz2":
            import bz2

            return bz2.decompress(data)
        if codec == "xz":
            import lzma

            return lzma.decompress(data)
        try:
            import zstandard
        except ImportError:
            raise InputError(
                f"is zstd-compressed and reading it needs the zstandard module; "
                f"pip install zstandard, or decompress the {what} (zstd -d)",
                where,
            ) from None
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    except InputError:
        raise
    except Exception as e:  # gzip.BadGzipFile, OSError, lzma.LZMAError, zstd errors, EOFError
        raise InputError(
            f"is not a valid {codec} file ({type(e).__name__}: {e}); check the file or drop "
            f"the {path.suffix} extension if it is not compressed",
            where,
        ) from None


def _read_bytes(path: Path, where: str, what: str) -> bytes:
    try:
        data = path.read_bytes()
    except PermissionError:
        raise InputError(
            f"permission denied: cannot read the {what}; make it readable", where
        ) from None
    except OSError as e:
        raise InputError(f"cannot read the {what} ({e.strerror or e})", where) from None
    return _decompress(data, path, where, what)


def _read_parquet(path: Path, what: str) -> pd.DataFrame:
    """A ``.parquet`` file as a DataFrame (needs pyarrow or fastparquet)."""
    where = _check_file(path, what)
    try:
        return pd.read_parquet(path)
    except ImportError:
        raise InputError(
            f"reading a .parquet {what} needs pyarrow; pip install 'graphae[parquet]'", where
        ) from None
    except Exception as e:  # pyarrow.ArrowInvalid and friends
        raise InputError(
            f"is not a readable parquet file ({type(e).__name__}: {e})", where
        ) from None


def _read_text(path: Path, what: str) -> tuple[str, str]:
    """Text of a UTF-8 file; binary (NUL bytes) or undecodable files are refused.

    Returns:
        ``(text, where)`` with a leading byte-order mark removed.
    """
    where = _check_file(path, what)
    data = _read_bytes(path, where, what)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(
            f"contains NUL bytes: this is a binary file (or UTF-16 text), not a text {what}; "
            "give a UTF-8 text file (or a .npz for a scipy sparse matrix)",
            where,
            data.count(b"\n", 0, nul) + 1,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(
            f"is not UTF-8 text (undecodable byte 0x{data[e.start]:02x}); re-save the "
            f"{what} as UTF-8",
            where,
            data.count(b"\n", 0, e.start) + 1,
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise InputError(f"the {what} holds only blank lines; give a file with content", where)
    return text, where


def _split_lines(text: str) -> list[str]:
    """Lines split on ``\n`` only (ids may hold other Unicode line separators)."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def _check_magic(path: Path, where: str, magic: bytes, what: str) -> None:
    """Refuse a file that does not start with ``magic`` (before numpy sees it)."""
    try:
        with path.open("rb") as f:
            head = f.read(len(magic))
    except OSError as e:
        raise InputError(f"cannot read the file ({e.strerror or e})", where) from None
    if head != magic:
        raise InputError(f"not a valid {what}", where)
