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
