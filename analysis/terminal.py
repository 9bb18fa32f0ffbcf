"""Plain-text tables for the terminal (no dependency, aligned columns), and the
per-domain table a comparison prints, read from the bundle's summary."""

from __future__ import annotations

from collections.abc import Sequence

from analysis.bundle.summary import DomainSection, Summary
from analysis.context import describe_context
from analysis.metrics.answers import AnswerFigures, CoverageFigures, JudgedCoverageFigures
from analysis.metrics.drift import DriftFigures
from analysis.metrics.llm import JudgeAgreement, LLMFigures
from analysis.metrics.overlap import OverlapFigures
from analysis.metrics.quality import QualityFigures
from analysis.metrics.reach import ReachFigures
from analysis.metrics.thresholds import CutoffSettings, ExclusionFigures
from analysis.neighbours import NeighbourSearch
from analysis.numbers import p_text


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    line = "  ".join("-" * w for w in widths)

    def render(values: Sequence[str]) -> str:
        first, *rest = values
        return "  ".join(
            [first.ljust(widths[0])] + [v.rjust(w) for v, w in zip(rest, widths[1:], strict=True)]
        )

    return "\n".join([render(list(headers)), line] + [render(r) for r in cells])


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def domain_table(summary: Summary) -> str:
    """The per-domain headline numbers a comparison prints, then the cutoffs."""
    headers = [
        "domain",
        "docs",
        "queries",
        "top-k jaccard",
        "rbo",
        "nbhd jaccard",
        "excluded@same",
        "excluded@calib",
        "unreachable b→c",
        "ΔnDCG@10 (p)",
    ]
    rows = [_row(section) for section in summary.domains.values()]
    rows.append(_row(summary.overall))
    text = format_table(headers, rows)
    text += _coverage_table(summary)
    text += _llm_table(summary)
    settings = summary.get(CutoffSettings)
    if settings is not None:
        text += (
            f"\n\ncutoff {settings.cutoff:.3f} ({settings.cutoff_source}); "
            f"calibrated candidate cutoff {_fmt(settings.calibrated_candidate_cutoff)}"
        )
    search = summary.manifest.config.get("drift_search")
    if isinstance(search, dict) and (search.get("method") == "approximate" or search.get("note")):
        text += "\nnbhd jaccard: " + NeighbourSearch.from_json(search).sentence()
    return text


def _row(section: DomainSection) -> list[object]:
    overlap, drift = section.get(OverlapFigures), section.get(DriftFigures)
    excluded, reach = section.get(ExclusionFigures), section.get(ReachFigures)
    quality = section.get(QualityFigures)
    delta = "-"
    if quality:
        delta = f"{quality.delta['ndcg@10']:+.3f} ({_p(quality.p_value_bh['ndcg@10'])})"
    return [
        section.name,
        section.n_docs,
        section.n_queries,
        overlap.jaccard.mean if overlap else None,
        overlap.rbo.mean if overlap else None,
        drift.mean if drift else None,
        _pct(excluded.excluded_share_same_cutoff if excluded else None),
        _pct(excluded.excluded_share_calibrated if excluded else None),
        f"{reach.unreachable_baseline}→{reach.unreachable_candidate}" if reach else "-",
        delta,
    ]


def _coverage_table(summary: Summary) -> str:
    """Answer coverage, or judged-relevant coverage where the corpus has no answers."""
    sections = [*summary.domains.values(), summary.overall]
    for kind, title, counted in (
        (AnswerFigures, "answer coverage", "answered"),
        (
            JudgedCoverageFigures,
            "judged-relevant coverage (no reference answers: the share of judged queries "
            "whose context holds a top-grade document; not answer coverage)",
            "judged",
        ),
    ):
        rows = [_coverage_row(s, s.get(kind)) for s in sections if s.get(kind)]
        if rows:
            headers = ["domain", counted, "coverage b→c", "Δ", "p (BH)", "lost", "gained"]
            context = describe_context(summary.manifest.config.get("context", {}))
            return f"\n\n{title}; context: {context}\n" + format_table(headers, rows)
    return ""


def _llm_table(summary: Summary) -> str:
    """What the team's LLM said, per domain, under the judge's agreement and its warning."""
    judge = summary.get(JudgeAgreement)
    sections = [s for s in [*summary.domains.values(), summary.overall] if s.get(LLMFigures)]
    if judge is None or not sections:
        return ""
    setting = summary.manifest.config.get("llm", {})
    agreement = (
        f"κ = {judge.kappa:.2f}, accuracy {_pct(judge.accuracy)} on {judge.n_pairs} pairs"
        if judge.kappa is not None
        else "not checked (no judgments)"
    )
    lines = [
        f"\n\nLLM {judge.model} on {setting.get('queries', '?')} of "
        f"{setting.get('of_queries', '?')} queries; judge agreement with the judgments: {agreement}"
    ]
    warning = judge.warning()
    if warning:
        lines.append(f"warning: {warning}")
    headers = ["domain", "queries", "F1 b→c", "ΔF1 (p)", "EM b→c", "W/T/L (p)", "dropped rel",
               "added rel", "net/query (p)"]  # fmt: skip
    rows = [_llm_row(s) for s in sections]
    return "\n".join(lines) + "\n" + format_table(headers, rows)


def _llm_row(section: DomainSection) -> list[object]:
    f = section.get(LLMFigures)
    assert f is not None
    wtl = (
        f"{f.wins}/{f.ties}/{f.losses} ({_p(f.preference_p_value_bh)})"
        if (f.wins + f.ties + f.losses)
        else "-"
    )
    return [
        section.name,
        f.n_queries,
        f"{_fmt(f.f1.get('baseline'))}→{_fmt(f.f1.get('candidate'))}" if f.with_reference else "-",
        f"{f.f1_delta:+.3f} ({_p(f.f1_p_value_bh)})" if f.f1_delta is not None else "-",
        f"{_pct(f.exact_match.get('baseline'))}→{_pct(f.exact_match.get('candidate'))}"
        if f.with_reference
        else "-",
        wtl,
        f"{f.dropped_relevant}/{f.dropped_judged}",
        f"{f.added_relevant}/{f.added_judged}",
        f"{f.net_relevant_per_query:+.2f} ({_p(f.net_p_value_bh)})"
        if f.net_relevant_per_query is not None
        else "-",
    ]


def _coverage_row(section: DomainSection, figures: CoverageFigures | None) -> list[object]:
    assert figures is not None
    coverage = figures.coverage
    return [
        section.name,
        figures.n_queries,
        f"{_pct(coverage.get('baseline'))}→{_pct(coverage.get('candidate'))}",
        "-" if figures.delta is None else f"{100 * figures.delta:+.1f} pts",
        _p(figures.p_value_bh),
        figures.lost_coverage_queries,
        figures.gained_coverage_queries,
    ]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _p(value: float | None) -> str:
    return "-" if value is None else p_text(value)
