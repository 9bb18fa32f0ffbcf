"""A shared dashboard's uploads: each tab's in a session folder of its own, bounded per
visitor, removed once the session has ended (with a real Streamlit server and Chromium)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from analysis.errors import InputError
from dashboard import session_uploads
from dashboard.session_uploads import Ledger
from tests.streamlit_server import streamlit_server

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu"]

TAB_1, TAB_2, TAB_3 = (f"{n}aaaaaaa-0000-4000-8000-000000000000" for n in "123")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_visitors_tabs_share_one_upload_budget(cache):
    ledger, limit = Ledger(), 1_000_000
    big, small = [("corpus.jsonl", b"x" * 600_000)], [("queries.jsonl", b"y" * 500_000)]
    first = session_uploads.save(big, ledger=ledger, visitor="ana", tab=TAB_1, limit_bytes=limit)
    again = session_uploads.save(big, ledger=ledger, visitor="ana", tab=TAB_1, limit_bytes=limit)
    assert first == again and ledger.held("ana") == 600_000  # the same files: counted once
    with pytest.raises(InputError, match=r"over the 1 MB one visitor may hold \(upload_mb_per"):
        session_uploads.save(small, ledger=ledger, visitor="ana", tab=TAB_2, limit_bytes=limit)
    assert not (session_uploads.sessions_dir() / TAB_2).exists()  # refused: nothing written
    other = session_uploads.save(small, ledger=ledger, visitor="ben", tab=TAB_3, limit_bytes=limit)
    assert (other / "queries.jsonl").read_bytes() == b"y" * 500_000
    assert first.parent.name == TAB_1 and other.parent.name == TAB_3  # each tab its own
    with pytest.raises(ValueError, match="not a session id"):
        session_uploads.save(small, ledger=ledger, visitor="cy", tab="../x", limit_bytes=limit)


def test_the_sweep_removes_ended_sessions_and_frees_their_budget(cache):
    ledger, limit = Ledger(), 1_000_000
    files = [("corpus.jsonl", b"x" * 600_000)]
    kept = session_uploads.save(files, ledger=ledger, visitor="ana", tab=TAB_1, limit_bytes=limit)
    gone = session_uploads.save(
        [("c.jsonl", b"z" * 300_000)], ledger=ledger, visitor="ana", tab=TAB_2, limit_bytes=limit
    )
    assert session_uploads.sweep(lambda tab: tab == TAB_1, ledger) == [TAB_2]
    assert kept.is_dir() and not gone.parent.exists()
    assert ledger.held("ana") == 600_000
    stale = session_uploads.sessions_dir() / "left-by-a-stopped-server"
    stale.mkdir()
    os.utime(stale, (time.time() - 2 * 86400,) * 2)
    assert session_uploads.sweep_stale() == ["left-by-a-stopped-server"]
    assert kept.is_dir()


def test_the_shared_file_takes_the_limits_and_refuses_a_key_inside_a_table(tmp_path):
    from dashboard import shared

    good = tmp_path / "good.toml"
    good.write_text("roots = []\nworkers = 2\nruns_per_visitor = 3\nupload_mb_per_visitor = 50\n")
    mode = shared.current(["--shared", str(good)])
    assert mode is not None
    assert (mode.workers, mode.runs_per_visitor, mode.upload_mb_per_visitor) == (2, 3, 50)
    bad = tmp_path / "bad.toml"
    bad.write_text('[endpoints.team]\nbase_url = "http://127.0.0.1:9/v1"\nworkers = 4\n')
    with pytest.raises(InputError, match=r"\[endpoints.team\] has unknown key\(s\) \['workers'\]"):
        shared.current(["--shared", str(bad)])
    zero = tmp_path / "zero.toml"
    zero.write_text("runs_per_visitor = 0\n")
    with pytest.raises(InputError, match="runs_per_visitor must be a whole number >= 1, got 0"):
        shared.current(["--shared", str(zero)])


def _chromium():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        if os.environ.get("RH_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is not installed")
    return sync_playwright()


def test_a_tabs_uploads_are_removed_after_its_session_ends(tmp_path):
    """A real server in shared mode with a 2 s reconnect window and a 1 s sweep: Chromium
    uploads a corpus file on the Setup page; the file lies in that session's folder; once the
    tab is closed and the window has passed, the folder is gone."""
    config = tmp_path / "shared.toml"
    config.write_text(f'roots = ["{tmp_path}"]\n')
    upload = tmp_path / "docs.csv"
    upload.write_text("doc_id,text,domain\nd1,contract clause,legal\nd2,patient dose,clinical\n")
    env = {"RECALL_HORIZON_SHARED": str(config), "RECALL_HORIZON_SWEEP_SECONDS": "1"}
    sessions = tmp_path / "cache" / "uploads" / "sessions"
    with (
        _chromium() as playwright,
        streamlit_server(
            str(tmp_path / "cache"), env=env, options=("--server.disconnectedSessionTTL", "2")
        ) as url,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.goto(f"{url}/setup", timeout=60_000)
        page.get_by_text("Upload files").click()
        uploader = page.locator('[data-testid="stFileUploader"]', has_text="Corpus files")
        uploader.locator('input[type="file"]').set_input_files(str(upload))
        page.get_by_text("Documents file").wait_for(timeout=30_000)
        held = list(sessions.glob("*/*/docs.csv"))
        assert len(held) == 1 and held[0].read_text() == upload.read_text()
        page.close()
        browser.close()
        deadline = time.monotonic() + 30
        while held[0].parent.parent.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not held[0].parent.parent.exists()  # the session's folder, removed
