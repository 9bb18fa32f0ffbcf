"""The command line: ``python -m analysis compare ...``.

Bad input prints one clear message (file, line or id, what is wrong) and exits with 2;
never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.errors import InputError
from analysis.settings import CONTEXT_BY, DEFAULT_DRIFT_EXACT_MAX_DOCS

if TYPE_CHECKING:
    from analysis.inputs.cache import EmbeddingCache
    from analysis.inputs.corpus import Corpus
    from analysis.inputs.embed import CorpusEmbeddings
    from analysis.inputs.models import SentenceTransformerSource
    from analysis.inputs.source import EmbeddingSource
    from analysis.llm.calls import LLMCalls
    from analysis.llm.chat import ChatModel
    from analysis.settings import CompareConfig
    from analysis.verdict.gate import GateResult

EXIT_OK, EXIT_BREACH, EXIT_BAD_INPUT = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Recall Horizon: did fine-tuning an embedding model shrink retrieval?",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    compare = commands.add_parser(
        "compare", help="compare a baseline and a candidate model on a corpus"
    )
    add_comparison_arguments(compare, required=True)
    embed = commands.add_parser(
        "embed", help="export one model's vectors of a corpus (a vectors:PATH file)"
    )
    add_corpus_arguments(embed)
    embed.add_argument("--model", required=True, help="'default', a model folder or a hub id")
    embed.add_argument(
        "--out",
        required=True,
        type=Path,
        help="output .parquet file; with --ray, a folder of Parquet shards (vectors:DIR/)",
    )
    add_encoding_arguments(embed)
    cluster = embed.add_argument_group("Ray (distributed encoding, resumable)")
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
    check = commands.add_parser(
        "check", help="rollout gate: check a comparison against a policy (exit 0 pass, 1 fail)"
    )
    add_source_arguments(check)
    check.add_argument(
        "--policy", type=Path, help="policy TOML (default: the shipped default policy)"
    )
    report = commands.add_parser("report", help="write a self-contained HTML report")
    add_source_arguments(report)
    report.add_argument("--report", required=True, type=Path, help="the HTML file to write")
    report.add_argument("--policy", type=Path, help="policy TOML for the gate section")
    rounds = commands.add_parser(
        "rounds",
        help="compare a series of fine-tuning rounds with the baseline and with each other "
        "(exit 0: the last round is safe, 1: a rollback is advised)",
    )
    add_rounds_arguments(rounds)
    demo = commands.add_parser(
        "demo", help="build the demo candidate (once), compare it on the sample corpus, report"
    )
    demo.add_argument(
        "--out", type=Path, help="output folder (artifacts/demo; artifacts/demo-rounds)"
    )
    demo.add_argument("--cache-dir", type=Path, help="embedding/model cache folder")
    demo.add_argument(
        "--rounds",
        type=at_least(1),
        help="instead, the demo series: the demo's recipe in N rounds, compared round by "
        "round (exit 1 when a rollback is advised, as `rounds`)",
    )
    tune = commands.add_parser(
        "finetune", help="precision-tune a model on one domain's training pairs"
    )
    add_corpus_arguments(tune)
    tune.add_argument("--domain", required=True, help="the domain to tune on")
    tune.add_argument("--base", required=True, help="'default', a model folder or a hub id")
    tune.add_argument("--out", required=True, type=Path, help="folder for the tuned model")
    tune.add_argument(
        "--pairs", type=Path, help="training pairs (default: CORPUS/train/pairs.jsonl)"
    )
    tune.add_argument("--epochs", type=at_least(1), default=8)
    tune.add_argument("--lr", type=float, default=1e-4, help="learning rate (1e-4)")
    tune.add_argument("--train-batch-size", type=at_least(2), default=16)
    tune.add_argument(
        "--train-layers", type=int, default=0, help="train only the top N layers (0: all)"
    )
    tune.add_argument("--scale", type=float, default=20.0, help="similarity scale (20)")
    tune.add_argument(
        "--adapter", action="store_true", help="train only a linear layer on the frozen model"
    )
    tune.add_argument(
        "--no-adapter-bias", action="store_true", help="the adapter learns no bias (a shift)"
    )
    tune.add_argument("--weight-decay", type=float, default=0.01)
    tune.add_argument(
        "--anchor",
        type=float,
        default=0.0,
        help="weight of a loss that keeps the tuning domain's document-to-document "
        "similarities as the base model has them (0: off)",
    )
    tune.add_argument("--seed", type=at_least(0), default=0)
    tune.add_argument(
        "--rounds",
        type=at_least(1),
        default=1,
        help="save a series of N checkpoints, OUT/round1 ... OUT/roundN (for `rounds --series`)",
    )
    tune.add_argument(
        "--round-by",
        choices=("epochs", "pairs"),
        default="epochs",
        help="a round is E/N more epochs on every pair, or the next chunk of the pairs (epochs)",
    )
    tune.add_argument(
        "--seeds", type=at_least(1), default=1, help="train each round with N seeds (1)"
    )
    add_encoding_arguments(tune)
    return parser


def at_least(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``low`` (argparse names the option on error)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    return parse


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """Either an existing output folder (--from) or everything a fresh comparison needs."""
    parser.add_argument("--from", dest="from_dir", type=Path, help="an existing compare --out")
    add_comparison_arguments(parser, required=False)


def add_comparison_arguments(parser: argparse.ArgumentParser, *, required: bool) -> None:
    """The one set of arguments of every subcommand that compares (compare, check, report)."""
    add_corpus_arguments(parser, required=required)
    add_model_arguments(parser, required=required)
    parser.add_argument(
        "--out", required=required, type=Path, help="output folder of the comparison"
    )
    add_setting_arguments(parser)


def add_setting_arguments(parser: argparse.ArgumentParser) -> None:
    """How every comparison is made: k, the cutoff, drift, the context, the LLM."""
    parser.add_argument("--k", type=int, default=10, help="retrieval depth (default 10)")
    parser.add_argument(
        "--cutoff",
        type=float,
        help="similarity cutoff of the RAG pipeline (default: median of the baseline's k-th score)",
    )
    parser.add_argument(
        "--neighbours", type=int, default=10, help="neighbours per document for drift (10)"
    )
    parser.add_argument(
        "--drift-exact-max-docs",
        type=int,
        default=DEFAULT_DRIFT_EXACT_MAX_DOCS,
        help="above this many documents, drift's neighbours come from an approximate index "
        "whose exactness is audited against exact search and written to the manifest "
        f"({DEFAULT_DRIFT_EXACT_MAX_DOCS})",
    )
    parser.add_argument("--rbo-p", type=float, default=0.9, help="RBO persistence (0.9)")
    parser.add_argument(
        "--projection", action="store_true", help="also compute the 2-D UMAP projection (slow)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for every sample (0)")
    parser.add_argument(
        "--context-budget",
        type=int,
        help="how much context the LLM receives, in tokens of --context-tokenizer "
        "(default: no limit)",
    )
    parser.add_argument(
        "--context-by",
        choices=CONTEXT_BY,
        default="top-k",
        help="the context holds the top-k documents, or those at or above --cutoff (top-k)",
    )
    parser.add_argument(
        "--context-tokenizer",
        help="whose tokens count --context-budget: a model folder or hub id, or 'characters' "
        "(default: the baseline model's tokenizer; characters for precomputed vectors)",
    )
    add_llm_arguments(parser)
    parser.add_argument(
        "--keep-identical-ids",
        action="store_true",
        help="allow a query to retrieve the document with its own id (BEIR excludes it)",
    )


def add_rounds_arguments(parser: argparse.ArgumentParser) -> None:
    add_corpus_arguments(parser)
    specs = "'default', a model folder, a hub id, or vectors:PATH"
    parser.add_argument("--baseline", required=True, help=f"the model before any round: {specs}")
    parser.add_argument(
        "--round",
        dest="rounds",
        action="append",
        default=[],
        metavar="NAME=SPEC[,SPEC...]",
        help="a round, in order (repeat); several specs: the round's checkpoints trained "
        "with different seeds",
    )
    parser.add_argument(
        "--series",
        type=Path,
        help="a folder whose sub-folders are the rounds' checkpoints, in name order "
        "(a sub-folder of model folders: one round, several seeds)",
    )
    parser.add_argument(
        "--target",
        dest="targets",
        action="append",
        default=[],
        help="a domain the rounds were tuned for (repeat; default: the domains the "
        "checkpoints' finetune recipes record)",
    )
    parser.add_argument(
        "--policy", type=Path, help="policy TOML (default: the shipped default policy)"
    )
    parser.add_argument("--out", required=True, type=Path, help="output folder of the series")
    add_encoding_arguments(parser)
    add_setting_arguments(parser)


def add_llm_arguments(parser: argparse.ArgumentParser) -> None:
    llm = parser.add_argument_group(
        "LLM in the loop (answers from both contexts, judgments of the changed documents)"
    )
    llm.add_argument(
        "--llm",
        help="'default': the embedded SmolLM2-135M (offline, far too small to trust; for "
        "machinery and demos). Your own model: --llm-base-url and --llm-model instead",
    )
    llm.add_argument("--llm-base-url", help="an OpenAI-compatible endpoint, e.g. http://host/v1")
    llm.add_argument("--llm-model", help="the model's name at --llm-base-url")
    llm.add_argument(
        "--llm-api-key-env",
        help="the environment variable holding the API key (the key is never written anywhere)",
    )
    llm.add_argument(
        "--llm-queries",
        type=at_least(1),
        help="a seeded sample of this many queries, split evenly over domains (default: all)",
    )
    llm.add_argument(
        "--max-llm-calls",
        type=at_least(0),
        help="stop after this many LLM calls (cached answers are free; default: no limit)",
    )
    llm.add_argument(
        "--llm-concurrency", type=at_least(1), default=4, help="calls in flight at once (4)"
    )
    llm.add_argument(
        "--llm-timeout", type=float, default=60.0, help="seconds per call before retrying (60)"
    )
    llm.add_argument(
        "--llm-agreement-pairs",
        type=at_least(0),
        default=40,
        help="judged pairs the LLM judge is checked on (40)",
    )


def add_corpus_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument(
        "--corpus",
        required=required,
        help="a BEIR folder, a folder of BEIR folders, or a documents table (CSV/JSONL/Parquet)",
    )
    parser.add_argument("--queries", help="queries table (flat-table corpora only)")
    parser.add_argument("--qrels", help="judgments table (flat-table corpora only)")
    parser.add_argument(
        "--answers", help="reference answers table (query_id, answer; several rows per query)"
    )
    parser.add_argument("--split", default="test", help="BEIR qrels split (default: test)")
    parser.add_argument(
        "--strict", action="store_true", help="treat corpus notices (e.g. unknown ids) as errors"
    )


def add_model_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    specs = "'default', a model folder, a hub id, or vectors:PATH"
    parser.add_argument("--baseline", required=required, help=f"baseline model: {specs}")
    parser.add_argument("--candidate", required=required, help=f"candidate model: {specs}")
    add_encoding_arguments(parser)


def add_encoding_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cache-dir",
        type=Path,
        help="embedding cache folder (default: $RECALL_HORIZON_CACHE or ~/.cache/recall-horizon)",
    )
    parser.add_argument("--batch-size", type=at_least(1), default=64, help="encoding batch size")
    parser.add_argument(
        "--max-seq-length", type=at_least(1), help="override the models' max tokens"
    )
    parser.add_argument(
        "--trust-remote-code",
        action="store_true",
        help="allow models that ship their own Python code to run it (off by default)",
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands = {
        "compare": run_compare,
        "embed": run_embed,
        "finetune": run_finetune,
        "demo": run_demo,
        "check": run_check,
        "report": run_report,
        "rounds": run_rounds,
    }
    try:
        return commands[args.command](args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as err:  # e.g. an output folder that cannot be written
        where = f"{err.filename}: " if err.filename else ""
        print(f"error: {where}{err.strerror or err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def load_corpus_arg(args: argparse.Namespace) -> Corpus:
    from analysis.inputs.corpus import load_corpus

    corpus = load_corpus(
        args.corpus,
        queries=args.queries,
        qrels=args.qrels,
        answers=args.answers,
        split=args.split,
    )
    if args.strict and corpus.notices:
        raise InputError("--strict: the corpus has problems:\n" + "\n".join(corpus.notices))
    for notice in corpus.notices:
        print(f"warning: {notice}", file=sys.stderr)
    return corpus


def source_from(args: argparse.Namespace, spec: str) -> EmbeddingSource:
    from analysis.inputs.specs import resolve_source

    return resolve_source(
        spec,
        trust_remote_code=args.trust_remote_code,
        max_seq_length=args.max_seq_length,
        batch_size=args.batch_size,
    )


def model_source(args: argparse.Namespace, spec: str, option: str) -> SentenceTransformerSource:
    """A model to run (encode or train), where precomputed vectors cannot stand in."""
    from analysis.inputs.models import SentenceTransformerSource

    source = source_from(args, spec)
    if not isinstance(source, SentenceTransformerSource):
        raise InputError(f"{option} must be a sentence-transformers model, not precomputed vectors")
    return source


def load_inputs(
    args: argparse.Namespace,
) -> tuple[Corpus, EmbeddingSource, EmbeddingSource]:
    """Corpus and both embedding sources from the shared arguments."""
    corpus = load_corpus_arg(args)
    return corpus, source_from(args, args.baseline), source_from(args, args.candidate)


def check_cache(cache: EmbeddingCache, sources: list[EmbeddingSource]) -> None:
    """A cache that encoded texts cannot be written to is an error before any encoding."""
    from analysis.bundle.out import check_writable

    if any(s.cache_namespace("document") is not None for s in sources):
        check_writable(cache.root, what=f"embedding cache {cache.root} (--cache-dir)")


def run_embed(args: argparse.Namespace) -> int:
    from analysis.bundle.out import check_writable
    from analysis.inputs.cache import EmbeddingCache
    from analysis.inputs.embed import embed_corpus
    from analysis.inputs.vectors import write_vectors
    from analysis.progress import TqdmProgress

    if args.ray is not None:
        return run_embed_on_ray(args)
    if args.out.suffix.lower() != ".parquet":
        raise InputError(f"--out {args.out}: the vectors file must end in .parquet")
    if args.out.exists():
        raise InputError(f"--out {args.out}: the file exists; choose a new file name")
    check_writable(args.out.parent, what=f"--out {args.out}")
    corpus = load_corpus_arg(args)
    source = source_from(args, args.model)
    cache = EmbeddingCache(args.cache_dir)
    check_cache(cache, [source])
    vectors = embed_corpus(
        corpus,
        source,
        cache=cache,
        label=args.model,
        progress=TqdmProgress(),
    )
    write_vectors(args.out, corpus, vectors)
    print(f"wrote {corpus.n_docs:,} document and {corpus.n_queries:,} query vectors to {args.out}")
    return EXIT_OK


def run_embed_on_ray(args: argparse.Namespace) -> int:
    from analysis.inputs.ray_embed import RayEncoding, embed_on_ray

    if args.out.suffix.lower() == ".parquet":
        raise InputError(f"--out {args.out}: with --ray the output is a folder of shards")
    if args.gpus_per_actor < 0:
        raise InputError(f"--gpus-per-actor must be 0 or more, got {args.gpus_per_actor}")
    corpus = load_corpus_arg(args)
    source = model_source(args, args.model, "--model")
    encoding = RayEncoding(
        model=args.model,
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
        report=lambda line: print(line, file=sys.stderr),
    )
    print(
        f"{args.out}: {corpus.n_docs:,} document and {corpus.n_queries:,} query vectors "
        f"({encoded} shard(s) encoded by this run); read them as vectors:{args.out}/"
    )
    return EXIT_OK


def summary_source(args: argparse.Namespace) -> Path:
    """The output folder to read: --from, or a fresh comparison written to --out."""
    if args.from_dir is not None:
        if args.corpus or args.baseline or args.candidate:
            raise InputError("use either --from DIR or --corpus/--baseline/--candidate, not both")
        return args.from_dir
    missing = [f"--{n}" for n in ("corpus", "baseline", "candidate", "out") if not getattr(args, n)]
    if missing:
        raise InputError(f"give --from DIR, or {', '.join(missing)} for a fresh comparison")
    run_compare(args)
    return args.out


def run_check(args: argparse.Namespace) -> int:
    from analysis.bundle.files import load_summary
    from analysis.verdict.gate import evaluate, load_policy

    policy = load_policy(args.policy)  # validate before any long computation
    folder = summary_source(args)
    result = evaluate(load_summary(folder), policy)
    print_gate(result, policy.source)
    return EXIT_OK if result.passed else EXIT_BREACH


def print_gate(result: GateResult, source: str) -> None:
    for name in result.unknown_domains:
        print(
            f"warning: the policy names domain '{name}', which is not in this comparison",
            file=sys.stderr,
        )
    print(f"\npolicy: {source}")
    by_domain: dict[str, list] = {}
    for check in result.checks:
        by_domain.setdefault(check.domain, []).append(check)
    for domain, checks in by_domain.items():
        verdict = "PASS" if all(c.passed for c in checks) else "FAIL"
        print(f"\n{verdict}  {domain}")
        for check in checks:
            mark = ("ok  " if check.evaluated else "skip") if check.passed else "FAIL"
            print(f"  {mark}  {check.detail}")
    print(f"\nverdict: {verdict_line(result)}")


def verdict_line(result: GateResult) -> str:
    failed = result.failed_domains()
    if failed:
        return f"breached in {', '.join(failed)}"
    if not result.evaluated:
        return "nothing was checked (no guardrail of the policy applies to this comparison)"
    return "every guardrail holds"


def run_report(args: argparse.Namespace) -> int:
    from analysis.bundle.files import load_bundle
    from analysis.verdict.gate import evaluate, load_policy

    policy = load_policy(args.policy)
    check_report_file(args.report)
    folder = summary_source(args)
    from reporting.html import write_report

    bundle = load_bundle(folder)
    gate = evaluate(bundle.summary, policy)
    size = write_report(bundle, args.report, gate=gate, policy_source=policy.source)
    print(f"wrote {args.report} ({size / 1e6:.1f} MB) from the data bundle in {folder}")
    return EXIT_OK


def check_report_file(path: Path) -> None:
    """The report must be an .html file; an existing file is replaced only if it is one."""
    from analysis.bundle.out import check_writable

    if path.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"--report {path}: the report is HTML; give a name ending in .html")
    if path.exists() and not path.is_file():
        raise InputError(f"--report {path}: is a folder, not a file")
    check_writable(path.parent, what=f"--report {path}")


def run_compare(args: argparse.Namespace) -> int:
    from analysis.bundle.files import write_comparison
    from analysis.bundle.out import check_out
    from analysis.compare import compare, embed_pair
    from analysis.inputs.cache import EmbeddingCache
    from analysis.progress import TqdmProgress
    from analysis.terminal import domain_table

    config = make_config(args)
    check_out(args.out)  # before any work: a bad --out must not cost an encoding run
    started = time.perf_counter()
    corpus, baseline, candidate = load_inputs(args)
    progress = TqdmProgress()
    cache = EmbeddingCache(args.cache_dir)
    check_cache(cache, [baseline, candidate])
    base_vectors, cand_vectors = embed_pair(
        corpus, baseline, candidate, cache=cache, progress=progress
    )
    for path in cache.discarded:
        print(f"warning: damaged cache entry {path} was discarded and recomputed", file=sys.stderr)
    for label, side in (("baseline", base_vectors), ("candidate", cand_vectors)):
        for warning in side.warnings(label):
            print(f"warning: {warning}", file=sys.stderr)
    comparison = compare(
        corpus, base_vectors, cand_vectors, config, progress=progress, llm=llm_calls(args, cache)
    )
    bundle = write_comparison(comparison, args.out, corpus_source=str(args.corpus))
    print(domain_table(bundle.summary))
    elapsed = time.perf_counter() - started
    sides = (base_vectors, cand_vectors)
    counts = [
        (sum(s.encoded for s in sides), "texts encoded"),
        (sum(s.cached for s in sides), "from the embedding cache"),
        (sum(s.read for s in sides), "read from vectors files"),
    ]
    said = ", ".join(f"{n:,} {what}" for n, what in counts if n) or "nothing to embed"
    print(f"\n{said}; wrote {args.out} in {elapsed:.1f}s")
    return EXIT_OK


def run_rounds(args: argparse.Namespace) -> int:
    from analysis.bundle.out import check_out, replacing
    from analysis.inputs.cache import EmbeddingCache
    from analysis.inputs.embed import embed_corpus
    from analysis.progress import TqdmProgress
    from analysis.rounds.record import build_record, write_record
    from analysis.rounds.run import compare_rounds
    from analysis.rounds.spec import (
        check_rounds,
        parse_round,
        rounds_from_folder,
        targets_from_recipes,
    )
    from analysis.rounds.text import rounds_text
    from analysis.verdict.gate import load_policy
    from analysis.verdict.rounds import series_verdict

    if args.rounds and args.series:
        raise InputError("give the rounds either as --round options or as --series, not both")
    rounds = [parse_round(r) for r in args.rounds] or (
        rounds_from_folder(args.series) if args.series else []
    )
    check_rounds(rounds)
    policy = load_policy(args.policy)
    config = make_config(args)
    check_out(args.out)
    targets = tuple(args.targets) or targets_from_recipes(rounds)
    corpus = load_corpus_arg(args)
    unknown = [t for t in targets if t not in corpus.domains]
    if unknown:
        raise InputError(
            f"--target {', '.join(unknown)}: not a domain of the corpus "
            f"({', '.join(corpus.domains)})"
        )
    cache = EmbeddingCache(args.cache_dir)
    progress = TqdmProgress()

    def embed(spec: str, label: str) -> CorpusEmbeddings:
        source = source_from(args, spec)
        check_cache(cache, [source])
        return embed_corpus(corpus, source, cache=cache, label=label, progress=progress)

    baseline = embed(args.baseline, "baseline")
    with replacing(args.out) as staging:
        results, cutoff = compare_rounds(
            corpus,
            baseline,
            rounds,
            config,
            embed=embed,
            out=staging,
            corpus_source=str(args.corpus),
            progress=progress,
            llm=llm_calls(args, cache),
        )
        verdict = series_verdict(
            [
                (r.round.name, [c.summary for c in r.cumulative], [c.summary for c in r.marginal])
                for r in results
            ],
            policy,
        )
        record = build_record(
            results,
            verdict,
            baseline=args.baseline,
            targets=targets,
            cutoff=cutoff,
            policy_source=policy.source,
        )
        write_record(record, staging)
        from reporting.html import write_rounds_report

        write_rounds_report(record, staging / "report.html")
    print(rounds_text(record))
    print(f"\nwrote {args.out} ({len(rounds)} rounds; the series report: {args.out}/report.html)")
    return EXIT_BREACH if verdict.rollback_advised else EXIT_OK


def run_demo_series(args: argparse.Namespace) -> int:
    """The demo's recipe in ``--rounds`` rounds by epochs (built once, then cached), and
    ``rounds`` on them."""
    from analysis.progress import TqdmProgress
    from analysis.tuning.demo import SAMPLE_CORPUS, ensure_demo_series

    series = ensure_demo_series(args.rounds, args.cache_dir, progress=TqdmProgress())
    out = args.out or Path("artifacts/demo-rounds")
    extra = ["--cache-dir", str(args.cache_dir)] if args.cache_dir else []
    return run_rounds(
        build_parser().parse_args(
            ["rounds", "--corpus", str(SAMPLE_CORPUS), "--baseline", "default"]
            + ["--series", str(series), "--out", str(out), *extra]
        )
    )


def chat_model_of(args: argparse.Namespace) -> ChatModel | None:
    from analysis.llm.resolve import chat_model

    if args.llm_timeout <= 0:
        raise InputError(
            f"--llm-timeout must be a number of seconds above 0, got {args.llm_timeout}"
        )
    return chat_model(
        args.llm,
        base_url=args.llm_base_url,
        model=args.llm_model,
        api_key_env=args.llm_api_key_env,
        timeout=args.llm_timeout,
    )


def llm_calls(args: argparse.Namespace, cache: EmbeddingCache) -> LLMCalls | None:
    """The run's LLM calls, cached beside the embeddings; the plan is printed to stderr."""
    from analysis.llm.calls import LLMCalls
    from analysis.progress import TqdmProgress

    model = chat_model_of(args)
    if model is None:
        return None
    return LLMCalls(
        model,
        cache.root,
        concurrency=args.llm_concurrency,
        max_calls=args.max_llm_calls,
        progress=TqdmProgress(),
        report=lambda line: print(line, file=sys.stderr),
    )


