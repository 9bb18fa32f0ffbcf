"""The shared server's work queue: one worker, a second visitor waits with its place shown,
runs after the first, and can cancel; cancelling frees its place."""

from __future__ import annotations

import threading
import time

import pytest

from dashboard.work_queue import WorkQueue


class Cancelled(Exception):
    pass


def test_a_second_run_waits_for_the_worker_then_runs_after_the_first():
    queue, order, positions = WorkQueue(1), [], []
    first_in, release = threading.Event(), threading.Event()

    def first():
        with queue.slot():
            first_in.set()
            order.append("first starts")
            release.wait(10)
            order.append("first ends")

    def second():
        with queue.slot(on_wait=positions.append):
            order.append("second starts")

    one = threading.Thread(target=first)
    one.start()
    first_in.wait(10)
    two = threading.Thread(target=second)
    two.start()
    time.sleep(0.3)
    assert queue.waiting == 1 and positions and positions[0] == 1  # its place, shown
    release.set()
    one.join(10)
    two.join(10)
    assert order == ["first starts", "first ends", "second starts"]
    assert queue.waiting == 0


def test_cancelling_a_wait_gives_up_the_place_and_the_next_one_moves_up():
    queue = WorkQueue(1)
    holding, release = threading.Event(), threading.Event()
    seen: list[int] = []

    def hold():
        with queue.slot():
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(10)
    cancel = threading.Event()

    def impatient_wait(position: int) -> None:
        if cancel.is_set():
            raise Cancelled

    def impatient():
        with pytest.raises(Cancelled), queue.slot(on_wait=impatient_wait):
            pass

    def patient():
        with queue.slot(on_wait=seen.append):
            pass

    a = threading.Thread(target=impatient)
    a.start()
    time.sleep(0.2)
    b = threading.Thread(target=patient)
    b.start()
    time.sleep(0.3)
    assert seen and seen[-1] == 2  # behind the impatient one
    cancel.set()
    time.sleep(0.8)
    assert seen[-1] == 1  # moved up once the other gave its place up
    release.set()
    for thread in (holder, a, b):
        thread.join(10)
    assert queue.waiting == 0


def test_a_run_that_fails_frees_its_worker():
    queue = WorkQueue(1)
    with pytest.raises(RuntimeError), queue.slot():
        raise RuntimeError("the comparison failed")
    with queue.slot():  # not blocked
        pass
    with pytest.raises(ValueError, match="workers must be at least 1"):
        WorkQueue(0)


def test_a_shared_servers_comparisons_go_through_the_line(tmp_path, monkeypatch):
    """Through the dashboard's own load(): one worker, the second run waits with its place
    reported to its progress box, then runs after the first."""
    from analysis.progress import Progress
    from dashboard import cache, shared, shown
    from dashboard.state import RunSpec

    config = tmp_path / "shared.toml"
    config.write_text(f'roots = ["{tmp_path}"]\nworkers = 1\n')
    monkeypatch.setenv(shared.CONFIG_VAR, str(config))
    monkeypatch.setattr(cache, "store", lambda: STORE)
    STORE = cache.Store()
    started, release, order = threading.Event(), threading.Event(), []

    def slow_comparison(request, **_):
        order.append(f"start {request.corpus}")
        if request.corpus.endswith("first"):
            started.set()
            release.wait(10)
        order.append(f"end {request.corpus}")
        raise _Done(request.corpus)  # what a comparison returns does not matter here

    monkeypatch.setattr(shown, "run_comparison", slow_comparison)

    class Box(Progress):
        def __init__(self) -> None:
            self.places: list[int] = []

        def queued(self, position: int) -> None:
            self.places.append(position)

    boxes = {"first": Box(), "second": Box()}

    def visit(name: str) -> None:
        spec = RunSpec(str(tmp_path / name), "default", "default")
        with pytest.raises(_Done):
            shown.load(spec, progress=boxes[name])

    one = threading.Thread(target=visit, args=("first",))
    one.start()
    started.wait(10)
    two = threading.Thread(target=visit, args=("second",))
    two.start()
    time.sleep(0.3)
    assert boxes["second"].places[:1] == [1]  # shown its place
    release.set()
    one.join(10)
    two.join(10)
    first, second = str(tmp_path / "first"), str(tmp_path / "second")
    assert order == [f"start {first}", f"end {first}", f"start {second}", f"end {second}"]
    assert boxes["first"].places == []


class _Done(Exception):
    pass


def test_a_visitor_holds_at_most_their_share_of_places_and_a_tabs_new_run_replaces_its_old():
    queue = WorkQueue(1, per_visitor=1)
    holding, release = threading.Event(), threading.Event()

    def hold():
        with queue.slot(visitor="ana", tab="tab-1"):
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(10)
    from dashboard.work_queue import Superseded, TooManyRuns

    with pytest.raises(TooManyRuns) as refused, queue.slot(visitor="ana", tab="tab-2"):
        pass  # a second tab of the same visitor: refused, holds nothing
    assert (refused.value.held, refused.value.limit) == (1, 1)
    assert queue.waiting == 0

    outcome: list[str] = []

    def other_visitor():
        with queue.slot(visitor="ben", tab="tab-3"):
            outcome.append("ben ran")

    def waits_then_is_replaced():
        try:
            with queue.slot(visitor="cy", tab="tab-4"):
                outcome.append("old run ran")
        except Superseded:
            outcome.append("old run replaced")

    ben, old = (
        threading.Thread(target=other_visitor),
        threading.Thread(target=waits_then_is_replaced),
    )
    ben.start()
    old.start()
    time.sleep(0.3)
    assert queue.waiting == 2  # another visitor waits, as does cy's first run

    def new_run():
        with queue.slot(visitor="cy", tab="tab-4"):  # the same tab again: not refused
            outcome.append("new run ran")

    new = threading.Thread(target=new_run)
    new.start()
    time.sleep(0.8)
    assert "old run replaced" in outcome and queue.waiting == 2
    release.set()
    for thread in (holder, ben, old, new):
        thread.join(10)
    assert outcome == ["old run replaced", "ben ran", "new run ran"]
    with pytest.raises(ValueError, match="per_visitor must be at least 1"):
        WorkQueue(1, per_visitor=0)


