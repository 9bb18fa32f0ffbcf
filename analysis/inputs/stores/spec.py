"""A store spec: ``STORE:LOCATION?key=value&...``.

* ``qdrant:PATH_OR_URL?collection=NAME[&vector=NAME][&api-key-env=VAR]``: a Qdrant
  collection, in local mode (a folder) or on a server (``http(s)://host:port``); ``vector``
  picks one named vector of a collection holding several (a dual-write migration). A local
  folder stores its points as Python pickles, unpickled when read: it is opened only with
  ``allow-pickle=yes`` (the user's own folder; a server needs none);
* ``qdrant-snapshot:PATH[?vector=NAME]``: a Qdrant collection without a server, read with
  Qdrant's embedded engine (``qdrant_snapshot.py``): a shard snapshot file, as a server gives
  it, or a Qdrant Edge shard folder; nothing in it is unpickled;
* ``faiss:INDEX_FILE?ids=IDS_FILE``: a FAISS index file and its ids, one per line, in the
  index's order;
* ``lancedb:FOLDER?table=NAME[&column=vector]``: a LanceDB table's vector column;
* ``chroma:FOLDER?collection=NAME``: a Chroma persistent client's collection;
* ``pgvector:postgresql://USER@HOST:PORT/DB?table=NAME[&column=embedding]``: a PostgreSQL
  table's pgvector column (``postgres.py``; the password from ``password-env=VAR``);
* every store: ``queries=SPEC``, the model that encodes this side's questions (a store
  holds documents; never silently another model), and (Qdrant, LanceDB) ``id-field=NAME``,
  the field holding the corpus's document id (default: the point's own id; LanceDB: ``id``);
* a store that is the corpus (``--corpus SPEC``; Qdrant, LanceDB, Chroma, PostgreSQL):
  ``text-field``, ``title-field``, ``domain-field``, the payload fields of each document's
  text, title and domain (``payload.py`` has the defaults).

Credentials never enter a spec (it is written to the manifest): a URL with a password (or,
but for PostgreSQL's, a user) is refused; a server's API key or password is read from the
environment variable ``api-key-env`` or ``password-env`` names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from analysis.errors import InputError

STORES = ("qdrant", "qdrant-snapshot", "faiss", "lancedb", "chroma", "pgvector")
_PAYLOAD = {"text-field", "title-field", "domain-field"}  # when the store is the corpus
_KEYS = {
    "qdrant": {"collection", "vector", "api-key-env", "queries", "id-field", "timeout"}
    | {"allow-pickle"}
    | _PAYLOAD,
    "qdrant-snapshot": {"vector", "queries", "id-field"} | _PAYLOAD,
    "faiss": {"ids", "queries"},
    "lancedb": {"table", "column", "queries", "id-field"} | _PAYLOAD,
    "chroma": {"collection", "queries"} | _PAYLOAD,
    "pgvector": {"table", "column", "queries", "id-field", "password-env", "socket", "timeout"}
    | _PAYLOAD,
}
_REQUIRED: dict[str, tuple[str, ...]] = {"qdrant": ("collection",), "faiss": ("ids",)}
_REQUIRED |= {"lancedb": ("table",), "qdrant-snapshot": ()}
_REQUIRED |= {"chroma": ("collection",), "pgvector": ("table",)}
_SERVER_SCHEMES = ("http://", "https://", "postgresql://", "postgres://")


@dataclass(frozen=True)
class StoreSpec:
    store: str
    location: str
    options: dict[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.options.get(key, default)

    @property
    def is_server(self) -> bool:
        return self.store == "pgvector" or self.location.startswith(_SERVER_SCHEMES)


def is_store_spec(spec: str) -> bool:
    return spec.split(":", 1)[0] in STORES and ":" in spec


def parse_store_spec(spec: str) -> StoreSpec:
    """The parts of ``spec``; an InputError names what is missing, unknown or unsafe."""
    store, _, rest = spec.partition(":")
    location, _, query = rest.partition("?")
    if location.startswith(_SERVER_SCHEMES):  # before anything echoes the location
        parts = urlsplit(location)
        if parts.password or (parts.username and store != "pgvector"):
            what = "a password" if store == "pgvector" else "a user or password"
            how = "password-env=VAR" if store == "pgvector" else "api-key-env=VAR"
            raise InputError(
                f"{store} spec: the URL carries {what}; it would be written to the "
                f"manifest. Give it in an environment variable and name it with {how}"
            )
    if not location:
        raise InputError(f"{spec}: a {store} spec needs a location before '?'")
    pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=False)
    options: dict[str, str] = {}
    for key, value in pairs:
        if key not in _KEYS[store]:
            known = ", ".join(sorted(_KEYS[store]))
            raise InputError(f"{store} spec: unknown option {key!r} (known: {known})")
        if key in options:
            raise InputError(f"{store} spec: option {key!r} given twice")
        options[key] = value
    for key in _REQUIRED[store]:
        if not options.get(key):
            raise InputError(f"{store} spec: {key}=... is required ({location})")
    return StoreSpec(store, location, options)


def with_defaults(spec: str, defaults: dict[str, str | None]) -> str:
    """``spec`` with each option of ``defaults`` it accepts and does not set itself (the
    command line's ``--text-field`` and the like); any other spec unchanged."""
    if not is_store_spec(spec):
        return spec
    store = parse_store_spec(spec)
    added = {
        key: value
        for key, value in defaults.items()
        if value and key in _KEYS[store.store] and key not in store.options
    }
    if not added:
        return spec
    joiner = "&" if "?" in spec else "?"
    return spec + joiner + urlencode(added)
