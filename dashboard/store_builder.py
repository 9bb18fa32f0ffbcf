"""The Setup page's store picker: choose a store, list what it holds, pick a collection
(table) and its vector, name the model of the questions, and fill the side's spec box with
the spec the command line takes (``docs/stores.md``)."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from analysis.errors import InputError
from analysis.inputs.stores.catalogue import LISTED, Collection, collections
from analysis.inputs.stores.spec import StoreSpec
from dashboard import shared

KINDS = {
    "qdrant": ("Qdrant", "a storage folder, or http://host:6333"),
    "qdrant-snapshot": ("Qdrant shard snapshot (no server)", "/path/shard-0.snapshot"),
    "lancedb": ("LanceDB", "a LanceDB folder"),
    "chroma": ("Chroma", "a Chroma persistent folder"),
    "pgvector": ("PostgreSQL + pgvector", "postgresql://user@host:5432/database"),
    "faiss": ("FAISS index file", "/path/index.faiss"),
}
NAME_KEY = {"qdrant": "collection", "chroma": "collection", "lancedb": "table"}
NAME_KEY |= {"pgvector": "table"}
VECTOR_KEY = {"qdrant": "vector", "lancedb": "column", "pgvector": "column"}
QUERY_MODELS = {"default": "all-MiniLM-L6-v2 (bundled)", "other": "another model spec"}


def store_builder(label: str, value_key: str) -> None:
    """An expander that writes a store spec into the text box ``value_key``."""
    key = f"setup_{label}_store"
    with st.expander(f"{label}: pick the store, its collection and vector"):
        kind = st.selectbox(
            "Store", list(KINDS), format_func=lambda k: KINDS[k][0], key=f"{key}_kind"
        )
        location = st.text_input("Where", key=f"{key}_location", placeholder=KINDS[kind][1])
        options = _connection_options(kind, key)
        store = StoreSpec(kind, location.strip(), options)
        chosen: dict[str, str] = {}
        if kind in LISTED and location.strip():
            chosen = _collection_choice(store, label, key)
            if chosen and kind != "chroma":
                id_field = st.text_input(
                    "Field holding the corpus's document id (optional)",
                    key=f"{key}_id_field",
                    help="Default: the point's own id (LanceDB and PostgreSQL: the id column).",
                )
                chosen |= {"id-field": id_field.strip()} if id_field.strip() else {}
        elif kind == "faiss":
            ids = st.text_input("Its ids file (one id a line)", key=f"{key}_ids")
            chosen = {"ids": ids.strip()} if ids.strip() else {}
        elif kind == "qdrant-snapshot":
            chosen = _snapshot_options(key)
        queries = _query_model(key)
        needs_choice = kind != "qdrant-snapshot"  # a snapshot is one collection
        if not (location.strip() and (chosen or not needs_choice) and queries):
            st.caption("Name the store, pick what to read, and the model of the questions.")
            return
        fields = {**chosen, **options, "queries": queries}
        spec = f"{kind}:{location.strip()}?" + urlencode(fields, safe="/:@")
        st.code(spec, language=None, wrap_lines=True)
        st.button(
            "Use this spec",
            key=f"{key}_use",
            on_click=lambda: st.session_state.__setitem__(value_key, spec),
        )


def _connection_options(kind: str, key: str) -> dict[str, str]:
    if kind == "qdrant":
        variable = st.text_input("API key variable (a server; optional)", key=f"{key}_keyenv")
        trusted = st.checkbox(
            "A local folder I made or trust: unpickle its points",
            key=f"{key}_pickle",
            help="Qdrant's local mode stores each point as a Python pickle; unpickling one "
            "runs any code it holds, so the folder is read only with allow-pickle=yes. A "
            "server or a shard snapshot (qdrant-snapshot:) needs nothing of the kind.",
        )
        given = {"api-key-env": variable.strip(), "allow-pickle": "yes" if trusted else ""}
        return {k: v for k, v in given.items() if v}
    if kind == "pgvector":
        socket = st.text_input("Unix-socket folder (optional)", key=f"{key}_socket")
        variable = st.text_input("Password variable (optional)", key=f"{key}_pwenv")
        given = {"socket": socket.strip(), "password-env": variable.strip()}
        return {k: v for k, v in given.items() if v}
    return {}


def _snapshot_options(key: str) -> dict[str, str]:
    vector = st.text_input("Named vector (only if the points hold several)", key=f"{key}_snapvec")
    id_field = st.text_input(
        "Field holding the corpus's document id (optional)", key=f"{key}_snap_id_field"
    )
    given = {"vector": vector.strip(), "id-field": id_field.strip()}
    return {k: v for k, v in given.items() if v}


def _collection_choice(store: StoreSpec, label: str, key: str) -> dict[str, str]:
    listed_key = f"{key}_listed"
    if st.button("List what it holds", key=f"{key}_list"):
        try:
            _check_shared(store, label)
            st.session_state[listed_key] = (store, collections(store))
        except InputError as err:
            st.session_state.pop(listed_key, None)
            st.error(str(err))
    listed = st.session_state.get(listed_key)
    if not listed or listed[0] != store:
        return {}
    found: list[Collection] = listed[1]
    if not found:
        st.warning("The store holds no collection.")
        return {}
    names = [c.name for c in found]
    name = st.selectbox(
        NAME_KEY[store.store].capitalize(),
        names,
        format_func=lambda n: _described(found[names.index(n)]),
        key=f"{key}_name",
    )
    chosen = {NAME_KEY[store.store]: str(name)}
    vectors = found[names.index(str(name))].vectors
    if vectors and store.store in VECTOR_KEY:
        vector = st.selectbox("Vector", vectors, key=f"{key}_vector")
        chosen[VECTOR_KEY[store.store]] = str(vector)
    return chosen


def _described(collection: Collection) -> str:
    points = f", {collection.points:,} points" if collection.points is not None else ""
    vectors = f", vectors: {', '.join(collection.vectors)}" if collection.vectors else ""
    return f"{collection.name}{points}{vectors}"


def _query_model(key: str) -> str:
    choice = st.selectbox(
        "Model of the questions (the one that built these vectors)",
        list(QUERY_MODELS),
        format_func=QUERY_MODELS.__getitem__,
        key=f"{key}_queries_kind",
    )
    if choice != "other":
        return str(choice)
    return st.text_input(
        "Its spec (a model folder, hub id, or vectors:FILE of query vectors)",
        key=f"{key}_queries",
    ).strip()


def _check_shared(store: StoreSpec, label: str) -> None:
    """On a shared dashboard, a visitor lists only stores under its roots, never a server."""
    mode = shared.current()
    if mode is None:
        return
    placeholder = {"faiss": "ids"}.get(store.store, NAME_KEY.get(store.store, "collection"))
    options = urlencode({placeholder: "_", **store.options}, safe="/:@")
    mode.check_model(f"{store.store}:{store.location}?{options}", label)
