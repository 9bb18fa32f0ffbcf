"""UMAP imported with numba's on-disk cache on, so its compilation is paid once per
installation rather than once per process.

umap-learn decorates about 130 functions with ``numba.njit`` and caches one of them; every
new process (a dashboard server, a CLI run) compiles the rest again, 10-12 s on two cores
(lmcinnes/umap#631; adding ``cache=True`` upstream is lmcinnes/umap#1257, not merged). While
``umap`` is first imported, ``numba.njit``/``numba.jit`` default to ``cache=True``, and
numba's cache lives in the tool's cache folder (``NUMBA_CACHE_DIR``, unless the user set
it). The decorators are restored right after, so no other library is affected. A function
numba cannot cache is compiled as before (numba warns and goes on): results never change,
only where the machine code comes from.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from types import ModuleType

from analysis.inputs.cache import default_cache_dir


def use_tool_cache_dir() -> None:
    """Point numba's on-disk cache at ``<cache>/numba`` (unless the user set
    ``NUMBA_CACHE_DIR``). numba reads the variable when it is imported, so a process that
    imported it earlier (the threshold passes) has its configuration read again."""
    if "NUMBA_CACHE_DIR" in os.environ:
        return
    os.environ["NUMBA_CACHE_DIR"] = str(default_cache_dir() / "numba")
    if "numba" in sys.modules:
        from numba.core import config

        config.reload_config()


def import_umap() -> ModuleType:
    """``import umap``, its numba functions cached under ``<cache>/numba``."""
    return import_cached("umap")


def import_cached(name: str) -> ModuleType:
    """Import module ``name`` with numba's decorators caching by default (once: a module
    already imported is returned as it is)."""
    if name in sys.modules:
        return sys.modules[name]
    use_tool_cache_dir()
    import numba

    plain_njit, plain_jit = numba.njit, numba.jit

    def cached(decorator):  # type: ignore[no-untyped-def]
        def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
            kwargs.setdefault("cache", True)
            return decorator(*args, **kwargs)

        return wrapped

    numba.njit, numba.jit = cached(plain_njit), cached(plain_jit)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", numba.NumbaWarning)  # "cannot cache": compiled
            module = importlib.import_module(name)
    finally:
        numba.njit, numba.jit = plain_njit, plain_jit
    return module
