"""Each store's own export path, as batches of (ids, float32 vectors) in the store's order:
Qdrant's ``scroll`` with vectors (a shard snapshot's: ``qdrant_snapshot.py``), FAISS's
``reconstruct_n``, LanceDB's Arrow record batches, Chroma's ``get`` in pages. Memory is one
batch."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from analysis.errors import InputError
from analysis.inputs.readers import lines, read_text
from analysis.inputs.stores.spec import StoreSpec

Batches = Iterator[tuple[list[str], np.ndarray]]
Payloads = Iterator[list[tuple[str, dict[str, Any]]]]  # pages of (id, payload)
BATCH = 4096  # points a request
_TIMEOUT_S = 10  # a server that does not answer in this long is an error, not a hang
# FAISS index types whose stored vectors are the vectors added, bit for bit
_EXACT_FAISS = ("IndexFlat", "IndexFlatIP", "IndexFlatL2", "IndexIVFFlat", "IndexHNSWFlat")


def batches(spec: StoreSpec, batch: int = BATCH) -> Batches:
    from analysis.inputs.stores.postgres import pgvector_batches
    from analysis.inputs.stores.qdrant_snapshot import snapshot_batches

    readers = {"qdrant": _qdrant, "faiss": _faiss, "lancedb": _lancedb, "chroma": _chroma}
    readers |= {"pgvector": pgvector_batches, "qdrant-snapshot": snapshot_batches}
    return readers[spec.store](spec, batch)


def faiss_is_exact(spec: StoreSpec) -> bool:
    """Whether the index keeps its vectors whole (a compressed one keeps approximations)."""
    import faiss

    index = _read_faiss(spec, faiss)  # kept alive: the downcast view does not own it
    return type(faiss.downcast_index(index)).__name__ in _EXACT_FAISS


def _qdrant(spec: StoreSpec, batch: int) -> Batches:
    vector, id_field = spec.get("vector"), spec.get("id-field")
    collection = str(spec.get("collection"))
    for points in _qdrant_points(
        spec,
        batch,
        vector,
        with_vectors=[vector] if vector else True,
        with_payload=[id_field] if id_field else False,
    ):
        # a point without this named vector (one side of a migration not yet written)
        # is left out here, so the corpus's check names it as missing
        held = [p for p in points if not vector or vector in (p.vector or {})]
        ids = [_point_id(p, id_field, collection) for p in held]
        rows = [p.vector[vector] if vector else p.vector for p in held]
        yield ids, np.asarray(rows, dtype=np.float32).reshape(len(held), -1)


def qdrant_payloads(spec: StoreSpec, fields: list[str], batch: int = BATCH) -> Payloads:
    """Each point's id and the payload ``fields`` it has, page by page (no vectors)."""
    id_field, collection = spec.get("id-field"), str(spec.get("collection"))
    wanted = sorted({*fields, *([id_field] if id_field else [])})
    pages = _qdrant_points(spec, batch, None, with_vectors=False, with_payload=wanted)
    for points in pages:
        yield [(_point_id(p, id_field, collection), dict(p.payload or {})) for p in points]


def _qdrant_points(
    spec: StoreSpec, batch: int, vector: str | None, **what: Any
) -> Iterator[list[Any]]:
    """The collection's points a page at a time: a server's through ``scroll``, a local
    folder's through its own storage (``qdrant_local.py``: the client's local mode would
    hold the whole collection in memory). ``vector``: checked against the collection."""
    if not spec.is_server:
        from analysis.inputs.stores.qdrant_local import collection_config, local_pages, vector_names

        folder = trusted_local_folder(spec)
        collection = str(spec.get("collection"))
        config = collection_config(folder, collection)
        if what.get("with_vectors") is not False:
            names = vector_names(config)
            _check_vector_name({n: None for n in names} if names is not None else None, vector)
        # a corpus read from the payload (no vectors asked) keeps the client's order of ids
        by_id = what.get("with_vectors") is False
        yield from local_pages(folder, collection, batch, by_id=by_id)
        return
    with _qdrant_collection(spec) as (client, collection):
        if what.get("with_vectors") is not False:
            _check_vector_name(client.get_collection(collection).config.params.vectors, vector)
        yield from _qdrant_pages(client, collection, batch, **what)


