"""A logged question's domain, when the log names none: the domain most of the baseline's
top-k documents for it belong to.

Ties go to the alphabetically first of the tied domains, and are counted and stated; a
question the baseline retrieves nothing for is ``unassigned``. The rule and its counts go
into the manifest (``corpus.query_source``) and a notice, so every page can say it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np

from analysis.inputs.corpus import UNASSIGNED, Corpus
from analysis.inputs.query_log import TO_INFER

EXAMPLES = 5


def needs_inferred_domains(corpus: Corpus) -> bool:
    return TO_INFER in corpus.query_domains


def with_inferred_domains(corpus: Corpus, top: np.ndarray, k: int) -> Corpus:
    """``corpus`` with each question still lacking a domain given one by the majority of
    the domains of its baseline top-``k`` documents (``top``: document positions, one row
    per query, -1 where fewer were retrieved)."""
    domains = list(corpus.query_domains)
    inferred, ties, nothing = 0, [], 0
    for q, domain in enumerate(corpus.query_domains):
        if domain != TO_INFER:
            continue
        counts = Counter(corpus.doc_domains[int(d)] for d in top[q, :k] if d >= 0)
        if not counts:
            domains[q], nothing = UNASSIGNED, nothing + 1
            continue
        most = max(counts.values())
        tied = sorted(d for d, n in counts.items() if n == most)
        domains[q] = tied[0]
        inferred += 1
        if len(tied) > 1:
            ties.append(f"{corpus.query_ids[q]} ({' = '.join(tied)})")
    rule = (
        f"the domain most of the baseline's top-{k} documents belong to; "
        "ties: the alphabetically first of the tied domains"
    )
    record = {"rule": rule, "inferred": inferred, "ties": len(ties), "retrieved_nothing": nothing}
    if ties:
        record["tie_examples"] = ties[:EXAMPLES]
    notice = f"{inferred} question(s) had no domain; each was given {rule}"
    if ties:
        notice += f" ({len(ties)} tie(s), e.g. {', '.join(ties[:EXAMPLES])})"
    if nothing:
        notice += f"; {nothing} retrieved nothing and are '{UNASSIGNED}'"
    return replace(
        corpus,
        query_domains=tuple(domains),
        query_source={**corpus.query_source, "domains_inferred": record},
        notices=(*corpus.notices, notice),
    )
