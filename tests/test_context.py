"""The context a pipeline passes: budget in tokens or characters, top-k or cutoff, and where
an answer sits in a document (by hand, and as a property of the normalisation)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace

from analysis.context import CHARACTERS, Tokens, context_parts, measure_for, selected
from analysis.errors import InputError
from analysis.inputs.tokenizers import context_tokenizer, load_tokenizer
from analysis.metrics.answer_text import _normalised_with_origin as with_origin
from analysis.metrics.answer_text import answer_span, contains_answer, normalize_answer


def _word_tokens() -> Tokens:
    """One token per word or punctuation mark: counts checkable on paper."""
    words = ["alpha", "beta", "gamma", "delta", "epsilon", ",", "."]
    vocab = {w: i for i, w in enumerate(["[UNK]", *words])}
    tokenizer = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    return Tokens(tokenizer, "words")


# The budget in tokens, by hand -------------------------------------------------------


def test_a_token_budget_cuts_a_document_after_its_last_whole_token() -> None:
    words = _word_tokens()
    texts = ["alpha beta, gamma", "delta epsilon."]
    assert words.size(texts[0]) == 4  # alpha beta , gamma
    assert words.size("\n\n") == 0  # the separator costs no token here
    # 4 tokens of doc 0, then 1 of doc 1: 'delta' fits, 'epsilon' does not
    assert list(context_parts([0, 1], texts, k=2, budget=5, measure=words)) == [
        (0, "alpha beta, gamma"),
        (1, "delta"),
    ]
    # 3 tokens: doc 0 cut after the comma, and nothing of doc 1
    assert list(context_parts([0, 1], texts, k=2, budget=3, measure=words)) == [(0, "alpha beta,")]
    assert list(context_parts([0, 1], texts, k=2, budget=None, measure=words)) == [
        (0, "alpha beta, gamma"),
        (1, "delta epsilon."),
    ]


def test_the_same_budget_in_characters_cuts_elsewhere() -> None:
    texts = ["alpha beta, gamma", "delta epsilon."]
    assert list(context_parts([0, 1], texts, k=2, budget=5, measure=CHARACTERS)) == [(0, "alpha")]
    # 17 characters of doc 0, 2 of separator, 3 of doc 1
    assert list(context_parts([0, 1], texts, k=2, budget=22))[1] == (1, "del")


def test_the_default_models_tokenizer_counts_wordpieces() -> None:
    """MiniLM's own tokenizer (read from tokenizer.json, no weights): 'unbelievably' is
    several word pieces, so a budget of 1 keeps only its first piece."""
    tokens = measure_for("default")
    assert tokens.unit == "tokens (default)"
    assert tokens.size("the cat sat") == 3
    first = tokens.prefix("unbelievably good", 1)
    assert first and "unbelievably".startswith(first) and first != "unbelievably"
    assert tokens.prefix("the cat sat", 2) == "the cat"


def test_which_tokenizer_counts_the_budget() -> None:
    assert context_tokenizer(None, baseline="/models/tuned", budget=100) == "/models/tuned"
    assert context_tokenizer("org/llm", baseline="default", budget=100) == "org/llm"
    assert context_tokenizer(None, baseline="vectors:x.parquet", budget=100) is None
    assert context_tokenizer("org/llm", baseline="default", budget=None) is None  # no budget
    with pytest.raises(InputError, match="precomputed vectors have no tokenizer"):
        load_tokenizer("vectors:x.parquet")


# Top-k or cutoff ---------------------------------------------------------------------


def test_the_cutoff_keeps_every_retrieved_document_that_reaches_it() -> None:
    ranked, scores = [3, 1, 4, -1], [0.8, 0.5, 0.49, float("-inf")]
    assert selected(ranked, scores, by="cutoff", k=1, cutoff=0.5) == [3, 1]  # k plays no part
    assert selected(ranked, scores, by="cutoff", k=1, cutoff=0.9) == []
    assert selected(ranked, scores, by="top-k", k=5, cutoff=0.9) == [3, 1, 4]  # padding dropped


# Where the answer is -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "answers", "found"),
    [
        ("Completed in 1889 by Gustave Eiffel.", ["1889"], "1889"),
        ("the Eiffel-Tower, Paris", ["eiffeltower paris"], "Eiffel-Tower, Paris"),
        ("Who wrote «Les Misérables»?", ["les misérables"], "Les Misérables"),
        ("He saw The  Tower of London", ["tower of london"], "Tower of London"),
        ("ΟΔΟΣ ΤΕΛΟΣ", ["τελος"], "ΤΕΛΟΣ"),  # the final sigma lowers as in the context
        ("concatenate then cat", ["cat"], "cat"),  # whole tokens: not inside concatenate
    ],
)
def test_answer_spans_by_hand(text: str, answers: list[str], found: str) -> None:
    span = answer_span(text, answers)
    assert span is not None and text[span[0] : span[1]] == found


def test_the_earliest_of_several_answers_is_highlighted() -> None:
    text = "Paris is the capital; the Eiffel Tower stands there."
    span = answer_span(text, ["eiffel tower", "paris"])
    assert span == (0, 5)
    assert answer_span(text, ["london"]) is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aAnNtThHeE İ.,-«»\t\nσΣçÇ1")), max_size=40))
def test_offsets_normalise_exactly_like_squad(text: str) -> None:
    """The offset-keeping normalisation equals normalize_answer on any text, and maps each
    kept character back to the original character it came from."""
    normal, origin = with_origin(text)
    assert normal == normalize_answer(text)
    assert len(origin) == len(normal) and origin == sorted(origin)
    assert all(0 <= i < len(text) for i in origin)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("abc th.,-É")), max_size=30),
    st.text(alphabet=st.sampled_from(list("abc th.,-É")), min_size=1, max_size=8),
)
def test_a_span_is_found_exactly_when_the_answer_is(text: str, answer: str) -> None:
    span = answer_span(text, [answer])
    assert (span is not None) == contains_answer(text, [answer])
    if span is not None:  # the highlighted text holds the answer itself
        assert contains_answer(text[span[0] : span[1]], [answer])
