"""The context a RAG pipeline passes to its LLM: one definition for every pipeline measure.

For a query and a model, the context is the model's top-k documents in rank order, joined
with a blank line, and cut at the context budget: a document that does not fit whole
contributes only the characters that fit, and the documents after it nothing. The budget
is counted in characters (``None``: no limit); the manifest says so.
"""

from __future__ import annotations

from collections.abc import Sequence

SEPARATOR = "\n\n"
BUDGET_UNIT = "characters"


def context_parts(
    ranked: Sequence[int], texts: Sequence[str], *, k: int, budget: int | None
) -> list[tuple[int, str]]:
    """(document position, the part of its text that is in the context), in rank order.

    >>> context_parts([2, 0, 1], ["aaaa", "bbbb", "cccc"], k=2, budget=7)
    [(2, 'cccc'), (0, 'a')]
    """
    parts: list[tuple[int, str]] = []
    left = budget
    for position in [p for p in ranked if p >= 0][:k]:
        text = texts[position]
        if left is not None:
            if parts:
                left -= len(SEPARATOR)
            if left <= 0:
                break
            text = text[:left]
            left -= len(text)
        parts.append((position, text))
    return parts


def context_text(ranked: Sequence[int], texts: Sequence[str], *, k: int, budget: int | None) -> str:
    """The context as the LLM reads it.

    >>> context_text([1, 0], ["one", "two"], k=2, budget=None)
    'two\\n\\none'
    """
    return SEPARATOR.join(part for _, part in context_parts(ranked, texts, k=k, budget=budget))
