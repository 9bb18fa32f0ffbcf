"""Near-miss rules on hand-written sentences: what each changes, what it leaves, when it
must skip; and the same variant, byte for byte, for a seed in any process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from analysis.nearmiss.rules import RULES, variant


def _text(sentence: str, rule: str, seed: int = 0) -> str | None:
    edit = variant(sentence, rule, seed=seed)
    return None if edit is None else edit.text


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "The supplier shall indemnify the customer.",
            "The supplier shall not indemnify the customer.",
        ),
        (
            "The supplier shall not indemnify the customer.",
            "The supplier shall indemnify the customer.",
        ),
        ("The customer cannot terminate early.", "The customer can terminate early."),
        ("The customer can terminate early.", "The customer cannot terminate early."),
        ("The fee doesn't apply to renewals.", "The fee does apply to renewals."),
        ("Refunds are never given after thirty days.", "Refunds are given after thirty days."),
    ],
)
def test_negation_inserts_or_removes_one_negation(sentence, expected):
    assert _text(sentence, "negation") == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "No refund is given.",  # dropping "no" needs a determiner the rule cannot choose
        "Neither party may assign the agreement.",
        "Pay it.",  # no auxiliary: "does not pay" would need the verb's lemma
    ],
)
def test_negation_skips_what_it_cannot_negate(sentence):
    assert variant(sentence, "negation") is None


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "The supplier indemnifies the customer against claims.",
            "The customer indemnifies the supplier against claims.",
        ),
        (
            "The landlord must give the tenant two months notice.",
            "The tenant must give the landlord two months notice.",
        ),
        ("The fees paid by the customer are final.", "The customer paid by the fees are final."),
    ],
)
def test_role_swap_exchanges_the_two_roles_of_one_clause(sentence, expected):
    assert _text(sentence, "role_swap") == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "Isolate and drain the pump, then remove the coupling guard.",  # a comma between
        "The customer pays the customer.",  # the same head twice
        "Payment is due on receipt.",  # no determiner phrase at all
    ],
)
def test_role_swap_skips_without_two_roles_in_one_clause(sentence):
    assert variant(sentence, "role_swap") is None


def test_number_changes_exactly_one_number_and_nothing_else():
    sentence = "Claims over 250 pounds need a receipt within thirty days."
    seen = set()
    for seed in range(20):
        edit = variant(sentence, "number", seed=seed)
        assert edit is not None
        before, after = sentence[: edit.span[0]], sentence[edit.span[1] :]
        assert edit.text.startswith(before) and edit.text.endswith(after)
        changed = edit.text[edit.new_span[0] : edit.new_span[1]]
        assert changed != sentence[edit.span[0] : edit.span[1]]
        assert changed.isdigit() or changed.isalpha()
        seen.add(sentence[edit.span[0] : edit.span[1]])
    assert seen == {"250", "thirty"}  # either number, as the seed chooses
    assert variant("Payment is due on receipt.", "number") is None


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "All staff, except contractors, must attend.",
            "All staff, including contractors, must attend.",
        ),
        ("Submit the claim before the deadline.", "Submit the claim after the deadline."),
        ("Stop the dose unless symptoms improve.", "Stop the dose if symptoms improve."),
        ("A deposit of at least ten percent is due.", "A deposit of at most ten percent is due."),
        ("Liability shall not exceed the fees.", "Liability shall not fall below the fees."),
    ],
)
def test_condition_flips_one_exclusion_or_condition(sentence, expected):
    assert _text(sentence, "condition") == expected


def test_condition_skips_a_sentence_with_none():
    assert variant("The supplier shall indemnify the customer.", "condition") is None


def test_an_edit_records_where_it_changed_the_sentence():
    edit = variant("The supplier shall indemnify the customer.", "negation")
    assert edit is not None and edit.rule == "negation"
    assert edit.original[edit.span[0] : edit.span[1]] == ""
    assert edit.text[edit.new_span[0] : edit.new_span[1]] == " not"


def test_variants_are_the_same_byte_for_byte_for_a_seed_in_another_process():
    sentences = [
        "Claims over 250 pounds need a receipt within thirty days, except travel before May.",
        "The supplier indemnifies the customer and the landlord must give the tenant notice.",
    ]
    here = repr([[_text(s, r, seed) for r in RULES for seed in (0, 1, 7)] for s in sentences])
    code = (
        "from analysis.nearmiss.rules import RULES, variant\n"
        f"sentences = {sentences!r}\n"
        "print(repr([[(lambda e: None if e is None else e.text)(variant(s, r, seed=seed))"
        " for r in RULES for seed in (0, 1, 7)] for s in sentences]))"
    )
    there = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
        cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]),
    ).stdout.strip()
    assert there == here


def test_an_unknown_rule_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown near-miss rule 'passive'; rules: negation"):
        variant("The supplier pays.", "passive")
