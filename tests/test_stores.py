"""Vector stores as model sources, each in its real embedded mode (Qdrant's local mode, a
FAISS index file, a LanceDB folder, Chroma's persistent client): a comparison from a store
gives the numbers the same comparison gives from Parquet vectors, and bad store input is a
clear error before anything is written."""

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
from tests.dashboard_fixture import build, setup_page_on
from tests.fakes import compare_args

pytest.importorskip("qdrant_client")


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """The fixture's two models' document vectors in one Qdrant collection (named vectors,
    a dual-write migration) and each in a FAISS flat index, beside the Parquet files."""
    import faiss
    from qdrant_client import QdrantClient, models

    root = tmp_path_factory.mktemp("stores")
    specs = build(root)
    tables = {
        name: pd.read_parquet(specs[name].removeprefix("vectors:"))
        for name in ("baseline", "candidate")
    }
    docs = {
        name: table[~table["id"].str.startswith("query:")].reset_index(drop=True)
        for name, table in tables.items()
    }
    ids = list(docs["baseline"]["id"])
    corpus = load_corpus(specs["corpus"])
    texts = dict(zip(corpus.doc_ids, corpus.doc_texts, strict=True))
    domains = dict(zip(corpus.doc_ids, corpus.doc_domains, strict=True))
    vectors = {
        name: np.vstack(table["embedding"].to_numpy()).astype(np.float32)
        for name, table in docs.items()
    }
    client = QdrantClient(path=str(root / "qdrant"))
    size = vectors["baseline"].shape[1]
    client.create_collection(
        "docs",
        vectors_config={
            "old": models.VectorParams(size=size, distance=models.Distance.DOT),  # kept as given
            "new": models.VectorParams(size=size, distance=models.Distance.DOT),
        },
    )
    client.upsert(
        "docs",
        points=[
            models.PointStruct(
                id=n,
                vector={
                    "old": vectors["baseline"][n].tolist(),
                    "new": vectors["candidate"][n].tolist(),
                },
                payload={"doc_id": doc_id, "body": texts[doc_id], "area": domains[doc_id]},
            )
            for n, doc_id in enumerate(ids)
        ],
    )
    client.close()
    _edge_shard(root / "edge", ids, vectors, texts, domains)
    (root / "ids.txt").write_text("\n".join(ids) + "\n")
    _lancedb_and_chroma(root, ids, vectors, texts, domains)
    for name in ("baseline", "candidate"):
        index = faiss.IndexFlatIP(size)
        index.add(vectors[name])
        faiss.write_index(index, str(root / f"{name}.faiss"))
    return root, specs


def _edge_shard(
    folder: Path,
    ids: list[str],
    vectors: dict[str, np.ndarray],
    texts: dict[str, str],
    domains: dict[str, str],
) -> None:
    """The same collection as a Qdrant Edge shard (the server's storage format, in files)."""
    from qdrant_edge import (
        Distance,
        EdgeConfig,
        EdgeShard,
        EdgeVectorParams,
        Point,
        UpdateOperation,
    )

    size = vectors["baseline"].shape[1]
    params = {name: EdgeVectorParams(size=size, distance=Distance.Dot) for name in ("old", "new")}
    shard = EdgeShard.create(str(folder), EdgeConfig(vectors=params))
    points = [
        Point(
            id=n,
            vector={
                "old": vectors["baseline"][n].tolist(),
                "new": vectors["candidate"][n].tolist(),
            },
            payload={"doc_id": doc_id, "body": texts[doc_id], "area": domains[doc_id]},
        )
        for n, doc_id in enumerate(ids)
    ]
    shard.update(UpdateOperation.upsert_points(points))
    shard.flush()
    shard.close()


