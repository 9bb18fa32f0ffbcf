"""Heavy work on a shared server, a bounded number at a time, in arrival order.

A comparison's encoding and families are the work that holds the two cores for minutes; on a
shared dashboard (``workers`` in the shared-mode file) a visitor's run waits for a free
worker and sees its place in the line. Leaving the page (or any interaction, which stops
the script) cancels the wait and frees the place; a run that fails frees its worker too.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class WorkQueue:
    """``workers`` slots; tickets served first come, first served."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self._line: list[int] = []  # tickets in arrival order; the first `workers` run
        self._numbers = itertools.count()
        self._changed = threading.Condition()

    def position(self, ticket: int) -> int:
        """0 while the ticket runs; else how many tickets are ahead of it beyond the
        running ones (1: next)."""
        with self._changed:
            return max(0, self._line.index(ticket) - self.workers + 1)

    @contextmanager
    def slot(self, on_wait: Callable[[int], None] = lambda position: None) -> Iterator[None]:
        """Hold a worker for the block; ``on_wait(position)`` is called while waiting (it
        may raise to cancel: the place is given up)."""
        with self._changed:
            ticket = next(self._numbers)
            self._line.append(ticket)
        try:
            while True:
                with self._changed:
                    ahead = max(0, self._line.index(ticket) - self.workers + 1)
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

    @property
    def waiting(self) -> int:
        with self._changed:
            return max(0, len(self._line) - self.workers)
