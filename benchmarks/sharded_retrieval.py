"""Retrieval's top-k at a million documents: in-process against document shards read from
disk one at a time, and against Ray tasks with one and with two workers.

Usage: PYTHONPATH=. python benchmarks/sharded_retrieval.py [--docs 1000000] [--dim 384]
        [--queries 1000] [--k 10] [--shard-rows 100000] [--modes inprocess,local,ray1,ray2]

Seeded random unit vectors (a 1.4 GiB float32 matrix at the defaults) are spilled to
``.npy`` shards in a temporary folder; each mode then runs in a fresh process, which
prints its seconds and its peak resident memory above what it held after its imports
(``/proc/self/clear_refs``): for the in-process search that includes loading the whole
matrix, for the shards only what the driver holds. A Ray worker's peak is read from its
own ``/proc`` status by the task itself. Every mode's ranking is checked equal to the
in-process one (indices and scores).
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

RUN = """
import json, sys, time
from pathlib import Path
import numpy as np
import analysis.shards.runner, analysis.retrieval, faiss
def status(key):
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(key))
    return int(line.split()[1]) / 1024
folder, mode, k = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
if mode.startswith("ray"):
    import ray
Path("/proc/self/clear_refs").write_text("5")
before = status("VmRSS:")
queries = np.load(folder / "queries.npy")
started = time.perf_counter()
worker_peak = None
if mode == "inprocess":
    shards = sorted(folder.glob("docs-*.npy"))
    docs = np.concatenate([np.load(p) for p in shards])
    ranking = analysis.retrieval.top_k_cosine(queries, docs, k)
    del docs
else:
    from analysis.shards.layout import DocumentShard
    from analysis.shards.runner import LocalShards, RayShards
    from analysis.shards.topk import sharded_top_k
    shards, start = [], 0
    for n, p in enumerate(sorted(folder.glob("docs-*.npy"))):
        rows = np.load(p, mmap_mode="r").shape[0]
        shards.append(DocumentShard(n, str(p), start, start + rows)); start += rows
    if mode == "local":
        run = LocalShards(shards)
    else:
        run = RayShards(shards, folder / f"work-{mode}", workers=int(mode[3:]))
    ranking = sharded_top_k(queries, start, k, run)
    if mode != "local":
        @ray.remote(num_cpus=1)
        def peak():
            return status("VmHWM:")
        worker_peak = max(ray.get([peak.remote() for _ in range(int(mode[3:]))]))
        run.close()
seconds = time.perf_counter() - started
np.save(folder / f"ranking-{mode}.npy", ranking.indices)
np.save(folder / f"scores-{mode}.npy", ranking.scores)
driver = status("VmHWM:") - before
print(json.dumps({"seconds": seconds, "driver_mb": driver, "worker_mb": worker_peak}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--shard-rows", type=int, default=100_000)
    parser.add_argument("--modes", default="inprocess,local,ray1,ray2")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for number, start in enumerate(range(0, args.docs, args.shard_rows)):
            rows = min(args.shard_rows, args.docs - start)
            block = rng.normal(size=(rows, args.dim)).astype(np.float32)
            block /= np.linalg.norm(block, axis=1, keepdims=True)
            np.save(folder / f"docs-{number:05d}.npy", block)
        queries = rng.normal(size=(args.queries, args.dim)).astype(np.float32)
        np.save(folder / "queries.npy", queries / np.linalg.norm(queries, axis=1, keepdims=True))
        print(
            f"{args.docs:,} documents x {args.dim} ({args.docs * args.dim * 4 / 2**30:.1f} GiB), "
            f"{args.queries:,} queries, top-{args.k}, shards of {args.shard_rows:,} rows"
        )
        for mode in args.modes.split(","):
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", RUN, str(folder), mode, str(args.k)],
                check=True,
                capture_output=True,
                text=True,
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
            same = ""
            if mode != "inprocess" and (folder / "ranking-inprocess.npy").is_file():
                equal = np.array_equal(
                    np.load(folder / f"ranking-{mode}.npy"),
                    np.load(folder / "ranking-inprocess.npy"),
                ) and np.array_equal(
                    np.load(folder / f"scores-{mode}.npy"),
                    np.load(folder / "scores-inprocess.npy"),
                    equal_nan=True,
                )
                same = f"; equal to in-process: {equal}"
            worker = (
                f", a worker's peak {result['worker_mb']:.0f} MiB" if result["worker_mb"] else ""
            )
            whole = time.perf_counter() - started
            print(
                f"  {mode:9} {result['seconds']:6.1f} s (process {whole:.1f} s); driver's "
                f"peak above its imports {result['driver_mb']:.0f} MiB{worker}{same}"
            )


if __name__ == "__main__":
    main()
