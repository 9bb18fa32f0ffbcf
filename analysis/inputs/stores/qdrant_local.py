"""A Qdrant local-mode folder read a page at a time, without the client's local mode.

The client opens such a folder by loading every point into memory (2.2 GiB for 100,000
points of 384 floats). The folder is ``meta.json`` (each collection's configuration) and,
per collection, ``collection/NAME/storage.sqlite``: a table of points, each a pickled
``PointStruct``. This reads the configuration as JSON and the table through a cursor,
newest write first as the client does (older client versions left several rows for a
point; the newest is the point), unpickling one page of rows at a time. The pickles are
unpickled all the same, so the spec still needs ``allow-pickle=yes``; the unpickler builds
only qdrant-client's own models (``point_pickles``), so a row that names anything else is
refused instead of run.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from analysis.errors import InputError
from analysis.inputs.stores.point_pickles import PointUnpicklingError, unpickle_point

PAGE = 4096


def collection_configs(folder: Path) -> dict[str, dict[str, Any]]:
    """Every collection's configuration, from ``meta.json``."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        return {str(name): dict(config) for name, config in meta["collections"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise InputError(f"qdrant: {folder} is not a qdrant folder ({err})") from None


def collection_config(folder: Path, collection: str) -> dict[str, Any]:
    """The collection's configuration; an error names the ones there are."""
    configs = collection_configs(folder)
    if collection not in configs:
        names = ", ".join(sorted(configs)) or "none"
        raise InputError(f"qdrant {folder}: no collection {collection!r} (it has: {names})")
    return configs[collection]


def vector_names(config: dict[str, Any]) -> list[str] | None:
    """The collection's named vectors, or None for one unnamed vector."""
    vectors = config.get("vectors") or {}
    return None if "size" in vectors else sorted(vectors)


def local_pages(
    folder: Path, collection: str, page: int = PAGE, *, by_id: bool = False
) -> Iterator[list[Any]]:
    """The collection's points (unpickled ``PointStruct``), a page at a time; ``by_id``:
    their ids and payloads alone (vectors dropped as read: all of them are held), in the
    order of their ids as the client's ``scroll`` gives them (a corpus read from the
    payload keeps that order, and its ties follow it)."""
    if by_id:
        everything = []
        for points in local_pages(folder, collection, page):
            for point in points:
                point.vector = {}  # a corpus reads payloads: 100,000 vectors were 2 GB here
                everything.append(point)
        everything.sort(key=_id_order)
        for first in range(0, len(everything), page):
            yield everything[first : first + page]
        return
    storage = folder / "collection" / collection / "storage.sqlite"
    if not storage.is_file():
        return  # a collection that never held a point has no table
    connection = sqlite3.connect(f"file:{storage}?mode=ro", uri=True)
    try:
        cursor = connection.execute("SELECT rowid, point FROM points ORDER BY rowid DESC")
        seen: set[Any] = set()
        while rows := cursor.fetchmany(page):
            points = []
            for rowid, blob in rows:
                try:
                    point = unpickle_point(blob)  # allow-pickle=yes was checked by the caller
                except PointUnpicklingError as err:
                    raise InputError(
                        f"qdrant {folder}: collection {collection!r}, row {rowid} of "
                        f"{storage.name}: {err}"
                    ) from None
                key = str(point.id)
                if key not in seen:  # an older row of a point already read
                    seen.add(key)
                    points.append(point)
            if points:
                yield points
    except sqlite3.Error as err:
        raise InputError(f"qdrant {folder}: cannot read {storage} ({err})") from None
    finally:
        connection.close()


def _id_order(point: Any) -> tuple[int, int, str]:
    """Integer ids first, in number order, then the others (UUIDs) as text."""
    if isinstance(point.id, int):
        return (0, point.id, "")
    return (1, 0, str(point.id))
