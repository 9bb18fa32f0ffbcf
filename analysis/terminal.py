"""Plain-text tables for the terminal (no dependency, aligned columns), and the
per-domain table a comparison prints, read from the bundle's summary."""

from __future__ import annotations

from collections.abc import Sequence

from analysis.bundle.summary import DomainSection, Summary
from analysis.context import describe_context
from analysis.metrics.answers import AnswerFigures, CoverageFigures, JudgedCoverageFigures
from analysis.metrics.drift import DriftFigures
from analysis.metrics.overlap import OverlapFigures
from analysis.metrics.quality import QualityFigures
from analysis.metrics.reach import ReachFigures
from analysis.metrics.thresholds import CutoffSettings, ExclusionFigures


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
    settings = summary.get(CutoffSettings)
    if settings is not None:
        text += (
            f"\n\ncutoff {settings.cutoff:.3f} ({settings.cutoff_source}); "
            f"calibrated candidate cutoff {_fmt(settings.calibrated_candidate_cutoff)}"
        )
    return text


def _row(section: DomainSection) -> list[object]:
    overlap, drift = section.get(OverlapFigures), section.get(DriftFigures)
    excluded, reach = section.get(ExclusionFigures), section.get(ReachFigures)
    quality = section.get(QualityFigures)
    delta = "-"
    if quality:
        delta = f"{quality.delta['ndcg@10']:+.3f} ({_fmt(quality.p_value_bh['ndcg@10'])})"
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


def _coverage_row(section: DomainSection, figures: CoverageFigures | None) -> list[object]:
    assert figures is not None
    coverage = figures.coverage
    return [
        section.name,
        figures.n_queries,
        f"{_pct(coverage.get('baseline'))}→{_pct(coverage.get('candidate'))}",
        "-" if figures.delta is None else f"{100 * figures.delta:+.1f} pts",
        _fmt(figures.p_value_bh),
        figures.lost_coverage_queries,
        figures.gained_coverage_queries,
    ]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
