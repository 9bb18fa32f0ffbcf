"""Shared mode: a visitor names only paths under the operator's roots and LLM endpoints the
operator offers, by name; the endpoint receives only the operator's key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis.errors import InputError
from dashboard import shared
from dashboard.state import PASTED_KEY, RunSpec
from tests.dashboard_fixture import build
from tests.llm_server import chat_server

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
OPERATOR_KEY = "operator-secret-4c1d"
SERVER_SECRET = "hunter2-server-only"


@pytest.fixture
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    return root, build(root)


@pytest.fixture
def mode(inputs, tmp_path, monkeypatch):
    """Shared mode with one root (the fixture's inputs) and one endpoint, set per test."""
    root, _ = inputs

    def configure(base_url: str = "http://127.0.0.1:9/v1", paste: bool = False) -> Path:
        config = tmp_path / "shared.toml"
        config.write_text(
            f'roots = ["{root}"]\n\n[endpoints.team]\nbase_url = "{base_url}"\n'
            'model = "test-model"\napi_key_env = "OPERATOR_KEY"\n'
            f"allow_pasted_key = {'true' if paste else 'false'}\n"
        )
        monkeypatch.setenv(shared.CONFIG_VAR, str(config))
        return config

    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("OPERATOR_KEY", OPERATOR_KEY)
    monkeypatch.setenv("SOME_SERVER_SECRET", SERVER_SECRET)
    configure()
    return configure


def _spec(specs: dict[str, str], **changes) -> RunSpec:
    fields = dict(corpus=specs["corpus"], baseline=specs["baseline"], candidate=specs["candidate"])
    return RunSpec(**{**fields, "k": 3, "projection": False, **changes})


def test_paths_outside_the_roots_are_refused_however_they_are_written(inputs, mode, tmp_path):
    root, specs = inputs
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "way-out").symlink_to(outside)
    for corpus in ("/etc", str(root / ".." / tmp_path.name), str(root / "way-out")):
        with pytest.raises(InputError, match="only paths under its roots") as err:
            _spec(specs, corpus=corpus).validated()
        assert str(root) in str(err.value)  # the error names the roots
    with pytest.raises(InputError, match="Baseline: this dashboard is shared"):
        _spec(specs, baseline=f"vectors:{outside / 'v.parquet'}").validated()
    _spec(specs).validated()  # under the root: accepted


def test_a_visitor_names_no_store_server_and_no_store_file_outside_the_roots(
    inputs, mode, tmp_path
):
    root, specs = inputs
    refused = {
        "qdrant:http://169.254.169.254:6333?collection=docs": "call a qdrant server",
        f"qdrant:{tmp_path}?collection=docs&queries=default": "only paths under its roots",
        f"qdrant:{root}?collection=docs&allow-pickle=yes&queries=default": "load a Qdrant folder",
        f"faiss:{root / 'i.faiss'}?ids={tmp_path / 'ids.txt'}&queries=default": "under its roots",
        f"qdrant-snapshot:{tmp_path / 's.snapshot'}?queries=default": "only paths under its roots",
        f"faiss:{root / 'i.faiss'}?ids={root / 'ids.txt'}&queries=vectors:/etc/v.parquet": "roots",
    }
    for spec, message in refused.items():
        with pytest.raises(InputError, match=message):
            _spec(specs, candidate=spec).validated()
    accepted = f"faiss:{root / 'i.faiss'}?ids={root / 'ids.txt'}&queries={specs['candidate']}"
    _spec(specs, candidate=accepted).validated()
    snapshot = f"qdrant-snapshot:{root / 's.snapshot'}?queries={specs['candidate']}"
    _spec(specs, candidate=snapshot).validated()  # no pickles: a snapshot under a root is read
    # a corpus read from a store's payload: the store's folder, not the spec's text, is checked
    for corpus, message in (
        (f"qdrant:{tmp_path}?collection=docs", "Corpus: this dashboard is shared, and only paths"),
        ("qdrant:http://127.0.0.1:6333?collection=docs", "Corpus: .* call a qdrant server"),
    ):
        with pytest.raises(InputError, match=message):
            _spec(specs, corpus=corpus).check_shared(shared.current())


