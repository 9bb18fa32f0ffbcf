"""Turn input files into validated documents, queries and judgments (before assembly).

Validation collects every problem of a file and reports them together, each naming the
file, the line and what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from analysis.errors import InputError, ProblemList
from analysis.inputs.readers import Record, column_names, lines, read_records, read_text

EXAMPLES_SHOWN = 5


@dataclass(frozen=True)
class RawItem:
    """A document or query: its id, the text we embed, its domain (None when not given)."""

    id: str
    text: str
    domain: str | None
    answers: tuple[str, ...] | None = None  # a query's reference answers (None: not given)
    title: str = ""  # a document's title, also the start of ``text`` (BEIR's convention)


@dataclass(frozen=True)
class RawQrel:
    query_id: str
    doc_id: str
    grade: int
    where: str


@dataclass
class RawCorpus:
    docs: list[RawItem]
    queries: list[RawItem] = field(default_factory=list)
    qrels: list[RawQrel] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @staticmethod
    def merge(parts: Iterable[RawCorpus]) -> RawCorpus:
        merged = RawCorpus(docs=[])
        for part in parts:
            merged.docs += part.docs
            merged.queries += part.queries
            merged.qrels += part.qrels
            merged.notices += part.notices
        return merged

    def known_qrels(
        self, query_ids: set[str], doc_ids: set[str], notices: list[str]
    ) -> dict[str, dict[str, int]]:
        """Judgments whose query and document both exist; the others are reported in notices."""
        qrels: dict[str, dict[str, int]] = {}
        unknown_query: list[RawQrel] = []
        unknown_doc: list[RawQrel] = []
        for qrel in self.qrels:
            if qrel.query_id not in query_ids:
                unknown_query.append(qrel)
            elif qrel.doc_id not in doc_ids:
                unknown_doc.append(qrel)
            else:
                qrels.setdefault(qrel.query_id, {})[qrel.doc_id] = qrel.grade
        for bad, what, attr in (
            (unknown_query, "query", "query_id"),
            (unknown_doc, "document", "doc_id"),
        ):
            if bad:
                examples = ", ".join(
                    f"{q.where}: '{getattr(q, attr)}'" for q in bad[:EXAMPLES_SHOWN]
                )
                notices.append(
                    f"{len(bad)} judgment(s) name a {what} id that is not in the corpus and are "
                    f"left out of every metric (e.g. {examples})"
                )
        return qrels


def read_beir_folder(folder: Path, *, split: str, prefix: str | None) -> RawCorpus:
    """Read one BEIR folder; ``prefix`` namespaces ids when several folders are merged."""
    raw = RawCorpus(docs=[])
    docs = _read_items(
        folder / "corpus.jsonl", "_id", None, prefix, titled=True, notices=raw.notices
    )
    # The folder's name is the domain of a plain BEIR collection. When documents name their
    # own domains, a query without one takes the majority domain of its judged documents.
    if not docs:
        raise InputError(f"{folder / 'corpus.jsonl'}: no documents (the file has no records)")
    labelled = [d for d in docs if d.domain]
    if labelled and len(labelled) < len(docs):
        missing = [d.id for d in docs if not d.domain]
        raise InputError(
            f"{folder / 'corpus.jsonl'}: {len(missing)} document(s) have no 'domain' field while "
            f"the others name theirs (e.g. {', '.join(missing[:EXAMPLES_SHOWN])}); give every "
            "document a domain, or none (then the folder's name is the domain)"
        )
    raw.docs = [RawItem(d.id, d.text, d.domain or folder.name, title=d.title) for d in docs]
    queries_file = folder / "queries.jsonl"
    if queries_file.is_file():
        raw.queries = _read_items(
            queries_file,
            "_id",
            None if labelled else folder.name,
            prefix,
            titled=False,
            notices=raw.notices,
        )
    qrels_file = folder / "qrels" / f"{split}.tsv"
    if qrels_file.is_file():
        raw.qrels = _read_trec_style_qrels(qrels_file, prefix)
    elif (folder / "qrels").is_dir():
        found = sorted(p.name for p in (folder / "qrels").glob("*.tsv"))
        raw.notices.append(
            f"{folder / 'qrels'}: no {split}.tsv (found: {', '.join(found) or 'nothing'}); "
            "relevance metrics are off for this folder"
        )
    return raw


def read_flat_tables(docs: Path, queries: Path | None, qrels: Path | None) -> RawCorpus:
    """Read a documents table with optional queries and qrels tables."""
    raw = RawCorpus(docs=[])
    raw.docs = _read_items(
        docs, "id", None, None, titled=True, notices=raw.notices, need_domain=True
    )
    if not raw.docs:
        raise InputError(f"{docs}: no documents (the table has no rows)")
    return with_query_tables(raw, queries, qrels)


def with_query_tables(raw: RawCorpus, queries: Path | None, qrels: Path | None) -> RawCorpus:
    """``raw`` with the queries and judgments of flat tables (documents read elsewhere)."""
    if queries is not None:
        raw.queries = _read_items(queries, "id", None, None, titled=False, notices=raw.notices)
    if qrels is not None:
        trec = qrels.suffix.lower() in (".tsv", ".txt", ".qrels", ".trec")
        raw.qrels = _read_trec_style_qrels(qrels, None) if trec else _read_table_qrels(qrels)
    return raw


def join_title_and_text(title: str, text: str) -> str:
    """BEIR's convention (beir.retrieval.models.SentenceBERT): ``(title + " " + text).strip()``."""
    return (title + " " + text).strip() if title else text.strip()


