"""Production questions as a comparison's queries: a query log (CSV, TSV, JSONL or
Parquet) with the question's text and, optionally, a timestamp, a count and a domain.

* The text is the first of the columns ``query``, ``question`` or ``text`` the log has.
* Repeated questions are one query: rows whose text is the same after case folding and
  collapsing whitespace are merged, their counts added (a row without ``count`` is one
  ask); the query keeps the first spelling seen and weighs as many asks as it had.
* ``domain``: where rows of one question name different domains, the one with the most
  asks wins (ties: alphabetical), and a notice says how many questions that touched; a
  question with no domain is inferred later, from the baseline's top-k documents
  (:mod:`analysis.inputs.inferred_domains`).
* ``timestamp``: ISO 8601 or seconds since the epoch; the log's span is recorded.
* ``answers``: reference answers (a string or a list; CSV: one string), where the team has
  them: answer coverage is then measured on the logged questions, as for a corpus's.

A query's id is a hash of its text (``log-`` and 16 hex digits); with ``salt`` (the
redaction of ``--redact-queries``) a salted hash, which is then all the bundle keeps of it.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analysis.errors import InputError, ProblemList
from analysis.inputs.corpus import Corpus
from analysis.inputs.parsing import parse_answers
from analysis.inputs.readers import column_names, read_records

TEXT_COLUMNS = ("query", "question", "text")
TO_INFER = ""  # a query's domain before it is inferred
_SPACE = re.compile(r"\s+")
_EPOCH = re.compile(r"-?\d+(\.\d*)?")  # seconds since the epoch, as text


@dataclass(frozen=True)
class LoggedQuestion:
    id: str
    text: str
    asks: int
    domain: str  # TO_INFER when the log names none
    first_seen: str | None = None
    last_seen: str | None = None
    answers: tuple[str, ...] = ()  # reference answers, where the log gives them


@dataclass(frozen=True)
class QueryLog:
    path: str
    rows: int
    questions: tuple[LoggedQuestion, ...]
    notices: tuple[str, ...] = ()
    span: tuple[str, str] | None = None  # the first and last timestamp, ISO 8601 in UTC
    salted: bool = False
    salt_source: str | None = None

    @property
    def asks(self) -> int:
        return sum(q.asks for q in self.questions)

    def record(self) -> dict[str, Any]:
        """What the manifest keeps of the log (never a question's text)."""
        out: dict[str, Any] = {
            "source": "query log",
            "file": self.path,
            "rows": self.rows,
            "questions": len(self.questions),
            "asks": self.asks,
            "merged": "rows whose text is the same after case folding and collapsing "
            "whitespace are one question; its weight is the sum of their counts",
            "domains_given": sum(1 for q in self.questions if q.domain != TO_INFER),
        }
        if self.span is not None:
            out["first_timestamp"], out["last_timestamp"] = self.span
        if self.salted:
            out["redacted"] = {
                "kept": "a salted sha256 of each question (its id) and its domain",
                "salt": self.salt_source,
            }
        return out


@dataclass
class _Merged:
    text: str
    asks: int = 0
    domains: Counter[str] = field(default_factory=Counter)
    times: list[datetime] = field(default_factory=list)
    answers: dict[str, None] = field(default_factory=dict)  # in order, once each


def read_query_log(
    path: str | Path, *, salt: bytes | None = None, salt_source: str = ""
) -> QueryLog:
    """The log's distinct questions, weighted by their asks; an InputError lists every bad
    row (file and line) at once."""
    path = Path(path)
    column = _text_column(path)
    problems = ProblemList(str(path))
    merged: dict[str, _Merged] = {}
    rows = 0
    for record in read_records(path):
        rows += 1
        fields = record.fields
        text = fields.get(column)
        if column not in fields or text is None or not str(text).strip():
            problems.add(f"{record.where}: no question text ({column!r} is empty or missing)")
            continue
        if not isinstance(text, str):
            problems.add(f"{record.where}: {column!r} is {type(text).__name__}; expected text")
            continue
        answers = parse_answers(fields.get("answers"), record.where, problems)
        asks = _count(fields.get("count"), record.where, problems)
        when = _timestamp(fields.get("timestamp"), record.where, problems)
        if asks is None or when is False:
            continue
        key = _SPACE.sub(" ", text).strip().casefold()
        entry = merged.setdefault(key, _Merged(_SPACE.sub(" ", text).strip()))
        entry.asks += asks
        domain = fields.get("domain")
        entry.domains[str(domain).strip() if domain is not None else TO_INFER] += asks
        if isinstance(when, datetime):
            entry.times.append(when)
        entry.answers.update(dict.fromkeys(answers or ()))
    problems.raise_if_any()
    if not merged:
        raise InputError(f"{path}: no questions (the log has no rows)")
    questions, conflicts = [], 0
    for key, entry in merged.items():
        named = Counter({d: n for d, n in entry.domains.items() if d != TO_INFER})
        conflicts += len(named) > 1
        domain = min(named, key=lambda d: (-named[d], d)) if named else TO_INFER
        questions.append(
            LoggedQuestion(
                _question_id(key, salt),
                entry.text,
                entry.asks,
                domain,
                _iso(min(entry.times)) if entry.times else None,
                _iso(max(entry.times)) if entry.times else None,
                tuple(entry.answers),
            )
        )
    times = [t for entry in merged.values() for t in entry.times]
    notices = []
    if conflicts:
        notices.append(
            f"{path}: {conflicts} question(s) were logged under more than one domain; each "
            "takes the domain with the most asks (ties: alphabetical)"
        )
    return QueryLog(
        str(path),
        rows,
        tuple(questions),
        tuple(notices),
        (_iso(min(times)), _iso(max(times))) if times else None,
        salted=salt is not None,
        salt_source=salt_source or None,
    )


def _text_column(path: Path) -> str:
    names = column_names(path)
    if names is None:  # JSONL: the first record's fields
        first = next(iter(read_records(path)), None)
        names = list(first.fields) if first is not None else []
    for name in TEXT_COLUMNS:
        if name in names:
            return name
    raise InputError(
        f"{path}: no question column; name it one of {', '.join(TEXT_COLUMNS)} "
        f"(found: {', '.join(names) or 'no columns'})"
    )


def _question_id(key: str, salt: bytes | None) -> str:
    digest = hashlib.sha256((salt or b"") + key.encode("utf-8")).hexdigest()
    return f"log-{digest[:16]}"


def _count(value: object, where: str, problems: ProblemList) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 1
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = float("nan")
    if not number.is_integer() or number < 1:
        problems.add(f"{where}: count {value!r} is not a whole number of asks (1 or more)")
        return None
    return int(number)


def _timestamp(value: object, where: str, problems: ProblemList) -> datetime | None | bool:
    """The row's time in UTC; None when absent; False (and a problem) when unreadable."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        if isinstance(value, int | float) or _EPOCH.fullmatch(str(value).strip()):
            return datetime.fromtimestamp(float(value), tz=UTC)  # type: ignore[arg-type]
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        problems.add(
            f"{where}: timestamp {value!r} is neither ISO 8601 nor seconds since the epoch"
        )
        return False
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def with_logged_questions(corpus: Corpus, log: QueryLog) -> Corpus:
    """``corpus``'s documents with the log's questions as its queries (their domains to
    infer where the log names none). The corpus's own queries, judgments and answers
    belong to its own queries, so they are set aside (the log's own answers, where it has
    them, take their place); the record says how many
    (``set_aside``), and ``set_aside_sentence`` says it to the user: a choice the user made,
    not a problem of the corpus (``--strict`` does not refuse it)."""
    questions = log.questions
    record = log.record()
    if corpus.n_queries:
        record["set_aside"] = {"queries": corpus.n_queries, "judgments": corpus.n_judgments()}
    return replace(
        corpus,
        query_ids=tuple(q.id for q in questions),
        query_texts=tuple(q.text for q in questions),
        query_domains=tuple(q.domain for q in questions),
        qrels={},
        answers={q.id: q.answers for q in questions if q.answers},
        notices=(*corpus.notices, *log.notices),
        query_weights=tuple(q.asks for q in questions),
        query_source=record,
    )


def set_aside_sentence(record: Mapping[str, Any]) -> str | None:
    """What the log set aside of the corpus, in words (None: nothing)."""
    aside = record.get("set_aside")
    if not aside:
        return None
    return (
        f"the corpus's own {aside['queries']} queries, {aside['judgments']} judgments and "
        f"their reference answers are set aside: the questions come from {record['file']}"
    )
