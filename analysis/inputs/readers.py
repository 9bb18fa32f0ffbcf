"""Read JSONL, CSV and Parquet files into records that remember where they came from.

Every record carries a human location ("corpus.jsonl, line 12" or "docs.parquet, row 7")
so validation messages can point at the exact place a problem is.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.errors import InputError

TABLE_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet", ".tsv")


@dataclass(frozen=True)
class Record:
    """One row of an input file and where it was found."""

    fields: dict[str, Any]
    where: str  # e.g. "queries.jsonl, line 4"


def read_text(path: Path) -> str:
    """Return the file decoded as UTF-8, or raise an InputError naming the bad line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: expected a file, found a directory") from None
    except OSError as err:
        raise InputError(f"{path}: cannot read file ({err.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        byte = raw[err.start : err.start + 1].hex()
        raise InputError(
            f"{path}, line {line}: not valid UTF-8 (byte 0x{byte}); re-save the file as UTF-8"
        ) from None


def read_records(path: Path) -> Iterator[Record]:
    """Yield the records of a JSONL, CSV, TSV or Parquet file, chosen by its suffix."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json"):
        yield from _read_jsonl(path)
    elif suffix in (".csv", ".tsv"):
        yield from _read_delimited(path, "\t" if suffix == ".tsv" else ",")
    elif suffix == ".parquet":
        yield from _read_parquet(path)
    else:
        raise InputError(
            f"{path}: unsupported file type '{suffix}' (use one of {', '.join(TABLE_SUFFIXES)})"
        )


def lines(text: str) -> list[str]:
    """A file's lines, split at ``\n`` only (``\r\n`` too). ``str.splitlines`` also breaks
    at U+0085, U+2028, U+2029 and other separators that are legal inside JSON strings and
    TSV cells, as in web-crawled text."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def _read_jsonl(path: Path) -> Iterator[Record]:
    for number, line in enumerate(lines(read_text(path)), start=1):
        if not line.strip():
            continue
        where = f"{path.name}, line {number}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            hint = ""
            if number == 1 and line.lstrip().startswith("["):
                hint = (
                    "; this looks like one JSON array, but the file must hold one JSON object "
                    "per line (JSON Lines), e.g. converted with: jq -c '.[]' in.json > out.jsonl"
                )
            raise InputError(
                f"{path}, line {number}: not valid JSON ({err.msg} at column {err.colno}){hint}"
            ) from None
        if not isinstance(value, dict):
            raise InputError(f"{path}, line {number}: expected a JSON object, got {_kind(value)}")
        yield Record(value, where)


def _read_delimited(path: Path, delimiter: str) -> Iterator[Record]:
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""), delimiter=delimiter)
    if reader.fieldnames is None:
        return
    for row in reader:
        where = f"{path.name}, line {reader.line_num}"
        if None in row:
            raise InputError(f"{path}, line {reader.line_num}: more cells than header columns")
        yield Record({k: v for k, v in row.items() if v is not None}, where)


def _read_parquet(path: Path) -> Iterator[Record]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except Exception as err:  # pyarrow raises several types for damaged files
        raise InputError(f"{path}: cannot read as Parquet ({err})") from None
    for number, row in enumerate(table.to_pylist(), start=1):
        yield Record(row, f"{path.name}, row {number}")


def column_names(path: Path) -> list[str] | None:
    """Header columns of a CSV/TSV/Parquet file (None for JSONL, whose fields vary by line)."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        first = [line for line in lines(read_text(path))[:1] if line]
        if not first:
            return []
        return next(csv.reader(first, delimiter="\t" if suffix == ".tsv" else ","))
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except Exception as err:
            raise InputError(f"{path}: cannot read as Parquet ({err})") from None
    return None


def _kind(value: object) -> str:
    names = {"list": "a list", "str": "a string"}
    return names.get(type(value).__name__, type(value).__name__)
