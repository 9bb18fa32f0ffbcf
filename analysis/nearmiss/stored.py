"""Rule-made items kept on disk beside the embedding cache: making them reads every judged
pair's document and tries four edits on its sentences, a third of what the near-miss family
adds to a comparison whose vectors are all cached.

A file is named by what the items depend on — the corpus's fingerprint, the pairs' source
(the baseline's top-1 documents where the corpus has no judgments), the seed and the
rules' own source code — so a changed corpus or rule is a new file, never a stale one. The
file is JSON (nothing in it runs); one that does not read back as items is made again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from analysis.inputs.corpus import Corpus
from analysis.nearmiss import items as items_module
from analysis.nearmiss import passages, rules
from analysis.nearmiss.items import Items

FOLDER = "near-misses"


def items_key(corpus: Corpus, baseline_top1: np.ndarray | None, seed: int) -> str:
    """The name of the items' file: a digest of everything they are made from."""
    digest = hashlib.sha256(corpus.fingerprint.encode())
    top1 = b"judged" if baseline_top1 is None else np.asarray(baseline_top1, np.int64).tobytes()
    digest.update(hashlib.sha256(top1).digest())
    digest.update(str(seed).encode())
    for module in (rules, passages, items_module):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()


_TEXT_FIELDS = ("query", "doc_id", "domain", "rule")  # strings, stored once per item
_SHARED_TEXTS = ("passage", "near_miss")  # long, repeated across rules: stored once, by number


def load_items(path: Path) -> Items | None:
    """The items stored at ``path``; None when there are none or they do not read back."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        columns, texts = raw["columns"], raw["texts"]
        n = len(columns["query_position"])
        fields = [*_TEXT_FIELDS, *_SHARED_TEXTS, "query_position"]
        if any(len(columns[f]) != n for f in fields) or not all(isinstance(t, str) for t in texts):
            return None
        strings = {f: columns[f] for f in _TEXT_FIELDS}
        if not all(isinstance(v, str) for f in _TEXT_FIELDS for v in strings[f]):
            return None
        shared = {f: tuple(texts[int(i)] for i in columns[f]) for f in _SHARED_TEXTS}
        positions = tuple(int(p) for p in columns["query_position"])
        spans = np.array(columns["spans"], dtype=np.int64)
        if spans.size != 4 * n:
            return None
        return Items(
            tuple(strings["query"]), positions, tuple(strings["doc_id"]),
            tuple(strings["domain"]), tuple(strings["rule"]), shared["passage"],
            shared["near_miss"], spans.reshape(n, 4), str(raw["source"]),
            {d: {r: int(n) for r, n in by_rule.items()} for d, by_rule in raw["skipped"].items()},
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None


def save_items(made: Items, path: Path) -> None:
    """Write ``made`` whole or not at all; a cache that cannot be written is left alone.

    Column by column, each passage and near miss once (a passage is edited by up to four
    rules): reading 7,140 items back as one object each took a tenth of a second."""
    texts: dict[str, int] = {}
    columns: dict[str, list[Any]] = {
        "query": list(made.queries),
        "doc_id": list(made.doc_ids),
        "domain": list(made.domains),
        "rule": list(made.rules),
        "passage": [texts.setdefault(t, len(texts)) for t in made.passages],
        "near_miss": [texts.setdefault(t, len(texts)) for t in made.near_misses],
        "query_position": list(made.query_positions),
        "spans": made.spans.ravel().tolist(),  # four a row, flat: one list, not one a row
    }
    record: dict[str, Any] = {"columns": columns, "texts": list(texts)}
    record |= {"source": made.source, "skipped": made.skipped}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False
        ) as out:
            json.dump(record, out, ensure_ascii=False)
        os.replace(out.name, path)
    except OSError:
        pass  # a read-only cache: the items are made again next time
