"""Unpack a zipped data bundle (the Export page's zip, or a zipped ``compare --out`` folder).

Only the bundle's own files are taken (``summary.json``, ``remedies.json`` and the Parquet
tables, at the top of the archive or inside one folder); each is written under its bare
name, so no member can land outside the destination, and the declared sizes are capped
before anything is read. Nothing in the archive is executed or unpickled: Parquet and JSON
are data.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

from analysis.bundle.out import REMEDIES_FILE, SUMMARY_FILE
from analysis.errors import InputError

MAX_UNPACKED_BYTES = 4 * 1024**3  # a 10,000-document bundle is a few MB


def unpack_bundle(data: bytes, dest: Path, *, name: str = "the archive") -> Path:
    """Write the bundle files found in the zip ``data`` into ``dest``; return ``dest``.

    Raises InputError naming ``name`` when the bytes are not a zip, hold no summary.json,
    spread the bundle over several folders, or unpack to more than MAX_UNPACKED_BYTES.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError(f"{name}: not a zip archive (expected the Export page's zip)") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and _is_bundle_file(m.filename)]
        summaries = [m for m in members if PurePosixPath(m.filename).name == SUMMARY_FILE]
        if not summaries:
            raise InputError(f"{name}: no {SUMMARY_FILE} inside (not a Recall Horizon data bundle)")
        if len(summaries) > 1:
            raise InputError(
                f"{name}: {len(summaries)} {SUMMARY_FILE} files inside "
                f"({', '.join(m.filename for m in summaries[:3])}); zip one comparison"
            )
        folder = PurePosixPath(summaries[0].filename).parent
        members = [m for m in members if PurePosixPath(m.filename).parent == folder]
        total = sum(m.file_size for m in members)
        if total > MAX_UNPACKED_BYTES:
            raise InputError(
                f"{name}: unpacks to {total / 1024**3:.1f} GiB, over the "
                f"{MAX_UNPACKED_BYTES / 1024**3:.0f} GiB limit for a data bundle"
            )
        dest.mkdir(parents=True, exist_ok=True)
        for member in members:
            target = dest / PurePosixPath(member.filename).name
            try:
                target.write_bytes(archive.read(member))
            except (zipfile.BadZipFile, OSError, RuntimeError) as err:
                raise InputError(f"{name}: cannot unpack {member.filename} ({err})") from None
    return dest


def _is_bundle_file(filename: str) -> bool:
    bare = PurePosixPath(filename).name
    own = bare in (SUMMARY_FILE, REMEDIES_FILE)
    return own or (bare.endswith(".parquet") and not bare.startswith("."))
