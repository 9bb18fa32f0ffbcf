"""What each query and document says, next to their numbers in the bundle's tables.

Not a metric: the corpus' own columns (query text, each document's title and opening, and
the whole text of every document either model retrieved), so that a reader of the bundle
sees what a dropped document says without the corpus.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.metrics.family import Family, FamilyResult, Inputs

PREVIEW_CHARS = 160
# A retrieved document's text is kept whole up to this length (passages are far shorter;
# this bounds what one pathological document adds to the bundle).
FULL_TEXT_CHARS = 20_000
DOCUMENT_TEXTS = "document_texts"


@dataclass(frozen=True)
class Texts(FamilyResult):
    query_texts: tuple[str, ...]
    doc_ids: tuple[str, ...]
    doc_texts: tuple[str, ...]
    doc_titles: tuple[str, ...]  # empty when the corpus has no titles
    retrieved: np.ndarray  # positions of the documents in either model's top-k, sorted

    def to_frame(self) -> pd.DataFrame:
        columns = {"title": list(self.doc_titles)} if self.doc_titles else {}
        columns["text_preview"] = [t[:PREVIEW_CHARS] for t in self.doc_texts]
        return pd.DataFrame(columns)

    def query_columns(self) -> pd.DataFrame:
        return pd.DataFrame({"text": list(self.query_texts)})

    def document_columns(self) -> pd.DataFrame:
        return self.to_frame()

    def tables(self) -> dict[str, pd.DataFrame]:
        """``document_texts``: the whole text (up to FULL_TEXT_CHARS) of every document in
        either model's top-k: what the pages show on demand."""
        texts = [self.doc_texts[i] for i in self.retrieved]
        return {
            DOCUMENT_TEXTS: pd.DataFrame(
                {
                    "doc_id": [self.doc_ids[i] for i in self.retrieved],
                    "text": [t[:FULL_TEXT_CHARS] for t in texts],
                    "truncated": [len(t) > FULL_TEXT_CHARS for t in texts],
                }
            )
        }


def _compute(inputs: Inputs) -> Texts:
    corpus, k = inputs.corpus, inputs.config.k
    top = [
        ranking.indices[:, :k].ravel()
        for ranking in (inputs.baseline_ranking, inputs.candidate_ranking)
    ]
    retrieved = np.unique(np.concatenate(top))
    return Texts(
        tuple(corpus.query_texts),
        tuple(corpus.doc_ids),
        tuple(corpus.doc_texts),
        tuple(corpus.doc_titles),
        retrieved[retrieved >= 0],
    )


TEXTS = Family("texts", _compute)
