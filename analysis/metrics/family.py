"""The one shape every metric family has, so that comparing and summarising are loops.

A family is a name and a ``compute(inputs) -> result`` function (``None`` when it does not
apply, e.g. relevance without judgments). Its result is a frozen dataclass that inherits
:class:`FamilyResult` and says, in the same words for every family:

* ``to_frame()``: its own rows (per query, per document or per pair);
* ``by_domain(names)``: its per-domain numbers, as :class:`Figures` (plus ``OVERALL``);
* ``query_columns()`` / ``document_columns()``: what it adds to the bundle's ``queries`` and
  ``documents`` tables (one row per corpus query / document, in corpus order);
* ``tables()``: tables of its own (file name -> frame);
* ``summary_entries()`` / ``manifest_entries()``: top-level summary and manifest keys.

A :class:`Figures` class is one family's numbers for one domain, with the keys it writes
into ``summary.json`` (``to_json``) and the typed reading of them (``from_json``): the
summary keys of a family are written and read in its own module, nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar, cast

import numpy as np
import pandas as pd

from analysis.inputs.corpus import Corpus
from analysis.inputs.embed import CorpusEmbeddings
from analysis.llm.calls import LLMCalls
from analysis.progress import Progress
from analysis.retrieval import Ranking
from analysis.settings import CompareConfig
from analysis.shards.documents import DocumentVectors

if TYPE_CHECKING:
    from analysis.nearmiss.encoded import NearMissItems

R = TypeVar("R")


class Figures(Protocol):
    """One family's numbers for one domain."""

    def to_json(self) -> dict[str, Any]:
        """The keys this family writes into a domain's section of ``summary.json``."""
        ...

    @classmethod
    def from_json(cls, section: Mapping[str, Any]) -> Self | None:
        """The typed numbers read back from a domain's section (None when absent)."""
        ...


class FamilyResult:
    """What every family's result offers; the defaults contribute nothing."""

    def to_frame(self) -> pd.DataFrame:
        raise NotImplementedError

    def by_domain(self, names: Sequence[str]) -> Mapping[str, Figures]:
        return {}

    def query_columns(self) -> pd.DataFrame | None:
        return None

    def document_columns(self) -> pd.DataFrame | None:
        return None

    def tables(self) -> Mapping[str, pd.DataFrame]:
        return {}

    def summary_entries(self) -> Mapping[str, Any]:
        return {}

    def manifest_entries(self) -> Mapping[str, Any]:
        return {}


@dataclass(frozen=True)
class Inputs:
    """What a family computes from: the corpus, both spaces and rankings, the settings, and
    the results of the families computed before it (``earlier``, by family name)."""

    corpus: Corpus
    config: CompareConfig
    baseline: CorpusEmbeddings
    candidate: CorpusEmbeddings
    baseline_ranking: Ranking  # depth max(k, 10), so nDCG@10 works for any k
    candidate_ranking: Ranking
    qrels: Mapping[int, Mapping[int, int]]  # query position -> document position -> grade
    excluded: np.ndarray | None  # per query, the document it may not retrieve (-1: none)
    progress: Progress
    # both models' document vectors where they lie: every per-document pass reads them here
    documents: DocumentVectors
    earlier: Mapping[str, object] = field(default_factory=dict)
    llm: LLMCalls | None = None  # the team's chat model, when the comparison has one
    # encoded by both models, when asked for: the items, or what encodes them when called
    near_misses: NearMissItems | Callable[[], NearMissItems] | None = None

    def result(self, family: Family[R]) -> R:
        """An earlier family's result; a family listed after the one it needs is a bug."""
        if family.name not in self.earlier:
            raise LookupError(f"family '{family.name}' must be computed before this one")
        return cast(R, self.earlier[family.name])


@dataclass(frozen=True)
class Family(Generic[R]):
    """A named metric family: how to compute it, and what the summary says when it is off."""

    name: str
    compute: Callable[[Inputs], R | None]
    absent_summary: Mapping[str, Any] = field(default_factory=dict)
    absent_manifest: Mapping[str, Any] = field(default_factory=dict)


def per_document(
    n_docs: int, positions: np.ndarray, columns: Mapping[str, np.ndarray]
) -> pd.DataFrame:
    """Columns known for some documents, spread over all ``n_docs`` rows (nan elsewhere)."""
    frame = pd.DataFrame(index=pd.RangeIndex(n_docs))
    for name, values in columns.items():
        full = np.full(n_docs, np.nan)
        full[positions] = values
        frame[name] = full
    return frame