def _lancedb_and_chroma(
    root: Path,
    ids: list[str],
    vectors: dict[str, np.ndarray],
    texts: dict[str, str],
    domains: dict[str, str],
) -> None:
    import chromadb
    import lancedb
    import pyarrow as pa
    from chromadb.config import Settings

    db = lancedb.connect(str(root / "lance"))
    chroma = chromadb.PersistentClient(
        path=str(root / "chroma"), settings=Settings(anonymized_telemetry=False)
    )
    payload = {"text": [texts[i] for i in ids], "domain": [domains[i] for i in ids]}
    for name, matrix in vectors.items():
        flat = pa.array(matrix.ravel())
        column = pa.FixedSizeListArray.from_arrays(flat, matrix.shape[1])
        db.create_table(name, data=pa.table({"id": ids, "vector": column, **payload}))
        collection = chroma.create_collection(name, embedding_function=None)
        collection.add(
            ids=ids,
            embeddings=matrix,
            documents=payload["text"],
            metadatas=[{"domain": d} for d in payload["domain"]],
        )
    # one document short and one the corpus lacks: a store that disagrees on ids
    shifted = [*ids[1:], "legal/extra"]
    rows = np.vstack([vectors["candidate"][1:], vectors["candidate"][:1]])
    column = pa.FixedSizeListArray.from_arrays(pa.array(rows.ravel()), rows.shape[1])
    db.create_table("shifted", data=pa.table({"id": shifted, "vector": column}))


def _numbers(out: Path) -> dict:
    summary = json.loads((out / "summary.json").read_text())
    return {key: value for key, value in summary.items() if key != "manifest"}


def _qdrant(root: Path, vector: str, queries: str) -> str:
    where = f"qdrant:{root / 'qdrant'}?collection=docs&allow-pickle=yes&vector={vector}"
    return f"{where}&id-field=doc_id&queries={queries}"


def test_a_comparison_from_each_store_equals_the_one_from_parquet(stores, tmp_path):
    root, specs = stores
    expected = tmp_path / "parquet"
    assert (
        main(
            [
                *compare_args(specs["corpus"], specs["baseline"], specs["candidate"], expected),
                "--k",
                "3",
            ]
        )
        == 0
    )
    sides = {
        "qdrant": (
            _qdrant(root, "old", specs["baseline"]),
            _qdrant(root, "new", specs["candidate"]),
        ),
        "qdrant-snapshot": tuple(
            f"qdrant-snapshot:{root / 'edge'}?vector={vector}&id-field=doc_id&queries={specs[name]}"
            for vector, name in (("old", "baseline"), ("new", "candidate"))
        ),
        "faiss": tuple(
            f"faiss:{root / f'{name}.faiss'}?ids={root / 'ids.txt'}&queries={specs[name]}"
            for name in ("baseline", "candidate")
        ),
        "lancedb": tuple(
            f"lancedb:{root / 'lance'}?table={name}&queries={specs[name]}"
            for name in ("baseline", "candidate")
        ),
        "chroma": tuple(
            f"chroma:{root / 'chroma'}?collection={name}&queries={specs[name]}"
            for name in ("baseline", "candidate")
        ),
    }
    for store, (baseline, candidate) in sides.items():
        out = tmp_path / store
        assert main([*compare_args(specs["corpus"], baseline, candidate, out), "--k", "3"]) == 0
        assert _numbers(out) == _numbers(expected), store
        manifest = json.loads((out / "summary.json").read_text())["manifest"]
        assert store in json.dumps(manifest)


def _query_tables(corpus_dir: str, folder: Path) -> tuple[Path, Path]:
    """The BEIR fixture's queries and judgments as flat tables (for a corpus from a store)."""
    corpus = load_corpus(corpus_dir)
    queries = folder / "queries.jsonl"
    queries.write_text(
        "".join(
            json.dumps({"id": q, "text": t, "domain": d}) + "\n"
            for q, t, d in zip(
                corpus.query_ids, corpus.query_texts, corpus.query_domains, strict=True
            )
        )
    )
    qrels = folder / "qrels.csv"
    rows = [(q, d, g) for q, judged in corpus.qrels.items() for d, g in judged.items()]
    pd.DataFrame(rows, columns=["query_id", "doc_id", "grade"]).to_csv(qrels, index=False)
    return queries, qrels


