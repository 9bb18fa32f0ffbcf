"""UMAP's numba functions are cached on disk in the tool's cache folder; nothing else is."""

from __future__ import annotations

import os
import sys

import numba

from analysis.numba_cache import import_cached


def test_a_module_imported_this_way_caches_its_numba_functions(tmp_path, monkeypatch):
    (tmp_path / "jitted_for_test.py").write_text(
        "import numba\n\n@numba.njit\ndef plus_one(x):\n    return x + 1\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    plain = numba.njit
    try:
        module = import_cached("jitted_for_test")
        assert numba.njit is plain  # restored: other libraries decorate as they always did
        assert module.plus_one(1) == 2
        assert module.plus_one._cache.__class__.__name__ == "FunctionCache"  # not NullCache
        # numba was imported before the folder was set (this test imports it): its
        # configuration was read again, so the machine code lands in the tool's folder
        assert any((tmp_path / "cache" / "numba").rglob("*plus_one*.nbi"))
        assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "cache" / "numba")
    finally:
        sys.modules.pop("jitted_for_test", None)
        os.environ.pop("NUMBA_CACHE_DIR", None)
        numba.core.config.reload_config()  # the rest of the session caches where it did
