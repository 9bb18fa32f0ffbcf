"""The arguments commands share, and the one function that turns them into a
:class:`~analysis.pipeline.request.Request`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

from analysis.errors import InputError
from analysis.pipeline.production import REDACTION_SALT_ENV
from analysis.pipeline.request import Request
from analysis.remedies.plan import RemedyPlan, parse_grid, parse_remedies
from analysis.settings import CONTEXT_BY, DEFAULT_DRIFT_EXACT_MAX_DOCS, DEFAULT_DRIFT_MAX_DOCS

PROG = "recall-horizon"
EXIT_OK, EXIT_BREACH, EXIT_BAD_INPUT = 0, 1, 2
MODEL_SPECS = "'default', a model folder, a hub id, or vectors:PATH"


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


def request_from(args: argparse.Namespace, **override: object) -> Request:
    """The request the parsed arguments make: every Request field the command has an
    option for, the Request's default for the others (``override`` wins)."""
    names = {f.name for f in fields(Request)}
    given = {name: getattr(args, name) for name in names if hasattr(args, name)}
    given.setdefault("baseline", "")
    given.setdefault("candidate", "")
    for side in ("baseline", "candidate"):  # --backend/--quantize: every model, unless its
        given[side] = backend_spec(args, given[side])  # spec names its own (@onnx-int8)
    for name in ("corpus", "baseline", "candidate"):  # --id-field ...: every store spec
        if given.get(name):
            given[name] = payload_spec(args, given[name])
    given.update(_shard_settings(args))
    return Request(**{**given, **override})


def _shard_settings(args: argparse.Namespace) -> dict[str, Any]:
    """--ray / --from-shards as the request's shard settings (a comparing command's: embed's
    --ray encodes, and has no --from-shards)."""
    if not hasattr(args, "from_shards"):
        return {}
    ray, local = args.ray, args.from_shards
    if ray is None and not local:
        return {}
    out = getattr(args, "out", None)
    work = getattr(args, "shard_work", None)
    if work is None and out is not None:
        work = out.with_name(out.name + ".shard-results")
    if work is None:
        raise InputError("--ray/--from-shards: give --shard-work DIR (or --out)")
    return {
        "shards": "ray" if ray is not None else "local",
        "ray_address": ray or None,
        "shard_work": work,
    }


def backend_spec(args: argparse.Namespace, spec: str) -> str:
    """A model spec with the command's --backend and --quantize applied."""
    from analysis.inputs.backends import with_backend

    runtime, quantize = getattr(args, "backend", "torch"), getattr(args, "quantize", "none")
    return with_backend(spec, runtime, quantize) if spec else spec


def payload_spec(args: argparse.Namespace, spec: str) -> str:
    """A store spec with the command's --id-field/--text-field/--title-field/--domain-field
    where it sets none of its own (other specs unchanged)."""
    from analysis.inputs.stores.spec import with_defaults

    fields = ("id-field", "text-field", "title-field", "domain-field")
    return with_defaults(spec, {f: getattr(args, f.replace("-", "_"), None) for f in fields})


def say(line: str) -> None:
    """A line for the user on stderr (stdout holds the command's result)."""
    print(line, file=sys.stderr)


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """Either an existing output folder (--from) or everything a fresh comparison needs."""
    parser.add_argument("--from", dest="from_dir", type=Path, help="an existing compare --out")
    add_comparison_arguments(parser, required=False)


def add_comparison_arguments(parser: argparse.ArgumentParser, *, required: bool) -> None:
    """The one set of arguments of every command that compares (compare, check, report)."""
    add_corpus_arguments(parser, required=required)
    add_model_arguments(parser, required=required)
    parser.add_argument(
        "--out", required=required, type=Path, help="output folder of the comparison"
    )
    add_setting_arguments(parser)
    add_remedy_arguments(parser)
    parser.add_argument(
        "--query-log",
        help="production questions as the queries: a CSV/TSV/JSONL/Parquet log with the "
        "question (query, question or text) and optionally count, timestamp, domain; repeated "
        "questions weigh by their asks, a missing domain is inferred (docs/query-logs.md)",
    )
    parser.add_argument(
        "--redact-queries",
        action="store_true",
        help="keep only each question's id (a salted hash, for a query log) and domain in the "
        f"bundle and report: no question's text (salt: ${REDACTION_SALT_ENV}, else random)",
    )
    add_shard_arguments(parser)


