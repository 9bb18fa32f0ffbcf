"""Write a copy of a vectors file with Gaussian noise added to documents' vectors.

Usage: python benchmarks/perturb_domain.py IN.parquet OUT.parquet
       [--corpus C --domain NAME] (--sigma S | --scale S) [--seed 0]

Without ``--domain`` every document vector gets noise; with it, those of that domain only
(the domain of each id read from ``--corpus``; without ``--corpus``, ids starting with
``NAME/``, as folder-of-BEIR-folders corpora name them). Query rows (``query:...``) are
left untouched. ``--sigma``: the noise's standard deviation per component (what
``numpy.random.normal(scale=S)`` adds); ``--scale``: the noise's expected norm relative to
the mean vector norm. Used to check that a change confined to one domain moves only that
domain's diagnostics, and that a tiny change everywhere passes the default gate.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from analysis.inputs.corpus import load_corpus
from analysis.inputs.vectors import write_vector_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--corpus", help="the corpus, to read each document's domain")
    parser.add_argument("--domain", help="perturb this domain's documents only")
    noise = parser.add_mutually_exclusive_group(required=True)
    noise.add_argument("--sigma", type=float, help="standard deviation per component")
    noise.add_argument("--scale", type=float, help="expected noise norm / mean vector norm")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    table = pq.read_table(args.source)
    ids = table.column("id").to_pylist()
    column = table.column("embedding").combine_chunks()
    matrix = column.flatten().to_numpy().reshape(len(ids), -1).copy()
    rows = np.array([not i.startswith("query:") for i in ids])
    if args.domain:
        if args.corpus:
            corpus = load_corpus(args.corpus)
            domain_of = dict(zip(corpus.doc_ids, corpus.doc_domains, strict=True))
            rows &= np.array([domain_of.get(i) == args.domain for i in ids])
        else:
            rows &= np.array([i.startswith(f"{args.domain}/") for i in ids])
    if not rows.any():
        parser.error(f"--domain {args.domain}: no document vector of that domain in {args.source}")
    rng = np.random.default_rng(args.seed)
    sigma = args.sigma
    if sigma is None:
        sigma = args.scale * np.linalg.norm(matrix, axis=1).mean() / np.sqrt(matrix.shape[1])
    matrix[rows] += rng.normal(scale=sigma, size=(rows.sum(), matrix.shape[1])).astype(np.float32)
    write_vector_table(Path(args.target), ids, matrix)
    where = f"'{args.domain}'" if args.domain else "every domain"
    print(f"perturbed {rows.sum():,} document vectors of {where} (sigma {sigma:.4g} per component)")


if __name__ == "__main__":
    main()