def make_config(args: argparse.Namespace) -> CompareConfig:
    """CompareConfig from the arguments (it validates them and names the bad option)."""
    from analysis.context import measure_for
    from analysis.inputs.tokenizers import context_tokenizer
    from analysis.settings import CompareConfig

    config = CompareConfig(
        k=args.k,
        cutoff=args.cutoff,
        neighbours=args.neighbours,
        drift_exact_max_docs=args.drift_exact_max_docs,
        rbo_p=args.rbo_p,
        projection=args.projection,
        random_state=args.seed,
        exclude_identical_ids=not args.keep_identical_ids,
        context_budget=args.context_budget,
        context_by=args.context_by,
        context_tokenizer=context_tokenizer(
            args.context_tokenizer, baseline=args.baseline, budget=args.context_budget
        ),
        llm_queries=args.llm_queries,
        llm_agreement_pairs=args.llm_agreement_pairs,
    )
    model = chat_model_of(args)  # a bad LLM option fails before any work
    if model is not None:
        config = replace(config, llm=model.identity)
    measure_for(config.context_tokenizer)  # a tokenizer that cannot load fails before any work
    return config


def run_finetune(args: argparse.Namespace) -> int:
    from analysis.progress import TqdmProgress
    from analysis.tuning.finetune import Recipe, finetune, read_pairs

    corpus = load_corpus_arg(args)
    base = model_source(args, args.base, "--base")
    pairs_file = args.pairs or Path(args.corpus) / "train" / "pairs.jsonl"
    if not pairs_file.is_file():
        raise InputError(f"{pairs_file}: training pairs file not found (use --pairs)")
    recipe = Recipe(
        epochs=args.epochs,
        learning_rate=args.lr,
        batch_size=args.train_batch_size,
        train_layers=args.train_layers,
        scale=args.scale,
        adapter=args.adapter,
        adapter_bias=not args.no_adapter_bias,
        weight_decay=args.weight_decay,
        anchor=args.anchor,
        seed=args.seed,
    )
    started = time.perf_counter()
    pairs = read_pairs(pairs_file, corpus, args.domain)
    if args.rounds > 1 or args.seeds > 1:
        from analysis.tuning.series import finetune_series

        chains = finetune_series(
            base,
            corpus,
            pairs,
            domain=args.domain,
            out=args.out,
            recipe=recipe,
            rounds=args.rounds,
            seeds=args.seeds,
            by=args.round_by,
            cache_root=args.cache_dir,
            progress=TqdmProgress(),
        )
        print(
            f"{len(chains[0])} rounds x {len(chains)} seed(s) in {args.out} in "
            f"{time.perf_counter() - started:.1f}s (use rounds --series {args.out})"
        )
        return EXIT_OK
    out, cached = finetune(
        base,
        corpus,
        pairs,
        domain=args.domain,
        out=args.out,
        recipe=recipe,
        cache_root=args.cache_dir,
        progress=TqdmProgress(),
    )
    how = "copied from the cache" if cached else "trained"
    print(f"{how}: {out} in {time.perf_counter() - started:.1f}s (use --candidate {out})")
    return EXIT_OK


def run_demo(args: argparse.Namespace) -> int:
    """The newcomer's first run: everything offline, the candidate tuned on first use."""
    from analysis.progress import TqdmProgress
    from analysis.tuning.demo import DEMO_DOMAIN, SAMPLE_CORPUS, ensure_demo_candidate

    if args.rounds:
        return run_demo_series(args)
    args.out = args.out or Path("artifacts/demo")
    started = time.perf_counter()
    folder, cached = ensure_demo_candidate(args.cache_dir, progress=TqdmProgress())
    how = "from the cache" if cached else f"tuned on '{DEMO_DOMAIN}'"
    print(f"demo candidate {how} in {time.perf_counter() - started:.0f}s: {folder}")
    parser = build_parser()
    compare_args = parser.parse_args(
        [
            "report",
            "--corpus",
            str(SAMPLE_CORPUS),
            "--baseline",
            "default",
            "--candidate",
            str(folder),
            "--out",
            str(args.out),
            "--projection",
            "--report",
            str(args.out / "report.html"),
        ]
        + (["--cache-dir", str(args.cache_dir)] if args.cache_dir else [])
    )
    run_report(compare_args)
    return EXIT_OK
