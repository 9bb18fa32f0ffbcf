"""Heavy work on a shared server, a bounded number at a time, in arrival order.

A comparison's encoding and families are the work that holds the two cores for minutes; on a
shared dashboard (``workers`` in the shared-mode file) a visitor's run waits for a free
worker and sees its place in the line. A visitor (a signed-in user, else a client address)
holds at most ``per_visitor`` places, running or waiting, across their browser tabs; a tab's
new run takes the place of its own earlier one (Streamlit stops that script). Cancelling
(the Cancel button, leaving the page, any interaction: each stops the script) gives the
place up, and a run that fails frees its worker too.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


class TooManyRuns(Exception):
    """The visitor already holds as many places as one visitor may."""

    def __init__(self, held: int, limit: int) -> None:
        super().__init__(f"{held} runs held; at most {limit} per visitor")
        self.held, self.limit = held, limit


class Superseded(Exception):
    """A waiting run whose tab started another one or cancelled it: it gives its place up."""


@dataclass
class _Ticket:
    number: int
    visitor: str | None
    tab: str | None
    superseded: bool = False


class WorkQueue:
    """``workers`` slots; tickets served first come, first served; at most ``per_visitor``
    tickets per visitor (None: no limit)."""

    def __init__(self, workers: int, per_visitor: int | None = None) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        if per_visitor is not None and per_visitor < 1:
            raise ValueError(f"per_visitor must be at least 1, got {per_visitor}")
        self.workers, self.per_visitor = workers, per_visitor
        self._line: list[_Ticket] = []  # in arrival order; the first `workers` run
        self._numbers = itertools.count()
        self._changed = threading.Condition()

    @contextmanager
    def slot(
        self,
        on_wait: Callable[[int], None] = lambda position: None,
        *,
        visitor: str | None = None,
        tab: str | None = None,
    ) -> Iterator[None]:
        """Hold a worker for the block; ``on_wait(position)`` is called while waiting (it
        may raise to cancel: the place is given up). ``visitor`` and ``tab`` name who asks
        (TooManyRuns when the visitor's other tabs hold ``per_visitor`` places already)."""
        ticket = self._enter(visitor, tab)
        try:
            while True:
                with self._changed:
                    if ticket.superseded:
                        raise Superseded
                    ahead = self._ahead(ticket)
                    if ahead == 0:
                        break
                on_wait(ahead)
                with self._changed:
                    self._changed.wait(timeout=0.5)
            yield
        finally:
            with self._changed:
                self._line.remove(ticket)
                self._changed.notify_all()

    def _enter(self, visitor: str | None, tab: str | None) -> _Ticket:
        with self._changed:
            if tab is not None:  # the tab's earlier run was stopped: its wait ends
                for earlier in self._line:
                    if earlier.tab == tab:
                        earlier.superseded = True
            if visitor is not None and self.per_visitor is not None:
                held = [
                    t
                    for t in self._line
                    if t.visitor == visitor
                    and not t.superseded  # cancelled: it ends at its next progress update
                    and not (tab is not None and t.tab == tab)
                ]
                if len(held) >= self.per_visitor:
                    raise TooManyRuns(len(held), self.per_visitor)
            ticket = _Ticket(next(self._numbers), visitor, tab)
            self._line.append(ticket)
            self._changed.notify_all()
            return ticket

    def cancel(self, tab: str | None) -> None:
        """The tab cancelled its run: a waiting one gives its place up, a running one holds
        its worker until Streamlit stops it (its next progress update) but no longer counts
        against its visitor."""
        if tab is None:
            return
        with self._changed:
            for ticket in self._line:
                if ticket.tab == tab:
                    ticket.superseded = True
            self._changed.notify_all()

    def _ahead(self, ticket: _Ticket) -> int:
        """0 while the ticket runs; else how many tickets are ahead of it beyond the running
        ones (1: next)."""
        return max(0, self._line.index(ticket) - self.workers + 1)

    @property
    def waiting(self) -> int:
        with self._changed:
            return max(0, len(self._line) - self.workers)

    @property
    def running(self) -> int:
        with self._changed:
            return min(len(self._line), self.workers)
