"""Stage-by-stage progress, notes and warnings that any front end can render (tqdm,
Streamlit): the one callback the pipeline reports through."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Progress:
    """Receives stage starts, advances and ends. This base class reports nothing."""

    def start(self, stage: str, total: int) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def finish(self, note: str = "") -> None:
        pass

    def note(self, line: str) -> None:
        """A line the user should read now (a plan, a count)."""

    def warn(self, line: str) -> None:
        """Something that looks wrong but does not stop the run."""

    @contextmanager
    def stage(self, name: str, total: int = 1) -> Iterator[Callable[[int], None]]:
        """Run a stage; the yielded function advances it by n units."""
        self.start(name, total)
        try:
            yield self.advance
        finally:
            self.finish()


class TqdmProgress(Progress):
    """One tqdm bar per stage, on stderr, for the command line."""

    def __init__(self) -> None:
        self._bar = None

    def start(self, stage: str, total: int) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=total, desc=stage, unit="it", leave=True, dynamic_ncols=True)

    def advance(self, amount: int) -> None:
        if self._bar is not None:
            self._bar.update(amount)

    def finish(self, note: str = "") -> None:
        if self._bar is not None:
            if self._bar.n < (self._bar.total or 0):
                self._bar.update(self._bar.total - self._bar.n)
            self._bar.close()
            self._bar = None

    def note(self, line: str) -> None:
        print(line, file=sys.stderr)

    def warn(self, line: str) -> None:
        print(f"warning: {line}", file=sys.stderr)
