"""The one exception type for bad user input, so every front end can show it cleanly."""

from __future__ import annotations

from collections.abc import Sequence


class InputError(ValueError):
    """A problem with what the user gave us: a file, a model spec, an option.

    The message always names the file (and line or id) and what is wrong. Front ends
    print it without a traceback. ``problems`` lists every problem found, when a file
    had several.
    """

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems) or (message,)


class ProblemList:
    """Collects the problems of one file so the user sees them all at once, not one per run."""

    def __init__(self, source: str, *, limit: int = 20) -> None:
        self.source = source
        self.limit = limit
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        shown = self.items[: self.limit]
        more = len(self.items) - len(shown)
        lines = [f"{self.source}: {len(self.items)} problem(s)"] + [f"  - {m}" for m in shown]
        if more:
            lines.append(f"  ... and {more} more")
        raise InputError("\n".join(lines), self.items)
