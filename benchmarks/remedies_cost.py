"""What evaluating the remedies costs next to one comparison, on precomputed vectors.

Usage: PYTHONPATH=. python benchmarks/remedies_cost.py [--docs 10000] [--queries 1000]
                                                       [--words 40] [--repeat 3]

Writes ``dashboard_latency.py``'s synthetic 5-domain corpus (``--words`` seeded filler words
per document, so BM25 has text to index) and two vector files, then times, each in its own
process: ``compare`` from the vectors, and ``remedies --remedies fusion,hybrid,floor`` on
the same inputs (which runs that comparison too, then every setting: fusion at 11 weights,
hybrid at 4 BM25 weights and RRF, the floor at 2 and 4 places), once with the verdicts
only (``--no-setting-folders``) and once writing each setting's own comparison (the default,
what the Remedies page shows on every page). Prints the wall times and the remedies' own
share: each command's median wall time over ``--repeat`` runs, alternating commands so a
busy spell of the machine touches each alike. The interpolation sweep needs model
weights: its cost is one encoding of the corpus per α (docs/remedies.md gives the demo's).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.dashboard_latency import write_inputs


def timed(args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child, user + system) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "analysis", *args], check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def medians(commands: dict[str, list[str]], repeat: int) -> dict[str, tuple[float, float]]:
    """Each command's median wall and CPU times, the commands run in turn ``repeat`` times."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, args in commands.items():
            times[name].append(timed(args))
    return {
        name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
        for name, runs in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--words", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    specs = write_inputs(work, args.docs, args.queries, words=args.words)
    common = ["--corpus", specs["corpus"], "--baseline", specs["baseline"]]
    common += ["--candidate", specs["candidate"], "--cache-dir", str(work / "cache")]
    timed(["compare", *common, "--out", str(work / "warm")])  # fills the cache
    sweep = ["remedies", *common, "--remedies", "fusion,hybrid,floor"]
    found = medians(
        {
            "compare": ["compare", *common, "--out", str(work / "compare")],
            "verdicts": [*sweep, "--out", str(work / "verdicts"), "--no-setting-folders"],
            "remedies": [*sweep, "--out", str(work / "remedies")],
        },
        args.repeat,
    )
    compare, verdicts, remedies = found["compare"], found["verdicts"], found["remedies"]
    print(f"{args.docs:,} documents, {args.queries:,} queries, from vectors, ", end="")
    print(f"medians of {args.repeat} runs (wall, CPU):")
    rows = [
        ("compare", compare),
        ("remedies, verdicts only (compare + 18 settings)", verdicts),
        ("remedies with each setting's comparison", remedies),
        ("the remedies alone, verdicts only", _minus(verdicts, compare)),
        ("the remedies alone, with the comparisons", _minus(remedies, compare)),
    ]
    for label, (wall, cpu) in rows:
        print(f"  {label + ':':<50} {wall:6.1f} s wall, {cpu:6.1f} s CPU")


def _minus(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return a[0] - b[0], a[1] - b[1]


if __name__ == "__main__":
    main()
