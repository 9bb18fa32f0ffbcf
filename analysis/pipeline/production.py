"""A comparison's questions when they are production's: a query log's questions (weighted,
their missing domains inferred from the baseline's top-k) and, under ``--redact-queries``,
a bundle without their text. The pipeline's stages call these; nothing here runs alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from analysis.pipeline.request import Request
from analysis.progress import Progress

if TYPE_CHECKING:
    from analysis.bundle.files import Bundle
    from analysis.compare import Comparison
    from analysis.inputs.corpus import Corpus
    from analysis.inputs.embed import CorpusEmbeddings
    from analysis.retrieval import Ranking
    from analysis.settings import CompareConfig

REDACTION_SALT_ENV = "RECALL_HORIZON_REDACTION_SALT"


def with_query_log(corpus: Corpus, request: Request) -> Corpus:
    """The corpus's documents with the query log's questions; under ``redact_queries`` their
    ids are salted hashes (the salt: $RECALL_HORIZON_REDACTION_SALT, so that two runs' hashes
    match, or a random one kept nowhere)."""
    import os
    import secrets

    from analysis.inputs.query_log import read_query_log, with_logged_questions

    salt, source = None, ""
    if request.redact_queries:
        given = os.environ.get(REDACTION_SALT_ENV)
        salt = given.encode() if given else secrets.token_bytes(32)
        source = (
            f"from ${REDACTION_SALT_ENV} (hashes match across runs with the same salt)"
            if given
            else "random, for this run only, kept nowhere (hashes match no other run's)"
        )
    log = read_query_log(str(request.query_log), salt=salt, salt_source=source)
    return with_logged_questions(corpus, log)


def bundle_of(comparison: Comparison, request: Request) -> Bundle:
    """The comparison's bundle; under ``redact_queries``, with no question's text in it."""
    from analysis.bundle.files import make_bundle
    from analysis.bundle.redact import redacted

    bundle = make_bundle(comparison, corpus_source=request.corpus)
    return redacted(bundle, comparison.corpus) if request.redact_queries else bundle


def infer_query_domains(
    corpus: Corpus, baseline: CorpusEmbeddings, config: CompareConfig, progress: Progress
) -> tuple[Corpus, Ranking]:
    """The corpus with its questions' missing domains inferred from the baseline's top-k,
    and that ranking (``compare`` reuses it rather than retrieving again)."""
    from analysis.compare import retrieval_depth, self_exclusions
    from analysis.inputs.inferred_domains import with_inferred_domains
    from analysis.retrieval import top_k_cosine

    excluded = self_exclusions(corpus) if config.exclude_identical_ids else None
    depth = retrieval_depth(corpus, config)
    ranking = top_k_cosine(
        baseline.queries,
        baseline.documents,
        depth,
        exclude=excluded,
        progress=progress,
        stage=f"baseline: retrieving top-{depth}",
    )
    given = with_inferred_domains(corpus, ranking.indices, config.k)
    progress.note(given.notices[-1])
    return given, ranking