def test_an_endpoint_is_picked_by_name_and_nothing_else_is_typed(inputs, mode):
    _, specs = inputs
    with pytest.raises(InputError, match="'elsewhere' is not one this shared dashboard offers"):
        _spec(specs, llm="endpoint", llm_endpoint="elsewhere").validated()
    for typed in (
        dict(llm_base_url="http://attacker.example/v1"),
        dict(llm_api_key_env="SOME_SERVER_SECRET"),
    ):
        with pytest.raises(InputError, match="picked by name"):
            _spec(specs, llm="endpoint", **typed).validated()
    with pytest.raises(ValueError, match="picked by name"):  # a crafted link, too
        RunSpec.from_params(
            {**_spec(specs).to_params(), "llm": "endpoint"}
            | {
                "llm_base_url": "http://attacker.example/v1",
                "llm_api_key_env": "SOME_SERVER_SECRET",
            }
        )


def test_the_setup_page_offers_no_url_and_no_variable_name(mode):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["_url_loaded"] = True
    at.run()
    at.switch_page("views/setup.py").run()
    keys = {w.key for w in at.text_input}
    assert "setup_llm_key_env" not in keys and "setup_llm_base_url" not in keys
    assert [s.options for s in at.selectbox if s.key == "setup_llm_endpoint"] == [["team"]]


def test_the_setup_page_refuses_a_corpus_outside_the_roots(mode):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["_url_loaded"] = True
    at.run()
    at.switch_page("views/setup.py").run()
    at.radio(key="setup_corpus_mode").set_value("A path on this server").run()
    at.text_input(key="setup_corpus_path").set_value("/etc").run()
    at.button(key="setup_run").click().run()
    assert any("only paths under its roots" in e.value for e in at.error)
    assert not at.exception


def test_a_saved_folder_outside_the_roots_is_refused(mode):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["_url_loaded"] = True
    at.run()
    at.switch_page("views/setup.py").run()
    at.text_input(key="open_folder").set_value("/etc").run()
    at.button(key="open_folder_button").click().run()
    assert any("only paths under its roots" in e.value for e in at.error)


def test_the_endpoint_receives_only_the_operators_key(inputs, mode, tmp_path):
    _, specs = inputs
    with chat_server(lambda messages: "a reply") as server:
        mode(base_url=server.url)
        spec = _spec(specs, llm="endpoint", llm_endpoint="team", llm_queries=2)
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["run"] = spec.validated().__dict__
        at.session_state["_url_loaded"] = True
        at.run()
        assert not at.exception and server.chat_calls > 0
        keys = {r["headers"].get("authorization") for r in server.requests}
    assert keys == {f"Bearer {OPERATOR_KEY}"}
    written = " ".join(p.read_text(errors="ignore") for p in tmp_path.rglob("*") if p.is_file())
    assert OPERATOR_KEY not in written and SERVER_SECRET not in written
    assert OPERATOR_KEY not in json.dumps(spec.to_params())


VISITOR_KEY = "visitor-key-93b2"


def test_a_pasted_key_is_used_and_written_nowhere(inputs, mode, tmp_path):
    _, specs = inputs
    with chat_server(lambda messages: "a reply") as server:
        mode(base_url=server.url, paste=True)
        spec = _spec(specs, llm="endpoint", llm_endpoint="team", llm_queries=2)
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["run"] = spec.validated().__dict__
        at.session_state["_url_loaded"] = True
        at.session_state[PASTED_KEY] = VISITOR_KEY
        at.run()
        assert not at.exception and server.chat_calls > 0
        keys = {r["headers"].get("authorization") for r in server.requests}
        page = " ".join(m.value for m in at.markdown)
    assert keys == {f"Bearer {VISITOR_KEY}"}  # the visitor's key, not the operator's
    written = " ".join(p.read_text(errors="ignore") for p in tmp_path.rglob("*") if p.is_file())
    assert VISITOR_KEY not in written and VISITOR_KEY not in page
    assert VISITOR_KEY not in json.dumps(spec.to_params())


