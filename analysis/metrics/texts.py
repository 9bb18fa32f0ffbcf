"""What each query and document says, next to their numbers in the bundle's tables.

Not a metric: the corpus' own columns (query text, the opening of each document), so that
a reader of the bundle sees what a dropped document is about without the corpus.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.metrics.family import Family, FamilyResult, Inputs

PREVIEW_CHARS = 160


@dataclass(frozen=True)
class Texts(FamilyResult):
    query_texts: tuple[str, ...]
    doc_texts: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"text_preview": [t[:PREVIEW_CHARS] for t in self.doc_texts]})

    def query_columns(self) -> pd.DataFrame:
        return pd.DataFrame({"text": list(self.query_texts)})

    def document_columns(self) -> pd.DataFrame:
        return self.to_frame()


def _compute(inputs: Inputs) -> Texts:
    return Texts(tuple(inputs.corpus.query_texts), tuple(inputs.corpus.doc_texts))


TEXTS = Family("texts", _compute)