def test_the_corpus_read_from_a_stores_payload_gives_the_folders_numbers(stores, tmp_path):
    root, specs = stores
    queries, qrels = _query_tables(specs["corpus"], tmp_path)
    expected = tmp_path / "folder"
    args = compare_args(specs["corpus"], specs["baseline"], specs["candidate"], expected)
    assert main([*args, "--k", "3"]) == 0
    corpora = {
        "qdrant": f"qdrant:{root / 'qdrant'}?collection=docs&allow-pickle=yes",  # fields: options
        "lancedb": f"lancedb:{root / 'lance'}?table=baseline",
        "chroma": f"chroma:{root / 'chroma'}?collection=baseline",
        "qdrant-snapshot": f"qdrant-snapshot:{root / 'edge'}",
    }
    mapped = ["--id-field", "doc_id", "--text-field", "body", "--domain-field", "area"]
    fields = {"qdrant": mapped, "qdrant-snapshot": mapped}
    for store, corpus in corpora.items():
        out = tmp_path / store
        args = compare_args(corpus, specs["baseline"], specs["candidate"], out)
        extra = ["--queries", str(queries), "--qrels", str(qrels), *fields.get(store, [])]
        assert main([*args, "--k", "3", *extra]) == 0, store
        assert _numbers(out) == _numbers(expected), store


def test_two_stores_that_disagree_on_ids_say_how_many_and_which(stores, tmp_path, capsys):
    root, specs = stores
    queries, _ = _query_tables(specs["corpus"], tmp_path)
    corpus = f"lancedb:{root / 'lance'}?table=baseline"
    candidate = f"lancedb:{root / 'lance'}?table=shifted&queries={specs['candidate']}"
    out = tmp_path / "out"
    args = compare_args(corpus, specs["baseline"], candidate, out)
    assert main([*args, "--queries", str(queries)]) == 2
    err = capsys.readouterr().err
    assert "disagree on ids" in err and "no vector for 1 document id(s)" in err
    assert "1 point(s) that are no document of the corpus (e.g. 'legal/extra')" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("corpus", "message"),
    [
        (
            "qdrant:{root}/qdrant?collection=docs&allow-pickle=yes",
            "has no payload field 'text' (text-field)",
        ),
        (
            "qdrant:{root}/qdrant?collection=docs&allow-pickle=yes&text-field=body&domain-field=doc_id"
            "&title-field=area&id-field=nothing",
            "has no payload field 'nothing' (id-field)",
        ),
        ("lancedb:{root}/lance?table=shifted", "has no payload field 'text'"),
        ("faiss:{root}/baseline.faiss?ids={root}/ids.txt", "holds vectors and no payload"),
    ],
)
def test_a_store_corpus_without_the_mapped_fields_names_the_point_and_field(
    stores, corpus, message
):
    root, _ = stores
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_corpus(corpus.format(root=root))


def test_the_fingerprint_names_the_store_and_changes_with_its_vectors(stores):
    root, specs = stores
    old = resolve_source(_qdrant(root, "old", specs["baseline"]))
    new = resolve_source(_qdrant(root, "new", specs["baseline"]))
    assert old.fingerprint.startswith("qdrant-docs-old-")
    assert old.fingerprint != new.fingerprint
    edge = resolve_source(f"qdrant-snapshot:{root / 'edge'}?vector=old&id-field=doc_id")
    assert edge.fingerprint.startswith("qdrant-snapshot-") and edge.fingerprint != old.fingerprint


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "qdrant:{root}/qdrant?collection=nope&allow-pickle=yes&queries=default",
            "no collection 'nope' (it has: docs)",
        ),
        ("qdrant:{root}/qdrant?collection=docs&allow-pickle=yes", "pick one with vector=NAME"),
        ("qdrant:{root}/qdrant?collection=docs&allow-pickle=yes&vector=x", "no vector named 'x'"),
        ("qdrant:{root}/qdrant?collection=docs&vector=old", "add allow-pickle=yes to the spec"),
        ("qdrant:{root}/missing?collection=docs", "is not a qdrant folder"),
        ("qdrant:{root}/qdrant?vector=old", "collection=... is required"),
        ("qdrant:{root}/qdrant?collection=docs&colour=red", "unknown option 'colour'"),
        ("qdrant-snapshot:{root}/edge?queries=default", "pick one with vector=NAME"),
        ("qdrant-snapshot:{root}/edge?vector=x&queries=default", "has no vector named 'x'"),
        ("qdrant-snapshot:{root}/ids.txt?vector=old", "is not a shard snapshot Qdrant can"),
        ("qdrant-snapshot:{root}/gone?vector=old", "no snapshot file or shard folder"),
        ("qdrant-snapshot:{root}/edge?collection=docs", "unknown option 'collection'"),
        ("faiss:{root}/baseline.faiss?ids={root}/short.txt", "1 ids and the index"),
        ("faiss:{root}/nothing.faiss?ids={root}/ids.txt", "no index file"),
        ("lancedb:{root}/lance?table=nope", "no table 'nope' (it has: baseline, candidate, shi"),
        ("lancedb:{root}/lance?table=baseline&column=emb", "no column 'emb' (it has: id, vector,"),
        ("chroma:{root}/chroma?collection=nope", "no collection 'nope'"),
        ("chroma:{root}/missing?collection=docs", "is not a chroma folder"),
    ],
)
def test_bad_store_input_names_what_is_wrong(stores, spec, message):
    root, _ = stores
    (root / "short.txt").write_text("only-one\n")
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        source = resolve_source(spec.format(root=root))
        _ = source.fingerprint


