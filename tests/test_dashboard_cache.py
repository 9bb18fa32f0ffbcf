"""The dashboard's server-wide store: one computation per key, bounded by LRU eviction."""

from __future__ import annotations

import threading
import time

from analysis.pipeline.signature import file_signature
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
    before = file_signature(str(tmp_path))
    (tmp_path / "corpus.jsonl").write_text("one more")
    assert file_signature(str(tmp_path)) != before
    assert file_signature("") == ""


def test_a_page_view_is_built_once_per_domain_options_and_projection(monkeypatch):
    """Prepared's key: the same item is shown again as built; another domain, another
    option (a cutoff, a policy) or the projection arriving builds it anew."""
    from types import SimpleNamespace

    from dashboard import prepared, shown, state

    shared = cache.Store()  # a store for this test only
    monkeypatch.setattr(cache, "store", lambda: shared)
    domain: list[str | None] = [None]
    monkeypatch.setattr(state, "selected_domain", lambda: domain[0])
    builds: list[int] = []

    def build(on_show, context, *options) -> int:
        builds.append(1)
        return len(builds)

    item, other = prepared.Prepared("t", build), prepared.Prepared("other", build)
    plain = shown.Shown(SimpleNamespace(projection=None), "comparison")  # type: ignore[arg-type]
    assert item.of(plain, 0.3) == 1
    assert item.of(plain, 0.3) == 1  # shown again, not rebuilt
    assert item.of(plain, 0.31) == 2
    assert other.of(plain, 0.3) == 3
    domain[0] = "legal"
    assert item.of(plain, 0.3) == 4
    projected = shown.Shown(SimpleNamespace(projection=object()), "comparison")  # type: ignore[arg-type]
    assert item.of(projected, 0.3) == 5
    assert item.of(plain, 0.3) == 4
