"""The dashboard's server-wide store: one computation per key, bounded by LRU eviction."""

from __future__ import annotations

import threading
import time

from dashboard import cache


def test_concurrent_sessions_compute_a_key_once():
    store, calls = cache.Store(), []

    def slow():
        calls.append(1)
        time.sleep(0.05)
        return "value"

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(store.get("bundle", "k", slow)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["value"] * 4 and len(calls) == 1


def test_least_recently_used_entries_are_evicted(monkeypatch):
    monkeypatch.setitem(cache.LIMITS, "bundle", 2)
    store, calls = cache.Store(), []

    def compute(key):
        return lambda: calls.append(key) or key

    for key in ("a", "b", "a", "c", "a", "b"):
        store.get("bundle", key, compute(key))
    # "b" was least recently used when "c" arrived, so only "b" is computed twice.
    assert calls == ["a", "b", "c", "b"]


def test_file_signature_changes_when_a_file_changes(tmp_path):
    (tmp_path / "corpus.jsonl").write_text("one")
    before = cache.file_signature(str(tmp_path))
    (tmp_path / "corpus.jsonl").write_text("one more")
    assert cache.file_signature(str(tmp_path)) != before
    assert cache.file_signature("") == ""


def test_a_page_view_is_built_once_per_domain_options_and_projection(monkeypatch):
    """Loaded.view's key: the same view is shown again as built; another domain, another
    option (a cutoff, a policy) or the projection arriving builds it anew."""
    from types import SimpleNamespace

    from dashboard import session, state

    shared = cache.Store()  # a store for this test only
    monkeypatch.setattr(cache, "store", lambda: shared)
    domain: list[str | None] = [None]
    monkeypatch.setattr(state, "selected_domain", lambda: domain[0])
    builds: list[int] = []

    def build() -> int:
        builds.append(1)
        return len(builds)

    plain = session.Loaded(SimpleNamespace(projection=None), "comparison")  # type: ignore[arg-type]
    assert plain.view("t", build, 0.3) == 1
    assert plain.view("t", build, 0.3) == 1  # shown again, not rebuilt
    assert plain.view("t", build, 0.31) == 2
    assert plain.view("other", build, 0.3) == 3
    domain[0] = "legal"
    assert plain.view("t", build, 0.3) == 4
    projected = session.Loaded(SimpleNamespace(projection=object()), "comparison")  # type: ignore[arg-type]
    assert projected.view("t", build, 0.3) == 5
    assert plain.view("t", build, 0.3) == 4


def test_held_pairs_one_pass_serves_every_step_down_and_concurrent_sessions(monkeypatch):
    """The slider below the comparison's cutoff: one pass collects pairs down to the floor
    (even when sessions ask at once), and every step at or above that floor reuses them."""
    from types import SimpleNamespace

    shared = cache.Store()
    monkeypatch.setattr(cache, "store", lambda: shared)
    own = SimpleNamespace(cutoff=0.50)
    comparison = SimpleNamespace(result=lambda family: own)
    passes: list[float] = []

    def recut(_comparison, floor):
        passes.append(floor)
        time.sleep(0.05)
        return SimpleNamespace(cutoff=floor)

    monkeypatch.setattr(cache, "recut", recut)
    monkeypatch.setattr(cache, "held_pairs_floor", lambda own, cutoff, **_: 0.40)
    assert cache._held("c", comparison, 0.55) is own  # above: the comparison's own pairs
    threads = [
        threading.Thread(target=lambda: cache._held("c", comparison, 0.49)) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert passes == [0.40]
    assert cache._held("c", comparison, 0.42).cutoff == 0.40 and passes == [0.40]
    monkeypatch.setattr(cache, "held_pairs_floor", lambda own, cutoff, **_: 0.30)
    assert cache._held("c", comparison, 0.35).cutoff == 0.30  # below the floor: a new pass
    assert passes == [0.40, 0.30]
