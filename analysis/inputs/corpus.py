"""Load and validate a corpus (BEIR folders or flat tables) into one immutable ``Corpus``.

Supported layouts, chosen from what ``path`` is:

* a BEIR folder: ``corpus.jsonl``, optional ``queries.jsonl`` and ``qrels/<split>.tsv``;
* a folder of BEIR folders: each sub-folder is a domain, ids become ``<sub-folder>/<id>``;
* a flat documents table (CSV, TSV, JSONL or Parquet) with optional queries/qrels tables;
* a vector store's payload (a store spec, ``qdrant:...``), with optional queries/qrels tables.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from analysis.errors import InputError
from analysis.inputs.parsing import (
    EXAMPLES_SHOWN,
    RawCorpus,
    read_answers_table,
    read_beir_folder,
    read_flat_tables,
    with_query_tables,
)
from analysis.inputs.stores.spec import is_store_spec, parse_store_spec

UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class Corpus:
    """Documents and queries, each with a domain, and graded judgments (qid -> docid -> grade).

    ``notices`` holds non-fatal problems found while loading (such as judgments naming
    unknown ids) so front ends can show them; nothing is dropped silently.
    """

    name: str
    doc_ids: tuple[str, ...]
    doc_texts: tuple[str, ...]
    doc_domains: tuple[str, ...]
    query_ids: tuple[str, ...] = ()
    query_texts: tuple[str, ...] = ()
    query_domains: tuple[str, ...] = ()
    qrels: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    notices: tuple[str, ...] = ()
    # query id -> its reference answers (only queries that have at least one)
    answers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # each document's title where the corpus gives titles (empty otherwise); a title is
    # already the start of its document's text, so it enters no fingerprint of its own
    doc_titles: tuple[str, ...] = ()
    # each query's weight: how often it was asked (a query log); empty: once each
    query_weights: tuple[int, ...] = ()
    # where the queries came from when not the corpus itself (a query log's record, for the
    # manifest; never a question's text)
    query_source: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (len(self.doc_ids) == len(self.doc_texts) == len(self.doc_domains)):
            raise ValueError("doc_ids, doc_texts and doc_domains must have the same length")
        if not (len(self.query_ids) == len(self.query_texts) == len(self.query_domains)):
            raise ValueError("query_ids, query_texts and query_domains must have the same length")
        if self.doc_titles and len(self.doc_titles) != len(self.doc_ids):
            raise ValueError("doc_titles must be empty or as long as doc_ids")
        if self.query_weights and len(self.query_weights) != len(self.query_ids):
            raise ValueError("query_weights must be empty or as long as query_ids")

    @cached_property
    def query_weight_array(self) -> np.ndarray | None:
        """``query_weights`` as floats, or None when every query counts once."""
        return np.asarray(self.query_weights, dtype=float) if self.query_weights else None

    @property
    def n_docs(self) -> int:
        return len(self.doc_ids)

    @property
    def n_queries(self) -> int:
        return len(self.query_ids)

    @cached_property
    def domains(self) -> tuple[str, ...]:
        """Every domain that has a document or a query, sorted."""
        return tuple(sorted(set(self.doc_domains) | set(self.query_domains)))

    @cached_property
    def doc_index(self) -> dict[str, int]:
        return {doc_id: i for i, doc_id in enumerate(self.doc_ids)}

    @cached_property
    def query_index(self) -> dict[str, int]:
        return {query_id: i for i, query_id in enumerate(self.query_ids)}

    @cached_property
    def fingerprint(self) -> str:
        """sha256 over every id, text and domain, and every judgment, in a fixed order."""
        digest = hashlib.sha256()
        parts = (
            ("doc", self.doc_ids, self.doc_texts, self.doc_domains),
            ("query", self.query_ids, self.query_texts, self.query_domains),
        )
        for kind, ids, texts, domains in parts:
            for values in zip(ids, texts, domains, strict=True):
                _feed(digest, kind, *values)
        for query_id in sorted(self.qrels):
            for doc_id, grade in sorted(self.qrels[query_id].items()):
                _feed(digest, "qrel", query_id, doc_id, str(grade))
        for query_id in sorted(self.answers):  # nothing fed without answers: old fingerprints hold
            _feed(digest, "answers", query_id, *self.answers[query_id])
        if self.query_weights:  # likewise
            _feed(digest, "weights", *map(str, self.query_weights))
        return digest.hexdigest()

    def n_judgments(self) -> int:
        return sum(len(judged) for judged in self.qrels.values())


def _feed(digest: hashlib._Hash, *values: str) -> None:
    # Length-prefixing makes the encoding unambiguous ("ab","c" differs from "a","bc").
    for value in values:
        data = value.encode("utf-8")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)


def load_corpus(
    path: str | Path,
    *,
    queries: str | Path | None = None,
    qrels: str | Path | None = None,
    answers: str | Path | None = None,
    split: str = "test",
) -> Corpus:
    """Load the corpus at ``path``; raise ``InputError`` naming the file and line on bad input.

    ``answers``: a table of reference answers (``query_id``, ``answer``) for any corpus, on
    top of (or instead of) the queries' own ``answers`` field.
    """
    corpus = _load(path, queries=queries, qrels=qrels, split=split)
    return _with_answers(corpus, read_answers_table(Path(answers)) if answers else [])


def _load(
    path: str | Path,
    *,
    queries: str | Path | None,
    qrels: str | Path | None,
    split: str,
) -> Corpus:
    if is_store_spec(str(path)):
        return _from_store(str(path), queries=_optional(queries), qrels=_optional(qrels))
    root = Path(path)
    if not root.exists():
        raise InputError(f"{root}: no such file or folder")
    if root.is_file():
        raw = read_flat_tables(root, _optional(queries), _optional(qrels))
        return _assemble(root.stem, raw)
    if queries is not None or qrels is not None:
        raise InputError(
            "--queries/--qrels are for flat tables; a BEIR folder brings its own "
            f"queries.jsonl and qrels/ ({root})"
        )
    if (root / "corpus.jsonl").is_file():
        return _assemble(root.name, read_beir_folder(root, split=split, prefix=None))
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    subfolders = [p for p in folders if (p / "corpus.jsonl").is_file()]
    if not subfolders:
        raise InputError(
            f"{root}: not a corpus: expected corpus.jsonl (a BEIR folder), sub-folders that "
            "each hold one, or a documents table (CSV, JSONL, Parquet)"
        )
    merged = RawCorpus.merge(
        [read_beir_folder(sub, split=split, prefix=sub.name) for sub in subfolders]
    )
    merged.notices[:0] = [
        f"{folder}: no corpus.jsonl, so this folder is left out (no domain "
        f"'{folder.name}', and none of its queries or judgments)"
        for folder in folders
        if folder not in subfolders
    ]
    return _assemble(root.name, merged)


def _from_store(spec: str, *, queries: Path | None, qrels: Path | None) -> Corpus:
    """The documents from a store's payload; queries and judgments from flat tables."""
    from analysis.inputs.stores.payload import store_documents

    store = parse_store_spec(spec)
    raw = with_query_tables(RawCorpus(docs=store_documents(store)), queries, qrels)
    return _assemble(str(store.get("collection") or store.get("table")), raw)


