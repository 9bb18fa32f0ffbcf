"""The command line end to end on precomputed vectors (fast, no model)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.inputs.cache import EmbeddingCache
from analysis.inputs.corpus import load_corpus
from analysis.inputs.embed import embed_corpus
from analysis.inputs.vectors import write_vectors as write_corpus_vectors
from tests.fakes import CLINICAL_DOCS, LEGAL_DOCS, KeywordEmbedder, compare_args, write_beir

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def two_domain_corpus(tmp_path) -> Path:
    root = tmp_path / "corpus"
    write_beir(
        root / "legal", LEGAL_DOCS, [{"_id": "q1", "text": "contract liability"}], [("q1", "l1", 2)]
    )
    write_beir(
        root / "clinical", CLINICAL_DOCS, [{"_id": "q1", "text": "patient dose"}], [("q1", "c1", 1)]
    )
    return root


def write_vectors(corpus_path: Path, out: Path) -> Path:
    """Keyword-embedder vectors of the corpus, written the way ``analysis embed`` writes them."""
    corpus = load_corpus(corpus_path)
    vectors = embed_corpus(
        corpus, KeywordEmbedder(), cache=EmbeddingCache(out.parent / "cache"), label="fake"
    )
    write_corpus_vectors(out, corpus, vectors)
    return out


def test_compare_writes_trec_runs_summary_and_table(two_domain_corpus, tmp_path, capsys):
    vectors = write_vectors(two_domain_corpus, tmp_path / "v.parquet")
    out = tmp_path / "out"
    code = main(
        compare_args(
            str(two_domain_corpus), f"vectors:{vectors}", f"vectors:{vectors}", str(out), "--k", "2"
        )
    )
    assert code == 0
    lines = (out / "runs" / "baseline.trec").read_text().splitlines()
    assert lines[0].split() == [
        "clinical/q1",
        "Q0",
        "clinical/c1",
        "1",
        lines[0].split()[4],
        "baseline",
    ]
    ranks = [line.split()[3] for line in lines]
    assert ranks == ["1", "2", "1", "2"]
    assert all(len(line.split()) == 6 for line in lines)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["domains"]["legal"]["n_docs"] == 3
    assert summary["domains"]["clinical"]["n_queries"] == 1
    assert (summary["overall"]["n_docs"], summary["overall"]["n_queries"]) == (5, 2)
    assert summary["overall"]["quality"]["n_judged_queries"] == 2
    for table in ("queries", "documents", "changes", "threshold_pairs", "horizon_curve"):
        assert (out / f"{table}.parquet").is_file()
    assert len(pd.read_parquet(out / "documents.parquet")) == 5
    manifest = summary["manifest"]
    assert manifest["corpus"]["fingerprint"] == load_corpus(two_domain_corpus).fingerprint
    assert manifest["models"]["baseline"]["dimension"] == len(KeywordEmbedder().vocabulary)
    assert manifest["k"] == 2 and "numpy" in manifest["versions"]
    table = capsys.readouterr().out
    assert "clinical" in table and "legal" in table and "(all)" in table
    # precomputed vectors are read, neither encoded nor served from the cache
    assert "14 read from vectors files" in table and "encoded" not in table
    assert (out / "qrels.trec").read_text().splitlines() == [
        "clinical/q1 0 clinical/c1 1",
        "legal/q1 0 legal/l1 2",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--corpus", "/nonexistent/x"], "/nonexistent/x: no such file or folder"),
        (["--k", "0"], "--k must be at least 1"),
        (["--baseline", "vectors:/nonexistent.parquet"], "vectors file not found"),
        (["--baseline", "./no/such/model"], "model folder not found"),
    ],
)
def test_bad_input_exits_2_with_a_message_not_a_traceback(
    two_domain_corpus, tmp_path, capsys, args, message
):
    vectors = write_vectors(two_domain_corpus, tmp_path / "v.parquet")
    options = dict(zip(args[::2], args[1::2], strict=True))
    corpus = options.pop("--corpus", str(two_domain_corpus))
    baseline = options.pop("--baseline", f"vectors:{vectors}")
    extra = [x for pair in options.items() for x in pair]
    code = main(compare_args(corpus, baseline, f"vectors:{vectors}", tmp_path / "o", *extra))
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_vectors_not_covering_the_corpus_is_a_clear_error(two_domain_corpus, tmp_path, capsys):
    path = tmp_path / "partial.parquet"
    pd.DataFrame({"id": ["legal/l1"], "embedding": [[1.0, 0.0]]}).to_parquet(path)
    code = main(
        compare_args(
            str(two_domain_corpus), f"vectors:{path}", f"vectors:{path}", str(tmp_path / "o")
        )
    )
    err = capsys.readouterr().err
    assert code == 2 and "no vector for 4 document id(s)" in err


def test_vector_rows_the_corpus_does_not_use_are_counted_not_dropped_in_silence(
    two_domain_corpus, tmp_path, capsys
):
    vectors = write_vectors(two_domain_corpus, tmp_path / "v.parquet")
    table = pd.read_parquet(vectors)
    extra = pd.DataFrame(
        {"id": ["other/x1", "other/x2"], "embedding": list(table["embedding"][:2])}
    )
    wider = tmp_path / "wider.parquet"
    pd.concat([table, extra], ignore_index=True).to_parquet(wider)
    code = main(
        compare_args(
            str(two_domain_corpus), f"vectors:{vectors}", f"vectors:{wider}", tmp_path / "o"
        )
    )
    err = capsys.readouterr().err
    assert code == 0
    assert (
        "candidate (vectors:" in err and "2 vector rows have ids that are not in the corpus" in err
    )
    assert "baseline (vectors:" not in err  # the baseline's file holds the corpus exactly


def test_strict_turns_notices_into_errors(tmp_path, capsys):
    folder = write_beir(
        tmp_path / "legal", LEGAL_DOCS, [{"_id": "q1", "text": "x"}], [("q1", "ghost", 1)]
    )
    vectors = write_vectors(folder, tmp_path / "v.parquet")
    args = compare_args(
        str(folder), f"vectors:{vectors}", f"vectors:{vectors}", str(tmp_path / "o")
    )
    assert main(args) == 0
    assert "warning: 1 judgment(s) name a document id" in capsys.readouterr().err
    assert main([*args, "--strict"]) == 2


def test_module_entry_point_prints_no_traceback_on_bad_input(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "compare",
            "--corpus",
            str(tmp_path / "missing"),
            "--baseline",
            "default",
            "--candidate",
            "default",
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 2
    assert "no such file or folder" in result.stderr and "Traceback" not in result.stderr


def test_same_inputs_give_identical_summary_apart_from_the_timestamp(two_domain_corpus, tmp_path):
    vectors = write_vectors(two_domain_corpus, tmp_path / "v.parquet")
    texts = []
    for name in ("a", "b"):
        args = compare_args(
            str(two_domain_corpus), f"vectors:{vectors}", f"vectors:{vectors}", str(tmp_path / name)
        )
        assert main(args) == 0
        summary = json.loads((tmp_path / name / "summary.json").read_text())
        summary["manifest"].pop("created_at")
        texts.append(json.dumps(summary, sort_keys=True))
    assert texts[0] == texts[1]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--cutoff", "1.5", "--cutoff must be a cosine similarity"),
        ("--rbo-p", "1", "--rbo-p must be between 0 and 1"),
        ("--neighbours", "0", "--neighbours must be at least 1"),
    ],
)
def test_bad_options_name_the_option(two_domain_corpus, tmp_path, capsys, option, value, message):
    vectors = write_vectors(two_domain_corpus, tmp_path / "v.parquet")
    code = main(
        compare_args(
            str(two_domain_corpus),
            f"vectors:{vectors}",
            f"vectors:{vectors}",
            str(tmp_path / "o"),
            option,
            value,
        )
    )
    assert code == 2 and message in capsys.readouterr().err


def test_unwritable_output_is_a_clear_error(two_domain_corpus, tmp_path, capsys):
    vectors = write_vectors(two_domain_corpus, tmp_path / "v.parquet")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code = main(
        compare_args(
            str(two_domain_corpus), f"vectors:{vectors}", f"vectors:{vectors}", str(blocker / "out")
        )
    )
    err = capsys.readouterr().err
    assert code == 2 and "a-file" in err and "Traceback" not in err
