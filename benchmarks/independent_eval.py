"""Re-evaluate a comparison's TREC run files with ranx and set them beside our numbers.

Usage: python benchmarks/independent_eval.py DIR [--model baseline|candidate]

Reads DIR/runs/<model>.trec and DIR/qrels.trec (what `python -m analysis compare` wrote),
evaluates nDCG@10 (exponential gain: ranx `ndcg_burges`), recall@k and MRR@10 with ranx per
domain (query domains from DIR/queries.parquet), and prints them next to summary.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
from ranx import Qrels, Run, evaluate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--model", default="baseline", choices=["baseline", "candidate"])
    args = parser.parse_args()
    summary = json.loads((args.out / "summary.json").read_text())
    k = summary["manifest"]["k"]
    qrels = Qrels.from_file(str(args.out / "qrels.trec"), kind="trec").to_dict()
    run = Run.from_file(str(args.out / "runs" / f"{args.model}.trec"), kind="trec").to_dict()
    domains = pd.read_parquet(args.out / "queries.parquet").set_index("query_id")["domain"]
    metrics = ["ndcg_burges@10", f"recall@{k}", "mrr@10"]
    ours_names = ["ndcg@10", f"recall@{k}", "mrr@10"]
    print(f"{'domain':<12}" + "".join(f"{m:>26}" for m in ours_names))
    for name, section in sorted(summary["domains"].items()):
        judged = [q for q, j in qrels.items() if domains.get(q) == name and max(j.values()) > 0]
        if not judged or "quality" not in section:
            continue
        sub_qrels = Qrels({q: {d: g for d, g in qrels[q].items() if g > 0} for q in judged})
        sub_run = Run({q: run.get(q, {}) for q in judged})
        theirs = evaluate(sub_qrels, sub_run, metrics, make_comparable=True)
        ours = section["quality"][args.model]
        cells = [
            f"ours {ours[o]:.4f} ranx {theirs[m]:.4f}"
            for o, m in zip(ours_names, metrics, strict=True)
        ]
        print(f"{name:<12}" + "".join(f"{c:>26}" for c in cells))


if __name__ == "__main__":
    main()
