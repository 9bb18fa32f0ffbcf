"""Saved comparisons: opened from a folder or a zip with no model and no corpus, every page
working from the bundle, and links that name a comparison by fingerprint."""

from __future__ import annotations

import io
import shutil
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis.bundle.archive import unpack_bundle
from analysis.bundle.files import load_bundle
from analysis.errors import InputError
from analysis.inputs.corpus import load_corpus
from dashboard import saved
from reporting.sections.documents import full_text, with_texts
from reporting.sections.drift import neighbours_of
from tests.dashboard_fixture import compared
from tests.fakes import LEGAL_DOCS, write_beir

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGES = [
    "overview",
    "overlap",
    "drift",
    "thresholds",
    "space",
    "changed",
    "answers",
    "llm",
    "export",
]


@pytest.fixture(scope="module")
def saved_folder(tmp_path_factory):
    """A compare output folder whose corpus and vector files were removed afterwards."""
    root = tmp_path_factory.mktemp("saved")
    out = root / "out"
    specs = compared(root, out, "--neighbours", "5", "--projection")
    shutil.rmtree(specs["corpus"])
    for side in ("baseline", "candidate"):
        Path(specs[side].removeprefix("vectors:")).unlink()
    return out


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path / "cache"


def _opened_with(folder: Path, monkeypatch) -> AppTest:
    """The app as ``streamlit run dashboard/app.py -- --open FOLDER`` starts it."""
    monkeypatch.setattr(sys, "argv", ["app.py", "--open", str(folder)])
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _visit(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _open_on_setup(folder: Path) -> AppTest:
    """The Setup page's "Open" pressed on ``folder``."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["_url_loaded"] = True
    at.run()
    at.switch_page("views/setup.py").run()
    at.text_input(key="open_folder").set_value(str(folder)).run()
    at.button(key="open_folder_button").click().run()
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_works_from_a_saved_folder_alone(saved_folder, cache, page, monkeypatch):
    at = _opened_with(saved_folder, monkeypatch)
    _visit(at, page)
    if page == "overview":
        assert at.subheader[0].value.startswith("Rollout verdict: ")


def test_the_setup_page_opens_a_folder_and_names_its_fingerprint(saved_folder, cache):
    at = _open_on_setup(saved_folder)
    fingerprint = load_bundle(saved_folder).summary.fingerprint
    assert any(fingerprint in s.value for s in at.success)
    assert at.session_state["saved"] == fingerprint
    assert at.query_params["comparison"] in (fingerprint, [fingerprint])
    assert not any("corpus" in key for key in at.query_params)  # no server path travels


def test_a_saved_comparison_whose_inputs_are_here_offers_to_recompute(tmp_path, cache):
    out = tmp_path / "out"
    compared(tmp_path, out, "--neighbours", "5")  # no projection saved
    at = _open_on_setup(out)
    at.switch_page("views/space.py").run()
    assert "projection was not saved" in " ".join(i.value for i in at.info)
    at.button(key="recompute").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["run"]["corpus"] == str(tmp_path / "corpus")
    assert "saved" not in at.session_state
    assert any(c.key == "space_color" for c in at.radio)  # computed here: the projection


def test_a_zip_on_the_server_opens_like_a_folder(saved_folder, tmp_path, cache):
    archive = Path(shutil.make_archive(str(tmp_path / "bundle"), "zip", saved_folder))
    at = _open_on_setup(archive)
    assert at.session_state["saved"] == load_bundle(saved_folder).summary.fingerprint


def test_a_folder_that_is_not_a_comparison_is_refused_with_its_reason(tmp_path, cache):
    at = _open_on_setup(tmp_path)
    assert not at.exception
    assert "no summary.json (not a compare --out folder)" in at.error[0].value


def test_a_link_opens_the_same_view_on_a_server_that_has_the_comparison(saved_folder, cache):
    bundle = saved.open_folder(saved_folder)  # this server has opened it before
    query = str(bundle.queries["query_id"].iloc[4])
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(
        {"comparison": bundle.summary.fingerprint, "page": "changed", "query": query}
    )
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if not at.subheader:  # the router followed the link's page on this run
        at.run()
    assert at.subheader[0].value == query


def test_a_link_to_a_comparison_this_server_lacks_says_what_to_do(cache):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"comparison": "0123456789abcdef", "page": "overview"})
    at.run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "0123456789abcdef" in warnings and "Open its saved folder" in warnings


def test_the_threshold_slider_on_a_saved_comparison_reads_the_curves_and_offers_nothing_false(
    saved_folder, cache, monkeypatch
):
    at = _opened_with(saved_folder, monkeypatch)
    _visit(at, "thresholds")
    slider = at.slider[0]
    slider.set_value(round(slider.min + 0.02, 2)).run()
    assert not at.exception
    info = " ".join(i.value for i in at.info)
    assert "needs the vectors" in info
    assert "which this server does not have" in info  # corpus and vectors were deleted
    assert not [b for b in at.button if b.key == "recompute"]
    assert any(m.label.startswith("Documents per query at") for m in at.metric)


def test_the_zip_of_a_bundle_opens_and_foreign_archives_are_refused(saved_folder, tmp_path, cache):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in saved_folder.glob("*"):
            if path.is_file():
                archive.write(path, f"export/{path.name}")  # inside one folder is fine
        archive.writestr("../evil.parquet", b"x")  # outside it: not taken
    bundle = saved.open_zip(buffer.getvalue(), "bundle.zip")
    assert bundle.summary.fingerprint == load_bundle(saved_folder).summary.fingerprint
    assert not (cache / "opened" / "evil.parquet").exists()
    with pytest.raises(InputError, match="bundle.zip: not a zip archive"):
        unpack_bundle(b"not a zip", tmp_path / "x", name="bundle.zip")
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(InputError, match="no summary.json inside"):
        unpack_bundle(empty.getvalue(), tmp_path / "y", name="notes.zip")


def test_a_saved_document_shows_its_neighbours_text_and_the_queries_it_left(saved_folder):
    bundle = load_bundle(saved_folder)
    documents = bundle.documents
    worst = documents.sort_values("neighbourhood_jaccard").iloc[0]
    found = neighbours_of(bundle, worst["doc_id"])
    assert found is not None and len(found.baseline) == 5 and len(found.candidate) == 5
    kept = len(set(found.baseline) & set(found.candidate))
    union = len(set(found.baseline) | set(found.candidate))
    assert kept / union == pytest.approx(worst["neighbourhood_jaccard"])
    changes = bundle.changes
    left = changes[(changes["doc_id"] == worst["doc_id"]) & (changes["change"] == "left")]
    assert sorted(found.queries_left) == sorted(left["query_id"])
    retrieved = set(changes["doc_id"])
    texts = bundle.table("document_texts")
    assert set(texts["doc_id"]) == retrieved  # every retrieved document, whole
    some = sorted(retrieved)[0]
    text, cut = full_text(bundle, some)
    assert not cut and text.startswith(documents.set_index("doc_id").loc[some, "text_preview"])


def test_titles_are_kept_and_shown_next_to_document_ids(tmp_path):
    corpus = load_corpus(write_beir(tmp_path / "legal", LEGAL_DOCS))
    assert corpus.doc_titles[:2] == ("Liability", "")
    assert corpus.doc_texts[0] == "Liability contract liability clause"  # BEIR's joined text

    class Fake:
        documents = pd.DataFrame(
            {"doc_id": ["l1", "l2"], "title": ["Liability", ""], "text_preview": ["a", "b"]}
        )

    frame = pd.DataFrame({"rank": [1, 2], "doc_id": ["l2", "l1"], "score": [0.5, 0.4]})
    shown = with_texts(frame, Fake())  # type: ignore[arg-type]
    assert list(shown.columns) == ["rank", "doc_id", "title", "text_preview", "score"]
    assert list(shown["title"]) == ["", "Liability"]


def test_a_bundle_from_before_fingerprints_and_saved_texts_still_opens(
    saved_folder, tmp_path, cache, monkeypatch
):
    import json

    old = tmp_path / "old"
    shutil.copytree(saved_folder, old)
    summary = json.loads((old / "summary.json").read_text())
    del summary["manifest"]["fingerprint"], summary["manifest"]["tables"]
    (old / "summary.json").write_text(json.dumps(summary))
    (old / "drift_neighbours.parquet").unlink()
    (old / "document_texts.parquet").unlink()
    fingerprint = load_bundle(old).summary.fingerprint
    assert len(fingerprint) == 16 and fingerprint == load_bundle(old).summary.fingerprint
    at = _opened_with(old, monkeypatch)
    for page in ("overview", "drift", "changed"):
        _visit(at, page)
    _visit(at, "drift")
    assert "written before neighbours were saved" in " ".join(i.value for i in at.info)


def test_open_on_a_folder_that_is_not_there_says_so_on_the_first_page(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["app.py", "--open", str(tmp_path / "nowhere")])
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if not at.warning:  # the root redirects first; the problem shows on the first real page
        at.run()
    assert not at.exception
    said = " ".join(w.value for w in at.warning)
    assert "cannot be opened" in said and "no such folder on this server" in said


def test_sessions_remembering_one_comparison_at_once_do_not_collide(tmp_path, monkeypatch):
    """Eight analysts opening the same saved comparison wrote the same temporary file and
    raced on its rename (FileNotFoundError); each writer now has a name of its own."""
    import json
    import threading

    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path))
    failures: list[BaseException] = []

    def remember(n: int) -> None:
        try:
            for _ in range(50):
                saved._remember("0123456789abcdef", {"run": {"k": str(n)}})
        except BaseException as err:  # noqa: BLE001  (any failure is the finding)
            failures.append(err)

    threads = [threading.Thread(target=remember, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    written = json.loads((saved.index_dir() / "0123456789abcdef.json").read_text())
    assert written["run"]["k"] in {str(n) for n in range(8)}
    assert not list(saved.index_dir().glob("*.tmp"))
