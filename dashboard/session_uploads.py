"""A shared dashboard's uploads: each browser tab's files in a folder of its own session,
removed once Streamlit has let that session go (a sweeper looks every 30 s; a session
outlives its tab by ``server.disconnectedSessionTTL``, two minutes by default, so a reload
finds its files), and what one visitor's tabs hold together bounded by the operator's
``upload_mb_per_visitor``.

A local dashboard keeps uploads content-addressed in the cache instead (``uploads``): one
analyst, nothing to separate or bound.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from analysis.errors import InputError
from analysis.inputs.cache import default_cache_dir

SWEEP_SECONDS = 30.0  # how often the sweeper looks for sessions that ended
SWEEP_VAR = "RECALL_HORIZON_SWEEP_SECONDS"  # the operator's (or a test's) other interval
STALE_SECONDS = 24 * 3600.0  # a session folder this old outlived its server
SESSION_ID = re.compile(r"^[0-9A-Za-z-]{8,64}$")  # Streamlit's session ids are uuid4s


def sessions_dir() -> Path:
    return default_cache_dir() / "uploads" / "sessions"


class Ledger:
    """What each session's uploads hold and whose they are (server-wide, thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: dict[str, str] = {}  # session id -> visitor
        self._bytes: dict[str, dict[str, int]] = {}  # session id -> upload digest -> bytes

    def reserve(self, visitor: str, tab: str, digest: str, size: int, limit: int) -> None:
        """Count ``size`` bytes for the tab's upload ``digest`` (once), or refuse with an
        InputError when the visitor's tabs would then hold more than ``limit`` bytes."""
        with self._lock:
            if digest in self._bytes.get(tab, {}):
                return
            held = sum(
                sum(uploads.values())
                for session, uploads in self._bytes.items()
                if self._owner.get(session) == visitor
            )
            if held + size > limit:
                raise InputError(
                    f"this upload ({size / 1e6:.1f} MB) would bring your uploads on this shared "
                    f"dashboard to {(held + size) / 1e6:.1f} MB, over the "
                    f"{limit / 1e6:.0f} MB one visitor may hold (upload_mb_per_visitor, set "
                    "by the operator); uploads are removed when the tab that made them closes"
                )
            self._owner[tab] = visitor
            self._bytes.setdefault(tab, {})[digest] = size

    def release(self, tab: str) -> None:
        with self._lock:
            self._owner.pop(tab, None)
            self._bytes.pop(tab, None)

    def tabs(self) -> list[str]:
        with self._lock:
            return list(self._owner)

    def held(self, visitor: str) -> int:
        with self._lock:
            return sum(
                sum(uploads.values())
                for session, uploads in self._bytes.items()
                if self._owner.get(session) == visitor
            )


def save(
    files: list[tuple[str, bytes]],
    *,
    ledger: Ledger,
    visitor: str,
    tab: str,
    limit_bytes: int,
) -> Path:
    """Write the files into ``<sessions>/<tab>/<digest>/`` (the same files, the same
    folder, counted once) and return it; refused before anything is written when the
    visitor's uploads would exceed ``limit_bytes``."""
    digest = hashlib.sha256()
    for name, data in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
    size = sum(len(data) for _, data in files)
    folder = place(digest.hexdigest()[:24], size, ledger, visitor, tab, limit_bytes)
    for name, data in files:
        handle, staging = tempfile.mkstemp(dir=folder, prefix=".upload.", suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(staging, folder / Path(name).name)
    return folder


def place(key: str, size: int, ledger: Ledger, visitor: str, tab: str, limit_bytes: int) -> Path:
    """The tab's folder for the upload ``key`` of ``size`` bytes, counted against the
    visitor's limit (an InputError when over it; nothing is created then)."""
    if not SESSION_ID.match(tab):
        raise ValueError(f"not a session id: {tab!r}")
    ledger.reserve(visitor, tab, key, size, limit_bytes)
    folder = sessions_dir() / tab / key
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sweep(alive: Callable[[str], bool], ledger: Ledger) -> list[str]:
    """Remove the upload folders of this server's sessions that are not ``alive`` any
    more; return their ids. (Another server sharing the cache folder keeps its own.)"""
    removed = []
    for tab in ledger.tabs():
        if not alive(tab):
            shutil.rmtree(sessions_dir() / tab, ignore_errors=True)
            ledger.release(tab)
            removed.append(tab)
    return removed


def sweep_stale(older_than: float = STALE_SECONDS) -> list[str]:
    """Remove session folders untouched for ``older_than`` seconds: what a server that
    stopped without sweeping left behind (no session outlives its server)."""
    root, removed = sessions_dir(), list[str]()
    if not root.is_dir():
        return removed
    cutoff = time.time() - older_than
    for folder in root.iterdir():
        try:
            stale = folder.is_dir() and folder.stat().st_mtime < cutoff
        except OSError:
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def session_alive(session_id: str) -> bool:
    """Whether this server still holds the session: connected, or kept for a reconnect
    (``server.disconnectedSessionTTL``)."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return False
    runtime = Runtime.instance()
    manager = getattr(runtime, "_session_mgr", None)
    if manager is not None and hasattr(manager, "get_session_info"):
        return manager.get_session_info(session_id) is not None
    return runtime.is_active_session(session_id)  # no reconnect window known: active only


def sweep_interval() -> float:
    raw = os.environ.get(SWEEP_VAR, "")
    try:
        every = float(raw) if raw else SWEEP_SECONDS
    except ValueError:
        raise InputError(f"{SWEEP_VAR}={raw!r}: not a number of seconds") from None
    if not every > 0:
        raise InputError(f"{SWEEP_VAR}={raw!r}: must be more than 0 seconds")
    return every


def start_sweeper(ledger: Ledger, every: float | None = None) -> threading.Thread:
    """A daemon thread sweeping every ``every`` seconds (default: :func:`sweep_interval`)
    for the server's lifetime."""
    every = sweep_interval() if every is None else every

    def loop() -> None:
        while True:
            time.sleep(every)
            with contextlib.suppress(OSError):  # a folder in use or gone: next time
                sweep(session_alive, ledger)

    thread = threading.Thread(target=loop, name="recall-horizon-upload-sweeper", daemon=True)
    thread.start()
    return thread
