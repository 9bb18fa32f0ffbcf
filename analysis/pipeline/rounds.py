"""run_rounds(request, rounds, ...) -> the record of a series of fine-tuning rounds: each
round compared with the baseline and with the round before, judged by the policy, written
under ``out``. The same stages as :func:`~analysis.pipeline.run.run_comparison` (corpus,
sources, vectors through the cache), one comparison per round and seed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.errors import InputError
from analysis.pipeline.request import Request
from analysis.pipeline.run import embed, embedding_cache, llm_calls, load_corpus, source_of
from analysis.progress import Progress

if TYPE_CHECKING:
    from analysis.inputs.embed import CorpusEmbeddings
    from analysis.rounds.spec import Round
    from analysis.verdict.gate import Policy
    from analysis.verdict.rounds import RoundsVerdict


def run_rounds(
    request: Request,
    rounds: Sequence[Round],
    *,
    targets: Sequence[str],
    policy: Policy,
    out: Path,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], RoundsVerdict]:
    """Every round's comparisons and the record, written into ``out`` (a staging folder);
    the record and the verdict. ``targets``: the domains the rounds were tuned for
    (none given: those the checkpoints' recipes record)."""
    from analysis.rounds.record import build_record, write_record
    from analysis.rounds.run import compare_rounds
    from analysis.rounds.spec import targets_from_recipes
    from analysis.verdict.rounds import rounds_verdict

    progress = progress or Progress()
    config = request.config()
    targets = tuple(targets) or targets_from_recipes(rounds)
    corpus = load_corpus(request, progress=progress)
    unknown = [t for t in targets if t not in corpus.domains]
    if unknown:
        raise InputError(
            f"--target {', '.join(unknown)}: not a domain of the corpus "
            f"({', '.join(corpus.domains)})"
        )
    cache = embedding_cache(request, [])

    def vectors(spec: str, label: str) -> CorpusEmbeddings:
        source = source_of(request, spec)
        embedding_cache(request, [source])  # writable, where this source encodes
        return embed(corpus, source, cache, label=label, progress=progress)

    baseline = vectors(request.baseline, "baseline")
    results, cutoff = compare_rounds(
        corpus,
        baseline,
        rounds,
        config,
        embed=vectors,
        out=out,
        corpus_source=request.corpus,
        progress=progress,
        llm=llm_calls(request, cache, progress),
    )
    verdict = rounds_verdict(
        [
            (r.round.name, [c.summary for c in r.cumulative], [c.summary for c in r.marginal])
            for r in results
        ],
        policy,
    )
    record = build_record(
        results,
        verdict,
        baseline=request.baseline,
        targets=targets,
        cutoff=cutoff,
        policy_source=policy.source,
    )
    write_record(record, out)
    return record, verdict
