"""What evaluating the remedies costs next to one comparison, on precomputed vectors.

Usage: PYTHONPATH=. python benchmarks/remedies_cost.py [--docs 10000] [--queries 1000]
                                                       [--words 40]

Writes ``dashboard_latency.py``'s synthetic 5-domain corpus (``--words`` seeded filler words
per document, so BM25 has text to index) and two vector files, then times, each in its own
process: ``compare`` from the vectors, and ``remedies --remedies fusion,hybrid,floor`` on
the same inputs (which runs that comparison too, then every setting: fusion at 11 weights,
hybrid at 4 BM25 weights and RRF, the floor at 2 and 4 places), once with the verdicts
only (``--no-setting-folders``) and once writing each setting's own comparison (the default,
what the Remedies page shows on every page). Prints the wall times and the remedies' own
share. The interpolation sweep needs model weights: its cost is one
encoding of the corpus per α (docs/remedies.md gives the demo's).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.dashboard_latency import write_inputs


def timed(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "analysis", *args], check=True, capture_output=True, text=True
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--words", type=int, default=40)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    specs = write_inputs(work, args.docs, args.queries, words=args.words)
    common = ["--corpus", specs["corpus"], "--baseline", specs["baseline"]]
    common += ["--candidate", specs["candidate"], "--cache-dir", str(work / "cache")]
    compare = timed(["compare", *common, "--out", str(work / "compare")])
    sweep = ["remedies", *common, "--remedies", "fusion,hybrid,floor"]
    verdicts = timed([*sweep, "--out", str(work / "verdicts"), "--no-setting-folders"])
    remedies = timed([*sweep, "--out", str(work / "remedies")])
    print(f"{args.docs:,} documents, {args.queries:,} queries, from vectors:")
    rows = [
        ("compare", compare),
        ("remedies, verdicts only (compare + 18 settings)", verdicts),
        ("remedies with each setting's comparison", remedies),
        ("the remedies alone, verdicts only", verdicts - compare),
        ("the remedies alone, with the comparisons", remedies - compare),
    ]
    for label, seconds in rows:
        print(f"  {label + ':':<50} {seconds:6.1f} s")


if __name__ == "__main__":
    main()