def _read_items(
    path: Path,
    id_field: str,
    default_domain: str | None,
    prefix: str | None,
    *,
    titled: bool,
    notices: list[str],
    need_domain: bool = False,
) -> list[RawItem]:
    kind = "document" if titled else "query"
    required = [id_field, "text"] + (["domain"] if need_domain else [])
    _check_header(path, required)
    problems = ProblemList(str(path))
    first_seen: dict[str, str] = {}
    items: list[RawItem] = []
    empty: list[str] = []
    for record in read_records(path):
        item = _parse_item(record, id_field, kind, titled, required, problems)
        if item is None:
            continue
        if not item.text:
            empty.append(f"{record.where}: '{item.id}'")
        if item.id in first_seen:
            problems.add(
                f"{record.where}: duplicate {kind} id '{item.id}' "
                f"(first seen at {first_seen[item.id]})"
            )
            continue
        first_seen[item.id] = record.where
        full_id = f"{prefix}/{item.id}" if prefix else item.id
        items.append(
            RawItem(full_id, item.text, item.domain or default_domain, item.answers, item.title)
        )
    problems.raise_if_any()
    if empty:
        notices.append(
            f"{path}: {len(empty)} {kind}(s) have empty text; they are kept (as BEIR does) and "
            f"embedded as an empty string, which no real query should match "
            f"(e.g. {', '.join(empty[:EXAMPLES_SHOWN])})"
        )
    return items


def _parse_item(
    record: Record,
    id_field: str,
    kind: str,
    titled: bool,
    required: list[str],
    problems: ProblemList,
) -> RawItem | None:
    fields = record.fields
    missing = [name for name in required if name not in fields or fields[name] is None]
    if missing:
        problems.add(f"{record.where}: missing field(s) {', '.join(repr(m) for m in missing)}")
        return None
    item_id = _clean_id(fields[id_field])
    if not item_id:
        problems.add(f"{record.where}: empty {kind} id")
        return None
    if any(ch.isspace() for ch in item_id):
        problems.add(
            f"{record.where}: {kind} id '{item_id}' contains whitespace, "
            "which TREC run files cannot hold"
        )
        return None
    values = {name: fields.get(name) for name in ("title", "text", "domain")}
    wrong = [
        f"'{name}' is {_kind_of(value)}"
        for name, value in values.items()
        if value is not None and not isinstance(value, str)
    ]
    if wrong:
        problems.add(f"{record.where}: {', '.join(wrong)}; expected text (a string)")
        return None
    title = _as_text(values["title"]) if titled else ""
    text = join_title_and_text(title, _as_text(values["text"]))
    domain = _as_text(values["domain"]).strip() or None
    if titled and "domain" in fields and domain is None:  # a document's domain left blank
        problems.add(
            f"{record.where}: {kind} '{item_id}' has an empty domain; name one, or leave the "
            "field out where the folder's name should be the domain"
        )
        return None
    answers = None if titled else parse_answers(fields.get("answers"), record.where, problems)
    return RawItem(item_id, text, domain, answers, title.strip())


def parse_answers(value: object, where: str, problems: ProblemList) -> tuple[str, ...] | None:
    """A query's ``answers``: a string or a list of strings (DPR style); None when absent."""
    if value is None:
        return None
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        problems.add(
            f"{where}: 'answers' is {_kind_of(value)}; expected a string or a list of strings"
        )
        return None
    return tuple(v.strip() for v in values if v.strip())