def test_a_password_in_the_url_is_refused_and_never_repeated():
    with pytest.raises(InputError) as caught:
        resolve_source("qdrant:http://admin:s3cret@127.0.0.1:6333?collection=docs")
    assert "s3cret" not in str(caught.value) and "api-key-env" in str(caught.value)


def test_an_unreachable_server_is_an_error_within_its_timeout():
    started = time.perf_counter()
    with pytest.raises(InputError, match="cannot reach"):
        _ = resolve_source("qdrant:http://127.0.0.1:9?collection=docs&timeout=2").fingerprint
    assert time.perf_counter() - started < 30


def test_a_store_without_a_query_model_says_how_to_name_one(stores, tmp_path, capsys):
    root, specs = stores
    baseline = (
        f"qdrant:{root / 'qdrant'}?collection=docs&allow-pickle=yes&vector=old&id-field=doc_id"
    )
    out = tmp_path / "out"
    assert main(compare_args(specs["corpus"], baseline, specs["candidate"], out)) == 2
    assert "queries=SPEC" in capsys.readouterr().err
    assert not out.exists()


def test_an_ivf_index_reads_exactly_and_a_compressed_one_says_it_is_approximate(tmp_path):
    import faiss

    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(300, 8)).astype(np.float32)
    (tmp_path / "ids.txt").write_text("".join(f"d{n}\n" for n in range(300)))
    ids = [f"d{n}" for n in range(300)]
    for name, index in (
        ("ivf", faiss.IndexIVFFlat(faiss.IndexFlatIP(8), 8, 4, faiss.METRIC_INNER_PRODUCT)),
        ("sq", faiss.IndexScalarQuantizer(8, faiss.ScalarQuantizer.QT_4bit)),
    ):
        index.train(vectors)
        index.add(vectors)
        faiss.write_index(index, str(tmp_path / f"{name}.faiss"))
        source = resolve_source(f"faiss:{tmp_path / f'{name}.faiss'}?ids={tmp_path / 'ids.txt'}")
        read = source.embed(ids[::-1], [""] * 300, role="document")
        unit = vectors[::-1] / np.linalg.norm(vectors[::-1], axis=1, keepdims=True)
        if name == "ivf":
            assert np.allclose(read, unit, atol=1e-6) and source.exact
            assert not source.fingerprint.startswith("approximate-")
        else:
            assert not np.allclose(read, unit, atol=1e-6) and not source.exact
            assert source.fingerprint.startswith("approximate-faiss-")


