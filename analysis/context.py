"""The context a RAG pipeline passes to its LLM: one definition for every pipeline measure.

For a query and a model, the context is either the model's top-k documents or every
document whose similarity reaches the cutoff (at most as many as were retrieved), in rank
order, joined with a blank line, and cut at the context budget: a document that does not
fit whole contributes only the part that fits, and the documents after it nothing.

The budget is counted in a :class:`ContextMeasure`: tokens of a tokenizer (without special
tokens; a document is cut at a token boundary) or characters (``None``: no limit). The
manifest says which.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

SEPARATOR = "\n\n"


class ContextMeasure(Protocol):
    """How the budget counts text."""

    @property
    def unit(self) -> str:
        """What one unit of budget is, as the manifest and the pages say it."""
        ...

    def size(self, text: str) -> int: ...

    def prefix(self, text: str, size: int) -> str:
        """The longest opening of ``text`` that is at most ``size`` units."""
        ...


@dataclass(frozen=True)
class Characters:
    """Budget in characters: for vectors-only models, which come without a tokenizer."""

    unit: str = "characters"

    def size(self, text: str) -> int:
        return len(text)

    def prefix(self, text: str, size: int) -> str:
        return text[: max(size, 0)]


CHARACTERS = Characters()


class Tokens:
    """Budget in tokens of a Hugging Face ``tokenizers.Tokenizer`` (no special tokens).

    A document is cut after its last whole token that fits, at that token's end in the text.
    """

    def __init__(self, tokenizer: Any, name: str) -> None:
        tokenizer.no_truncation()  # count every token, whatever the model reads
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self.unit = f"tokens ({name})"
        self._ends = lru_cache(maxsize=65_536)(self._token_ends)

    def _token_ends(self, text: str) -> tuple[int, ...]:
        offsets = self._tokenizer.encode(text, add_special_tokens=False).offsets
        return tuple(end for _, end in offsets)

    def size(self, text: str) -> int:
        return len(self._ends(text))

    def prefix(self, text: str, size: int) -> str:
        ends = self._ends(text)
        if size >= len(ends):
            return text
        return text[: ends[size - 1]] if size > 0 else ""


@lru_cache(maxsize=8)
def measure_for(tokenizer: str | None) -> ContextMeasure:
    """Tokens of the tokenizer of the model spec ``tokenizer``; characters for None."""
    if tokenizer is None:
        return CHARACTERS
    from analysis.inputs.tokenizers import load_tokenizer

    return Tokens(load_tokenizer(tokenizer), tokenizer)


def context_parts(
    ranked: Sequence[int],
    texts: Sequence[str],
    *,
    k: int,
    budget: int | None,
    measure: ContextMeasure = CHARACTERS,
) -> Iterator[tuple[int, str]]:
    """(document position, the part of its text that is in the context), in rank order,
    one at a time (a reader looking for one part stops early).

    ``ranked`` holds document positions best first (-1: padding); at most ``k`` of them are
    read, and ``budget`` units of ``measure`` in all, separators included.

    >>> list(context_parts([2, 0, 1], ["aaaa", "bbbb", "cccc"], k=2, budget=7))
    [(2, 'cccc'), (0, 'a')]
    """
    left = budget
    separator = measure.size(SEPARATOR) if budget is not None else 0
    first = True
    for position in [p for p in ranked if p >= 0][:k]:
        text = texts[position]
        if left is not None:
            if not first:
                left -= separator
            if left <= 0:
                return
            text = measure.prefix(text, left)
            left -= measure.size(text)
            if not text:
                return
        first = False
        yield position, text


def context_text(
    ranked: Sequence[int],
    texts: Sequence[str],
    *,
    k: int,
    budget: int | None,
    measure: ContextMeasure = CHARACTERS,
) -> str:
    """The context as the LLM reads it.

    >>> context_text([1, 0], ["one", "two"], k=2, budget=None)
    'two\\n\\none'
    """
    parts = context_parts(ranked, texts, k=k, budget=budget, measure=measure)
    return SEPARATOR.join(part for _, part in parts)


def selected(
    ranked: Sequence[int], scores: Sequence[float], *, by: str, k: int, cutoff: float
) -> list[int]:
    """The documents a pipeline passes before the budget: the top ``k``, or every retrieved
    document whose score reaches ``cutoff``, in rank order (``by``: see ``CONTEXT_BY`` in
    ``analysis.settings``).

    >>> selected([4, 2, 7], [0.9, 0.5, 0.4], by="cutoff", k=1, cutoff=0.5)
    [4, 2]
    >>> selected([4, 2, 7], [0.9, 0.5, 0.4], by="top-k", k=1, cutoff=0.5)
    [4]
    """
    kept = [int(p) for p in ranked if p >= 0]
    if by == "top-k":
        return kept[:k]
    return [p for p, s in zip(kept, scores, strict=False) if s >= cutoff]


def describe_context(setting: Mapping[str, Any]) -> str:
    """The context a comparison measured, in words (from its manifest entry).

    >>> describe_context({"by": "cutoff", "cutoff": 0.41, "max_documents": 50, "budget": 512,
    ...                   "budget_unit": "tokens (default)"})
    'the documents scoring at least 0.410 (at most 50), cut at 512 tokens (default)'
    """
    if setting.get("by") == "cutoff":
        chosen = (
            f"the documents scoring at least {setting.get('cutoff', 0):.3f} "
            f"(at most {setting.get('max_documents')})"
        )
    else:
        chosen = f"the top-{setting.get('k')} documents"
    budget = setting.get("budget")
    cut = "no budget" if budget is None else f"cut at {budget:,} {setting.get('budget_unit')}"
    return f"{chosen}, {cut}"
