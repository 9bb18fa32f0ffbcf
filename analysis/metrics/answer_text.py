"""Whether a text holds a reference answer, and where: SQuAD's normalisation, with offsets.

A text holds an answer when the normalised answer occurs in the normalised text as whole
tokens (``"cat"`` is not found in ``"concatenate"``), as DPR's top-k retrieval accuracy
counts it. Normalisation is SQuAD's: lower-case, punctuation and the articles a/an/the
removed, whitespace collapsed; punctuation is taken from all of Unicode.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

_ARTICLES = re.compile(r"\b(a|an|the)\b")


def _is_punctuation(ch: str) -> bool:
    return ch in string.punctuation or unicodedata.category(ch).startswith("P")


class _WithoutPunctuation(dict[int, str | None]):
    """``str.translate``'s table: punctuation to nothing, anything else to itself, each
    character looked up once per process (a lookup per character of every document, for
    every query and model, was most of coverage's time)."""

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        self[code] = None if _is_punctuation(ch) else ch
        return self[code]


_PUNCTUATION_REMOVED = _WithoutPunctuation()


@lru_cache(maxsize=8192)
def normalize_answer(text: str) -> str:
    """SQuAD's answer normalisation (remembered for the last few thousand texts: a corpus's
    documents are read for many queries, by both models).

    >>> normalize_answer("The  Eiffel-Tower, Paris!")
    'eiffeltower paris'
    >>> normalize_answer("«Les Misérables»")
    'les misérables'
    """
    kept = text.lower().translate(_PUNCTUATION_REMOVED)
    return " ".join(_ARTICLES.sub(" ", kept).split())


def contains_answer(context: str, answers: Sequence[str]) -> bool:
    """Whether any normalised answer occurs in the normalised context as whole tokens.

    >>> contains_answer("It was built in 1889 by Eiffel.", ["1889"])
    True
    >>> contains_answer("concatenate", ["cat"])
    False
    """
    haystack = f" {normalize_answer(context)} "
    return any(
        f" {needle} " in haystack for needle in (normalize_answer(a) for a in answers) if needle
    )


def answer_span(text: str, answers: Sequence[str]) -> tuple[int, int] | None:
    """(start, end) in ``text`` of the earliest answer occurrence ``contains_answer`` finds.

    The span runs from the first to the last original character of the matched normalised
    tokens, so it shows the answer as the document writes it.

    >>> text = "Built in 1889 by the Eiffel-Tower company."
    >>> start, end = answer_span(text, ["eiffeltower"])
    >>> text[start:end]
    'Eiffel-Tower'
    >>> answer_span("concatenate", ["cat"]) is None
    True
    """
    normalised, origin = _normalised_with_origin(text)
    haystack = f" {normalised} "
    best: tuple[int, int] | None = None
    for needle in (normalize_answer(a) for a in answers):
        if not needle:
            continue
        at = haystack.find(f" {needle} ")
        if at >= 0 and (best is None or at < best[0]):
            best = (at, at + len(needle))  # in ``normalised`` (the pad shifts by one)
    if best is None:
        return None
    return origin[best[0]], origin[best[1] - 1] + 1


def _normalised_with_origin(text: str) -> tuple[str, list[int]]:
    """``normalize_answer(text)`` and, per character of it, the index it came from in text."""
    # lower the whole text (final sigma depends on its neighbours), and walk it knowing each
    # character lowers to as many characters alone as in context (İ lowers to two)
    lowered, pairs, at = text.lower(), [], 0
    for i, ch in enumerate(text):
        width = len(ch.lower())
        pairs += [(low, i) for low in lowered[at : at + width]]
        at += width
    pairs = [(ch, i) for ch, i in pairs if not _is_punctuation(ch)]
    kept = "".join(ch for ch, _ in pairs)
    spaced: list[tuple[str, int]] = []
    last = 0
    for match in _ARTICLES.finditer(kept):
        spaced += pairs[last : match.start()]
        spaced.append((" ", pairs[match.start()][1]))
        last = match.end()
    spaced += pairs[last:]
    out: list[tuple[str, int]] = []
    for ch, i in spaced:
        if ch.isspace():
            if out and out[-1][0] != " ":
                out.append((" ", i))
        else:
            out.append((ch, i))
    if out and out[-1][0] == " ":
        out.pop()
    return "".join(ch for ch, _ in out), [i for _, i in out]


def exact_match(prediction: str, references: Sequence[str]) -> float:
    """SQuAD's exact match: 1.0 when the normalised prediction equals a normalised reference.

    >>> exact_match("The year 1889.", ["1889", "year 1889"])
    1.0
    """
    said = normalize_answer(prediction)
    return float(any(said == normalize_answer(r) for r in references))


def token_f1(prediction: str, references: Sequence[str]) -> float:
    """SQuAD's token F1, the best over the references: the harmonic mean of the shares of
    the prediction's and the reference's normalised tokens they have in common.

    >>> token_f1("completed in 1889", ["1889"])
    0.5
    >>> token_f1("", ["1889"])
    0.0
    """
    said = normalize_answer(prediction).split()
    best = 0.0
    for reference in references:
        wanted = normalize_answer(reference).split()
        common = sum((Counter(said) & Counter(wanted)).values())
        if not said or not wanted:
            best = max(best, float(said == wanted))
        elif common:
            precision, recall = common / len(said), common / len(wanted)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best