def test_cancelling_a_running_comparison_frees_the_worker(tmp_path, monkeypatch):
    """Through load() and the real pipeline: Streamlit stops a cancelled run at its next
    progress update (StopException, what a click on Cancel causes); the worker is free at
    once and the next visitor's comparison runs."""
    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    from analysis.progress import Progress
    from dashboard import cache, shared, shown
    from dashboard.state import RunSpec
    from tests.dashboard_fixture import build

    specs = build(tmp_path / "inputs")
    config = tmp_path / "shared.toml"
    config.write_text(f'roots = ["{tmp_path}"]\nworkers = 1\nruns_per_visitor = 1\n')
    monkeypatch.setenv(shared.CONFIG_VAR, str(config))
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path / "cache"))
    store = cache.Store()
    monkeypatch.setattr(cache, "store", lambda: store)
    monkeypatch.setattr(cache, "work_queue", lambda: queue)
    queue = WorkQueue(1, per_visitor=1)
    cancelled = threading.Event()

    class CancelledBox(Progress):
        def start(self, stage: str, total: int) -> None:
            if cancelled.is_set():
                raise StopException()  # what Streamlit raises in a stopped script

    spec = RunSpec(specs["corpus"], specs["baseline"], specs["candidate"], k=3, projection=False)
    cancelled.set()
    with pytest.raises(StopException):
        shown.load(spec, progress=CancelledBox())
    assert (queue.running, queue.waiting) == (0, 0)  # the worker is free
    other = RunSpec(specs["corpus"], specs["baseline"], specs["candidate"], k=4, projection=False)
    done = shown.load(other, progress=Progress())
    assert done.bundle.summary.manifest.k == 4


def test_a_second_tab_of_one_visitor_is_told_the_limit(tmp_path, monkeypatch):
    from dashboard import cache, shared, shown, visitor
    from dashboard.state import RunSpec

    config = tmp_path / "shared.toml"
    config.write_text(f'roots = ["{tmp_path}"]\nruns_per_visitor = 1\n')
    monkeypatch.setenv(shared.CONFIG_VAR, str(config))
    monkeypatch.setattr(cache, "store", lambda: cache.Store())
    queue = WorkQueue(1, per_visitor=1)
    monkeypatch.setattr(cache, "work_queue", lambda: queue)
    monkeypatch.setattr(visitor, "visitor", lambda: "address:10.0.0.7")
    tabs = iter(["tab-1", "tab-2"])
    monkeypatch.setattr(visitor, "tab", lambda: next(tabs))
    holding, release = threading.Event(), threading.Event()

    def held_comparison(request, **_):
        holding.set()
        release.wait(10)
        raise _Done

    monkeypatch.setattr(shown, "run_comparison", held_comparison)
    spec = RunSpec(str(tmp_path / "c"), "default", "default")

    def first():
        with pytest.raises(_Done):
            shown.load(spec)

    one = threading.Thread(target=first)
    one.start()
    holding.wait(10)
    from analysis.errors import InputError

    with pytest.raises(InputError, match=r"runs_per_visitor = 1, set by the operator in"):
        shown.load(RunSpec(str(tmp_path / "d"), "default", "default"))
    release.set()
    one.join(10)


def test_a_cancelled_run_stops_counting_against_its_visitor_and_a_waiting_one_leaves():
    from dashboard.work_queue import Superseded

    queue = WorkQueue(1, per_visitor=1)
    holding, release, outcome = threading.Event(), threading.Event(), []

    def running():
        with queue.slot(visitor="ana", tab="tab-1"):
            holding.set()
            release.wait(10)  # Streamlit would stop it at its next progress update

    def waiting():
        try:
            with queue.slot(visitor="ben", tab="tab-2"):
                outcome.append("ben ran")
        except Superseded:
            outcome.append("ben left the line")

    one = threading.Thread(target=running)
    one.start()
    holding.wait(10)
    two = threading.Thread(target=waiting)
    two.start()
    time.sleep(0.3)
    queue.cancel("tab-2")
    two.join(5)
    assert outcome == ["ben left the line"] and queue.waiting == 0
    queue.cancel("tab-1")
    started = []

    def anas_new_tab():
        with queue.slot(visitor="ana", tab="tab-3"):  # not refused: tab-1 was cancelled
            started.append(True)

    three = threading.Thread(target=anas_new_tab)
    three.start()
    time.sleep(0.3)
    assert not started and queue.waiting == 1  # the worker is still busy ending tab-1
    release.set()
    for thread in (one, three):
        thread.join(10)
    assert started == [True]
