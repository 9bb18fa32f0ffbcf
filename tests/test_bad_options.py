"""Bad-input catalogue: options, each named in the message where it is parsed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.badinput import Case, compare, corpus, replace, run_case


def _option(name: str, value: str, *says: str) -> Case:
    return Case(f"{name} {value}", lambda root: [*compare(root), name, value], 2, says)


def _finetune(root: Path, *extra: str) -> list[str]:
    folder = corpus(root)
    return [
        "finetune",
        "--corpus",
        str(folder),
        "--domain",
        "legal",
        "--out",
        str(root / "out"),
        *extra,
    ]


CASES = [
    _option("--k", "0", "--k must be at least 1"),
    _option("--k", "ten", "argument --k", "invalid int value"),
    _option("--cutoff", "1.5", "--cutoff must be a cosine similarity"),
    _option("--rbo-p", "1", "--rbo-p must be between 0 and 1"),
    _option("--neighbours", "0", "--neighbours must be at least 1"),
    _option("--neighbours", "10", "--neighbours 10", "the corpus has 5 documents"),
    _option("--seed", "-1", "--seed must be a whole number >= 0"),
    _option("--context-budget", "0", "--context-budget must be a whole number >= 1"),
    _option("--context-budget", "lots", "argument --context-budget", "invalid int value"),
    _option("--context-by", "bm25", "argument --context-by", "invalid choice: 'bm25'"),
    Case(
        "--context-tokenizer of precomputed vectors",
        lambda root: [
            *compare(root),
            "--context-budget",
            "100",
            "--context-tokenizer",
            "vectors:" + str(root / "v.parquet"),
        ],
        2,
        ("--context-tokenizer vectors:", "precomputed vectors have no tokenizer"),
    ),
    Case(
        "--context-tokenizer folder missing",
        lambda root: [
            *compare(root),
            "--context-budget",
            "100",
            "--context-tokenizer",
            str(root / "no-such-model"),
        ],
        2,
        ("no-such-model: model folder not found",),
    ),
    _option("--llm", "gpt-4o", "--llm gpt-4o: only 'default'", "--llm-base-url and --llm-model"),
    _option("--llm-model", "m", "--llm-model and --llm-api-key-env need --llm-base-url"),
    _option(
        "--llm-base-url", "http://127.0.0.1:9/v1", "--llm-model is required with --llm-base-url"
    ),
    Case(
        "--llm-api-key-env names an unset variable",
        lambda root: [
            *compare(root),
            "--llm-base-url",
            "http://127.0.0.1:9/v1",
            "--llm-model",
            "m",
            "--llm-api-key-env",
            "RH_SURELY_UNSET_VARIABLE",
        ],
        2,
        ("--llm-api-key-env RH_SURELY_UNSET_VARIABLE: that environment variable is not set",),
    ),
    _option("--llm-timeout", "0", "--llm-timeout must be a number of seconds above 0"),
    _option("--llm-queries", "0", "argument --llm-queries", "must be at least 1"),
    _option("--max-llm-calls", "-1", "argument --max-llm-calls", "must be at least 0"),
    _option("--batch-size", "0", "argument --batch-size", "must be at least 1"),
    _option("--max-seq-length", "-5", "argument --max-seq-length", "must be at least 1"),
    Case(
        "--max-seq-length beyond the model",
        lambda root: [
            *replace(compare(root), "--baseline", "default"),
            "--max-seq-length",
            "100000",
        ],
        2,
        ("--max-seq-length 100000", "at most 512 tokens"),
    ),
    Case(
        "finetune --epochs 0",
        lambda r: _finetune(r, "--base", "default", "--epochs", "0"),
        2,
        ("argument --epochs",),
    ),
    Case(
        "finetune from vectors",
        lambda r: _finetune(r, "--base", "vectors:" + str(r / "v.parquet")),
        2,
        ("vectors file not found",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_option(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_case(case, tmp_path, capsys)