def add_shard_arguments(parser: argparse.ArgumentParser) -> None:
    """Comparing documents whose vectors stay in embed --ray's shards (docs/scale.md)."""
    group = parser.add_argument_group(
        "past one machine (both models' vectors as embed --ray folders, vectors:DIR/)"
    )
    where = group.add_mutually_exclusive_group()
    where.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="run the per-document passes as Ray tasks, one per shard: alone, a local Ray "
        "on this machine (127.0.0.1 only); with an address (ray://host:10001 or auto), "
        "your cluster, whose workers must see the shards and the --shard-work folder",
    )
    where.add_argument(
        "--from-shards",
        action="store_true",
        help="stream the documents' vectors from their shards, one shard in memory at a "
        "time, on this machine (for vectors that do not fit in memory)",
    )
    group.add_argument(
        "--ray-workers",
        type=at_least(1),
        default=2,
        help="workers of the local Ray cluster --ray starts (2)",
    )
    group.add_argument(
        "--shard-work",
        type=Path,
        help="folder of the per-shard results, kept so that a rerun computes only the "
        "shards missing (default: beside --out, OUT.shard-results)",
    )


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
    parser.add_argument(
        "--drift-max-docs",
        type=int,
        default=DEFAULT_DRIFT_MAX_DOCS,
        help="documents whose neighbourhoods drift compares: a seeded sample of this many "
        f"when the corpus is larger ({DEFAULT_DRIFT_MAX_DOCS})",
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
        "--near-misses",
        metavar="rules|FILE",
        help="near-miss sensitivity: 'rules' makes a negation, role swap, number change and "
        "condition flip of each judged pair's passage (docs/near-misses.md); FILE holds your "
        "own (query, document or passage, near_miss[, domain]). Both sides must be models",
    )
    parser.add_argument(
        "--keep-identical-ids",
        action="store_true",
        help="allow a query to retrieve the document with its own id (BEIR excludes it)",
    )


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


def add_remedy_arguments(parser: argparse.ArgumentParser) -> None:
    """Which remedies to evaluate beside the comparison, and their grids."""
    group = parser.add_argument_group(
        "remedies (each a new candidate against the same baseline, judged by the same policy)"
    )
    group.add_argument(
        "--remedies",
        metavar="LIST",
        help="'all' or some of interpolate,fusion,hybrid,floor,rerank (comma-separated)",
    )
    group.add_argument("--alphas", help="interpolation grid (0,0.1,...,1)")
    group.add_argument("--fusion-weights", help="score fusion: the candidate's weights (0,...,1)")
    group.add_argument("--bm25-weights", help="hybrid: BM25's weights (0.1,0.2,0.3,0.5)")
    group.add_argument("--floor-slots", help="recall floor: places kept for the baseline (2,4)")
    group.add_argument(
        "--reranker", metavar="SPEC", help="rerank: a cross-encoder's folder or hub id"
    )
    group.add_argument("--rerank-depths", help="rerank: the candidate's top K' reranked (20,50)")
    group.add_argument(
        "--remedy-target",
        dest="remedy_targets",
        action="append",
        default=[],
        metavar="DOMAIN",
        help="a domain the candidate was tuned for (repeat; default: where it gained most)",
    )
    group.add_argument(
        "--setting-folders",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="write each setting's own comparison under OUT/remedies/ (what the dashboard's "
        "Remedies page shows on every page when it is picked; --no-setting-folders: the "
        "verdicts only, faster)",
    )


def remedy_plan(args: argparse.Namespace) -> RemedyPlan | None:
    """The remedies the arguments ask for (None: none)."""
    if not getattr(args, "remedies", None):
        return None
    grids: dict[str, Any] = {}
    for option, name, whole in (
        ("--alphas", "alphas", False),
        ("--fusion-weights", "weights", False),
        ("--bm25-weights", "bm25_weights", False),
        ("--floor-slots", "floor_slots", True),
        ("--rerank-depths", "rerank_depths", True),
    ):
        text = getattr(args, option[2:].replace("-", "_"))
        if text is not None:
            grids[name] = parse_grid(option, text, whole=whole)
    return RemedyPlan(
        parse_remedies(args.remedies, reranker=args.reranker),
        reranker=args.reranker,
        targets=tuple(args.remedy_targets),
        **grids,
    )


def add_corpus_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument(
        "--corpus",
        required=required,
        help="a BEIR folder, a folder of BEIR folders, a documents table (CSV/JSONL/Parquet), "
        "or a vector store whose payload holds each document's text and domain "
        "(qdrant:PATH?collection=NAME, lancedb:..., chroma:...; docs/stores.md)",
    )
    parser.add_argument("--queries", help="queries table (flat-table and store corpora)")
    parser.add_argument("--qrels", help="judgments table (flat-table and store corpora)")
    for name, what, default in (
        ("id", "document id", "the point's own id; LanceDB: id"),
        ("text", "document text", "text; Chroma: the record's document"),
        ("title", "document title", "title; optional"),
        ("domain", "document domain", "domain"),
    ):
        parser.add_argument(
            f"--{name}-field",
            help=f"a vector store's payload field holding the {what} (default: {default}); "
            "for every store spec that names none",
        )
    parser.add_argument(
        "--answers", help="reference answers table (query_id, answer; several rows per query)"
    )
    parser.add_argument("--split", default="test", help="BEIR qrels split (default: test)")
    parser.add_argument(
        "--strict", action="store_true", help="treat corpus notices (e.g. unknown ids) as errors"
    )


def add_model_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument("--baseline", required=required, help=f"baseline model: {MODEL_SPECS}")
    parser.add_argument("--candidate", required=required, help=f"candidate model: {MODEL_SPECS}")
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
    parser.add_argument(
        "--backend",
        choices=("torch", "onnx", "openvino"),
        default="torch",
        help="where every model's transformer runs (default torch; onnx: ONNX Runtime, "
        "openvino: OpenVINO, each exported once and cached); a model spec's own suffix "
        "(default@onnx-int8) wins",
    )
    parser.add_argument(
        "--quantize",
        choices=("none", "int8"),
        default="none",
        help="int8: the onnx or openvino backend with int8 weights (ONNX Runtime's dynamic "
        "quantisation); audited against the float model",
    )
