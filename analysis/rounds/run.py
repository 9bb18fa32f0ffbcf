"""Compare a series of rounds: each round with the baseline (cumulative: what rolling it out
would do) and with the round before it (marginal: what this round added), seed by seed.

Every comparison is a full one (every metric family) written as its own data bundle under
``OUT/<round>/``: ``cumulative`` and ``marginal``, with ``-seed<N>`` suffixes when a round
has several seeds; the dashboard opens any of them. The baseline's cutoff (the user's, or
the default the first comparison computes) holds for every comparison, so a marginal
comparison is cut where the pipeline cuts, not at the previous round's own median. Only two
rounds' vectors are held at a time; the embedding cache makes adding a round cost one
model's encoding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from analysis.bundle.files import write_comparison
from analysis.bundle.summary import Summary
from analysis.compare import compare
from analysis.inputs.corpus import Corpus
from analysis.inputs.embed import CorpusEmbeddings
from analysis.llm.calls import LLMCalls
from analysis.metrics.thresholds import THRESHOLDS, ThresholdResult
from analysis.progress import Progress
from analysis.rounds.spec import Round
from analysis.settings import CompareConfig

CUMULATIVE, MARGINAL = "cumulative", "marginal"


@dataclass(frozen=True)
class Compared:
    """One comparison of a round: which kind, which seed, where its bundle is (relative to
    the output folder), and its summary."""

    kind: str
    seed: int  # 1-based
    folder: str
    summary: Summary


@dataclass(frozen=True)
class RoundResult:
    round: Round
    cumulative: tuple[Compared, ...]  # one per seed
    marginal: tuple[Compared, ...]  # one per seed; round 1's are its cumulative ones


def compare_rounds(
    corpus: Corpus,
    baseline: CorpusEmbeddings,
    rounds: Sequence[Round],
    config: CompareConfig,
    *,
    embed: Callable[[str, str], CorpusEmbeddings],
    out: Path,
    corpus_source: str,
    progress: Progress | None = None,
    llm: LLMCalls | None = None,
) -> tuple[list[RoundResult], float | None]:
    """Every round's comparisons, written under ``out``; and the cutoff they all used.

    ``embed(spec, label)`` returns a checkpoint's vectors of the corpus (through the cache).
    """
    progress = progress or Progress()
    results: list[RoundResult] = []
    previous = [baseline]
    for index, item in enumerate(rounds):
        current = [
            embed(spec, f"{item.name}" + (f" seed {s + 1}" if item.seeds > 1 else ""))
            for s, spec in enumerate(item.specs)
        ]
        cumulative, marginal = [], []
        for s, side in enumerate(current):
            folder = _folder(item, CUMULATIVE, s)
            comparison = compare(corpus, baseline, side, config, progress=progress, llm=llm)
            config = _with_baseline_cutoff(config, comparison.result(THRESHOLDS))
            bundle = write_comparison(comparison, out / folder, corpus_source=corpus_source)
            cumulative.append(Compared(CUMULATIVE, s + 1, folder, bundle.summary))
            if index == 0:  # against the baseline, the marginal change is the cumulative one
                marginal.append(Compared(MARGINAL, s + 1, folder, bundle.summary))
                continue
            before = previous[min(s, len(previous) - 1)]  # the same seed of the round before
            folder = _folder(item, MARGINAL, s)
            comparison = compare(corpus, before, side, config, progress=progress, llm=llm)
            bundle = write_comparison(comparison, out / folder, corpus_source=corpus_source)
            marginal.append(Compared(MARGINAL, s + 1, folder, bundle.summary))
        results.append(RoundResult(item, tuple(cumulative), tuple(marginal)))
        previous = current
    return results, config.cutoff


def _folder(item: Round, kind: str, seed: int) -> str:
    return f"{item.name}/{kind}" + (f"-seed{seed + 1}" if item.seeds > 1 else "")


def _with_baseline_cutoff(
    config: CompareConfig, thresholds: ThresholdResult | None
) -> CompareConfig:
    """The first comparison's cutoff (the baseline's default when the user set none) for
    every later one."""
    if config.cutoff is not None or thresholds is None:
        return config
    return replace(config, cutoff=thresholds.cutoff)