@contextmanager
def _qdrant_collection(spec: StoreSpec) -> Iterator[tuple[Any, str]]:
    """The client, open on an existing collection (an error names the ones there are)."""
    client = qdrant_client_for(spec)
    collection = str(spec.get("collection"))
    try:
        try:
            exists = client.collection_exists(collection)
        except Exception as err:  # the client's transport errors differ by version
            raise InputError(
                f"qdrant: cannot reach {spec.location} ({type(err).__name__}: {err})"
            ) from None
        if not exists:
            names = ", ".join(c.name for c in client.get_collections().collections) or "none"
            raise InputError(
                f"qdrant {spec.location}: no collection {collection!r} (it has: {names})"
            )
        yield client, collection
    finally:
        client.close()


def _qdrant_pages(client: Any, collection: str, batch: int, **what: Any) -> Iterator[list[Any]]:
    """The collection's points, ``batch`` a request, through ``scroll``'s offsets."""
    offset = None
    while True:
        points, offset = client.scroll(collection, limit=batch, offset=offset, **what)
        if points:
            yield points
        if not points or offset is None:
            return


def trusted_local_folder(spec: StoreSpec) -> Path:
    """A Qdrant local-mode folder, which only ``allow-pickle=yes`` opens."""
    folder = local_folder(spec)
    if spec.get("allow-pickle") != "yes":
        raise InputError(
            f"qdrant {folder}: Qdrant's local mode stores its points as Python pickles, "
            "and opening the folder runs whatever code they hold. Only for a folder you "
            "made or trust, add allow-pickle=yes to the spec (a Qdrant server needs "
            "nothing of the kind)"
        )
    return folder


def qdrant_client_for(spec: StoreSpec):  # type: ignore[no-untyped-def]
    from qdrant_client import QdrantClient

    if not spec.is_server:
        return QdrantClient(path=str(trusted_local_folder(spec)))
    variable = spec.get("api-key-env")
    key = os.environ.get(variable) if variable else None
    if variable and not key:
        raise InputError(f"qdrant: the environment variable {variable} (api-key-env) is not set")
    timeout = int(spec.get("timeout", str(_TIMEOUT_S)) or _TIMEOUT_S)
    return QdrantClient(url=spec.location, api_key=key, timeout=timeout, check_compatibility=False)


def _check_vector_name(config: object, vector: str | None) -> None:
    if isinstance(config, dict):  # named vectors: one collection, several models
        if vector is None:
            raise InputError(
                f"qdrant: the collection holds named vectors ({', '.join(config)}); "
                "pick one with vector=NAME"
            )
        if vector not in config:
            raise InputError(
                f"qdrant: no vector named {vector!r} (the collection has: {', '.join(config)})"
            )
    elif vector is not None:
        raise InputError(f"qdrant: vector={vector}: the collection has one unnamed vector")


def _point_id(point: object, id_field: str | None, collection: str) -> str:
    if id_field is None:
        return str(point.id)  # type: ignore[attr-defined]
    payload = point.payload or {}  # type: ignore[attr-defined]
    if id_field not in payload:
        raise InputError(
            f"qdrant {collection}: point {point.id} has no payload field "  # type: ignore[attr-defined]
            f"{id_field!r} (id-field)"
        )
    return str(payload[id_field])


def _read_faiss(spec: StoreSpec, faiss):  # type: ignore[no-untyped-def]
    path = Path(spec.location).expanduser()
    if not path.is_file():
        raise InputError(f"faiss: no index file {path}")
    try:
        index = faiss.read_index(str(path))  # faiss's own format: nothing in it runs
    except RuntimeError as err:
        raise InputError(f"faiss: {path} is not an index faiss can read ({err})") from None
    return index


def _faiss(spec: StoreSpec, batch: int) -> Batches:
    import faiss

    index = _read_faiss(spec, faiss)
    ids_path = Path(str(spec.get("ids"))).expanduser()
    ids = [line.strip() for line in lines(read_text(ids_path))]
    if ids and ids[-1] == "":
        ids.pop()
    if len(ids) != index.ntotal:
        raise InputError(
            f"faiss: {ids_path} has {len(ids)} ids and the index {index.ntotal} vectors; "
            "one id a line, in the index's order"
        )
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.make_direct_map()  # an IVF index reconstructs by position through its direct map
    for start in range(0, index.ntotal, batch):
        count = min(batch, index.ntotal - start)
        try:
            vectors = index.reconstruct_n(start, count)
        except RuntimeError as err:
            raise InputError(
                f"faiss: {type(index).__name__} cannot give back its vectors ({err})"
            ) from None
        yield ids[start : start + count], np.asarray(vectors, dtype=np.float32)


