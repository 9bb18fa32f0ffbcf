"""The corpus's documents read from a store's payload: each point's id, text, title and
domain, through the fields the spec maps (``text-field``, ``title-field``,
``domain-field``; defaults ``text``, ``title``, ``domain``; a Chroma record's text is its
own document unless ``text-field`` names a metadata key). A point without the text or the
domain is an error naming the point and the field; the title is optional.
"""

from __future__ import annotations

from typing import Any

from analysis.errors import InputError, ProblemList
from analysis.inputs.parsing import RawItem, join_title_and_text
from analysis.inputs.stores.readers import (
    CHROMA_DOCUMENT,
    Payloads,
    chroma_payloads,
    lancedb_payloads,
    qdrant_payloads,
)
from analysis.inputs.stores.spec import StoreSpec

FIELD_DEFAULTS = {"text-field": "text", "title-field": "title", "domain-field": "domain"}


def store_documents(spec: StoreSpec) -> list[RawItem]:
    """Every point of the store as a document, in the store's order."""
    fields = {key: payload_field(spec, key) for key in FIELD_DEFAULTS}
    from analysis.inputs.stores.postgres import pgvector_payloads
    from analysis.inputs.stores.qdrant_snapshot import snapshot_payloads

    readers = {"qdrant": qdrant_payloads, "lancedb": lancedb_payloads, "chroma": chroma_payloads}
    readers |= {"pgvector": pgvector_payloads, "qdrant-snapshot": snapshot_payloads}
    if spec.store not in readers:
        raise InputError(
            f"{spec.store} {spec.location}: the index holds vectors and no payload (no text or "
            "domain); give --corpus a corpus folder or documents table"
        )
    where = f"{spec.store} {spec.get('collection') or spec.get('table') or spec.location}"
    pages: Payloads = readers[spec.store](spec, list(fields.values()))
    problems = ProblemList(where)
    documents: list[RawItem] = []
    seen: set[str] = set()
    for page in pages:
        for point_id, payload in page:
            document = _document(point_id, payload, fields, problems)
            if point_id in seen:
                problems.add(f"id {point_id!r} appears twice")
            elif document is not None:
                documents.append(document)
            seen.add(point_id)
    problems.raise_if_any()
    if not documents:
        raise InputError(f"{where}: no points, so no documents")
    return documents


def payload_field(spec: StoreSpec, key: str) -> str:
    """The payload field ``key`` (``text-field``, ...) maps to."""
    default = CHROMA_DOCUMENT if spec.store == "chroma" and key == "text-field" else None
    return spec.get(key) or default or FIELD_DEFAULTS[key]


def _document(
    point_id: str, payload: dict[str, Any], fields: dict[str, str], problems: ProblemList
) -> RawItem | None:
    values: dict[str, str] = {}
    for key in ("text-field", "domain-field", "title-field"):
        name, value = fields[key], payload.get(fields[key])
        if value is None and key != "title-field":
            problems.add(f"point {point_id!r} has no payload field {name!r} ({key})")
            return None
        if value is not None and not isinstance(value, str):
            problems.add(
                f"point {point_id!r}: payload field {name!r} ({key}) is "
                f"{type(value).__name__}; expected text"
            )
            return None
        values[key] = (value or "").strip() if key != "text-field" else value or ""
    if not values["domain-field"]:
        problems.add(f"point {point_id!r} has an empty domain ({fields['domain-field']!r})")
        return None
    title = values["title-field"]
    text = join_title_and_text(title, values["text-field"])
    return RawItem(point_id, text, values["domain-field"], title=title)