def read_answers_table(path: Path) -> list[tuple[str, str, str]]:
    """``--answers``: (query_id, answer, where) rows; several rows per query allowed."""
    _check_header(path, ["query_id", "answer"])
    problems = ProblemList(str(path))
    rows = []
    for record in read_records(path):
        query_id, answer = _clean_id(record.fields.get("query_id")), record.fields.get("answer")
        if not query_id:
            problems.add(f"{record.where}: missing 'query_id'")
        elif not isinstance(answer, str):
            problems.add(f"{record.where}: 'answer' is {_kind_of(answer)}; expected a string")
        else:
            rows.append((query_id, answer.strip(), record.where))
    problems.raise_if_any()
    return rows


def _kind_of(value: object) -> str:
    return {
        "int": "a number",
        "float": "a number",
        "list": "a list",
        "dict": "an object",
        "NoneType": "missing",
    }.get(type(value).__name__, type(value).__name__)


def _read_trec_style_qrels(path: Path, prefix: str | None) -> list[RawQrel]:
    """BEIR ``query-id corpus-id score`` (with header) or TREC ``qid 0 docid grade`` lines."""
    problems = ProblemList(str(path))
    qrels: list[RawQrel] = []
    for number, line in enumerate(lines(read_text(path)), start=1):
        cells = line.split()
        if not cells or (number == 1 and not _is_integer(cells[-1])):
            continue  # blank line or the header
        where = f"{path.name}, line {number}"
        if len(cells) == 3:
            query_id, doc_id, grade = cells
        elif len(cells) == 4:
            query_id, _, doc_id, grade = cells
        else:
            problems.add(
                f"{where}: expected 3 columns (query-id corpus-id score), got {len(cells)}"
            )
            continue
        qrel = _make_qrel(query_id, doc_id, grade, where, prefix, problems)
        if qrel:
            qrels.append(qrel)
    _check_duplicate_qrels(qrels, problems)
    problems.raise_if_any()
    if not qrels:
        raise InputError(
            f"{path}: no judgments found (only a header line, or nothing); expected "
            "'query-id corpus-id score' lines (BEIR) or 'qid 0 docid grade' lines (TREC)"
        )
    return qrels


def _read_table_qrels(path: Path) -> list[RawQrel]:
    _check_header(path, ["query_id", "doc_id", "grade"])
    problems = ProblemList(str(path))
    qrels: list[RawQrel] = []
    for record in read_records(path):
        fields = record.fields
        missing = [n for n in ("query_id", "doc_id", "grade") if fields.get(n) is None]
        if missing:
            problems.add(f"{record.where}: missing field(s) {', '.join(repr(m) for m in missing)}")
            continue
        qrel = _make_qrel(
            _clean_id(fields["query_id"]),
            _clean_id(fields["doc_id"]),
            fields["grade"],
            record.where,
            None,
            problems,
        )
        if qrel:
            qrels.append(qrel)
    _check_duplicate_qrels(qrels, problems)
    problems.raise_if_any()
    return qrels


def _make_qrel(
    query_id: str,
    doc_id: str,
    grade: object,
    where: str,
    prefix: str | None,
    problems: ProblemList,
) -> RawQrel | None:
    value = _as_integer(grade)
    if value is None:
        problems.add(f"{where}: grade {grade!r} is not an integer")
        return None
    if prefix:
        query_id, doc_id = f"{prefix}/{query_id}", f"{prefix}/{doc_id}"
    return RawQrel(query_id, doc_id, value, where)


def _check_duplicate_qrels(qrels: list[RawQrel], problems: ProblemList) -> None:
    seen: dict[tuple[str, str], str] = {}
    for qrel in qrels:
        key = (qrel.query_id, qrel.doc_id)
        if key in seen:
            problems.add(
                f"{qrel.where}: duplicate judgment for query '{qrel.query_id}' and document "
                f"'{qrel.doc_id}' (first at {seen[key]})"
            )
        else:
            seen[key] = qrel.where


def _check_header(path: Path, required: list[str]) -> None:
    names = column_names(path)
    if names is None:
        return  # JSONL: checked line by line
    missing = [name for name in required if name not in names]
    if missing:
        raise InputError(
            f"{path}: missing required column(s) {', '.join(repr(m) for m in missing)} "
            f"(found: {', '.join(names) or 'no columns'})"
        )


def _clean_id(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Parquet/CSV tools sometimes store integer ids as floats
    return _as_text(value).strip()


def _as_text(value: object) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def _as_integer(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = _as_text(value).strip()
    return int(text) if _is_integer(text) else None


def _is_integer(text: str) -> bool:
    return text.lstrip("+-").isdigit()
