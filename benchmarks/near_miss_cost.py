"""What --near-misses rules adds to a comparison: items, encodings and seconds.

Usage: PYTHONPATH=. python benchmarks/near_miss_cost.py CORPUS [--candidate SPEC]
       [--cache-dir DIR] [--repeat 31] [--no-collect]

On one corpus (a BEIR folder or a folder of them), in one process: the items the rules
make and skip, per domain and rule; the texts each model encodes for them (a first run,
into the cache); then, with every vector cached, ``compare`` without and with the near
misses, alternating, ``--repeat`` times each, so the difference is the family's own cost
beyond encoding: the difference of the medians, and the median of the pairs' differences
with a bootstrap interval (a run here wanders by 15% or more from one to the next, more
than the family costs, so one pair says little). Before each timed run the garbage
collector collects (untimed; ``--no-collect``: not): otherwise a run inherits the
collector's debt from the runs before it in this process, and one full collection (0.1 s
here, with torch and the corpus in memory) falls into whichever run crosses the
collector's threshold, which a fresh process running one comparison does not carry. What
a run collects itself is still timed. Prints what both models score per domain.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from analysis.cli import main as cli
from analysis.inputs.corpus import load_corpus
from analysis.nearmiss.items import items_by_rule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--candidate", default="demo-candidate")
    parser.add_argument("--cache-dir", type=Path)
    parser.add_argument("--repeat", type=int, default=31)
    parser.add_argument("--no-collect", action="store_true")
    args = parser.parse_args()
    cache = args.cache_dir or Path(tempfile.mkdtemp())
    work = Path(tempfile.mkdtemp())
    corpus = load_corpus(args.corpus)
    started = time.perf_counter()
    made = items_by_rule(corpus)
    building = time.perf_counter() - started
    counts = Counter((i.domain, i.rule) for i in made.items)
    print(f"{args.corpus}: {corpus.n_docs:,} documents, {corpus.n_queries:,} queries")
    print(f"items: {len(made.items)} made in {building:.2f} s (rules only, no model)")
    for domain in sorted({d for d, _ in counts} | set(made.skipped)):
        skipped = made.skipped.get(domain, {})
        parts = [
            f"{rule} {counts.get((domain, rule), 0)} made / {skipped.get(rule, 0)} skipped"
            for rule in ("negation", "role_swap", "number", "condition")
        ]
        print(f"  {domain}: " + "; ".join(parts))
    texts = len({i.passage for i in made.items} | {i.near_miss for i in made.items})
    print(f"texts to encode: {texts} per model (passages and near misses, each once)")

    cpu: dict[str, float] = {}  # this thread's CPU seconds, by run

    def compare(name: str, *extra: str) -> float:
        if not args.no_collect:
            gc.collect()
        started, started_cpu = time.perf_counter(), time.thread_time()
        code = cli(
            ["compare", "--corpus", str(args.corpus), "--baseline", "default"]
            + ["--candidate", args.candidate, "--out", str(work / name)]
            + ["--cache-dir", str(cache), *extra]
        )
        assert code in (0, 1), code
        cpu[name] = time.thread_time() - started_cpu
        return time.perf_counter() - started

    first = compare("first", "--near-misses", "rules")  # encodes everything, into the cache
    print(f"first compare with near misses (encoding into an empty cache): {first:.1f} s")
    plains, nears = [], []
    for i in range(args.repeat):  # alternating, so a slow spell of the machine hits both
        plains.append(compare(f"plain{i}"))
        nears.append(compare(f"near{i}", "--near-misses", "rules"))
    plain, near = statistics.median(plains), statistics.median(nears)
    collected = "no collection between runs" if args.no_collect else "collected before each"
    print(
        f"compare from cached vectors ({collected}), medians of {args.repeat}: "
        f"{plain:.2f} s without, "
        f"{near:.2f} s with near misses"
    )
    print(f"  without: {', '.join(f'{t:.2f}' for t in plains)}")
    print(f"  with:    {', '.join(f'{t:.2f}' for t in nears)}")
    print(f"  the family adds {near - plain:.2f} s, {(near - plain) / plain:.0%} of a compare")
    # each pair ran back to back: its difference is less exposed to the machine's slow spells
    differences = np.array(nears) - np.array(plains)
    paired = float(np.median(differences))
    resampled = np.random.default_rng(0).choice(differences, (10_000, len(differences)))
    low, high = np.percentile(np.median(resampled, axis=1), [5, 95])
    print(
        f"  median of the {args.repeat} paired differences: {paired:.2f} s, {paired / plain:.1%} "
        f"(bootstrap 90% interval {low / plain:.1%} to {high / plain:.1%})"
    )
    # CPU time of the thread that runs the comparison: blind to the machine's slow spells
    # (and to BLAS's other threads, so a compare's share of it is, if anything, overstated)
    plain_cpu = statistics.median(cpu[f"plain{i}"] for i in range(args.repeat))
    near_cpu = statistics.median(cpu[f"near{i}"] for i in range(args.repeat))
    print(
        f"  CPU seconds of the comparing thread, medians: {plain_cpu:.2f} without, "
        f"{near_cpu:.2f} with: the family adds {near_cpu - plain_cpu:.2f} s, "
        f"{(near_cpu - plain_cpu) / plain_cpu:.1%}"
    )
    summary = json.loads((work / "near0" / "summary.json").read_text())
    print("told apart, baseline -> candidate (all rules), p (BH):")
    for domain, section in summary["domains"].items():
        values = section["near_miss"]["all"]
        print(
            f"  {domain}: {values['n']} items, {values['sensitivity_baseline']:.1%} -> "
            f"{values['sensitivity_candidate']:.1%}, margin {values['margin_baseline']:+.4f} -> "
            f"{values['margin_candidate']:+.4f}, p {values['p_value_bh']:.3f}"
        )


if __name__ == "__main__":
    main()