def test_the_setup_page_runs_a_comparison_from_a_store(stores, tmp_path, monkeypatch):
    root, specs = stores
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path / "cache"))
    at = setup_page_on(specs["corpus"])
    at.selectbox(key="setup_Baseline_kind").set_value("vectors").run()
    at.text_input(key="setup_Baseline_value").set_value(specs["baseline"]).run()
    store = f"lancedb:{root / 'lance'}?table=candidate&queries={specs['candidate']}"
    at.selectbox(key="setup_Candidate_kind").set_value("store").run()
    at.text_input(key="setup_Candidate_value").set_value(store).run()
    at.checkbox(key="setup_projection").uncheck().run()
    at.number_input(key="setup_k").set_value(3).run()
    at.button(key="setup_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["run"]["candidate"] == store
    at.switch_page("views/overview.py").run()
    assert not at.exception


def test_a_compressed_index_is_said_to_be_approximate_on_the_pages(stores, tmp_path, capsys):
    import faiss

    root, specs = stores
    table = pd.read_parquet(specs["candidate"].removeprefix("vectors:"))
    docs = table[~table["id"].str.startswith("query:")]
    vectors = np.vstack(docs["embedding"].to_numpy()).astype(np.float32)
    index = faiss.IndexScalarQuantizer(vectors.shape[1], faiss.ScalarQuantizer.QT_8bit)
    index.train(vectors)
    index.add(vectors)
    faiss.write_index(index, str(tmp_path / "sq.faiss"))
    candidate = f"faiss:{tmp_path / 'sq.faiss'}?ids={root / 'ids.txt'}&queries={specs['candidate']}"
    out = tmp_path / "out"
    assert (
        main([*compare_args(specs["corpus"], specs["baseline"], candidate, out), "--k", "3"]) == 0
    )
    said = " ".join(capsys.readouterr().out.split())
    assert "The candidate's document vectors come from a compressed index" in said
    manifest = json.loads((out / "summary.json").read_text())["manifest"]
    assert manifest["models"]["candidate"]["fingerprint"].startswith("approximate-faiss-")


def test_a_query_model_whose_dimension_differs_from_the_stores_is_named(stores, tmp_path, capsys):
    root, specs = stores
    candidate = f"lancedb:{root / 'lance'}?table=candidate&queries=default"  # MiniLM: 384
    out = tmp_path / "out"
    assert main(compare_args(specs["corpus"], specs["baseline"], candidate, out)) == 2
    err = capsys.readouterr().err
    assert "query vectors have 384 dimensions but document vectors have" in err
    assert "lancedb:" in err and not out.exists()


def test_the_setup_page_lists_a_stores_collections_and_builds_the_spec(
    stores, tmp_path, monkeypatch
):
    root, specs = stores
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path / "cache"))
    at = setup_page_on(specs["corpus"])
    at.selectbox(key="setup_Baseline_kind").set_value("vectors").run()
    at.text_input(key="setup_Baseline_value").set_value(specs["baseline"]).run()
    at.selectbox(key="setup_Candidate_kind").set_value("store").run()
    at.selectbox(key="setup_Candidate_store_kind").set_value("qdrant").run()
    at.text_input(key="setup_Candidate_store_location").set_value(str(root / "qdrant")).run()
    at.button(key="setup_Candidate_store_list").click().run()
    assert "add allow-pickle=yes" in at.error[0].value  # its pickles run code: opt in first
    at.checkbox(key="setup_Candidate_store_pickle").check().run()
    at.button(key="setup_Candidate_store_list").click().run()
    assert not at.error, [e.value for e in at.error]
    assert at.selectbox(key="setup_Candidate_store_name").options == [
        "docs, 18 points, vectors: new, old"
    ]
    assert at.selectbox(key="setup_Candidate_store_vector").options == ["new", "old"]
    at.selectbox(key="setup_Candidate_store_vector").set_value("new").run()
    at.selectbox(key="setup_Candidate_store_queries_kind").set_value("other").run()
    at.text_input(key="setup_Candidate_store_queries").set_value(specs["candidate"]).run()
    at.text_input(key="setup_Candidate_store_id_field").set_value("doc_id").run()
    at.button(key="setup_Candidate_store_use").click().run()
    spec = at.text_input(key="setup_Candidate_value").value
    where = f"qdrant:{root / 'qdrant'}?collection=docs&vector=new&id-field=doc_id"
    assert spec.startswith(f"{where}&allow-pickle=yes&queries=")
    at.checkbox(key="setup_projection").uncheck().run()
    at.number_input(key="setup_k").set_value(3).run()
    at.button(key="setup_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["run"]["candidate"] == spec


@pytest.mark.parametrize("entry", ["dotdot", "absolute", "symlink", "hardlink"])
def test_a_snapshot_whose_members_point_outside_writes_nothing_outside(
    tmp_path, monkeypatch, entry
):
    """Qdrant's engine unpacks a snapshot file; a hostile archive's members that point
    outside its folder are skipped, kept inside it, or refused: nothing lands outside."""
    import io
    import tarfile
    import tempfile

    outside, scratch = tmp_path / "outside", tmp_path / "tmp"
    outside.mkdir()
    scratch.mkdir()
    # unpacked into scratch/recall-horizon-qdrant-*/shard: three levels up is tmp_path
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    archive = tmp_path / "hostile.snapshot"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo(
            {
                "dotdot": "../../../outside/escaped.txt",
                "absolute": str(outside / "escaped.txt"),
                "symlink": "segments",
                "hardlink": "segments",
            }[entry]
        )
        if entry in ("symlink", "hardlink"):
            info.type = tarfile.SYMTYPE if entry == "symlink" else tarfile.LNKTYPE
            info.linkname = str(outside)
            tar.addfile(info)
        else:
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(InputError, match="is not a shard snapshot Qdrant can unpack"):
        _ = resolve_source(f"qdrant-snapshot:{archive}?vector=old").fingerprint
    assert list(outside.iterdir()) == []
    assert list(scratch.iterdir()) == []  # the unpacked folder is removed too


def test_only_a_qdrant_folder_unpickles_and_only_when_allowed(stores, monkeypatch):
    import pickle

    from analysis.inputs.stores import qdrant_local

    root, specs = stores
    calls: list[str] = []
    load, loads = pickle.load, pickle.loads
    point = qdrant_local.unpickle_point
    monkeypatch.setattr(pickle, "load", lambda *a, **k: calls.append("load") or load(*a, **k))
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: calls.append("loads") or loads(*a, **k))
    monkeypatch.setattr(
        qdrant_local, "unpickle_point", lambda blob: calls.append("point") or point(blob)
    )
    counted = {}
    for store, spec in {
        "faiss": f"faiss:{root / 'baseline.faiss'}?ids={root / 'ids.txt'}",
        "lancedb": f"lancedb:{root / 'lance'}?table=baseline",
        "chroma": f"chroma:{root / 'chroma'}?collection=baseline",
        "qdrant": _qdrant(root, "old", specs["baseline"]),
        "qdrant-snapshot": f"qdrant-snapshot:{root / 'edge'}?vector=old&id-field=doc_id",
    }.items():
        calls.clear()
        _ = resolve_source(spec).fingerprint
        counted[store] = len(calls)
    assert counted["faiss"] == counted["lancedb"] == counted["chroma"] == 0
    assert counted["qdrant-snapshot"] == 0  # Qdrant's own engine: no pickle
    assert counted["qdrant"] >= 18  # every point of the local folder is a pickle


