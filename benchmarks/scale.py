"""How each stage of a comparison grows with the corpus: the scaling table.

Usage: PYTHONPATH=. python benchmarks/scale.py [--sizes 10000 100000 1000000]
       [--queries 10000] [--projection]

Runs benchmarks/speed.py once per size, each in a fresh process (so each peak RSS is one
comparison's), on synthetic topic-structured unit vectors (384 dimensions, 5 domains),
and prints one row per stage group and one column per size: wall seconds, then the total
and the peak resident memory, and how drift searched (exact, or the audited approximate
index with its measured agreement).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

GROUPS = (  # (row label, words that put a stage name in it), first match wins
    ("retrieval, both models", ("retrieving",)),
    ("drift: approximate index build", ("indexing",)),
    ("drift: audit against exact search", ("audit",)),
    ("drift: neighbour search", ("neighbours of",)),
    ("threshold exclusions", ("threshold",)),
    ("geometry", ("geometry",)),
    ("projection (UMAP on its sample)", ("projection",)),
    ("writing the bundle", ("writing",)),
)


def group_of(stage: str) -> str:
    for label, words in GROUPS:
        if any(word in stage for word in words):
            return label
    return "everything else"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--projection", action="store_true")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            out = Path(folder) / f"{size}.json"
            command = [
                sys.executable,
                str(Path(__file__).with_name("speed.py")),
                "--docs",
                str(size),
                "--queries",
                str(args.queries),
                "--json",
                str(out),
                *(["--projection"] if args.projection else []),
            ]
            subprocess.run(command, check=True)
            runs.append(json.loads(out.read_text()))
    labels = [label for label, _ in GROUPS] + ["everything else"]
    table = {label: [0.0] * len(runs) for label in labels}
    for column, run in enumerate(runs):
        for stage, seconds in run["stages"].items():
            table[group_of(stage)][column] += seconds
    header = ["stage"] + [f"{r['docs']:,} docs" for r in runs]
    rows = [
        [label] + [f"{v:.1f} s" for v in values] for label, values in table.items() if any(values)
    ]
    rows.append(["total"] + [f"{r['total_s']:.1f} s" for r in runs])
    rows.append(["peak RSS"] + [f"{r['peak_rss_mib'] / 1024:.2f} GiB" for r in runs])
    print(f"\n{args.queries:,} queries, 384 dimensions, 5 domains; wall seconds per stage\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    for run in runs:
        search = run["drift_search"]
        line = f"{run['docs']:,} docs: drift {search['method']} ({search['index']})"
        if search["method"] == "approximate":
            line += (
                f", audit on {search['audit_docs']:,} documents: recall@10 "
                f"{search['recall_baseline']:.3f}/{search['recall_candidate']:.3f}, per-domain "
                f"Jaccard within {search['max_jaccard_difference']:.4f} of exact"
            )
        print(line)


if __name__ == "__main__":
    main()
