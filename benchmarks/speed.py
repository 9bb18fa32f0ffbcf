"""Time and peak memory of compare() from cached vectors (everything except the projection).

Usage: python benchmarks/speed.py --docs 10000 --queries 1000 [--dim 384] [--domains 5]
       [--projection] [--json FILE]

Vectors are synthetic unit float32 vectors with domain and topic structure (see
synthetic_inputs), standing in for cached embeddings; each run happens in a fresh process
so peak RSS is that of one comparison. Prints one line per stage (writing the bundle
included), the total wall time and peak resident memory, and how drift searched.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from analysis.bundle.files import write_comparison
from analysis.compare import compare
from analysis.inputs.corpus import Corpus
from analysis.inputs.embed import CorpusEmbeddings
from analysis.metrics.drift import DRIFT
from analysis.progress import Progress
from analysis.settings import CompareConfig


class StageTimer(Progress):
    def __init__(self) -> None:
        self.started = 0.0
        self.name = ""
        self.seconds: dict[str, float] = {}

    def start(self, stage: str, total: int) -> None:
        self.name, self.started = stage, time.perf_counter()

    def finish(self, note: str = "") -> None:
        elapsed = time.perf_counter() - self.started
        self.seconds[self.name] = self.seconds.get(self.name, 0.0) + elapsed
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  {elapsed:7.2f}s  {self.name}  (peak so far {peak:,.0f} MiB)", flush=True)


def synthetic_inputs(
    n_docs: int,
    n_queries: int,
    dim: int,
    n_domains: int,
    seed: int = 0,
    topics_per_domain: int = 200,
):
    """Unit vectors with the structure real embeddings have: domains, topics inside each
    domain, and per-document noise; the candidate moves every document a little and one
    domain's documents more (the damage a fine-tuning round does). Built in blocks, so the
    peak is the two models' matrices, not a copy of them."""
    rng = np.random.default_rng(seed)
    domains = np.array([f"domain{i}" for i in range(n_domains)])
    domain_centres = rng.standard_normal((n_domains, dim), dtype=np.float32)
    n_topics = n_domains * topics_per_domain
    topic_domain = np.repeat(np.arange(n_domains), topics_per_domain)
    topics = domain_centres[topic_domain] + 0.8 * rng.standard_normal(
        (n_topics, dim), dtype=np.float32
    )
    doc_topic = rng.integers(0, n_topics, n_docs)
    query_topic = rng.integers(0, n_topics, n_queries)
    docs = np.empty((n_docs, dim), np.float32)
    candidate_docs = np.empty((n_docs, dim), np.float32)
    for start in range(0, n_docs, 65_536):
        part = doc_topic[start : start + 65_536]
        block = topics[part] + 0.6 * rng.standard_normal((len(part), dim), dtype=np.float32)
        docs[start : start + len(part)] = _unit(block)
        shift = np.where(topic_domain[part] == 0, 0.5, 0.15)[:, None].astype(np.float32)
        moved = block + shift * rng.standard_normal((len(part), dim), dtype=np.float32)
        candidate_docs[start : start + len(part)] = _unit(moved)
    noise = 0.6 * rng.standard_normal((n_queries, dim), dtype=np.float32)
    queries = _unit(topics[query_topic] + noise)
    doc_ids = tuple(f"d{i}" for i in range(n_docs))
    query_ids = tuple(f"q{i}" for i in range(n_queries))
    # five judged documents per query, drawn from its own topic where it has that many
    by_topic = np.argsort(doc_topic, kind="stable")
    first = np.searchsorted(doc_topic[by_topic], np.arange(n_topics))
    count = np.bincount(doc_topic, minlength=n_topics)
    qrels = {}
    for q, topic in zip(query_ids, query_topic, strict=True):
        pool = by_topic[first[topic] : first[topic] + count[topic]]
        pool = pool if len(pool) >= 5 else np.arange(n_docs)
        picked = rng.choice(pool, 5, replace=False)
        qrels[q] = {doc_ids[d]: int(rng.integers(1, 3)) for d in picked}
    corpus = Corpus(
        "bench",
        doc_ids,
        ("",) * n_docs,
        tuple(domains[topic_domain[doc_topic]]),
        query_ids,
        ("",) * n_queries,
        tuple(domains[topic_domain[query_topic]]),
        qrels,
    )
    base = CorpusEmbeddings("base", "b", docs, queries, 0, 0)
    cand = CorpusEmbeddings("cand", "c", candidate_docs, queries.copy(), 0, 0)
    return corpus, base, cand


def _unit(block: np.ndarray) -> np.ndarray:
    return block / np.linalg.norm(block, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--domains", type=int, default=5)
    parser.add_argument(
        "--projection", action="store_true", help="also project (UMAP on its sample)"
    )
    parser.add_argument("--json", type=Path, help="also write the timings here (scale.py)")
    args = parser.parse_args()
    corpus, base, cand = synthetic_inputs(args.docs, args.queries, args.dim, args.domains)
    rss_inputs = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.docs:,} docs x {args.queries:,} queries, dim {args.dim}, "
        f"{args.domains} domains (inputs: {rss_inputs:,.0f} MiB RSS)"
    )
    timer = StageTimer()
    started = time.perf_counter()
    config = CompareConfig(k=10, projection=args.projection)
    comparison = compare(corpus, base, cand, config, progress=timer)
    with tempfile.TemporaryDirectory() as out:
        timer.start("writing the bundle", 0)
        write_comparison(comparison, Path(out) / "bundle", corpus_source="synthetic")
        timer.finish()
    total = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total {total:.1f}s, peak RSS {peak:,.0f} MiB")
    search = comparison.result(DRIFT).search
    print(search.sentence())
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "docs": args.docs,
                    "queries": args.queries,
                    "stages": timer.seconds,
                    "total_s": total,
                    "peak_rss_mib": peak,
                    "inputs_rss_mib": rss_inputs,
                    "drift_search": search.to_json(),
                }
            )
        )


if __name__ == "__main__":
    main()
