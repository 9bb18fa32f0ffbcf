"""Bad-input catalogue: corpora (BEIR folders, folders of them, flat tables) and judgments."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.badinput import (
    Case,
    compare,
    corpus,
    corpus_line,
    replace,
    run_case,
    vector_ids,
    vectors,
)


def _line(domain: str, line: str) -> object:
    def setup(root: Path) -> list[str]:
        corpus_line(root, domain, line)
        return compare(root)

    return setup


def _doc(**fields: object) -> str:
    return json.dumps({"_id": "x9", "title": "", "text": "extra", **fields})


def _corpus_file(root: Path, content: bytes) -> list[str]:
    (corpus(root) / "legal" / "corpus.jsonl").write_bytes(content)
    return compare(root)


def _qrels(root: Path, lines: str) -> list[str]:
    (corpus(root) / "legal" / "qrels" / "test.tsv").write_text(lines, encoding="utf-8")
    return compare(root)


def _labelled(root: Path, docs: list[dict]) -> list[str]:
    folder = root / "corpus"
    folder.mkdir()
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    return compare(root)


def _skipped_folder(root: Path, *extra: str) -> list[str]:
    (corpus(root) / "finance").mkdir()
    (corpus(root) / "finance" / "queries.jsonl").write_text('{"_id": "q1", "text": "tax"}\n')
    return compare(root, *extra)


def _flat(root: Path, documents: pd.DataFrame | str, name: str = "docs.csv") -> list[str]:
    path = root / name
    if isinstance(documents, str):
        path.write_text(documents, encoding="utf-8")
    elif name.endswith(".parquet"):
        documents.to_parquet(path)
    else:
        documents.to_csv(path, index=False)
    return replace(compare(root), "--corpus", str(path))


def _no_corpus(root: Path) -> list[str]:
    (root / "empty").mkdir()
    return replace(compare(root), "--corpus", str(root / "empty"))


def _answers_of(value: object) -> object:
    """legal/q0 gets ``answers`` = value in queries.jsonl."""

    def setup(root: Path) -> list[str]:
        path = corpus(root) / "legal" / "queries.jsonl"
        records = [json.loads(line) for line in path.read_text().splitlines()]
        records[0]["answers"] = value
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
        return compare(root)

    return setup


def _answers_table(root: Path, content: str | None, *extra: str) -> list[str]:
    path = root / "answers.csv"
    if content is not None:
        path.write_text(content)
    return [*compare(root), "--answers", str(path), *extra]


def _queries_for_beir(root: Path) -> list[str]:
    return [*compare(root), "--queries", str(root / "q.csv")]


def _empty_text(root: Path) -> list[str]:
    path = corpus(root) / "legal" / "corpus.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    records[1]["text"] = ""
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return compare(root)


def _separator_in_text(root: Path) -> list[str]:
    # U+2028 and U+0085 are legal inside a JSON string; the line must still read as one record
    docs = [{"_id": "l1", "title": "", "text": "contract\u2028liability\x85clause"}]
    path = corpus(root) / "legal" / "corpus.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(json.dumps(docs[0], ensure_ascii=False) + "\n" + "".join(lines[1:]))
    return compare(root)


def _negative_grade(root: Path) -> list[str]:
    """legal/q0 judges l1 at -1 and l2 at 1, and its vector is l1's: l1 ranks first."""
    ids = vector_ids()
    matrix = np.random.default_rng(3).normal(size=(len(ids), 8))
    matrix[ids.index("query:legal/q0")] = matrix[ids.index("legal/l1")]
    spec = vectors(root, "base", matrix=matrix)
    args = _qrels(root, "q\td\ts\nq0\tl1\t-1\nq0\tl2\t1\nq1\tl2\t1\n")
    return replace(replace(args, "--baseline", spec), "--candidate", spec)


def _no_negative_relevance(root: Path) -> None:
    """A grade below 0 gives no negative gain (trec_eval): every nDCG stays within [0, 1]."""
    queries = pd.read_parquet(root / "out" / "queries.parquet")
    assert queries["ndcg@10_baseline"].dropna().between(0.0, 1.0).all()


