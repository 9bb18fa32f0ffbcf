"""Corpus loading: every layout, domain rules, fingerprints, and each validation message."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import InputError
from analysis.inputs.corpus import UNASSIGNED, load_corpus
from tests.fakes import CLINICAL_DOCS, LEGAL_DOCS, write_beir, write_jsonl


def test_beir_folder_uses_folder_name_as_domain_and_joins_title(tmp_path):
    folder = write_beir(
        tmp_path / "legal",
        LEGAL_DOCS,
        [{"_id": "q1", "text": "contract liability"}],
        [("q1", "l1", 2), ("q1", "l2", 0)],
    )
    corpus = load_corpus(folder)
    assert corpus.doc_ids == ("l1", "l2", "l3")
    assert corpus.doc_texts[0] == "Liability contract liability clause"
    assert corpus.doc_texts[1] == "court contract"  # empty title: text only, no leading space
    assert set(corpus.doc_domains) == {"legal"}
    assert corpus.query_domains == ("legal",)
    assert corpus.qrels == {"q1": {"l1": 2, "l2": 0}}


def test_domain_field_on_records_wins_over_folder_name(tmp_path):
    docs = [dict(d, domain="contracts") for d in LEGAL_DOCS]
    corpus = load_corpus(write_beir(tmp_path / "legal", docs))
    assert set(corpus.doc_domains) == {"contracts"}
    assert corpus.n_queries == 0 and corpus.qrels == {}


def test_folder_of_beir_folders_namespaces_colliding_ids(tmp_path):
    same_ids = [{"_id": "1", "text": "contract"}, {"_id": "2", "text": "court"}]
    write_beir(tmp_path / "legal", same_ids, [{"_id": "1", "text": "q"}], [("1", "2", 1)])
    write_beir(tmp_path / "clinical", same_ids, [{"_id": "1", "text": "q"}], [("1", "1", 1)])
    corpus = load_corpus(tmp_path)
    assert corpus.doc_ids == ("clinical/1", "clinical/2", "legal/1", "legal/2")
    assert corpus.domains == ("clinical", "legal")
    assert corpus.qrels == {"clinical/1": {"clinical/1": 1}, "legal/1": {"legal/2": 1}}


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_flat_tables_in_every_format(tmp_path, suffix):
    docs = pd.DataFrame(
        {
            "id": ["l1", "c1", "c2"],
            "title": ["T", "", ""],
            "text": ["contract", "patient", "dose"],
            "domain": ["legal", "clinical", "clinical"],
        }
    )
    queries = pd.DataFrame({"id": ["q1", "q2", "q3"], "text": ["a", "b", "c"]})
    queries["domain"] = ["legal", "", ""]
    qrels = pd.DataFrame(
        {
            "query_id": ["q1", "q2", "q2", "q2"],
            "doc_id": ["l1", "c1", "c2", "l1"],
            "grade": [1, 2, 1, 1],
        }
    )
    paths = [
        _write_table(frame, tmp_path / f"{name}{suffix}")
        for name, frame in (("docs", docs), ("queries", queries), ("qrels", qrels))
    ]
    corpus = load_corpus(paths[0], queries=paths[1], qrels=paths[2])
    assert corpus.doc_texts == ("T contract", "patient", "dose")
    # q1 has its own domain; q2's judged documents are mostly clinical; q3 has nothing.
    assert corpus.query_domains == ("legal", "clinical", UNASSIGNED)
    assert corpus.qrels["q2"] == {"c1": 2, "c2": 1, "l1": 1}


def test_majority_domain_ignores_zero_grades_and_breaks_ties_alphabetically(tmp_path):
    docs = write_jsonl(
        tmp_path / "d.jsonl",
        [
            {"id": "l1", "text": "a", "domain": "legal"},
            {"id": "c1", "text": "b", "domain": "clinical"},
            {"id": "c2", "text": "c", "domain": "clinical"},
        ],
    )
    queries = write_jsonl(tmp_path / "q.jsonl", [{"id": "q1", "text": "x"}])
    qrels = write_jsonl(
        tmp_path / "r.jsonl",
        [
            {"query_id": "q1", "doc_id": "l1", "grade": 1},
            {"query_id": "q1", "doc_id": "c1", "grade": 1},
            {"query_id": "q1", "doc_id": "c2", "grade": 0},
        ],
    )
    corpus = load_corpus(docs, queries=queries, qrels=qrels)
    assert corpus.query_domains == ("clinical",)  # 1 legal vs 1 clinical: alphabetical


def test_fingerprint_changes_with_any_text_or_domain_and_not_otherwise(tmp_path):
    first = load_corpus(write_beir(tmp_path / "a" / "legal", LEGAL_DOCS))
    again = load_corpus(write_beir(tmp_path / "b" / "legal", LEGAL_DOCS))
    edited = [dict(LEGAL_DOCS[0], text="contract liability clauses"), *LEGAL_DOCS[1:]]
    changed = load_corpus(write_beir(tmp_path / "c" / "legal", edited))
    moved = load_corpus(write_beir(tmp_path / "d" / "other", LEGAL_DOCS))
    assert first.fingerprint == again.fingerprint
    assert len({first.fingerprint, changed.fingerprint, moved.fingerprint}) == 3


# --- validation: each message names the file, the line or id, and the problem -----------


def test_non_utf8_file_names_the_line(tmp_path):
    folder = write_beir(tmp_path / "legal", LEGAL_DOCS)
    raw = (folder / "corpus.jsonl").read_bytes().replace(b"court contract", b"court \xff")
    (folder / "corpus.jsonl").write_bytes(raw)
    with pytest.raises(InputError, match=r"corpus\.jsonl, line 2: not valid UTF-8"):
        load_corpus(folder)


def test_unreadable_file(tmp_path, monkeypatch):
    folder = write_beir(tmp_path / "legal", LEGAL_DOCS)
    real_read_bytes = Path.read_bytes

    def deny(self):
        if self.name == "corpus.jsonl":  # chmod 000 cannot stop root, so simulate it
            raise PermissionError(13, "Permission denied")
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    with pytest.raises(InputError, match=r"corpus\.jsonl: cannot read file \(Permission denied\)"):
        load_corpus(folder)


def test_directory_where_a_file_is_expected(tmp_path):
    folder = write_beir(tmp_path / "legal", LEGAL_DOCS)
    (folder / "queries.jsonl").mkdir()
    # queries.jsonl exists but is a folder: it is not a file, so it is treated as absent
    assert load_corpus(folder).n_queries == 0
    docs = write_jsonl(tmp_path / "docs.jsonl", [{"id": "a", "text": "x", "domain": "d"}])
    with pytest.raises(InputError, match="queries.jsonl: expected a file, found a directory"):
        load_corpus(docs, queries=folder / "queries.jsonl")


def test_missing_corpus_path(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        load_corpus(tmp_path / "nope")
    with pytest.raises(InputError, match="not a corpus"):
        load_corpus(tmp_path)


def test_broken_json_line(tmp_path):
    folder = write_beir(tmp_path / "legal", LEGAL_DOCS)
    with (folder / "corpus.jsonl").open("a") as handle:
        handle.write('{"_id": "l4", "text": "oops"\n')
    with pytest.raises(InputError, match=r"corpus\.jsonl, line 4: not valid JSON"):
        load_corpus(folder)


def test_json_line_that_is_not_an_object(tmp_path):
    folder = write_beir(tmp_path / "legal", LEGAL_DOCS)
    with (folder / "corpus.jsonl").open("a") as handle:
        handle.write('["l4", "text"]\n')
    with pytest.raises(InputError, match=r"line 4: expected a JSON object, got a list"):
        load_corpus(folder)


def test_missing_field_in_jsonl(tmp_path):
    docs = [*LEGAL_DOCS, {"_id": "l4", "body": "no text field"}]
    with pytest.raises(InputError, match=r"corpus\.jsonl, line 4: missing field\(s\) 'text'"):
        load_corpus(write_beir(tmp_path / "legal", docs))


def test_missing_columns_in_csv(tmp_path):
    path = tmp_path / "docs.csv"
    path.write_text("id,body\n1,hello\n", encoding="utf-8")
    with pytest.raises(
        InputError,
        match=r"docs\.csv: missing required column\(s\) 'text', "
        r"'domain' \(found: id, body\)",
    ):
        load_corpus(path)


def test_duplicate_ids_name_both_lines(tmp_path):
    docs = [*LEGAL_DOCS, {"_id": "l2", "text": "again"}]
    with pytest.raises(InputError) as caught:
        load_corpus(write_beir(tmp_path / "legal", docs))
    assert "line 4: duplicate document id 'l2' (first seen at corpus.jsonl, line 2)" in str(
        caught.value
    )


def test_duplicate_query_ids(tmp_path):
    queries = [{"_id": "q1", "text": "a"}, {"_id": "q1", "text": "b"}]
    with pytest.raises(InputError, match=r"queries\.jsonl, line 2: duplicate query id 'q1'"):
        load_corpus(write_beir(tmp_path / "legal", LEGAL_DOCS, queries))


def test_empty_text_is_reported_with_line_and_id_and_kept(tmp_path):
    docs = [*LEGAL_DOCS, {"_id": "l4", "title": "", "text": "  "}]
    corpus = load_corpus(write_beir(tmp_path / "legal", docs))
    assert corpus.n_docs == 4
    assert any("1 document(s) have empty text" in n and "line 4: 'l4'" in n for n in corpus.notices)


def test_all_problems_of_a_file_are_listed_together(tmp_path):
    docs = [{"_id": "", "text": "x"}, {"_id": "a b", "text": "y"}, {"_id": "ok", "text": "z"}]
    with pytest.raises(InputError) as caught:
        load_corpus(write_beir(tmp_path / "legal", docs))
    message = str(caught.value)
    assert "2 problem(s)" in message
    assert "line 1: empty document id" in message
    assert "line 2: document id 'a b' contains whitespace" in message


def test_qrels_with_unknown_ids_are_counted_with_examples_not_dropped_silently(tmp_path):
    qrels = [("q1", "l1", 1), ("q1", "ghost", 1), ("q9", "l1", 1), ("q8", "l2", 1)]
    folder = write_beir(tmp_path / "legal", LEGAL_DOCS, [{"_id": "q1", "text": "a"}], qrels)
    corpus = load_corpus(folder)
    assert corpus.qrels == {"q1": {"l1": 1}}
    notices = " | ".join(corpus.notices)
    assert "2 judgment(s) name a query id that is not in the corpus" in notices
    assert "test.tsv, line 4: 'q9'" in notices
    assert "1 judgment(s) name a document id that is not in the corpus" in notices
    assert "'ghost'" in notices


def test_non_integer_grade_names_the_line(tmp_path):
    folder = write_beir(
        tmp_path / "legal",
        LEGAL_DOCS,
        [{"_id": "q1", "text": "a"}],
        [("q1", "l1", 1), ("q1", "l2", "2.5")],
    )
    with pytest.raises(InputError, match=r"test\.tsv, line 3: grade '2\.5' is not an integer"):
        load_corpus(folder)


def test_non_integer_grade_in_a_table(tmp_path):
    docs = write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "text": "x", "domain": "d"}])
    queries = write_jsonl(tmp_path / "q.jsonl", [{"id": "q", "text": "x"}])
    qrels = tmp_path / "r.csv"
    qrels.write_text("query_id,doc_id,grade\nq,a,high\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"r\.csv, line 2: grade 'high' is not an integer"):
        load_corpus(docs, queries=queries, qrels=qrels)


def test_duplicate_judgment(tmp_path):
    folder = write_beir(
        tmp_path / "legal",
        LEGAL_DOCS,
        [{"_id": "q1", "text": "a"}],
        [("q1", "l1", 1), ("q1", "l1", 2)],
    )
    with pytest.raises(InputError, match=r"line 3: duplicate judgment for query 'q1'"):
        load_corpus(folder)


def test_unsupported_table_type(tmp_path):
    path = tmp_path / "docs.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(InputError, match=r"unsupported file type '\.xlsx'"):
        load_corpus(path)


def test_damaged_parquet(tmp_path):
    path = tmp_path / "docs.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match=r"docs\.parquet: cannot read as Parquet"):
        load_corpus(path)


def test_clinical_fixture_loads_with_queries_but_no_qrels(tmp_path):
    folder = write_beir(tmp_path / "clinical", CLINICAL_DOCS, [{"_id": "q", "text": "dose"}])
    corpus = load_corpus(folder)
    assert corpus.query_domains == ("clinical",) and corpus.qrels == {}


def _write_table(frame: pd.DataFrame, path):
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path, index=False)
    return path


def test_query_without_domain_in_a_labelled_beir_folder_takes_its_judged_majority(tmp_path):
    docs = [
        {"_id": "l1", "text": "a", "domain": "legal"},
        {"_id": "f1", "text": "b", "domain": "finance"},
        {"_id": "f2", "text": "c", "domain": "finance"},
    ]
    queries = [
        {"_id": "q1", "text": "x", "domain": "legal"},
        {"_id": "q2", "text": "y"},
        {"_id": "q3", "text": "z"},
    ]
    qrels = [("q1", "l1", 1), ("q2", "l1", 1), ("q2", "f1", 2), ("q2", "f2", 1)]
    corpus = load_corpus(write_beir(tmp_path / "mixed", docs, queries, qrels))
    assert corpus.query_domains == ("legal", "finance", UNASSIGNED)
