"""Near-miss variants of an English sentence, made by rules: no model, no download.

A near miss says almost the same words with another meaning, the distinction the research
behind this project trained retrievers for (Ralev et al., arXiv 2604.16351): a negation, two
roles swapped, a number changed, an exclusion or a condition flipped. Each rule edits one
place of one sentence and records where (``Edit``), so the change can be shown; a rule that
cannot apply to a sentence returns None (the caller counts it as skipped), never a guess.

Choices among several places are seeded: the same (text, rule, seed) gives the same variant,
byte for byte, in any process.

>>> variant("The supplier shall indemnify the customer.", "negation").text
'The supplier shall not indemnify the customer.'
>>> variant("The supplier indemnifies the customer.", "role_swap").text
'The customer indemnifies the supplier.'
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from functools import lru_cache

RULES = ("negation", "role_swap", "number", "condition")


def _words(text: str) -> tuple[str, ...]:
    """A word list in a fixed order (a set's order would vary with PYTHONHASHSEED, and the
    seeded choices must not)."""
    return tuple(text.split())


AUXILIARIES = _words(
    "is are was were will shall must may might should would could can has have had does do did"
)

# a word after which a noun phrase has ended: the next word belongs to the clause around it
FUNCTION_WORDS = (
    _words(
        "of to for in on at by with from into within under over after before until unless if "
        "and or but nor that which who whom whose when where while than as per via without "
        "against about across along among around between beyond during except including "
        "through throughout toward towards upon regarding plus onto out up down off since "
        "because although though whether not no never cannot also only then so it its this "
        "these those their his her our your all both"
    )
    + AUXILIARIES
)
# participles that do not end in -ed: a word after a noun phrase that begins a clause
IRREGULAR_PARTICIPLES = _words(
    "paid made given held kept sent sold told found set put brought bought taken written "
    "known shown done seen built left lost met read run spent won begun chosen drawn"
)
DETERMINERS = _words("the a an each every either neither any")
# pairs whose members name opposite conditions or scopes; each is flipped to the other
CONDITION_PAIRS = (
    ("except", "including"),
    ("before", "after"),
    ("unless", "if"),
    ("above", "below"),
    ("more than", "less than"),
    ("at least", "at most"),
    ("exceed", "fall below"),
)
NUMBER_WORDS = _words(
    "one two three four five six seven eight nine ten eleven twelve fourteen fifteen "
    "twenty thirty forty fifty sixty ninety hundred"
)


@dataclass(frozen=True)
class Edit:
    """A variant of ``original``: ``text``, and the edited span in each (start, end)."""

    rule: str
    original: str
    text: str
    span: tuple[int, int]  # in the original
    new_span: tuple[int, int]  # in the variant


@lru_cache(maxsize=65_536)  # a corpus repeats sentences across queries; a variant is pure
def variant(sentence: str, rule: str, *, seed: int = 0) -> Edit | None:
    """The ``rule``'s near miss of ``sentence``, or None when the rule cannot make one."""
    if rule not in RULES:
        raise ValueError(f"unknown near-miss rule {rule!r}; rules: {', '.join(RULES)}")
    choose = _chooser(sentence, rule, seed)
    edits = {
        "negation": _negation,
        "role_swap": _role_swap,
        "number": _number,
        "condition": _condition,
    }[rule](sentence, choose)
    if edits is None:
        return None
    (start, end), replacement = edits
    text = sentence[:start] + replacement + sentence[end:]
    if text == sentence:
        return None
    return Edit(rule, sentence, text, (start, end), (start, start + len(replacement)))


Replacement = tuple[tuple[int, int], str]


