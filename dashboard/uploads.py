"""Save uploaded corpus files where the engine can read them (content-addressed, no execution).

Uploaded bytes are written as plain files and parsed by the same validating loaders as the
command line; nothing uploaded is unpickled or imported.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from analysis.inputs.cache import default_cache_dir

MAX_UPLOAD_MB = 200  # keep in step with .streamlit/config.toml [server] maxUploadSize
TABLE_TYPES = ["jsonl", "json", "csv", "tsv", "parquet", "txt"]


@dataclass(frozen=True)
class UploadedCorpus:
    corpus: str
    queries: str = ""
    qrels: str = ""
    answers: str = ""
    query_log: str = ""


def save_for_this_visitor(files: list[tuple[str, bytes]]) -> Path:
    """Where this page's uploads go: on a shared dashboard the tab's own session folder,
    bounded per visitor (an InputError when over the operator's limit), removed when the
    session ends; locally, the cache by content."""
    from dashboard import cache, session_uploads, shared, visitor

    mode, tab = shared.current(), visitor.tab()
    if mode is None or tab is None:
        return save_uploads(files)
    return session_uploads.save(
        files,
        ledger=cache.upload_ledger(),
        visitor=visitor.visitor(),
        tab=tab,
        limit_bytes=mode.upload_mb_per_visitor * 1_000_000,
    )


def zip_folder_for_this_visitor(data: bytes) -> Path | None:
    """Where an uploaded bundle zip unpacks on a shared dashboard (the tab's session
    folder, counted against the visitor's limit); None locally (the cache, by content)."""
    from dashboard import cache, session_uploads, shared, visitor

    mode, tab = shared.current(), visitor.tab()
    if mode is None or tab is None:
        return None
    key = hashlib.sha256(data).hexdigest()[:24]
    limit = mode.upload_mb_per_visitor * 1_000_000
    folder = session_uploads.place(
        key, len(data), cache.upload_ledger(), visitor.visitor(), tab, limit
    )
    return folder / "bundle"


def save_uploads(files: list[tuple[str, bytes]]) -> Path:
    """Write the files into a folder named by the sha256 of their names and contents."""
    digest = hashlib.sha256()
    for name, data in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
    folder = default_cache_dir() / "uploads" / digest.hexdigest()[:24]
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files:  # atomically: two sessions uploading the same files may race
        handle, staging = tempfile.mkstemp(dir=folder, prefix=".upload.", suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(staging, folder / Path(name).name)
    return folder


def arrange_beir(folder: Path) -> UploadedCorpus:
    """Lay out uploaded BEIR files (corpus.jsonl, queries.jsonl, a qrels .tsv) as a BEIR folder."""
    qrels = [p for p in folder.glob("*.tsv")]
    if qrels:
        (folder / "qrels").mkdir(exist_ok=True)
        qrels[0].replace(folder / "qrels" / "test.tsv")
    return UploadedCorpus(corpus=str(folder))


def flat_tables(folder: Path, documents: str, queries: str, qrels: str) -> UploadedCorpus:
    return UploadedCorpus(
        corpus=str(folder / documents),
        queries=str(folder / queries) if queries else "",
        qrels=str(folder / qrels) if qrels else "",
    )
