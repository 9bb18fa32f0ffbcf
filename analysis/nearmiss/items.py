"""The near-miss items of a corpus: (query, passage, near miss) triples, before encoding.

By rule (``--near-misses rules``): for every judged query, each of its relevant documents
of the highest grade (at most ``MAX_DOCUMENTS_PER_QUERY``, in corpus order) — or, in a
corpus without judgments, the baseline's top-1 document — gives one item per rule: the
document's sentence closest to the query and that sentence with the rule's edit. A pair
the rule cannot edit is counted per domain and rule, never faked.

From the user's file (``--near-misses FILE``, CSV/JSONL/Parquet): ``query`` (the text) or
``query_id`` (a query of the corpus), ``document``
(a corpus id: its whole text is the passage) or ``passage`` (the text itself),
``near_miss`` and, optionally, ``domain`` (else the document's); the rule is "file".
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from analysis.errors import InputError
from analysis.inputs.corpus import Corpus
from analysis.inputs.readers import read_records
from analysis.nearmiss.columns import Item, Items
from analysis.nearmiss.passages import closest_first, near_miss
from analysis.nearmiss.rules import RULES

MAX_DOCUMENTS_PER_QUERY = 2


def items_by_rule(
    corpus: Corpus,
    *,
    baseline_top1: np.ndarray | None = None,
    seed: int = 0,
    rules: Sequence[str] = RULES,
) -> Items:
    """Items made by the rules from the judged pairs (or the baseline's top-1 documents,
    rows: queries, when the corpus has no judgments)."""
    judged = any(corpus.qrels.values())
    if not judged and baseline_top1 is None:
        raise ValueError("a corpus without judgments needs the baseline's top-1 documents")
    items: list[Item] = []
    skipped: dict[str, dict[str, int]] = {}
    for position, query in enumerate(corpus.query_texts):
        domain = corpus.query_domains[position]
        for doc_id in _documents(corpus, position, baseline_top1 if not judged else None):
            text = corpus.doc_texts[corpus.doc_index[doc_id]]
            closest = closest_first(query, text)  # once for every rule
            for rule in rules:
                made = near_miss(query, doc_id, text, rule, seed=seed, closest=closest)
                if made is None:
                    counts = skipped.setdefault(domain, {})
                    counts[rule] = counts.get(rule, 0) + 1
                    continue
                edit = made.edit
                spans = (*edit.span, *edit.new_span)
                items.append(
                    Item(query, position, doc_id, domain, rule, edit.original, edit.text, spans)
                )
    source = "judged pairs" if judged else "baseline top-1"
    if not items:
        tried = sum(sum(rules.values()) for rules in skipped.values())
        raise InputError(
            f"--near-misses rules: no rule could edit any passage of the {source} "
            f"({tried} pair-and-rule tries; the rules need English sentences with an "
            "auxiliary, two noun phrases, a number or a condition); give your own with "
            "--near-misses FILE"
        )
    return Items.of(items, source, skipped)


def _documents(corpus: Corpus, position: int, top1: np.ndarray | None) -> list[str]:
    if top1 is not None:
        return [corpus.doc_ids[int(top1[position])]] if top1[position] >= 0 else []
    judged = corpus.qrels.get(corpus.query_ids[position], {})
    best = max((g for g in judged.values() if g > 0), default=0)
    wanted = {d for d, g in judged.items() if g == best and g > 0 and d in corpus.doc_index}
    in_order = sorted(wanted, key=corpus.doc_index.__getitem__)
    return in_order[:MAX_DOCUMENTS_PER_QUERY]


def items_from_file(path: Path, corpus: Corpus) -> Items:
    """The user's own near misses; every row checked, errors naming the file and row."""
    items: list[Item] = []
    positions = {text: i for i, text in enumerate(corpus.query_texts)}
    positions_by_id = {query_id: i for i, query_id in enumerate(corpus.query_ids)}
    for record in read_records(path):
        fields = {k: str(v).strip() for k, v in record.fields.items() if v is not None}
        where = f"--near-misses {record.where}"
        query_id = fields.get("query_id", "")
        if query_id:
            if query_id not in positions_by_id:
                raise InputError(f"{where}: query '{query_id}' is not a query of the corpus")
            fields.setdefault("query", corpus.query_texts[positions_by_id[query_id]])
        for name in ("query", "near_miss"):
            if not fields.get(name):
                raise InputError(
                    f"{where}: missing {name}" + (" (or query_id)" if name == "query" else "")
                )
        doc_id = fields.get("document", "")
        if doc_id:
            if doc_id not in corpus.doc_index:
                raise InputError(f"{where}: document '{doc_id}' is not in the corpus")
            passage = corpus.doc_texts[corpus.doc_index[doc_id]]
        elif fields.get("passage"):
            passage = fields["passage"]
        else:
            raise InputError(f"{where}: give a document (a corpus id) or a passage")
        domain = fields.get("domain") or (
            corpus.doc_domains[corpus.doc_index[doc_id]] if doc_id else ""
        )
        if not domain:
            raise InputError(f"{where}: a passage row needs a domain")
        near = fields["near_miss"]
        if near == passage:
            raise InputError(f"{where}: the near miss is the passage itself")
        query = fields["query"]
        items.append(
            Item(
                query,
                positions.get(query, -1),
                doc_id,
                domain,
                "file",
                passage,
                near,
                edit_spans(passage, near),
            )  # fmt: skip
        )
    if not items:
        raise InputError(f"{path}: no near misses in the file")
    return Items.of(items, f"file {path.name}", {})


def edit_spans(before: str, after: str) -> tuple[int, int, int, int]:
    """Where two texts differ: (start, end) in each, around their common prefix and suffix.

    >>> edit_spans("shall pay", "shall not pay")
    (6, 6, 6, 10)
    """
    start = len(os.path.commonprefix([before, after]))
    tail = len(os.path.commonprefix([before[start:][::-1], after[start:][::-1]]))
    return start, len(before) - tail, start, len(after) - tail
