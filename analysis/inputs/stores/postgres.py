"""PostgreSQL + pgvector as a store: a table's vector column, read through a server-side
cursor (rows stream in batches; the server holds the result, not this process), in the
order of the id column so the content digest is the same on every read.

``pgvector:postgresql://USER@HOST:PORT/DATABASE?table=NAME[&column=embedding]
[&id-field=id][&password-env=VAR][&socket=DIR][&timeout=10]``: the connection string
carries no password (one in it is refused before anything echoes it); the password comes
from the environment variable ``password-env`` names, as the LLM's key does. ``socket``:
a Unix-socket folder instead of a TCP host.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from analysis.errors import InputError
from analysis.inputs.stores.spec import StoreSpec

_TIMEOUT_S = 10
BATCH = 4096  # rows a fetch (the readers' batch)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?")  # [schema.]table


def pgvector_batches(spec: StoreSpec, batch: int = BATCH) -> Iterator[tuple[list[str], np.ndarray]]:
    """(ids, float32 vectors) ``batch`` rows at a time, ordered by id."""
    column = spec.get("column", "embedding") or "embedding"
    id_field = spec.get("id-field", "id") or "id"
    with _table(spec, [id_field, column]) as (connection, table):
        from psycopg import sql

        query = sql.SQL("SELECT {}, {} FROM {} ORDER BY 1").format(
            sql.Identifier(id_field), sql.Identifier(column), _identifier(table)
        )
        for rows in _stream(connection, query, batch):
            if any(not hasattr(v, "to_numpy") for _, v in rows if v is not None):
                raise InputError(f"pgvector table {table}: column {column!r} holds no vectors")
            missing = [str(i) for i, v in rows if v is None]
            if missing:
                raise InputError(
                    f"pgvector table {table}: row {missing[0]!r} has no vector ({column} is NULL)"
                )
            vectors = np.vstack([v.to_numpy() for _, v in rows]).astype(np.float32, copy=False)
            yield [str(i) for i, _ in rows], vectors


def pgvector_payloads(
    spec: StoreSpec, fields: list[str], batch: int = BATCH
) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Each row's id and the ``fields`` the table has (a field it lacks: absent from every
    row), ``batch`` rows at a time, ordered by id."""
    id_field = spec.get("id-field", "id") or "id"
    with _table(spec, [id_field]) as (connection, table):
        from psycopg import sql

        present = [f for f in dict.fromkeys(fields) if f in _columns(connection, table)]
        present = [f for f in present if f != id_field]
        query = sql.SQL("SELECT {} FROM {} ORDER BY 1").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in [id_field, *present]),
            _identifier(table),
        )
        for rows in _stream(connection, query, batch):
            yield [(str(row[0]), dict(zip(present, row[1:], strict=True))) for row in rows]


def vector_tables(spec: StoreSpec) -> dict[str, tuple[str, ...]]:
    """Every table of the current schema with a pgvector column, and those columns."""
    with _connection(spec) as connection:
        rows = connection.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND udt_name = 'vector' "
            "ORDER BY table_name, ordinal_position"
        ).fetchall()
    tables: dict[str, tuple[str, ...]] = {}
    for table, column in rows:
        tables[table] = (*tables.get(table, ()), column)
    return tables


@contextmanager
def _table(spec: StoreSpec, needed: list[str]) -> Iterator[tuple[Any, str]]:
    """A connection to the spec's database, on an existing table with the ``needed``
    columns (an error names the tables or columns there are)."""
    table = str(spec.get("table"))
    if not _NAME.fullmatch(table):
        raise InputError(f"pgvector: table={table!r} is not a table name ([schema.]name)")
    with _connection(spec) as connection:
        columns = _columns(connection, table)
        if not columns:
            tables = _tables(connection)
            raise InputError(
                f"pgvector: no table {table!r} (the database has: {', '.join(tables) or 'none'})"
            )
        missing = [c for c in needed if c not in columns]
        if missing:
            raise InputError(
                f"pgvector table {table}: no column {missing[0]!r} (it has: {', '.join(columns)})"
            )
        yield connection, table


@contextmanager
def _connection(spec: StoreSpec) -> Iterator[Any]:
    import psycopg
    from pgvector.psycopg import register_vector

    variable = spec.get("password-env")
    password = os.environ.get(variable) if variable else None
    if variable and not password:
        raise InputError(f"pgvector: the environment variable {variable} (password-env) is not set")
    extra: dict[str, Any] = {"connect_timeout": int(spec.get("timeout") or _TIMEOUT_S)}
    if password:
        extra["password"] = password
    if spec.get("socket"):
        extra["host"] = spec.get("socket")
    try:
        connection = psycopg.connect(spec.location, autocommit=False, **extra)
    except psycopg.Error as err:
        said = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"pgvector: cannot connect to {spec.location} ({said})") from None
    try:
        try:
            register_vector(connection)
        except psycopg.ProgrammingError:
            raise InputError(
                f"pgvector: the database at {spec.location} has no vector type (CREATE "
                "EXTENSION vector)"
            ) from None
        yield connection
    finally:
        connection.close()


def _stream(connection: Any, query: Any, batch: int) -> Iterator[list[tuple[Any, ...]]]:
    """The query's rows through a server-side cursor, ``batch`` at a time."""
    with connection.cursor(name="recall_horizon_read", binary=True) as cursor:
        cursor.itersize = batch
        cursor.execute(query)
        while rows := cursor.fetchmany(batch):
            yield rows


def _columns(connection: Any, table: str) -> list[str]:
    schema, _, name = table.rpartition(".")
    rows = connection.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "AND table_schema = COALESCE(NULLIF(%s, ''), current_schema()) ORDER BY ordinal_position",
        (name, schema),
    ).fetchall()
    return [r[0] for r in rows]


def _tables(connection: Any) -> list[str]:
    rows = connection.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]


def _identifier(table: str) -> Any:
    from psycopg import sql

    return sql.Identifier(*table.split("."))
