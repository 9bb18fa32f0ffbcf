"""Saved comparisons this server knows, by fingerprint: what a travelling link resolves.

A link names a comparison by its fingerprint, never by a server path. Each server keeps a
small index under its cache folder (``saved/<fingerprint>.json``) saying where that
comparison lives here: a saved folder (opened from a path, from ``--open``, or unpacked from
an uploaded zip) or the settings that recompute it. A link from elsewhere opens the same
view wherever the index has its fingerprint, and says plainly what to do where it has not.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.bundle.archive import unpack_bundle
from analysis.bundle.files import Bundle, load_bundle
from analysis.errors import InputError
from analysis.inputs.cache import default_cache_dir
from analysis.rounds.record import ROUNDS_FILE, read_record

FINGERPRINT = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class Entry:
    """Where a fingerprint's comparison lives on this server: a folder, or run settings."""

    folder: Path | None = None
    run: dict[str, Any] | None = None
    series: Path | None = None  # a rounds --out folder


def index_dir() -> Path:
    return default_cache_dir() / "saved"


def open_folder(folder: Path, *, read: Callable[[Path], Bundle] = load_bundle) -> Bundle:
    """Read a saved comparison with ``read`` (an InputError names what is wrong) and
    remember where it lives."""
    folder = folder.expanduser().resolve()
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder on this server")
    bundle = read(folder)
    _remember(bundle.summary.fingerprint, {"folder": str(folder)})
    return bundle


def open_inside(
    output: Path, relative: str, *, read: Callable[[Path], Bundle] = load_bundle
) -> Bundle:
    """A comparison an output's record names by a folder inside that output (a round's, a
    remedy setting's); a record naming anything outside it (``..``, an absolute path, a
    symlink out) is refused, so an uploaded record cannot reach other server folders."""
    root = output.resolve()
    folder = (root / relative).resolve()
    if not folder.is_relative_to(root) or folder == root:
        raise InputError(
            f"{output}: its record names folder {relative!r}, which is not inside the output; "
            "it is not opened"
        )
    if not folder.is_dir():
        raise InputError(
            f"{output}: {relative} is missing (an Export zip carries the comparison, not "
            "the folders of its rounds or remedy settings; open the output folder itself)"
        )
    return open_folder(folder, read=read)


def open_path(
    path: Path, *, read: Callable[[Path], Bundle] = load_bundle
) -> tuple[Bundle, str | None]:
    """A saved folder, a bundle zip lying on this server, or a ``rounds --out`` folder;
    returns the comparison to show and, for a series, its fingerprint."""
    path = path.expanduser()
    if path.is_file() and path.suffix.lower() == ".zip":
        try:
            data = path.read_bytes()
        except OSError as err:
            raise InputError(f"{path}: cannot read ({err})") from None
        return open_zip(data, str(path), read=read), None
    if (path / ROUNDS_FILE).is_file():
        return open_rounds(path.resolve(), read=read)
    return open_folder(path, read=read), None


def open_rounds(
    folder: Path, *, read: Callable[[Path], Bundle] = load_bundle
) -> tuple[Bundle, str]:
    """Remember every comparison of a rounds output and the series itself; return the last
    round's comparison with the baseline, and the series' fingerprint."""
    record = read_record(folder)
    for item in record["rounds"]:
        for kind in ("cumulative", "marginal"):
            for compared in item[kind]:
                open_folder(folder / compared["folder"], read=read)
    fingerprint = rounds_fingerprint(folder)
    _remember(fingerprint, {"series": str(folder)})
    last = record["rounds"][-1]["cumulative"][0]["folder"]
    return read(folder / last), fingerprint  # read once already: served from the cache


def rounds_fingerprint(folder: Path) -> str:
    """16 hex digits of the sha256 of the series' rounds.json."""
    return hashlib.sha256((folder / ROUNDS_FILE).read_bytes()).hexdigest()[:16]


def open_zip(
    data: bytes,
    name: str,
    *,
    read: Callable[[Path], Bundle] = load_bundle,
    into: Path | None = None,
) -> Bundle:
    """Unpack an uploaded bundle zip into ``into`` (default: the cache, by content) and
    open it there."""
    digest = hashlib.sha256(data).hexdigest()[:24]
    dest = into if into is not None else default_cache_dir() / "opened" / digest
    folder = unpack_bundle(data, dest, name=name)
    return open_folder(folder, read=read)


def remember_run(fingerprint: str, run: dict[str, Any]) -> None:
    """A comparison computed here: a link to it recomputes it from the same settings."""
    path = index_dir() / f"{fingerprint}.json"
    if not path.is_file():  # a saved folder, once known, stays the faster way to open it
        _remember(fingerprint, {"run": run})


def lookup(fingerprint: str) -> Entry | None:
    """Where this server has the comparison, or None (also for a malformed fingerprint)."""
    if not FINGERPRINT.match(fingerprint):
        return None
    path = index_dir() / f"{fingerprint}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(raw.get("folder"), str) and Path(raw["folder"], "summary.json").is_file():
        return Entry(folder=Path(raw["folder"]))
    if isinstance(raw.get("series"), str) and Path(raw["series"], ROUNDS_FILE).is_file():
        return Entry(series=Path(raw["series"]))
    if isinstance(raw.get("run"), dict):
        return Entry(run={str(k): str(v) for k, v in raw["run"].items()})
    return None


def _remember(fingerprint: str, entry: dict[str, Any]) -> None:
    """Write the entry atomically under a temporary name of this writer's own: sessions that
    open the same comparison at once each replace the file whole (a shared ``.tmp`` name
    made them race on its rename)."""
    index_dir().mkdir(parents=True, exist_ok=True)
    path = index_dir() / f"{fingerprint}.json"
    handle, staging = tempfile.mkstemp(dir=index_dir(), prefix=f".{fingerprint}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(json.dumps(entry))
    os.replace(staging, path)
