"""What a store holds, for a front end to pick from: its collections (tables), and in each
the vectors a side can read (Qdrant's named vectors, LanceDB's and PostgreSQL's vector
columns). Read through each store's own client, as the readers are; nothing is written."""

from __future__ import annotations

from dataclasses import dataclass

from analysis.errors import InputError
from analysis.inputs.stores.spec import StoreSpec

LISTED = ("qdrant", "lancedb", "chroma", "pgvector")  # FAISS: one index file, nothing to list


@dataclass(frozen=True)
class Collection:
    name: str
    vectors: tuple[str, ...] = ()  # the names a side picks from; empty: one unnamed vector
    points: int | None = None


def collections(store: StoreSpec) -> list[Collection]:
    """Every collection (table) of ``store`` (its location and connection options; no
    collection needed), sorted by name."""
    listers = {"qdrant": _qdrant, "lancedb": _lancedb, "chroma": _chroma, "pgvector": _pgvector}
    if store.store not in listers:
        raise InputError(f"{store.store}: nothing to list (an index file is one collection)")
    return sorted(listers[store.store](store), key=lambda c: c.name)


def _qdrant(store: StoreSpec) -> list[Collection]:
    from analysis.inputs.stores.readers import qdrant_client_for

    if not store.is_server:
        return _qdrant_folder(store)
    client = qdrant_client_for(store)
    try:
        try:
            names = [c.name for c in client.get_collections().collections]
        except Exception as err:  # the client's transport errors differ by version
            raise InputError(
                f"qdrant: cannot reach {store.location} ({type(err).__name__}: {err})"
            ) from None
        out = []
        for name in names:
            info = client.get_collection(name)
            vectors = info.config.params.vectors
            named = tuple(sorted(vectors)) if isinstance(vectors, dict) else ()
            out.append(Collection(name, named, info.points_count))
        return out
    finally:
        client.close()


def _qdrant_folder(store: StoreSpec) -> list[Collection]:
    """A local-mode folder's collections, from its own storage a page at a time (the
    client's local mode would load every point to list them)."""
    from analysis.inputs.stores.qdrant_local import collection_configs, local_pages, vector_names
    from analysis.inputs.stores.readers import trusted_local_folder

    folder = trusted_local_folder(store)
    out = []
    for name, config in collection_configs(folder).items():
        points = sum(len(page) for page in local_pages(folder, name))
        out.append(Collection(name, tuple(vector_names(config) or ()), points))
    return out


def _lancedb(store: StoreSpec) -> list[Collection]:
    import lancedb
    import pyarrow as pa

    from analysis.inputs.stores.readers import local_folder

    db = lancedb.connect(str(local_folder(store)))
    out = []
    for name in db.list_tables().tables:
        table = db.open_table(name)
        vectors = tuple(
            f.name
            for f in table.schema
            if pa.types.is_fixed_size_list(f.type) or pa.types.is_list(f.type)
        )
        out.append(Collection(name, vectors, table.count_rows()))
    return out


def _chroma(store: StoreSpec) -> list[Collection]:
    from analysis.inputs.stores.readers import chroma_client

    client = chroma_client(store)
    names = [str(getattr(c, "name", c)) for c in client.list_collections()]
    return [Collection(name, (), client.get_collection(name).count()) for name in names]


def _pgvector(store: StoreSpec) -> list[Collection]:
    from analysis.inputs.stores.postgres import vector_tables

    return [Collection(name, columns) for name, columns in vector_tables(store).items()]
