"""Write a copy of a vectors file with Gaussian noise added to one domain's documents.

Usage: python benchmarks/perturb_domain.py IN.parquet OUT.parquet --domain NAME
       [--scale 0.5] [--seed 0]

Ids of the domain are those starting with ``NAME/`` (folder-of-BEIR-folders corpora); query
rows (``query:...``) are left untouched. ``scale`` is relative to the mean vector norm.
Used to check that a change confined to one domain moves only that domain's diagnostics.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from analysis.inputs.vectors import write_vector_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--domain", required=True)
    parser.add_argument("--scale", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    table = pq.read_table(args.source)
    ids = table.column("id").to_pylist()
    column = table.column("embedding").combine_chunks()
    matrix = column.flatten().to_numpy().reshape(len(ids), -1).copy()
    rows = np.array([i.startswith(f"{args.domain}/") for i in ids])
    noise = np.random.default_rng(args.seed).normal(size=(rows.sum(), matrix.shape[1]))
    norm = np.linalg.norm(matrix, axis=1).mean()
    matrix[rows] += (noise / np.sqrt(matrix.shape[1]) * norm * args.scale).astype(np.float32)
    write_vector_table(Path(args.target), ids, matrix)
    print(f"perturbed {rows.sum():,} document vectors of '{args.domain}' (scale {args.scale})")


if __name__ == "__main__":
    main()