def _chooser(sentence: str, rule: str, seed: int) -> random.Random:
    """A random stream fixed by (seed, rule, sentence) and nothing else (not PYTHONHASHSEED)."""
    digest = hashlib.sha256(f"{seed}\0{rule}\0{sentence}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


CONTRACTIONS = {
    "don't": "do",
    "doesn't": "does",
    "didn't": "did",
    "isn't": "is",
    "aren't": "are",
    "wasn't": "was",
    "weren't": "were",
    "won't": "will",
    "can't": "can",
    "shouldn't": "should",
    "wouldn't": "would",
    "couldn't": "could",
    "mustn't": "must",
    "hasn't": "has",
    "haven't": "have",
    "hadn't": "had",
    "shan't": "shall",
    "mayn't": "may",
}


def _negation(sentence: str, choose: random.Random) -> Replacement | None:
    """Remove the first negation when the sentence has one ("shall not" → "shall",
    "cannot" → "can", "doesn't" → "does", "never " → ""), else insert "not" after its first
    auxiliary or modal ("shall" → "shall not", "can" → "cannot"). A sentence negated only by
    "no" is skipped: dropping it needs a determiner the rule cannot choose."""
    auxiliary = "|".join(AUXILIARIES)
    negations = re.compile(
        rf"\bcannot\b|\b(?:{auxiliary}) not\b|\b\w+n't\b|\bnever\b|\b(?:no|neither|nor)\b",
        re.IGNORECASE,
    )
    for match in negations.finditer(sentence):
        found = match.group(0).lower()
        start, end = match.span()
        if found == "cannot":
            return (start, end), _case_like("can", match.group(0)[0])
        if found.endswith(" not"):
            return (end - 4, end), ""
        if found in CONTRACTIONS:
            return (start, end), _case_like(CONTRACTIONS[found], match.group(0)[0])
        if found == "never":
            return (start, end + 1 if sentence[end : end + 1] == " " else end), ""
        if found in {"no", "neither", "nor"}:
            return None
    first = re.search(rf"\b({auxiliary})\b (?=\w)", sentence, re.IGNORECASE)
    if first is None:
        return None  # no auxiliary: "pays" → "does not pay" would need the verb's lemma
    at = first.end(1)
    return (at, at), "not" if first.group(1).lower() == "can" else " not"


def _role_swap(sentence: str, choose: random.Random) -> Replacement | None:
    """Swap two different noun phrases of one clause ("the supplier indemnifies the
    customer" → "the customer indemnifies the supplier"). A noun phrase is a determiner and
    one or two words followed by a clause boundary: a function word, an auxiliary, a
    verb-like word (-s or -ed after a head that is not, or an irregular participle),
    punctuation or the end. The two must be at most four words apart with no punctuation
    between them: the roles of one verb, not two phrases of a long sentence."""
    phrases = _noun_phrases(sentence)
    pairs = [
        (a, b)
        for i, a in enumerate(phrases)
        for b in phrases[i + 1 :]
        if _head(sentence, a) != _head(sentence, b)
        and not re.search(r"[,;:.()]", sentence[a[1] : b[0]])
        and len(sentence[a[1] : b[0]].split()) <= 4
    ]
    if not pairs:
        return None
    first, second = pairs[0] if len(pairs) == 1 else choose.choice(pairs)
    one, two = sentence[first[0] : first[1]], sentence[second[0] : second[1]]
    swapped = _case_like(two, one[0]) + sentence[first[1] : second[0]] + _case_like(one, two[0])
    return (first[0], second[1]), swapped


def _noun_phrases(sentence: str) -> list[tuple[int, int]]:
    tokens = list(re.finditer(r"[A-Za-z][A-Za-z'-]*|[^\sA-Za-z]", sentence))
    phrases = []
    for index, token in enumerate(tokens):
        if token.group(0).lower() not in DETERMINERS:
            continue
        for size in (1, 2):
            words = tokens[index + 1 : index + 1 + size]
            if len(words) < size or not all(_content_word(w.group(0)) for w in words):
                break
            after = tokens[index + 1 + size] if index + 1 + size < len(tokens) else None
            if after is None or _boundary(after.group(0), words[-1].group(0)):
                phrases.append((token.start(), words[-1].end()))
                break
    return phrases


def _content_word(word: str) -> bool:
    lower = word.lower()
    return word[0].isalpha() and lower not in (*FUNCTION_WORDS, *DETERMINERS, *NUMBER_WORDS)


def _boundary(word: str, head: str) -> bool:
    """Whether ``word``, after a noun phrase ending in ``head``, begins something else."""
    lower = word.lower()
    return (
        not word[0].isalpha()
        or lower in FUNCTION_WORDS
        or lower in NUMBER_WORDS
        or lower in IRREGULAR_PARTICIPLES
        or lower.endswith("n't")
        or (_verb_like(lower) and not _verb_like(head))
    )


def _verb_like(word: str) -> bool:
    word = word.lower()
    return (word.endswith("s") and not word.endswith("ss")) or word.endswith("ed")


def _head(sentence: str, span: tuple[int, int]) -> str:
    return sentence[span[0] : span[1]].split()[-1].lower()


def _number(sentence: str, choose: random.Random) -> Replacement | None:
    """Change one number: digits by a digit or by an order of magnitude, a number word to
    another number word."""
    found = [
        m
        for m in re.finditer(
            r"\b\d+(?:[.,]\d+)*\b|\b(?:" + "|".join(NUMBER_WORDS) + r")\b", sentence, re.I
        )
    ]
    if not found:
        return None
    match = choose.choice(found)
    value = match.group(0)
    if value[0].isdigit():
        digits = [i for i, c in enumerate(value) if c.isdigit()]
        if choose.random() < 0.5:
            replacement = value + "0"  # an order of magnitude
        else:
            at = choose.choice(digits)
            options = [d for d in "0123456789" if d != value[at] and not (at == 0 and d == "0")]
            replacement = value[:at] + choose.choice(options) + value[at + 1 :]
    else:
        others = [w for w in NUMBER_WORDS if w != value.lower()]
        replacement = _case_like(choose.choice(others), value[0])
    return match.span(), replacement


def _condition(sentence: str, choose: random.Random) -> Replacement | None:
    """Flip one exclusion or condition: except ↔ including, before ↔ after, unless ↔ if,
    above ↔ below, more than ↔ less than, at least ↔ at most, exceed ↔ fall below."""
    swaps = {a: b for a, b in CONDITION_PAIRS} | {b: a for a, b in CONDITION_PAIRS}
    pattern = r"\b(" + "|".join(sorted(map(re.escape, swaps), key=len, reverse=True)) + r")\b"
    found = list(re.finditer(pattern, sentence, re.IGNORECASE))
    if not found:
        return None
    match = choose.choice(found)
    return match.span(), _case_like(swaps[match.group(0).lower()], match.group(0)[0])


def _case_like(word: str, first: str) -> str:
    """``word`` with its first letter's case taken from ``first``."""
    return word[0].upper() + word[1:] if first.isupper() else word[0].lower() + word[1:]
