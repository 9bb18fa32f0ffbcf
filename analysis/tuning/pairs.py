"""Training pairs for a fine-tune: (query, document) pairs of one domain, read from a
JSONL, CSV or Parquet file and checked against the corpus."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analysis.errors import InputError
from analysis.inputs.corpus import Corpus
from analysis.inputs.readers import read_records


@dataclass(frozen=True)
class TrainingPair:
    query: str
    doc_id: str


def read_pairs(path: Path, corpus: Corpus, domain: str) -> list[TrainingPair]:
    """Pairs of ``domain`` from a JSONL/CSV/Parquet file with ``query``, ``doc_id``, ``domain``.

    Every doc_id must be a document of the corpus; rows of other domains are skipped.
    """
    pairs = []
    for record in read_records(path):
        fields = record.fields
        missing = [k for k in ("query", "doc_id") if not str(fields.get(k) or "").strip()]
        if missing:
            raise InputError(f"{path}, {record.where}: missing {', '.join(missing)}")
        doc_id = str(fields["doc_id"]).strip()
        if doc_id not in corpus.doc_index:
            raise InputError(f"{path}, {record.where}: document '{doc_id}' is not in the corpus")
        pair_domain = str(fields.get("domain") or "").strip()
        pair_domain = pair_domain or corpus.doc_domains[corpus.doc_index[doc_id]]
        if pair_domain == domain:
            pairs.append(TrainingPair(str(fields["query"]).strip(), doc_id))
    if len(pairs) < 2:
        known = sorted(set(corpus.doc_domains))
        raise InputError(
            f"{path}: {len(pairs)} training pair(s) for domain '{domain}' (need at least 2; "
            f"corpus domains: {', '.join(known)})"
        )
    held_out = set(corpus.query_texts) & {p.query for p in pairs}
    if held_out:
        raise InputError(
            f"{path}: {len(held_out)} training queries are also evaluation queries of the corpus "
            f"(e.g. {sorted(held_out)[0]!r}); training must use held-out queries"
        )
    return pairs
