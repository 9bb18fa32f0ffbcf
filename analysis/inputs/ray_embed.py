"""Encode a corpus on a Ray cluster (``embed --ray``): sharded Parquet vectors, resumable.

The corpus becomes a Ray dataset of shards (a shard: up to ``shard_rows`` documents, or
queries, with their ids and texts). ``map_batches`` sends the shards to a pool of model
actors, one per GPU or CPU slot, and each actor encodes its shard and writes it as
``part-NNNNN.parquet`` (ids + float32 embeddings), through a temporary name so that a shard
file exists only once it is whole. The folder then reads as ``vectors:DIR/``.

``_plan.json`` records what the folder is for (corpus, model, shard size). A rerun into the
same folder skips the shards already written, which is how an interrupted run resumes; a
rerun with another corpus, model or shard size is refused rather than mixed in.
Without an address Ray starts on this machine; with one it joins the user's cluster, whose
workers must see the output folder (a shared file system) and the model.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analysis.errors import InputError
from analysis.inputs.corpus import Corpus
from analysis.inputs.ray_cluster import check_reachable, start_ray
from analysis.inputs.vectors import QUERY_PREFIX, write_vector_table

PLAN_FILE = "_plan.json"
DEFAULT_SHARD_ROWS = 10_000


@dataclass(frozen=True)
class RayEncoding:
    """How the actors encode: the model and its options, and the pool's shape."""

    model: str
    model_fingerprint: str
    batch_size: int = 64
    max_seq_length: int | None = None
    trust_remote_code: bool = False
    actors: int = 1
    gpus_per_actor: float = 0.0
    cpus_per_actor: float = 1.0


@dataclass(frozen=True)
class Shard:
    number: int
    role: str  # "document" or "query"
    start: int  # first row of the role's list
    stop: int

    @property
    def file_name(self) -> str:
        return f"part-{self.number:05d}.parquet"


def plan_shards(corpus: Corpus, shard_rows: int) -> list[Shard]:
    """Documents, then queries, cut into shards of at most ``shard_rows`` rows."""
    if shard_rows < 1:
        raise InputError(f"--shard-rows must be at least 1, got {shard_rows}")
    shards: list[Shard] = []
    for role, count in (("document", corpus.n_docs), ("query", corpus.n_queries)):
        for start in range(0, count, shard_rows):
            shards.append(Shard(len(shards), role, start, min(start + shard_rows, count)))
    return shards


def embed_on_ray(
    corpus: Corpus,
    encoding: RayEncoding,
    out: Path,
    *,
    address: str | None,
    shard_rows: int = DEFAULT_SHARD_ROWS,
    report: Callable[[str], None] = print,
) -> int:
    """Write every missing shard of ``out``; returns how many shards this run encoded."""
    if address:
        check_reachable(address)  # before anything is written
    shards = plan_shards(corpus, shard_rows)
    _claim(out, corpus, encoding, shard_rows, len(shards))
    pending = [s for s in shards if not (out / s.file_name).is_file()]
    done = len(shards) - len(pending)
    if done:
        report(f"resuming: {done} of {len(shards)} shards already written, skipped")
    if not pending:
        return 0
    from ray.exceptions import RayError

    # a local Ray gets a CPU per actor plus one for Ray Data's own tasks
    ray = start_ray(address, local_cpus=int(encoding.actors * encoding.cpus_per_actor) + 1)
    ray.data.DataContext.get_current().enable_progress_bars = False  # ours are per shard
    try:
        dataset = ray.data.from_items([_shard_row(corpus, s) for s in pending])
        encoded = dataset.map_batches(
            ShardEncoder,
            fn_constructor_kwargs={"encoding": encoding, "out": str(out)},
            batch_size=1,
            concurrency=encoding.actors,
            num_gpus=encoding.gpus_per_actor,
            num_cpus=encoding.cpus_per_actor,
        )
        rows = sum(s.stop - s.start for s in pending)
        written = 0
        for batch in encoded.iter_batches(batch_size=1):
            written += int(batch["rows"][0])
            report(
                f"shard {int(batch['shard'][0]) + 1} of {len(shards)} written "
                f"({written:,} of {rows:,} rows this run)"
            )
    except RayError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(
            f"encoding on Ray failed ({first}); the shards written so far are kept, and "
            "rerunning the same command resumes after them"
        ) from None
    finally:
        ray.shutdown()
    return len(pending)


class ShardEncoder:
    """A Ray actor: loads the model once, then encodes and writes one shard per call."""

    def __init__(self, encoding: RayEncoding, out: str) -> None:
        from analysis.inputs.specs import resolve_source

        self.out = Path(out)
        self.source = resolve_source(
            encoding.model,
            trust_remote_code=encoding.trust_remote_code,
            max_seq_length=encoding.max_seq_length,
            batch_size=encoding.batch_size,
        )

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        for number, role, ids, texts in zip(
            batch["number"], batch["role"], batch["ids"], batch["texts"], strict=True
        ):
            ids, texts = [str(i) for i in ids], [str(t) for t in texts]
            vectors = self.source.embed(ids, texts, role=role)
            names = [QUERY_PREFIX + i for i in ids] if role == "query" else ids
            final = self.out / f"part-{int(number):05d}.parquet"
            partial = final.with_name(f".{final.name}.{os.getpid()}.tmp")
            write_vector_table(partial, names, vectors)
            os.replace(partial, final)  # the shard appears whole or not at all
        return {
            "shard": np.asarray(batch["number"]),
            "rows": np.asarray([len(i) for i in batch["ids"]]),
        }


def _shard_row(corpus: Corpus, shard: Shard) -> dict[str, Any]:
    ids, texts = (
        (corpus.doc_ids, corpus.doc_texts)
        if shard.role == "document"
        else (corpus.query_ids, corpus.query_texts)
    )
    return {
        "number": shard.number,
        "role": shard.role,
        "ids": list(ids[shard.start : shard.stop]),
        "texts": list(texts[shard.start : shard.stop]),
    }


def _claim(out: Path, corpus: Corpus, encoding: RayEncoding, shard_rows: int, n: int) -> None:
    """Write the folder's plan, or check that an existing one is this run's."""
    plan = {
        "corpus": corpus.fingerprint,
        "model": encoding.model_fingerprint,
        "shard_rows": shard_rows,
        "shards": n,
        "encoding": {k: v for k, v in asdict(encoding).items() if k not in ("actors",)},
    }
    path = out / PLAN_FILE
    if path.is_file():
        try:
            existing = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise InputError(f"{path}: unreadable plan of an earlier run ({err})") from None
        differs = [
            key for key in ("corpus", "model", "shard_rows") if existing.get(key) != plan[key]
        ]
        if differs:
            raise InputError(
                f"--out {out}: holds shards of another run (its {', '.join(differs)} differ); "
                "choose a new folder, or remove this one to start again"
            )
        return
    if out.exists() and any(out.iterdir()):
        raise InputError(f"--out {out}: the folder exists and is not an embed --ray output")
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")
