"""Top score: how similar is each query's best document, under each model?"""

from __future__ import annotations

import pandas as pd

from analysis.bundle.files import Bundle
from analysis.metrics.top_score import TopScoreFigures
from reporting.sections.base import Block, Context, Section, Table


def blocks(bundle: Bundle, context: Context) -> list[Block]:
    rows = []
    for name, section in bundle.summary.domains.items():
        figures = section.get(TopScoreFigures)
        if figures is not None and context.domain in (None, name):
            rows.append(
                {"domain": name, "baseline": figures.baseline, "candidate": figures.candidate}
            )
    return [Table("top_score", "Mean similarity of the best document", pd.DataFrame(rows))]


SECTION = Section("top_score", "Top score", ":material/star:", blocks)
