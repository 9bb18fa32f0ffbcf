"""A bundle that carries no question's text (``--redact-queries``): evidence a team can
hand on when its questions are its users' words.

Every cell and summary string that is a question's text becomes that question's id (a
query log's ids are salted hashes under redaction), and the answers the LLM generated for
each question are left out: they are written from the question and may repeat it. The
numbers are untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pandas as pd
from pandas.api.types import is_object_dtype, is_string_dtype

from analysis.bundle.files import Bundle
from analysis.bundle.summary import Summary
from analysis.inputs.corpus import Corpus

# columns written from a question by the LLM: left out whole, not scanned
GENERATED = ("llm_answer_baseline", "llm_answer_candidate")
REDACTION = {
    "kept": "each question's id and domain; no question's text",
    "left_out": "the LLM's generated answers (written from the question)",
}


def redacted(bundle: Bundle, corpus: Corpus) -> Bundle:
    """``bundle`` with every question's text replaced by its id."""
    ids = {
        text: query_id
        for text, query_id in zip(corpus.query_texts, corpus.query_ids, strict=True)
        if text
    }
    tables = {name: _table(frame, ids) for name, frame in bundle.tables.items()}
    raw = _strings(bundle.summary.raw, ids)
    raw["manifest"]["redaction"] = REDACTION
    return replace(bundle, summary=Summary(raw), tables=tables)


def _table(frame: pd.DataFrame, ids: Mapping[str, str]) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if column in GENERATED:
            out[column] = None
        elif is_object_dtype(out[column]) or is_string_dtype(out[column]):
            out[column] = [ids.get(v, v) if isinstance(v, str) else v for v in out[column]]
    return out


def _strings(value: Any, ids: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, dict):
        return {key: _strings(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_strings(item, ids) for item in value]
    return value
