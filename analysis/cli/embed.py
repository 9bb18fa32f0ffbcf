"""``embed``: one model's vectors of a corpus, as a Parquet file or (on Ray) a folder of
shards, for ``vectors:PATH``."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli.arguments import (
    EXIT_OK,
    add_corpus_arguments,
    add_encoding_arguments,
    at_least,
    backend_spec,
    request_from,
    say,
)
from analysis.errors import InputError

NAME = "embed"
HELP = "export one model's vectors of a corpus (a vectors:PATH file)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_corpus_arguments(parser)
    parser.add_argument("--model", required=True, help="'default', a model folder or a hub id")
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        help="output .parquet file; with --ray, a folder of Parquet shards (vectors:DIR/)",
    )
    add_encoding_arguments(parser)
    cluster = parser.add_argument_group("Ray (distributed encoding, resumable)")
    cluster.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="encode on Ray: alone, a local Ray on this machine; with an address "
        "(ray://host:10001 or auto), the user's cluster",
    )
    cluster.add_argument(
        "--actors", type=at_least(1), default=1, help="model actors encoding at once (1)"
    )
    cluster.add_argument(
        "--gpus-per-actor",
        type=float,
        default=0.0,
        help="GPUs each actor holds (0: CPU; 1: one actor per GPU)",
    )
    cluster.add_argument(
        "--shard-rows",
        type=at_least(1),
        default=10_000,
        help="rows per shard file: the unit of work and of resuming (10000)",
    )


def run(args: argparse.Namespace) -> int:
    from analysis.bundle.out import check_writable
    from analysis.inputs.vectors import write_vectors
    from analysis.pipeline.run import embed, embedding_cache, load_corpus, source_of
    from analysis.progress import TqdmProgress

    if args.ray is not None:
        return run_on_ray(args)
    if args.out.suffix.lower() != ".parquet":
        raise InputError(f"--out {args.out}: the vectors file must end in .parquet")
    if args.out.exists():
        raise InputError(f"--out {args.out}: the file exists; choose a new file name")
    check_writable(args.out.parent, what=f"--out {args.out}")
    request = request_from(args)
    progress = TqdmProgress()
    corpus = load_corpus(request, progress=progress)
    spec = backend_spec(args, args.model)
    source = source_of(request, spec)
    cache = embedding_cache(request, [source])
    vectors = embed(corpus, source, cache, label=spec, progress=progress)
    write_vectors(args.out, corpus, vectors)
    print(f"wrote {corpus.n_docs:,} document and {corpus.n_queries:,} query vectors to {args.out}")
    return EXIT_OK


def run_on_ray(args: argparse.Namespace) -> int:
    from analysis.inputs.ray_embed import RayEncoding, embed_on_ray
    from analysis.pipeline.run import load_corpus, model_of
    from analysis.progress import TqdmProgress

    if args.out.suffix.lower() == ".parquet":
        raise InputError(f"--out {args.out}: with --ray the output is a folder of shards")
    if args.gpus_per_actor < 0:
        raise InputError(f"--gpus-per-actor must be 0 or more, got {args.gpus_per_actor}")
    request = request_from(args)
    corpus = load_corpus(request, progress=TqdmProgress())
    spec = backend_spec(args, args.model)
    source = model_of(request, spec, "--model")
    encoding = RayEncoding(
        model=spec,
        model_fingerprint=source.fingerprint,
        batch_size=args.batch_size,
        max_seq_length=args.max_seq_length,
        trust_remote_code=args.trust_remote_code,
        actors=args.actors,
        gpus_per_actor=args.gpus_per_actor,
    )
    encoded = embed_on_ray(
        corpus,
        encoding,
        args.out,
        address=args.ray or None,
        shard_rows=args.shard_rows,
        report=say,
    )
    print(
        f"{args.out}: {corpus.n_docs:,} document and {corpus.n_queries:,} query vectors "
        f"({encoded} shard(s) encoded by this run); read them as vectors:{args.out}/"
    )
    return EXIT_OK