def local_folder(spec: StoreSpec) -> Path:
    folder = Path(spec.location).expanduser()
    if not folder.is_dir():  # the clients would create an empty store there
        raise InputError(f"{spec.store}: {folder} is not a {spec.store} folder")
    return folder


def _lancedb(spec: StoreSpec, batch: int) -> Batches:
    import pyarrow as pa

    table, name = _lancedb_table(spec)
    id_column, column = spec.get("id-field", "id") or "id", spec.get("column", "vector") or "vector"
    _check_columns(table, name, [id_column, column])
    query = table.search().select([id_column, column]).limit(None)
    for record in query.to_batches(batch):
        vectors = record.column(column)
        if not pa.types.is_fixed_size_list(vectors.type) and not pa.types.is_list(vectors.type):
            raise InputError(f"lancedb table {name}: column {column!r} holds no vectors")
        if pa.types.is_fixed_size_list(vectors.type):  # one flat buffer: no Python floats
            flat = vectors.flatten().to_numpy(zero_copy_only=False)
            rows = np.asarray(flat, dtype=np.float32).reshape(len(vectors), -1)
        else:
            rows = np.asarray(vectors.to_pylist(), dtype=np.float32)
        yield [str(i) for i in record.column(id_column).to_pylist()], rows


def lancedb_payloads(spec: StoreSpec, fields: list[str], batch: int = BATCH) -> Payloads:
    """Each row's id and the ``fields`` the table has, Arrow batch by batch (no vectors);
    a field the table lacks is absent from every row."""
    table, name = _lancedb_table(spec)
    id_column = spec.get("id-field", "id") or "id"
    _check_columns(table, name, [id_column])
    present = [f for f in dict.fromkeys(fields) if f in table.schema.names and f != id_column]
    query = table.search().select([id_column, *present]).limit(None)
    for record in query.to_batches(batch):
        columns = {f: record.column(f).to_pylist() for f in present}
        ids = record.column(id_column).to_pylist()
        yield [
            (str(item_id), {f: values[row] for f, values in columns.items()})
            for row, item_id in enumerate(ids)
        ]


def _lancedb_table(spec: StoreSpec) -> tuple[Any, str]:
    import lancedb

    db = lancedb.connect(str(local_folder(spec)))
    name = str(spec.get("table"))
    tables = list(db.list_tables().tables)
    if name not in tables:
        raise InputError(
            f"lancedb {spec.location}: no table {name!r} (it has: {', '.join(tables) or 'none'})"
        )
    return db.open_table(name), name


def _check_columns(table: Any, name: str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in table.schema.names]
    if missing:
        raise InputError(
            f"lancedb table {name}: no column {missing[0]!r} "
            f"(it has: {', '.join(table.schema.names)})"
        )


def _chroma(spec: StoreSpec, batch: int) -> Batches:
    collection = _chroma_collection(spec)
    for offset in range(0, collection.count(), batch):
        page = collection.get(include=["embeddings"], limit=batch, offset=offset)
        yield list(page["ids"]), np.asarray(page["embeddings"], dtype=np.float32)


def chroma_payloads(spec: StoreSpec, fields: list[str], batch: int = BATCH) -> Payloads:
    """Each record's id, its metadata and its document (under the key ``document``), in
    pages of ``batch``."""
    collection = _chroma_collection(spec)
    for offset in range(0, collection.count(), batch):
        page = collection.get(include=["documents", "metadatas"], limit=batch, offset=offset)
        documents = page["documents"] or [None] * len(page["ids"])
        metadatas = page["metadatas"] or [None] * len(page["ids"])
        yield [
            (str(item_id), {**(metadata or {}), CHROMA_DOCUMENT: document})
            for item_id, document, metadata in zip(page["ids"], documents, metadatas, strict=True)
        ]


CHROMA_DOCUMENT = "document"  # the key a Chroma record's own document is given


def chroma_client(spec: StoreSpec) -> Any:
    import chromadb
    from chromadb.config import Settings

    return chromadb.PersistentClient(
        path=str(local_folder(spec)), settings=Settings(anonymized_telemetry=False)
    )


def _chroma_collection(spec: StoreSpec) -> Any:
    client = chroma_client(spec)
    name = str(spec.get("collection"))
    names = [getattr(c, "name", c) for c in client.list_collections()]
    if name not in names:
        raise InputError(
            f"chroma {spec.location}: no collection {name!r} "
            f"(it has: {', '.join(map(str, names)) or 'none'})"
        )
    return client.get_collection(name, embedding_function=None)
