"""What a document says, wherever a table names one by id: its title, a snippet, its text.

Read from the bundle alone (``documents``: title and opening of every document;
``document_texts``: the whole text of every retrieved one), so pages opened from a saved
comparison show the same words as pages computed on the server.
"""

from __future__ import annotations

import pandas as pd

from analysis.bundle.files import Bundle
from analysis.metrics.texts import DOCUMENT_TEXTS

TITLE, SNIPPET = "title", "text_preview"


def with_texts(frame: pd.DataFrame, bundle: Bundle, *, id_column: str = "doc_id") -> pd.DataFrame:
    """``frame`` with each document's title (where the corpus has titles) and snippet in the
    columns right after ``id_column``; unchanged when the bundle has neither."""
    documents = bundle.documents
    if documents is None or id_column not in frame or frame.empty:
        return frame
    wanted = [c for c in (TITLE, SNIPPET) if c in documents and c not in frame]
    if not wanted:
        return frame
    lookup = documents.set_index("doc_id")[wanted]
    texts = lookup.reindex(frame[id_column].to_numpy())
    out = frame.copy()
    at = list(out.columns).index(id_column) + 1
    for offset, column in enumerate(wanted):
        out.insert(at + offset, column, texts[column].to_numpy())
    return out


def full_text(bundle: Bundle, doc_id: str) -> tuple[str, bool] | None:
    """(text, whether it was cut at the bundle's limit) of one document, or None when the
    bundle holds neither its text nor its snippet."""
    texts = bundle.table(DOCUMENT_TEXTS)
    if texts is not None:
        rows = texts[texts["doc_id"] == doc_id]
        if len(rows):
            return str(rows["text"].iloc[0]), bool(rows["truncated"].iloc[0])
    documents = bundle.documents
    if documents is not None and SNIPPET in documents:
        rows = documents[documents["doc_id"] == doc_id]
        if len(rows):
            return str(rows[SNIPPET].iloc[0]), True
    return None
