"""Compare two ``benchmarks/golden.sh`` runs file by file: every summary.json (its
``created_at`` and the run's own folder and checkout paths set aside), Parquet table, TREC
run and rounds.json, and the exit codes.

Usage: python benchmarks/golden_compare.py BEFORE AFTER
Prints the files that differ and exits 1 if any does.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

KINDS = (".json", ".parquet", ".trec", ".tsv")


def normalised(path: Path, root: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix != ".json":
        return data
    text = data.decode("utf-8").replace(str(root.resolve()), "OUT")
    text = re.sub(r'"created_at": "[^"]*"', '"created_at": null', text)
    # the checkout's own path (the sample corpus, the shipped policy) differs between runs
    text = re.sub(r'"[^"]*?/(sample_corpora|analysis/verdict)/', r'"REPO/\1/', text)
    return text.encode("utf-8")


def main() -> int:
    before, after = (Path(a) for a in sys.argv[1:3])
    files = {
        side: {p.relative_to(side) for p in side.rglob("*") if p.suffix in KINDS}
        for side in (before, after)
    }
    differ = sorted(str(p) for p in files[before] ^ files[after])
    for rel in sorted(files[before] & files[after]):
        if normalised(before / rel, before) != normalised(after / rel, after):
            differ.append(str(rel))
    same_codes = (before / "exit_codes").read_text() == (after / "exit_codes").read_text()
    print(f"{len(files[before] & files[after]) - len(differ)} files identical; differ: {differ}")
    print(f"exit codes identical: {same_codes}")
    return 0 if not differ and same_codes else 1


if __name__ == "__main__":
    sys.exit(main())
