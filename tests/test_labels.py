"""Tables for people: labels, units, words, and the same reading on the page and in the report."""

from __future__ import annotations

import pandas as pd

from reporting.html import _table
from reporting.labels import for_people, grade_word


def test_shares_become_percentages_and_grades_words():
    frame = pd.DataFrame(
        {
            "doc_id": ["a", "b", "c"],
            "grade": [2, None, 0],
            "neighbourhood_jaccard": [0.25, 1.0, 0.0],
            "p (BH)": [0.0004, 0.05, None],
        }
    )
    people = for_people(frame)
    shown = people.frame
    assert list(shown.columns) == ["Document", "Judged", "Neighbours kept", "p (BH)"]
    assert list(shown["Judged"]) == ["highly relevant", "not judged", "not relevant"]
    assert list(shown["Neighbours kept"]) == [25.0, 100.0, 0.0]
    assert list(shown["p (BH)"]) == ["< 0.001", "0.050", "–"]
    assert people.kinds["Neighbours kept"] == "share"
    assert list(frame["neighbourhood_jaccard"]) == [0.25, 1.0, 0.0]  # the input is untouched


def test_the_report_prints_the_same_units():
    html = _table(
        pd.DataFrame({"query_id": ["q1"], "jaccard": [0.4286], "Δ nDCG@10": [-0.117]}),
        key="t",
        index=False,
    )
    assert "<th>Query</th>" in html and "<th>Top-k overlap</th>" in html
    assert "42.9%" in html and "-11.7%" in html and "0.4286" not in html


def test_an_unknown_grade_reads_as_its_number():
    assert grade_word(7) == "grade 7"
    assert grade_word(pd.NA) == "not judged"
