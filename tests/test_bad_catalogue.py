"""The bad-input catalogue is large enough, and its case names are unique."""

from __future__ import annotations

from tests import (
    test_bad_corpus,
    test_bad_options,
    test_bad_outputs,
    test_bad_vectors,
    test_bad_verdicts,
)

CATALOGUE = [
    *test_bad_outputs.CASES,
    *test_bad_verdicts.CASES,
    *test_bad_corpus.CASES,
    *test_bad_vectors.CASES,
    *test_bad_options.CASES,
]


def test_the_catalogue_has_at_least_60_cases_with_unique_names() -> None:
    names = [case.name for case in CATALOGUE]
    assert len(names) >= 60
    assert len(set(names)) == len(names)
