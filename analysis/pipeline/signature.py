"""A cheap change check for memo keys: the size and modification time of files."""

from __future__ import annotations

from pathlib import Path


def file_signature(*paths: str | None) -> str:
    """Size and modification time of every file under the given paths (a cheap change
    check for memo keys)."""
    from analysis.inputs.stores.spec import is_store_spec, parse_store_spec

    parts = []
    for raw in paths:
        if not raw:
            continue
        path = Path(parse_store_spec(raw).location if is_store_spec(raw) else raw)
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for item in files:
            if item.is_file():
                stat = item.stat()
                parts.append(f"{item}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)
