"""A Qdrant collection read without a server, and without the client's local mode: a
shard snapshot (the file a Qdrant server gives at ``/collections/NAME/shards/0/snapshot``)
or a Qdrant Edge shard folder, opened with Qdrant's own engine embedded
(``qdrant-edge-py``) and read a page at a time through ``scroll``.

Qdrant Edge shares the server's storage format (Qdrant's documentation: a shard restored
from a server's snapshot keeps the collection's configuration and file layout), maps the
segments' vectors from disk and unpickles nothing, so this reader's memory is the engine's
point index plus one page (measured in docs/stores.md), where the client's local mode
holds the whole collection. A snapshot file is unpacked into a temporary folder, removed
after reading; a shard folder is opened where it is (the engine may replay its write-ahead
log there). A collection of several shards gives one snapshot per shard: this reads one.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from analysis.errors import InputError
from analysis.inputs.stores.spec import StoreSpec

PAGE = 4096  # points a scroll


def snapshot_batches(spec: StoreSpec, batch: int = PAGE) -> Iterator[tuple[list[str], np.ndarray]]:
    """(ids, float32 vectors) a page at a time, in the shard's order of point ids."""
    vector, id_field = spec.get("vector"), spec.get("id-field")
    where = spec.location
    with _shard(spec) as shard:
        for records in _pages(shard, batch, with_vector=True, with_payload=_fields(id_field)):
            rows = [_vector(record, vector, where) for record in records]
            ids = [_point_id(record, id_field, where) for record in records]
            yield ids, np.asarray(rows, dtype=np.float32).reshape(len(records), -1)


def snapshot_payloads(
    spec: StoreSpec, fields: list[str], batch: int = PAGE
) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Each point's id and the payload ``fields`` it has, page by page (no vectors)."""
    id_field = spec.get("id-field")
    wanted = sorted({*fields, *([id_field] if id_field else [])})
    with _shard(spec) as shard:
        for records in _pages(shard, batch, with_vector=False, with_payload=wanted):
            yield [(_point_id(r, id_field, spec.location), dict(r.payload or {})) for r in records]


@contextmanager
def _shard(spec: StoreSpec) -> Iterator[Any]:
    """The shard, open: a snapshot file unpacked into a temporary folder first."""
    from qdrant_edge import EdgeShard

    path = Path(spec.location).expanduser()
    if not path.exists():
        raise InputError(f"qdrant-snapshot: no snapshot file or shard folder {path}")
    with tempfile.TemporaryDirectory(prefix="recall-horizon-qdrant-") as unpacked:
        folder = path
        if path.is_file():
            folder = Path(unpacked) / "shard"
            try:
                EdgeShard.unpack_snapshot(str(path), str(folder))
            except Exception as err:  # the engine's errors are one Rust-side type
                raise InputError(
                    f"qdrant-snapshot: {path} is not a shard snapshot Qdrant can unpack ({err})"
                ) from None
        try:
            shard = EdgeShard.load(str(folder))
        except Exception as err:
            raise InputError(f"qdrant-snapshot: {path} is not a Qdrant shard ({err})") from None
        try:
            yield shard
        finally:
            shard.close()


def _pages(shard: Any, batch: int, **what: Any) -> Iterator[list[Any]]:
    from qdrant_edge import ScrollRequest

    offset = None
    while True:
        records, offset = shard.scroll(ScrollRequest(offset=offset, limit=batch, **what))
        if records:
            yield records
        if not records or offset is None:
            return


def _fields(id_field: str | None) -> list[str] | bool:
    return [id_field] if id_field else False


def _vector(record: Any, name: str | None, where: str) -> list[float]:
    """The record's vector: its one unnamed vector, or the one ``vector=NAME`` picks."""
    held = record.vector
    if isinstance(held, dict):
        named = {key: value for key, value in held.items() if key}
        if not named and "" in held:
            held = held[""]
        elif name is None:
            raise InputError(
                f"qdrant-snapshot {where}: the points hold named vectors ({', '.join(named)}); "
                "pick one with vector=NAME"
            )
        elif name not in named:
            raise InputError(
                f"qdrant-snapshot {where}: point {record.id} has no vector named {name!r} "
                f"(it has: {', '.join(named) or 'none'})"
            )
        else:
            held = named[name]
    elif name is not None:
        raise InputError(
            f"qdrant-snapshot {where}: vector={name}: the points hold one unnamed vector"
        )
    if not isinstance(held, list) or (held and not isinstance(held[0], float | int)):
        raise InputError(
            f"qdrant-snapshot {where}: point {record.id} holds no dense vector of floats"
        )
    return held


def _point_id(record: Any, id_field: str | None, where: str) -> str:
    if id_field is None:
        return str(record.id)
    payload = record.payload or {}
    if id_field not in payload:
        raise InputError(
            f"qdrant-snapshot {where}: point {record.id} has no payload field {id_field!r} "
            "(id-field)"
        )
    return str(payload[id_field])