def test_a_qdrant_folder_row_that_names_a_function_is_refused_not_run(stores, tmp_path):
    import shutil
    import sqlite3

    root, specs = stores
    folder = tmp_path / "qdrant"
    shutil.copytree(root / "qdrant", folder)
    marker = tmp_path / "ran"

    class Hostile:
        def __reduce__(self):
            return (Path.touch, (marker,))

    import pickle

    storage = folder / "collection" / "docs" / "storage.sqlite"
    with sqlite3.connect(storage) as connection:
        connection.execute(
            "INSERT INTO points (id, point) VALUES (?, ?)", ("hostile", pickle.dumps(Hostile()))
        )
    connection.close()
    spec = _qdrant(tmp_path, "old", specs["baseline"])
    with pytest.raises(InputError, match=r"row \d+ of storage.sqlite: it names pathlib"):
        _ = resolve_source(spec).fingerprint
    assert not marker.exists()


def test_the_catalogue_lists_each_stores_collections_points_and_vectors(stores):
    from analysis.inputs.stores.catalogue import collections
    from analysis.inputs.stores.spec import StoreSpec

    root, _ = stores
    lance = {c.name: c for c in collections(StoreSpec("lancedb", str(root / "lance")))}
    assert sorted(lance) == ["baseline", "candidate", "shifted"]
    assert lance["baseline"].vectors == ("vector",) and lance["baseline"].points == 18
    chroma = collections(StoreSpec("chroma", str(root / "chroma")))
    assert [(c.name, c.points) for c in chroma] == [("baseline", 18), ("candidate", 18)]
    with pytest.raises(InputError, match="add allow-pickle=yes"):
        collections(StoreSpec("qdrant", str(root / "qdrant")))
    with pytest.raises(InputError, match="nothing to list"):
        collections(StoreSpec("faiss", str(root / "baseline.faiss")))
