"""Progress of a computation as the page shows it: stage by stage inside an ``st.status``
box (the pipeline's one callback)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from analysis.progress import Progress


class StreamlitProgress(Progress):
    """Stage-by-stage progress inside an ``st.status`` box."""

    def __init__(self, box: Any) -> None:
        self.box = box
        self.bar: Any = None
        self.total = 1
        self.done = 0
        self.stage_name = ""

    def start(self, stage: str, total: int) -> None:
        self.stage_name, self.total, self.done = stage, max(total, 1), 0
        box = self._box()
        box.update(label=stage)
        self.bar = box.progress(0.0, text=stage)

    def advance(self, amount: int) -> None:
        self.done += amount
        if self.bar is not None:
            self.bar.progress(min(1.0, self.done / self.total), text=self.stage_name)

    def finish(self, note: str = "") -> None:
        if self.bar is not None:
            self.bar.progress(1.0, text=f"{self.stage_name}: done")

    def warn(self, line: str) -> None:
        self._box().warning(line)

    def queued(self, position: int) -> None:
        """The run waits for a free worker of a shared server."""
        ahead = "next in line" if position == 1 else f"{position} runs ahead of you"
        self._box().update(label=f"Waiting for a free worker: {ahead}")

    def _box(self) -> Any:
        return self.box


class LazyStatusProgress(StreamlitProgress):
    """Progress in an ``st.status`` box that opens only when a stage starts: a result
    already computed shows no box, and skips the box's own pause (Streamlit sleeps 50 ms
    when one opens), which every page switch would otherwise pay. Used as a context: on
    leaving it the box, if it opened, folds under ``done`` (which may name ``{seconds}``,
    the time spent) or, on an exception, ``failed``."""

    def __init__(
        self,
        label: str,
        *,
        done: str,
        failed: str,
        expanded: bool = False,
        cancel: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(None)
        self.label, self.done_label, self.failed_label = label, done, failed
        self.expanded, self.cancel = expanded, cancel
        self.slot = st.empty()
        self.cancel_slot: Any = None
        self.started = time.perf_counter()

    def _box(self) -> Any:
        if self.box is None:
            self.box = self.slot.status(self.label, expanded=self.expanded)
            if self.cancel is not None:
                # A click reruns the page: Streamlit stops this run at its next progress
                # update (the work's place in the line is given up, its worker freed) and
                # ``cancel`` runs first, so the rerun does not start the work again.
                self.cancel_slot = st.empty()
                self.cancel_slot.button("Cancel", key="progress_cancel", on_click=self.cancel)
        return self.box

    def __enter__(self) -> LazyStatusProgress:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if self.box is None or (kind is not None and not issubclass(kind, Exception)):
            return  # nothing was shown, or Streamlit stops or reruns the script
        if self.cancel_slot is not None:
            self.cancel_slot.empty()  # done or failed: nothing left to cancel
        if kind is None:
            label = self.done_label.format(seconds=time.perf_counter() - self.started)
            self.box.update(label=label, state="complete", expanded=False)
        else:
            self.box.update(label=self.failed_label, state="error", expanded=False)
