"""What the pipeline measures ask the LLM, and how its replies are read.

Replies are parsed leniently (the first word that means something) and a reply that means
nothing is counted apart, never guessed.
"""

from __future__ import annotations

import re
from typing import Literal

from analysis.llm.calls import Request

ANSWER_TOKENS = 48
VERDICT_TOKENS = 4
Preference = Literal["A", "B", "T"]

ANSWER_SYSTEM = (
    "You answer questions using only the context you are given. Reply with a short answer "
    "of a few words, without explanation. If the context does not contain the answer, "
    "reply: unanswerable."
)
PAIRWISE_SYSTEM = (
    "You compare two answers to the same question. Reply with one letter only: A if answer "
    "A is better, B if answer B is better, T if they are equally good."
)
RELEVANCE_SYSTEM = (
    "You judge whether a document helps answer a search query. Reply with one word only: yes or no."
)


def answer_request(question: str, context: str) -> Request:
    user = f"Context:\n{context}\n\nQuestion: {question}\nShort answer:"
    return Request(_messages(ANSWER_SYSTEM, user), ANSWER_TOKENS)


def pairwise_request(question: str, first: str, second: str) -> Request:
    user = f"Question: {question}\n\nAnswer A: {first}\n\nAnswer B: {second}\n\nBetter answer:"
    return Request(_messages(PAIRWISE_SYSTEM, user), VERDICT_TOKENS)


def relevance_request(query: str, document: str) -> Request:
    user = f"Query: {query}\n\nDocument: {document}\n\nDoes the document help answer the query?"
    return Request(_messages(RELEVANCE_SYSTEM, user), VERDICT_TOKENS)


def read_preference(reply: str) -> Preference | None:
    """A, B or T (tie) from a reply; None when it says none of them.

    >>> read_preference("B."), read_preference("answer a"), read_preference("tie")
    ('B', 'A', 'T')
    >>> read_preference("I cannot tell") is None
    True
    """
    words = re.findall(r"[a-z]+", reply.lower())
    for previous, word in zip(["", *words], words, strict=False):
        if word in ("a", "b") and (previous in ("", "answer") or len(words) == 1):
            return "A" if word == "a" else "B"
        if word in ("t", "tie", "equal", "equally", "same", "both"):
            return "T"
    return None


def read_relevance(reply: str) -> bool | None:
    """True for yes, False for no; None when the reply says neither first.

    >>> read_relevance("Yes, it does."), read_relevance("no"), read_relevance("maybe")
    (True, False, None)
    """
    for word in re.findall(r"[a-z]+", reply.lower()):
        if word in ("yes", "relevant"):
            return True
        if word in ("no", "not", "irrelevant"):
            return False
    return None


def _messages(system: str, user: str) -> tuple[dict[str, str], ...]:
    return ({"role": "system", "content": system}, {"role": "user", "content": user})
