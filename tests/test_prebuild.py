"""Every page's first view is built in the background once a page of the comparison has
been drawn, under the very key the page then reads: a first visit builds nothing."""

from __future__ import annotations

import json
import logging
import threading
import time
from types import SimpleNamespace

import pytest

from dashboard import cache, prebuild, prepared, shown, state
from tests.test_dashboard import _open, app, specs  # noqa: F401  (fixtures)

PAGES = ("overlap", "drift", "thresholds", "changed", "answers", "llm")


def _wait_for_prebuild() -> None:
    for thread in threading.enumerate():
        if thread.name == prebuild.THREAD_NAME:
            thread.join(timeout=120)
            assert not thread.is_alive(), "the views built ahead took over 2 minutes"


@pytest.fixture
def views_built(monkeypatch):
    """The names of the views computed (not found in the cache) from now on."""
    built: list[str] = []
    original = cache.Store.get

    def recording(self, kind, key, compute):
        if kind != "view":
            return original(self, kind, key, compute)

        def computing():
            built.append(json.loads(key)[2])
            return compute()

        return original(self, kind, key, computing)

    monkeypatch.setattr(cache.Store, "get", recording)
    return built


def test_a_pages_first_visit_finds_its_views_built(app, views_built):  # noqa: F811
    cache.store.clear()
    at = _open(app, "overview")
    _wait_for_prebuild()
    ahead = set(views_built)
    assert {v.name for v in prepared.FIRST_VISITS if v is not prepared.SPACE} <= ahead
    assert "space" not in ahead  # its projection is computed on its page's first visit
    views_built.clear()
    for view in PAGES:
        at.switch_page(f"views/{view}.py").run()
        assert not at.exception, (view, [e.value for e in at.exception])
    # only what follows the selected query (the first row of the Changed results table)
    assert sorted(views_built) == ["changed_left", "changed_lists"]


def test_a_domain_chosen_in_the_sidebar_gets_its_own_views_built(app, views_built):  # noqa: F811
    at = _open(app, "overview")
    domain = at.selectbox(key=state.DOMAIN).options[1]
    at.selectbox(key=state.DOMAIN).set_value(domain).run()
    _wait_for_prebuild()
    assert "overlap" in views_built
    views_built.clear()
    at.switch_page("views/overlap.py").run()
    at.switch_page("views/thresholds.py").run()
    assert not at.exception
    assert views_built == []


def test_a_view_that_fails_ahead_is_logged_and_the_others_are_built(
    app,  # noqa: F811
    views_built,
    monkeypatch,
    caplog,
):
    def broken(on_show, context):
        raise ValueError("no such column")

    failing = prepared.Prepared("broken_view", broken)
    monkeypatch.setattr(prepared, "FIRST_VISITS", (failing, prepared.OVERLAP))
    cache.store.clear()
    with caplog.at_level(logging.WARNING, logger=prebuild.__name__):
        at = _open(app, "drift")
        _wait_for_prebuild()
    assert not at.exception
    assert "building the broken_view view ahead failed" in caplog.text
    assert "overlap" in views_built


def test_a_run_that_stops_builds_nothing_ahead(monkeypatch):
    started = []
    monkeypatch.setattr(prebuild, "start", lambda *shown: started.append(shown))
    with pytest.raises(RuntimeError), prebuild.after_run():
        shown.note_shown("a comparison", None)
        raise RuntimeError("the page stopped")
    with prebuild.after_run():
        pass  # a page that showed no comparison (Setup)
    assert started == []
    with prebuild.after_run():
        shown.note_shown("a comparison", "legal")
    assert started == [("a comparison", "legal")]


def test_builders_for_several_domains_take_turns(monkeypatch):
    """Domains chosen in quick succession each start a builder; they run one at a time."""
    running, most = [0], [0]

    def slow(on_show, context):
        running[0] += 1
        most[0] = max(most[0], running[0])
        time.sleep(0.05)
        running[0] -= 1

    class Shown:  # what the builder reads of the comparison on show
        key = "turns"
        bundle = SimpleNamespace(projection=None)

    monkeypatch.setattr(prepared, "FIRST_VISITS", (prepared.Prepared("slow", slow),))
    cache.store.clear()
    builders = [
        threading.Thread(target=prebuild.build_first_views, args=(Shown(), domain))
        for domain in ("legal", "clinical", "finance")
    ]
    for builder in builders:
        builder.start()
    for builder in builders:
        builder.join(timeout=10)
    assert most[0] == 1