def _optional(value: str | Path | None) -> Path | None:
    return None if value is None else Path(value)


def _assemble(name: str, raw: RawCorpus) -> Corpus:
    notices = list(raw.notices)
    doc_ids = {d.id for d in raw.docs}
    query_ids = {q.id for q in raw.queries}
    qrels = raw.known_qrels(query_ids, doc_ids, notices)
    doc_domain = {d.id: d.domain for d in raw.docs}
    query_domains = tuple(
        q.domain or _majority_domain(qrels.get(q.id, {}), doc_domain) for q in raw.queries
    )
    answers, empty = {}, []
    for query in raw.queries:
        if query.answers:
            answers[query.id] = query.answers
        elif query.answers is not None:
            empty.append(query.id)
    if empty:
        notices.append(
            f"{len(empty)} query(ies) have an 'answers' field with no answer; they count as "
            f"unanswered (e.g. {', '.join(empty[:EXAMPLES_SHOWN])})"
        )
    return Corpus(
        name=name,
        doc_ids=tuple(d.id for d in raw.docs),
        doc_texts=tuple(d.text for d in raw.docs),
        doc_domains=tuple(d.domain or UNASSIGNED for d in raw.docs),
        query_ids=tuple(q.id for q in raw.queries),
        query_texts=tuple(q.text for q in raw.queries),
        query_domains=query_domains,
        qrels=qrels,
        notices=tuple(notices),
        answers=answers,
        doc_titles=tuple(d.title for d in raw.docs) if any(d.title for d in raw.docs) else (),
    )


def _with_answers(corpus: Corpus, rows: list[tuple[str, str, str]]) -> Corpus:
    """The corpus with the ``--answers`` table's answers added (unknown ids: a notice)."""
    if not rows:
        return corpus
    answers = {q: list(a) for q, a in corpus.answers.items()}
    unknown, empty = [], []
    for query_id, answer, where in rows:
        if query_id not in corpus.query_index:
            unknown.append(f"{where}: '{query_id}'")
        elif not answer:
            empty.append(where)
        elif answer not in answers.setdefault(query_id, []):
            answers[query_id].append(answer)
    notices = list(corpus.notices)
    if unknown:
        notices.append(
            f"{len(unknown)} answer(s) name a query id that is not in the corpus and are left "
            f"out (e.g. {', '.join(unknown[:EXAMPLES_SHOWN])})"
        )
    if empty:
        notices.append(
            f"{len(empty)} answer(s) are empty and left out "
            f"(e.g. {', '.join(empty[:EXAMPLES_SHOWN])})"
        )
    return replace(
        corpus,
        answers={q: tuple(a) for q, a in answers.items() if a},
        notices=tuple(notices),
    )


def _majority_domain(judged: Mapping[str, int], doc_domain: Mapping[str, str | None]) -> str:
    """The most common domain among a query's relevant documents (ties: alphabetical)."""
    counts = Counter(doc_domain[d] or UNASSIGNED for d, grade in judged.items() if grade > 0)
    if not counts:
        return UNASSIGNED
    best = max(counts.values())
    return min(domain for domain, count in counts.items() if count == best)
