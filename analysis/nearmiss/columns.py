"""Near-miss items column by column, each passage and near miss once, before encoding.

One object per item, and each item's own copy of its texts, were most of what reading
7,140 stored items back and encoding them cost: the texts are kept once each (a passage is
edited by up to four rules) and the items point into them by row, which is also how the
texts are encoded and stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True)
class Item:
    query: str
    query_position: int  # in the corpus' queries; -1 for a query only the file has
    doc_id: str
    domain: str
    rule: str
    passage: str
    near_miss: str
    spans: tuple[int, int, int, int]  # the edit: (start, end) in the passage, in the near miss


@dataclass(frozen=True, eq=False)
class Items:
    """The items as columns; ``texts`` holds every passage and near miss once, in the order
    the items first use them, and ``passage_rows``/``near_miss_rows`` point into it."""

    queries: tuple[str, ...]
    query_positions: np.ndarray  # (items,) intp: Item.query_position
    doc_ids: tuple[str, ...]
    domains: tuple[str, ...]  # the query's domain (a file's row: its own, else the document's)
    rules: tuple[str, ...]  # the rule that made the near miss ("file": the user's own)
    texts: tuple[str, ...]
    passage_rows: np.ndarray  # (items,) intp
    near_miss_rows: np.ndarray  # (items,) intp
    spans: np.ndarray  # (items, 4) int64: each item's Item.spans
    source: str  # how the pairs were chosen
    skipped: dict[str, dict[str, int]]  # domain -> rule -> pairs no edit could be made for

    @classmethod
    def of(cls, items: Sequence[Item], source: str, skipped: dict[str, dict[str, int]]) -> Items:
        rows: dict[str, int] = {}
        passage_rows = [rows.setdefault(i.passage, len(rows)) for i in items]
        near_miss_rows = [rows.setdefault(i.near_miss, len(rows)) for i in items]
        return cls(
            tuple(i.query for i in items), _rows(i.query_position for i in items),
            tuple(i.doc_id for i in items), tuple(i.domain for i in items),
            tuple(i.rule for i in items), tuple(rows), _rows(passage_rows),
            _rows(near_miss_rows),
            np.array([i.spans for i in items], dtype=np.int64).reshape(-1, 4), source, skipped,
        )  # fmt: skip

    @property
    def passages(self) -> tuple[str, ...]:
        return tuple(self.texts[row] for row in self.passage_rows.tolist())

    @property
    def near_misses(self) -> tuple[str, ...]:
        return tuple(self.texts[row] for row in self.near_miss_rows.tolist())

    @property
    def items(self) -> tuple[Item, ...]:
        """One object per item."""
        spans = [(a, b, c, d) for a, b, c, d in self.spans.tolist()]
        return tuple(
            Item(*row)
            for row in zip(
                self.queries, self.query_positions.tolist(), self.doc_ids, self.domains,
                self.rules, self.passages, self.near_misses, spans, strict=True,
            )
        )  # fmt: skip

    def __len__(self) -> int:
        return len(self.queries)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Items):
            return NotImplemented
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            arrays = isinstance(mine, np.ndarray)
            if not (np.array_equal(mine, theirs) if arrays else mine == theirs):
                return False
        return True


def _rows(values: Iterable[int]) -> np.ndarray:
    return np.fromiter(values, dtype=np.intp)