def test_the_key_field_appears_only_where_the_operator_allows_it(mode):
    for paste in (False, True):
        mode(paste=paste)
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["_url_loaded"] = True
        at.run()
        at.switch_page("views/setup.py").run()
        at.radio(key="setup_llm").set_value("endpoint").run()
        assert (PASTED_KEY in {w.key for w in at.text_input}) == paste


def test_listening_beyond_localhost_turns_shared_mode_on_with_nothing_allowed(monkeypatch):
    import streamlit as st

    monkeypatch.delenv(shared.CONFIG_VAR, raising=False)
    monkeypatch.setattr(st, "get_option", lambda name: "0.0.0.0")
    mode = shared.current([])
    assert mode is not None and mode.roots == () and not mode.endpoints
    monkeypatch.setattr(st, "get_option", lambda name: "127.0.0.1")
    assert shared.current([]) is None  # local use is unchanged


def test_a_saved_bundle_cannot_name_a_server_path_to_recompute_from(inputs, mode, tmp_path):
    """An uploaded bundle's manifest is the visitor's text: its corpus path is checked
    against the roots before anything is probed or recomputed."""
    from analysis.bundle.files import load_bundle
    from dashboard.recompute import recompute_spec
    from dashboard.shown import Shown
    from tests.dashboard_fixture import compared

    root, _ = inputs
    compared(root / "again", root / "out")
    bundle = load_bundle(root / "out")
    spec, why = recompute_spec(Shown(bundle, "saved"))
    assert spec is not None  # its corpus is under the root
    bundle.summary.raw["manifest"]["corpus"]["source"] = "/etc"
    spec, why = recompute_spec(Shown(bundle, "saved"))
    assert spec is None and "only paths under its roots" in why


AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "a-cookie-secret-for-the-test",
    "client_id": "recall-horizon",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


def _signing_in(tmp_path, monkeypatch, sign_in: str = "true") -> AppTest:
    config = tmp_path / "shared.toml"
    config.write_text(f'roots = ["{tmp_path}"]\nsign_in = {sign_in}\n')
    monkeypatch.setenv(shared.CONFIG_VAR, str(config))
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path / "cache"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["_url_loaded"] = True
    return at


def test_where_sign_in_is_asked_for_no_page_runs_before_the_visitor_signs_in(tmp_path, monkeypatch):
    at = _signing_in(tmp_path, monkeypatch)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.radio and not at.text_input  # no Setup page, no page at all
    assert "for its team only" in at.markdown[0].value
    at.user = {"is_logged_in": True, "email": "ana@team.example"}
    at.run()
    assert not at.exception
    assert any(c.value == "Signed in as ana@team.example" for c in at.sidebar.caption)
    assert "Sign out" in [b.label for b in at.sidebar.button]


def test_sign_in_asked_for_but_not_configured_opens_nothing_and_says_why(tmp_path, monkeypatch):
    at = _signing_in(tmp_path, monkeypatch)
    at.user = {"is_logged_in": True, "email": "ana@team.example"}
    at.run()
    assert any("has no [auth] section" in e.value for e in at.error)
    assert not at.button and not at.radio
    named = _signing_in(tmp_path, monkeypatch, sign_in='"okta"')
    named.secrets["auth"] = AUTH
    named.run()
    assert any("no [auth.okta] provider" in e.value for e in named.error)


def test_sign_in_off_changes_nothing(tmp_path, monkeypatch):
    at = _signing_in(tmp_path, monkeypatch, sign_in="false")
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception and "Sign in" not in [b.label for b in at.button]


def test_a_visitor_lists_no_store_outside_the_roots_and_no_server(inputs, mode, tmp_path):
    from analysis.inputs.stores.spec import StoreSpec
    from dashboard.store_builder import _check_shared

    root, _ = inputs
    with pytest.raises(InputError, match="Candidate: this dashboard is shared, and only paths"):
        _check_shared(StoreSpec("chroma", "/etc", {}), "Candidate")
    for server in (
        StoreSpec("qdrant", "http://169.254.169.254:6333", {}),
        StoreSpec("pgvector", "postgresql://u@10.0.0.1/db", {}),
    ):
        with pytest.raises(InputError, match="cannot have it call a"):
            _check_shared(server, "Candidate")
    _check_shared(StoreSpec("lancedb", str(root), {}), "Candidate")  # under the root
