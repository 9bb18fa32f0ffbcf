"""Both models' document vectors left in ``embed --ray``'s shards: what a comparison reads
in their place (``compare --from-shards`` or ``--ray``).

The driver reads the queries' vectors (small) and each folder's plan; the documents'
vectors are read only by the per-shard passes (:mod:`analysis.shards.passes`), one shard
in memory at a time here or as Ray tasks, each result kept in the work folder so that a
rerun computes only the shards missing. The embeddings a comparison records (spec,
fingerprint, dimension) are those an in-process comparison of the same folders records.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from analysis.errors import InputError
from analysis.progress import Progress

if TYPE_CHECKING:
    from collections.abc import Iterator

    from analysis.inputs.corpus import Corpus
    from analysis.inputs.embed import CorpusEmbeddings
    from analysis.pipeline.request import Request
    from analysis.shards.documents import DocumentVectors
    from analysis.shards.layout import DocumentShard

OPTION = {"local": "--from-shards", "ray": "--ray"}


@contextmanager
def sharded_sides(
    request: Request, corpus: Corpus, progress: Progress
) -> Iterator[tuple[tuple[CorpusEmbeddings, CorpusEmbeddings], DocumentVectors]]:
    """Both sides' embeddings (queries only; the documents counted, not held) and the
    documents' vectors in their shards, for as long as the comparison runs (a local Ray
    cluster is stopped after)."""
    from analysis.shards.documents import DocumentVectors
    from analysis.shards.layout import paired, ray_embed_shards
    from analysis.shards.runner import LocalShards, RayShards

    option = OPTION[str(request.shards)]
    if request.near_misses:
        raise InputError(
            f"{option}: near misses are encoded by the models; leave out --near-misses"
        )
    if request.query_log:
        raise InputError(
            f"{option}: embed --ray encodes the corpus's questions, not a query log's, so the "
            "shards hold no vectors for the log; compare the log in one process (leave out "
            f"{option})"
        )
    folders = [_folder(spec, label, option) for spec, label in _specs(request)]
    per_side = [ray_embed_shards(folder, corpus) for folder in folders]
    shards = paired(per_side[0], per_side[1])
    work = Path(str(request.shard_work))
    report = progress.note
    if request.shards == "ray":
        runner: LocalShards | RayShards = RayShards(
            shards, work, address=request.ray_address, workers=request.ray_workers, report=report
        )
    else:
        runner = LocalShards(shards, work=work, report=report)
    progress.note(f"{option}: {len(shards)} shards of documents per model; results kept in {work}")
    try:
        sides = tuple(
            _side(spec, folder, side_shards, corpus)
            for (spec, _), folder, side_shards in zip(
                _specs(request), folders, per_side, strict=True
            )
        )
        dimensions = (sides[0].dimension, sides[1].dimension)
        documents = DocumentVectors(runner, [s.rows for s in shards], dimensions)
        yield (sides[0], sides[1]), documents
    finally:
        if isinstance(runner, RayShards):
            runner.close()


def shard_warnings(
    sides: tuple[CorpusEmbeddings, CorpusEmbeddings], documents: DocumentVectors
) -> list[str]:
    """What looks broken in the vectors (all-zero rows), as the in-process scan says it."""
    from analysis.inputs.embed import zero_vectors_warning

    out = []
    for side, (label, embeddings) in enumerate(zip(("baseline", "candidate"), sides, strict=True)):
        said = zero_vectors_warning(
            label, embeddings.spec, "document", documents.zero_rows(side), documents.n_docs
        )
        out += [said] if said else []
        out += [w for w in embeddings.warnings(label) if "document vectors" not in w]
    return out


def _specs(request: Request) -> list[tuple[str, str]]:
    return [(request.baseline, "baseline"), (request.candidate, "candidate")]


def _folder(spec: str, label: str, option: str) -> Path:
    from analysis.shards.layout import PLAN_FILE

    if not spec.startswith("vectors:"):
        raise InputError(
            f"{option}: the {label} is {spec!r}; the documents' vectors must already be in "
            "shards, an embed --ray output folder (vectors:DIR/): run "
            f"`recall-horizon embed --ray --model {spec} --out DIR` first"
        )
    folder = Path(spec.removeprefix("vectors:")).expanduser()
    if not (folder / PLAN_FILE).is_file():
        raise InputError(
            f"{option}: {folder} is not an embed --ray output folder (no {PLAN_FILE}); only "
            "its shards are read in place"
        )
    return folder


def _side(spec: str, folder: Path, shards: list[DocumentShard], corpus: Corpus) -> CorpusEmbeddings:
    """One side's record: its queries' vectors read, its documents' left in the shards."""
    from analysis.inputs.embed import CorpusEmbeddings
    from analysis.inputs.vectors import PrecomputedVectors

    queries = _query_vectors(folder, len(shards), corpus)
    dimension = queries.shape[1] if len(queries) else _dimension(shards[0] if shards else None)
    return CorpusEmbeddings(
        spec=spec,
        fingerprint=PrecomputedVectors(spec, folder).fingerprint,
        documents=np.zeros((0, dimension), dtype=np.float32),
        queries=queries.reshape(len(queries), dimension),
        encoded=0,
        cached=0,
        documents_elsewhere=corpus.n_docs,
    )


def _query_vectors(folder: Path, first_part: int, corpus: Corpus) -> np.ndarray:
    """The queries' vectors: the parts after the documents' (``query:<id>`` rows), checked
    to be the corpus's queries in order and scaled to unit length as the reader does."""
    import pyarrow.parquet as pq

    from analysis.inputs.vectors import QUERY_PREFIX, normalise_in_place

    blocks: list[np.ndarray] = []
    ids: list[str] = []
    number = first_part
    while len(ids) < corpus.n_queries:
        path = folder / f"part-{number:05d}.parquet"
        if not path.is_file():
            raise InputError(f"{folder}: shard {path.name} of the queries is missing")
        try:
            table = pq.read_table(path, columns=["id", "embedding"])
        except (OSError, ValueError, KeyError) as err:
            raise InputError(f"shard {path}: unreadable ({err})") from None
        ids += table.column("id").to_pylist()
        column = table.column("embedding").combine_chunks()
        flat = np.asarray(column.flatten().to_numpy(zero_copy_only=False), dtype=np.float32)
        blocks.append(flat.reshape(len(column), -1))
        number += 1
    wanted = [QUERY_PREFIX + q for q in corpus.query_ids]
    if ids != wanted:
        at = next((i for i, (a, b) in enumerate(zip(ids, wanted, strict=False)) if a != b), None)
        where = f"row {at} is {ids[at]!r}, not {wanted[at]!r}" if at is not None else "extra rows"
        raise InputError(f"{folder}: the queries' shards are not this corpus's queries ({where})")
    if not blocks:
        return np.zeros((0, 0), dtype=np.float32)
    queries = np.vstack(blocks)
    normalise_in_place(queries)
    return queries


def _dimension(shard: DocumentShard | None) -> int:
    """A model's dimension from its first shard's first row (a corpus without queries)."""
    import pyarrow.parquet as pq

    if shard is None:
        return 0
    first = pq.ParquetFile(shard.path).read_row_group(0, columns=["embedding"])
    return len(first.column("embedding")[0].as_py())
