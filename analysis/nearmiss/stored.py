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
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from analysis.inputs.corpus import Corpus
from analysis.nearmiss import items as items_module
from analysis.nearmiss import passages, rules
from analysis.nearmiss.items import Item, Items

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


def load_items(path: Path) -> Items | None:
    """The items stored at ``path``; None when there are none or they do not read back."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Items(
            tuple(_item(entry) for entry in raw["items"]),
            str(raw["source"]),
            {d: {r: int(n) for r, n in by_rule.items()} for d, by_rule in raw["skipped"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save_items(made: Items, path: Path) -> None:
    """Write ``made`` whole or not at all; a cache that cannot be written is left alone."""
    record: dict[str, Any] = {"items": [asdict(i) for i in made.items]}
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


def _item(entry: dict[str, Any]) -> Item:
    start, end, near_start, near_end = (int(x) for x in entry["spans"])
    return Item(
        str(entry["query"]),
        int(entry["query_position"]),
        str(entry["doc_id"]),
        str(entry["domain"]),
        str(entry["rule"]),
        str(entry["passage"]),
        str(entry["near_miss"]),
        (start, end, near_start, near_end),
    )