CASES = [
    Case("corpus not UTF-8", lambda r: _corpus_file(r, b"\xff\xfe{}\n"), 2, ("not valid UTF-8",)),
    Case("broken JSON line", _line("legal", '{"_id": "x9", "text": '), 2, ("not valid JSON",)),
    Case(
        "a JSON array, not JSON Lines",
        lambda r: _corpus_file(r, b'[{"_id": "a", "text": "b"},\n{"_id": "c", "text": "d"}]\n'),
        2,
        ("one JSON object per line",),
    ),
    Case("a JSON list on a line", _line("legal", "[1, 2]"), 2, ("expected a JSON object",)),
    Case("document without id", _line("legal", '{"text": "x"}'), 2, ("missing field(s) '_id'",)),
    Case("duplicate document id", _line("legal", _doc(_id="l1")), 2, ("duplicate document id",)),
    Case("id with whitespace", _line("legal", _doc(_id="a b")), 2, ("contains whitespace",)),
    Case("text is a number", _line("legal", _doc(text=123)), 2, ("'text' is a number",)),
    Case("title is a list", _line("legal", _doc(title=["a"])), 2, ("'title' is a list",)),
    Case(
        "document domain is null",
        lambda r: _labelled(
            r,
            [
                {"_id": "a", "text": "x", "domain": "legal"},
                {"_id": "b", "text": "y", "domain": None},
            ],
        ),
        2,
        ("'b' has an empty domain",),
    ),
    Case(
        "some documents unlabelled",
        lambda r: _labelled(
            r, [{"_id": "a", "text": "x", "domain": "legal"}, {"_id": "b", "text": "y"}]
        ),
        2,
        ("have no 'domain' field while the others",),
    ),
    Case("empty corpus.jsonl", lambda r: _corpus_file(r, b""), 2, ("no documents",)),
    Case("not a corpus folder", _no_corpus, 2, ("not a corpus",)),
    Case(
        "sub-folder without corpus.jsonl",
        _skipped_folder,
        0,
        ("finance: no corpus.jsonl, so this folder is left out",),
    ),
    Case(
        "sub-folder without corpus.jsonl, --strict",
        lambda r: _skipped_folder(r, "--strict"),
        2,
        ("--strict", "left out"),
    ),
    Case(
        "Unicode line separators inside text",
        _separator_in_text,
        0,
        (),
    ),
    Case("empty text", _empty_text, 0, ("have empty text",)),
    Case(
        "grade not an integer",
        lambda r: _qrels(r, "q\td\ts\nq0\tl1\thigh\n"),
        2,
        ("is not an integer",),
    ),
    Case(
        "duplicate judgment",
        lambda r: _qrels(r, "q\td\ts\nq0\tl1\t1\nq0\tl1\t2\n"),
        2,
        ("duplicate judgment",),
    ),
    Case(
        "qrels with 5 columns",
        lambda r: _qrels(r, "q\td\ts\nq0 0 l1 1 x\n"),
        2,
        ("expected 3 columns",),
    ),
    Case(
        "qrels with a header only",
        lambda r: _qrels(r, "query-id\tcorpus-id\tscore\n"),
        2,
        ("no judgments found",),
    ),
    Case("a negative grade", _negative_grade, 0, (), verify=_no_negative_relevance),
    Case(
        "qrels that are not qrels", lambda r: _qrels(r, "hello world\n"), 2, ("no judgments found",)
    ),
    Case(
        "judgment for an unknown document",
        lambda r: _qrels(r, "q\td\ts\nq0\tghost\t1\nq1\tl2\t1\n"),
        0,
        ("judgment(s) name a document id",),
    ),
    Case(
        "unknown document, --strict",
        lambda r: [*_qrels(r, "q\td\ts\nq0\tghost\t1\nq1\tl2\t1\n"), "--strict"],
        2,
        ("--strict",),
    ),
    Case("flat table with no rows", lambda r: _flat(r, "id,text,domain\n"), 2, ("no documents",)),
    Case(
        "flat table without domain column",
        lambda r: _flat(r, "id,text\na,x\n"),
        2,
        ("missing required column(s) 'domain'",),
    ),
    Case(
        "flat table with a blank domain",
        lambda r: _flat(r, "id,text,domain\na,x,legal\nb,y,\n"),
        2,
        ("'b' has an empty domain",),
    ),
    Case(
        "parquet text column of integers",
        lambda r: _flat(
            r, pd.DataFrame({"id": ["a"], "text": [123], "domain": ["x"]}), "d.parquet"
        ),
        2,
        ("'text' is a number",),
    ),
    Case(
        "unsupported table type",
        lambda r: _flat(r, "x", "docs.xlsx"),
        2,
        ("unsupported file type",),
    ),
    Case("--queries with a BEIR folder", _queries_for_beir, 2, ("are for flat tables",)),
    Case("answers is a number", _answers_of(42), 2, ("'answers' is a number",)),
    Case("answers holds a number", _answers_of(["x", 1]), 2, ("'answers' is a list",)),
    Case("answers is an empty list", _answers_of([]), 0, ("'answers' field with no answer",)),
    Case("answers table missing", lambda r: _answers_table(r, None), 2, ("file not found",)),
    Case(
        "answers table without answer column",
        lambda r: _answers_table(r, "query_id,text\nlegal/q0,x\n"),
        2,
        ("missing required column(s) 'answer'",),
    ),
    Case(
        "answer for an unknown query",
        lambda r: _answers_table(r, "query_id,answer\nghost,x\nlegal/q0,court\n"),
        0,
        ("answer(s) name a query id that is not in the corpus",),
    ),
    Case(
        "answer for an unknown query, --strict",
        lambda r: _answers_table(r, "query_id,answer\nghost,x\n", "--strict"),
        2,
        ("--strict",),
    ),
    Case(
        "corpus path missing",
        lambda r: replace(compare(r), "--corpus", str(r / "nowhere")),
        2,
        ("no such file or folder",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_corpus(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_case(case, tmp_path, capsys)


def test_a_line_separator_does_not_split_a_record(tmp_path: Path) -> None:
    from analysis.inputs.corpus import load_corpus

    _separator_in_text(tmp_path)
    loaded = load_corpus(tmp_path / "corpus")
    assert "contract\u2028liability\x85clause" in loaded.doc_texts
    shutil.rmtree(tmp_path / "corpus")
