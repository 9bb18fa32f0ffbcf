"""Time and peak memory of compare() from cached vectors (everything except the projection).

Usage: python benchmarks/speed.py --docs 10000 --queries 1000 [--dim 384] [--domains 5]

Vectors are synthetic (seeded clustered Gaussians, float32) standing in for cached
embeddings; each run happens in a fresh process so peak RSS is that of one comparison.
Prints one line per stage and the total wall time and peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from analysis.compare import compare
from analysis.inputs.corpus import Corpus
from analysis.inputs.embed import CorpusEmbeddings
from analysis.progress import Progress
from analysis.settings import CompareConfig


class StageTimer(Progress):
    def __init__(self) -> None:
        self.started = 0.0
        self.name = ""

    def start(self, stage: str, total: int) -> None:
        self.name, self.started = stage, time.perf_counter()

    def finish(self, note: str = "") -> None:
        print(f"  {time.perf_counter() - self.started:7.2f}s  {self.name}", flush=True)


def synthetic_inputs(n_docs: int, n_queries: int, dim: int, n_domains: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    domains = np.array([f"domain{i}" for i in range(n_domains)])
    doc_domain = rng.integers(0, n_domains, n_docs)
    query_domain = rng.integers(0, n_domains, n_queries)
    centres = rng.normal(size=(n_domains, dim)).astype(np.float32)
    docs = centres[doc_domain] + rng.normal(size=(n_docs, dim)).astype(np.float32)
    queries = centres[query_domain] + rng.normal(size=(n_queries, dim)).astype(np.float32)
    candidate_docs = docs + 0.3 * rng.normal(size=docs.shape).astype(np.float32)
    doc_ids = tuple(f"d{i}" for i in range(n_docs))
    query_ids = tuple(f"q{i}" for i in range(n_queries))
    qrels = {
        q: {doc_ids[d]: int(rng.integers(1, 3)) for d in rng.choice(n_docs, 5, replace=False)}
        for q in query_ids
    }
    corpus = Corpus(
        "bench",
        doc_ids,
        ("",) * n_docs,
        tuple(domains[doc_domain]),
        query_ids,
        ("",) * n_queries,
        tuple(domains[query_domain]),
        qrels,
    )
    base = CorpusEmbeddings("base", "b", docs, queries, 0, 0)
    cand = CorpusEmbeddings("cand", "c", candidate_docs, queries.copy(), 0, 0)
    return corpus, base, cand


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--domains", type=int, default=5)
    args = parser.parse_args()
    corpus, base, cand = synthetic_inputs(args.docs, args.queries, args.dim, args.domains)
    rss_inputs = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.docs:,} docs x {args.queries:,} queries, dim {args.dim}, "
        f"{args.domains} domains (inputs: {rss_inputs:,.0f} MiB RSS)"
    )
    started = time.perf_counter()
    compare(corpus, base, cand, CompareConfig(k=10), progress=StageTimer())
    total = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total {total:.1f}s, peak RSS {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
