"""Bad-input catalogue, in the dashboard: the corpus and vectors cases typed into the Setup
page show the engine's message, raise no exception, and keep the earlier comparison."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.state import RunSpec
from tests import test_bad_corpus, test_bad_vectors
from tests.badinput import Case

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
EARLIER = RunSpec(corpus="/earlier/corpus", baseline="default", candidate="default").__dict__


def _typed_in(case: Case) -> bool:
    """Cases the Setup page can express: a corpus path and two model specs, nothing else."""
    return case.code == 2 and not {"--strict", "--queries", "--max-seq-length"} & set(
        case.setup.__code__.co_names + case.setup.__code__.co_consts
    )


CASES = [c for c in (*test_bad_corpus.CASES, *test_bad_vectors.CASES) if c.code == 2]


def _value(args: list[str], option: str) -> str:
    return args[args.index(option) + 1]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_setup_page_shows_the_engines_message(case: Case, tmp_path: Path, monkeypatch) -> None:
    args = case.setup(tmp_path)
    if "--strict" in args or "--queries" in args or "--max-seq-length" in args:
        pytest.skip("an option the Setup page does not offer")
    if not _value(args, "--candidate").strip():
        pytest.skip("an empty spec leaves the Run button disabled on the page")
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path / "cache"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["_url_loaded"] = True
    at.session_state["run"] = EARLIER
    at.run()
    at.switch_page("views/setup.py").run()
    at.radio(key="setup_corpus_mode").set_value("A path on this server").run()
    at.text_input(key="setup_corpus_path").set_value(_value(args, "--corpus")).run()
    if "--answers" in args:
        at.text_input(key="setup_answers").set_value(_value(args, "--answers")).run()
    for label, option in (("Baseline", "--baseline"), ("Candidate", "--candidate")):
        spec = _value(args, option)
        kind = (
            "vectors"
            if spec.startswith("vectors:")
            else "default"
            if spec == "default"
            else "folder"
        )
        at.selectbox(key=f"setup_{label}_kind").set_value(kind).run()
        if kind != "default":
            at.text_input(key=f"setup_{label}_value").set_value(spec).run()
    at.number_input(key="setup_k").set_value(3)
    at.number_input(key="setup_neighbours").set_value(2).run()
    at.button(key="setup_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(e.value for e in at.error)
    for fragment in case.says:
        assert fragment in shown, f"{fragment!r} not in: {shown}"
    assert "previous results" in shown
    assert at.session_state["run"] == EARLIER  # the earlier comparison is still the one on show


def test_all_zero_vectors_are_warned_on_every_page(tmp_path: Path, monkeypatch) -> None:
    import numpy as np

    from tests.badinput import compare, vector_ids, vectors

    zero = vectors(tmp_path, "cand", matrix=np.zeros((len(vector_ids()), 8)))
    args = compare(tmp_path, candidate=zero)
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path / "cache"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["_url_loaded"] = True
    at.session_state["run"] = RunSpec(
        corpus=_value(args, "--corpus"),
        baseline=_value(args, "--baseline"),
        candidate=_value(args, "--candidate"),
        k=3,
        neighbours=2,
        projection=False,
    ).__dict__
    at.run()
    for view in ("overview", "drift"):
        at.switch_page(f"views/{view}.py").run()
        assert not at.exception
        assert any("are all zero" in w.value for w in at.warning), view
