"""Run the demo recipe on another corpus: tune on one collection, compare on all of them.

Usage: python benchmarks/shared_data_paradox.py DATA_DIR --domain NAME --work DIR

DATA_DIR is a folder of BEIR folders (e.g. ../shared/data). The tuning collection's
queries are split by a seeded shuffle: half become training pairs (each query with its
highest-graded judged document), the other half stay as held-out evaluation queries. A
copy of the data with only the held-out queries is written under --work, the demo recipe
(analysis.tuning.demo.DEMO_RECIPE) tunes the default model on the training half, and the
comparison runs on all collections, so no evaluation query was trained on.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

from analysis.bundle.files import load_summary
from analysis.cli import main as cli
from analysis.inputs.corpus import load_corpus
from analysis.inputs.models import SentenceTransformerSource
from analysis.inputs.specs import resolve_source
from analysis.progress import TqdmProgress
from analysis.tuning.demo import DEMO_RECIPE
from analysis.tuning.finetune import finetune
from analysis.tuning.pairs import read_pairs
from benchmarks.domain_table import domain_table


def split_collection(source: Path, work: Path, domain: str, seed: int = 0) -> Path:
    corpus_copy = work / "corpus"
    if corpus_copy.exists():
        shutil.rmtree(corpus_copy)
    shutil.copytree(source, corpus_copy)
    folder = corpus_copy / domain
    queries = [json.loads(line) for line in (folder / "queries.jsonl").read_text().splitlines()]
    qrels: dict[str, dict[str, int]] = {}
    for line in (folder / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        query_id, doc_id, grade = line.split("\t")
        qrels.setdefault(query_id, {})[doc_id] = int(grade)
    judged = [q for q in queries if qrels.get(q["_id"])]
    order = np.random.default_rng(seed).permutation(len(judged))
    train = [judged[i] for i in order[: len(judged) // 2]]
    held_out = {judged[i]["_id"] for i in order[len(judged) // 2 :]}
    (folder / "queries.jsonl").write_text(
        "".join(json.dumps(q) + "\n" for q in queries if q["_id"] in held_out)
    )
    pairs = [
        {
            "query": q["text"],
            "doc_id": f"{domain}/{max(qrels[q['_id']], key=qrels[q['_id']].get)}",
            "domain": domain,
        }
        for q in train
    ]
    (work / "pairs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))
    print(f"{domain}: {len(pairs)} training pairs, {len(held_out)} held-out queries")
    return corpus_copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--work", type=Path, required=True)
    args = parser.parse_args()
    corpus_folder = split_collection(args.data, args.work, args.domain)
    corpus = load_corpus(corpus_folder)
    pairs = read_pairs(args.work / "pairs.jsonl", corpus, args.domain)
    base = resolve_source("default")
    assert isinstance(base, SentenceTransformerSource)
    finetune(
        base,
        corpus,
        pairs,
        domain=args.domain,
        out=args.work / "candidate",
        recipe=DEMO_RECIPE,
        progress=TqdmProgress(),
    )
    comparison = args.work / "comparison"
    assert (
        cli(
            [
                "compare",
                "--corpus",
                str(corpus_folder),
                "--baseline",
                "default",
                "--candidate",
                str(args.work / "candidate"),
                "--out",
                str(comparison),
            ]
        )
        == 0
    )
    print(domain_table(load_summary(comparison)))


if __name__ == "__main__":
    main()
