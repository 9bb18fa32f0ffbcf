"""The passage a near miss edits: the document's sentence closest to the query that the
rule can edit; the whole document with it replaced, for a training negative."""

from __future__ import annotations

from analysis.nearmiss.passages import near_miss, near_miss_document, sentences

DOCUMENT = (
    "Invoices are payable within thirty days. The supplier indemnifies the customer against "
    "claims. Either party may terminate on notice."
)


def test_the_closest_sentence_the_rule_can_edit_is_the_passage():
    found = near_miss("who indemnifies the customer", "d1", DOCUMENT, "role_swap")
    assert found is not None and found.doc_id == "d1" and found.rule == "role_swap"
    assert found.edit.original == "The supplier indemnifies the customer against claims."
    assert found.edit.text == "The customer indemnifies the supplier against claims."
    number = near_miss("who indemnifies the customer", "d1", DOCUMENT, "number")
    assert number is not None  # the closest sentence has no number: the next one that does
    assert number.edit.original == "Invoices are payable within thirty days."
    assert near_miss("anything", "d1", "Ask us.", "condition") is None


def test_a_negative_document_differs_in_exactly_one_sentence():
    made = near_miss_document("when are invoices payable", DOCUMENT, seed=0)
    assert made is not None
    negative, edit = made
    before, after = sentences(DOCUMENT), sentences(negative)
    assert len(before) == len(after)
    assert [a != b for a, b in zip(before, after, strict=True)].count(True) == 1
    assert edit.text in after and edit.original in before
    assert near_miss_document("q", "Ask us.", seed=0) is None
    rules = {near_miss_document("q", DOCUMENT, seed=s)[1].rule for s in range(4)}  # type: ignore[index]
    assert rules == {"negation", "role_swap", "number"}  # no sentence has a condition to flip
