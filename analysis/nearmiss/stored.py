"""Rule-made items kept on disk beside the embedding cache: making them reads every judged
pair's document and tries four edits on its sentences, a third of what the near-miss family
adds to a comparison whose vectors are all cached.

A file is named by what the items depend on — the corpus's fingerprint, the pairs' source
(the baseline's top-1 documents where the corpus has no judgments), the seed and the source
of the code that makes and holds them — so a changed corpus, rule or layout is a new file,
never a stale one. The file is an ``.npz`` of plain arrays, read without pickle (nothing in
it runs); one that does not read back as items is made again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from analysis.inputs.corpus import Corpus
from analysis.nearmiss import columns as columns_module
from analysis.nearmiss import items as items_module
from analysis.nearmiss import passages, rules
from analysis.nearmiss.columns import Items

FOLDER = "near-misses"


def items_key(corpus: Corpus, baseline_top1: np.ndarray | None, seed: int) -> str:
    """The name of the items' file: a digest of everything they are made from."""
    digest = hashlib.sha256(corpus.fingerprint.encode())
    top1 = b"judged" if baseline_top1 is None else np.asarray(baseline_top1, np.int64).tobytes()
    digest.update(hashlib.sha256(top1).digest())
    digest.update(str(seed).encode())
    for source in (rules, passages, items_module, columns_module, __file__):  # this: the layout
        digest.update(Path(str(getattr(source, "__file__", source))).read_bytes())
    return digest.hexdigest()


_LABEL_COLUMNS = ("query", "doc_id", "domain", "rule")  # short, repeated: by row in labels
_TEXT_COLUMNS = ("passage", "near_miss")  # by row in texts (Items.texts)


def load_items(path: Path, n_queries: int) -> Items | None:
    """The items stored at ``path`` for a corpus of ``n_queries`` queries; None when there
    are none or they do not read back."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        texts = _strings(arrays["texts"], arrays["text_ends"])
        labels = _strings(arrays["labels"], arrays["label_ends"])
        positions, spans = arrays["query_position"], arrays["spans"]
        n = len(positions)
        rows = {name: arrays[name] for name in (*_LABEL_COLUMNS, *_TEXT_COLUMNS)}
        if texts is None or labels is None or spans.shape != (n, 4) or positions.shape != (n,):
            return None
        if n and not -1 <= positions.min() <= positions.max() < n_queries:
            return None
        for name, column in rows.items():
            limit = len(texts) if name in _TEXT_COLUMNS else len(labels)
            if column.shape != (n,) or (n and not 0 <= column.min() <= column.max() < limit):
                return None
        meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
        by_label = {
            name: tuple(map(labels.__getitem__, rows[name].tolist())) for name in _LABEL_COLUMNS
        }
        return Items(
            by_label["query"], positions.astype(np.intp), by_label["doc_id"],
            by_label["domain"], by_label["rule"], texts, rows["passage"].astype(np.intp),
            rows["near_miss"].astype(np.intp), spans.astype(np.int64), str(meta["source"]),
            {d: {r: int(n) for r, n in by_rule.items()} for d, by_rule in meta["skipped"].items()},
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError, AttributeError, EOFError, zipfile.BadZipFile):
        return None


def save_items(made: Items, path: Path) -> None:
    """Write ``made`` whole or not at all; a cache that cannot be written is left alone.

    Plain arrays: each passage and near miss once (as the items hold them), the short
    strings once each, every column by row number (reading 7,140 items back from JSON, with
    every item's query and labels spelled out, took 20-30 ms of a comparison)."""
    labels: dict[str, int] = {}
    label_rows = {
        name: np.array([labels.setdefault(v, len(labels)) for v in column], dtype=np.int64)
        for name, column in zip(
            _LABEL_COLUMNS, (made.queries, made.doc_ids, made.domains, made.rules), strict=True
        )
    }
    meta = json.dumps({"source": made.source, "skipped": made.skipped}, ensure_ascii=False)
    arrays = {
        **_blob("texts", made.texts),
        **_blob("labels", list(labels)),
        **label_rows,
        "passage": made.passage_rows.astype(np.int64),
        "near_miss": made.near_miss_rows.astype(np.int64),
        "query_position": made.query_positions.astype(np.int64),
        "spans": made.spans.astype(np.int64),
        "meta": np.frombuffer(meta.encode("utf-8"), dtype=np.uint8),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as out:
            np.savez(out, allow_pickle=False, **arrays)
        os.replace(out.name, path)
    except OSError:
        pass  # a read-only cache: the items are made again next time


def _blob(name: str, strings: Sequence[str]) -> dict[str, np.ndarray]:
    """``strings`` joined as one UTF-8 array, and where each ends, in characters."""
    joined = "".join(strings).encode("utf-8")
    ends = np.cumsum([len(s) for s in strings], dtype=np.int64)
    return {name: np.frombuffer(joined, dtype=np.uint8), f"{name[:-1]}_ends": ends}


def _strings(blob: np.ndarray, ends: np.ndarray) -> tuple[str, ...] | None:
    """The strings ``_blob`` stored; None when the ends do not fit the text."""
    joined = blob.tobytes().decode("utf-8")
    if ends.ndim != 1 or np.any(np.diff(ends, prepend=0) < 0):
        return None
    if len(ends) and ends[-1] != len(joined):
        return None
    starts = [0, *ends[:-1].tolist()]
    return tuple(joined[a:b] for a, b in zip(starts, ends.tolist(), strict=True))
