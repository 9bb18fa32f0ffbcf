"""Every dashboard page under streamlit's AppTest, with keyword (fake-embedder) vectors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.state import RunSpec
from tests.dashboard_fixture import build

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
VIEWS = ["overview", "overlap", "drift", "thresholds", "space", "changed", "near_miss", "export"]


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    return build(tmp_path_factory.mktemp("dash"))


@pytest.fixture
def app(specs, tmp_path, monkeypatch):
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path / "cache"))
    at = AppTest.from_file(APP, default_timeout=120)
    spec = RunSpec(
        corpus=specs["corpus"],
        baseline=specs["baseline"],
        candidate=specs["candidate"],
        k=3,
        projection=True,
    )
    at.session_state["run"] = spec.__dict__
    at.session_state["_url_loaded"] = True
    return at


def _open(at: AppTest, view: str) -> AppTest:
    at.run()
    at.switch_page(f"views/{view}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.mark.parametrize("view", VIEWS)
def test_every_page_renders_without_exception(app, view):
    at = _open(app, view)
    assert at.title[0].value


def test_setup_page_renders_with_no_run():
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["_url_loaded"] = True
    at.run()
    at.switch_page("views/setup.py").run()
    assert not at.exception
    assert at.button(key="setup_run").label == "Run comparison"


def test_pages_without_a_run_say_what_to_do():
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["_url_loaded"] = True
    at.run()
    assert not at.exception
    assert "No comparison yet" in at.info[0].value


def test_overview_leads_with_the_verdict_then_headlines_then_the_scorecard(app):
    at = _open(app, "overview")
    headings = [h.value for h in at.subheader]
    assert headings[0].startswith("Rollout verdict: ")
    assert headings[1:3] == ["What changed, worst first", "Scorecard"]
    verdict = at.dataframe[0].value
    assert list(verdict.columns) == [
        "Domain",
        "Verdict",
        "Deciding guardrail",
        "The number that decided it",
    ]
    assert set(verdict["Verdict"]) <= {"pass", "FAIL"}
    assert sorted(verdict["Domain"]) == ["clinical", "finance", "legal"]
    card = at.dataframe[1].value
    assert card.index.name == "Domain" and sorted(card.index) == ["clinical", "finance", "legal"]
    bullets = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert len(bullets) == 1 and 1 <= bullets[0].count("\n- ") + 1 <= 5


COUNTS = (
    "Pairs the baseline admits",
    "Excluded at the same cutoff",
    "Excluded at the calibrated cutoff",
    "Judged-relevant pairs excluded",
)


def _counts(at) -> list:
    """The four pair counts, in that order (the curve's readings above them are not counts)."""
    return [next(m for m in at.metric if m.label == label) for label in COUNTS]


def test_moving_the_cutoff_changes_the_exclusion_count(app):
    at = _open(app, "thresholds")
    before = _counts(at)[0].value
    slider = at.slider[0]
    slider.set_value(round(slider.min + 0.01, 2)).run()
    assert not at.exception
    after = _counts(at)[0].value
    assert int(after.replace(",", "")) > int(before.replace(",", ""))  # a lower cutoff admits more


def test_exclusion_metrics_give_shares_and_follow_the_domain_filter(app):
    at = _open(app, "thresholds")
    overall = [int(m.value.replace(",", "")) for m in _counts(at)]
    relevant = _counts(at)[3]
    match = re.fullmatch(r"([\d.]+)% of ([\d,]+) admitted", relevant.delta or "")
    assert match, relevant.delta
    total = int(match[2].replace(",", ""))
    assert float(match[1]) == pytest.approx(100 * overall[3] / total, abs=0.05)
    app.session_state["domain"] = "clinical"
    at = _open(app, "thresholds")
    clinical = [int(m.value.replace(",", "")) for m in _counts(at)]
    assert 0 < clinical[0] < overall[0]
    assert all(c <= o for c, o in zip(clinical, overall, strict=True))


def test_selecting_a_query_shows_both_lists(app):
    app.session_state["query"] = "clinical/q0"
    at = _open(app, "changed")
    assert at.subheader[0].value == "clinical/q0"
    headers = [m.value for m in at.markdown]
    assert any("Baseline top-3" in h for h in headers)
    assert any("Candidate top-3" in h for h in headers)
    assert len(at.dataframe) >= 3  # the query table and both lists


def test_bad_corpus_shows_the_engine_message_not_a_traceback(app, tmp_path):
    app.session_state["run"] = RunSpec(
        corpus=str(tmp_path / "missing"), baseline="default", candidate="default"
    ).__dict__
    app.run()
    assert not app.exception
    assert "no such file or folder" in app.error[0].value


def test_link_parameters_are_validated(specs):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["corpus"] = specs["corpus"]
    at.query_params["baseline"] = specs["baseline"]
    at.query_params["candidate"] = specs["candidate"]
    at.query_params["k"] = "not-a-number"
    at.run()
    assert not at.exception
    assert "ignored" in at.warning[0].value


def test_run_spec_round_trips_through_url_parameters():
    spec = RunSpec(
        corpus="/c",
        baseline="default",
        candidate="vectors:/v.parquet",
        k=5,
        cutoff=0.42,
        projection=False,
    )
    assert RunSpec.from_params(spec.to_params()) == spec
    with pytest.raises(ValueError, match="--k must be at least 1"):  # the engine's own check
        RunSpec.from_params({"corpus": "/c", "baseline": "a", "candidate": "b", "k": "0"})


def test_the_context_settings_travel_in_the_link_and_choose_the_budget_unit():
    spec = RunSpec(
        corpus="/c",
        baseline="default",
        candidate="default",
        context_budget=300,
        context_by="cutoff",
        context_unit="characters",
    )
    assert RunSpec.from_params(spec.to_params()) == spec
    assert spec.request().config().context_tokenizer is None  # characters
    tokens = RunSpec(corpus="/c", baseline="default", candidate="default", context_budget=300)
    assert tokens.request().config().context_tokenizer == "default"  # the baseline's tokenizer
    vectors = RunSpec(corpus="/c", baseline="vectors:/v.parquet", candidate="default")
    assert vectors.request().config().context_tokenizer is None
    params = {"corpus": "/c", "baseline": "a", "candidate": "b", "context_by": "bm25"}
    with pytest.raises(ValueError, match="--context-by must be one of top-k, cutoff"):
        RunSpec.from_params(params)


def test_export_page_writes_the_same_report_and_bundle_as_the_cli(app):
    at = _open(app, "export")
    at.button(key="export_prepare").click().run()
    assert not at.exception and not at.error
    labels = [b.label for b in at.get("download_button")]
    assert any(label.startswith("report.html") for label in labels)
    assert "Data bundle (.zip)" in labels


def test_threshold_page_opens_on_the_saved_cut_without_a_recut(app, monkeypatch):
    from dashboard import cache

    calls = []
    monkeypatch.setattr(cache, "cut_for", lambda *a: calls.append(a))
    at = _open(app, "thresholds")
    assert calls == []  # the comparison's own cut, as the report shows it
    assert any("median over queries" in m.value for m in at.markdown)


def test_the_projection_waits_for_its_own_page(app, monkeypatch):
    """The Overview (and every page but Embedding space) never computes the projection; the
    Embedding space page computes it once, and the export holds it as the CLI's does."""
    from analysis.metrics import projection
    from dashboard import cache

    cache.store.clear()  # the server-wide store: an earlier test may have projected this
    calls = []
    original = projection.aligned_projection
    monkeypatch.setattr(
        projection,
        "aligned_projection",
        lambda *args, **kwargs: calls.append(1) or original(*args, **kwargs),
    )
    at = _open(app, "overview")
    for view in ("overlap", "drift", "thresholds", "changed"):
        at.switch_page(f"views/{view}.py").run()
        assert not at.exception
    assert calls == []
    at.switch_page("views/space.py").run()
    assert not at.exception and calls == [1]
    assert any(r.key == "space_color" for r in at.radio)  # the projection is drawn
    at.switch_page("views/space.py").run()
    assert calls == [1]  # once per server


def test_progress_boxes_open_only_while_something_is_computed(app):
    """A page whose comparison (or projection) is already computed shows no progress box;
    the run that computes one shows it, folded as done."""
    from dashboard import cache

    cache.store.clear()
    at = _open(app, "overview")  # the first run computed the comparison; this one did not
    assert [s.label for s in at.status] == []
    at.switch_page("views/space.py").run()
    assert [(s.label.startswith("Projection ready in "), s.state) for s in at.status] == [
        (True, "complete")
    ]
    at.switch_page("views/space.py").run()
    assert at.status.len == 0

    app.session_state["run"] = {**app.session_state["run"], "k": 2}  # a new comparison
    app.switch_page("views/drift.py").run()
    assert [(s.label, s.state) for s in at.status] == [("Comparison ready", "complete")]


def test_near_misses_travel_in_the_link_and_reach_the_request():
    spec = RunSpec(corpus="/c", baseline="default", candidate="default", near_misses=True)
    assert RunSpec.from_params(spec.to_params()) == spec
    assert spec.request().near_misses == "rules"
    assert spec.request().config().near_misses == "rules"
    plain = RunSpec(corpus="/c", baseline="default", candidate="default")
    assert plain.request().config().near_misses is None
