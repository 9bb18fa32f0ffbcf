"""Near misses of a document for a query: the sentence a rule edits, chosen by the query.

For a (query, document) pair the passage that matters is the document's sentence closest to
the query; its near miss is that sentence with one rule's edit. Closeness is lexical (the
share of the query's words the sentence holds, ties to the earlier sentence), so choosing a
passage needs no model and favours neither model being compared. Among the sentences a rule
can edit, the closest one is taken; a document no rule can edit gives no near miss.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from analysis.nearmiss.rules import RULES, Edit, variant

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class NearMiss:
    """``edit`` of one sentence of document ``doc_id``, the passage for ``query``."""

    query: str
    doc_id: str
    edit: Edit

    @property
    def rule(self) -> str:
        return self.edit.rule


def sentences(text: str) -> list[str]:
    """The text cut at sentence ends (a full stop, ! or ? before a capital or a digit).

    >>> sentences("Pay within 30 days. Late sums bear interest! Ask us.")
    ['Pay within 30 days.', 'Late sums bear interest!', 'Ask us.']
    """
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def near_miss(
    query: str,
    doc_id: str,
    text: str,
    rule: str,
    *,
    seed: int = 0,
    closest: Sequence[str] | None = None,
) -> NearMiss | None:
    """The ``rule``'s near miss of the sentence of ``text`` closest to ``query``, or None
    (``closest``: ``closest_first(query, text)``, when the caller already has it)."""
    for sentence in closest if closest is not None else closest_first(query, text):
        edit = variant(sentence, rule, seed=seed)
        if edit is not None:
            return NearMiss(query, doc_id, edit)
    return None


def near_miss_document(query: str, text: str, *, seed: int = 0) -> tuple[str, Edit] | None:
    """``text`` with its sentence closest to ``query`` replaced by a near miss: the rules are
    tried in an order the seed fixes, the first that edits some sentence wins. This is the
    structure-targeted hard negative of the paper's recipe (``finetune --negatives
    near-miss``); None when no rule edits any sentence."""
    order = list(RULES)
    offset = seed % len(order)
    for rule in order[offset:] + order[:offset]:
        for sentence in closest_first(query, text):
            edit = variant(sentence, rule, seed=seed)
            if edit is not None:
                at = text.index(sentence)
                return text[:at] + edit.text + text[at + len(sentence) :], edit
    return None


def closest_first(query: str, text: str) -> list[str]:
    """The sentences of ``text``, the closest to ``query`` first (ties: in text order)."""
    wanted = set(_WORD.findall(query.lower()))
    found = sentences(text)
    share = [len(wanted & set(_WORD.findall(s.lower()))) / max(len(wanted), 1) for s in found]
    order = sorted(range(len(found)), key=lambda i: (-share[i], i))
    return [found[i] for i in order]
