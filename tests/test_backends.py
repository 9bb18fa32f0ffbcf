"""Other runtimes for the encoder: ONNX Runtime and OpenVINO, float32 and int8, on the
bundled MiniLM offline; each its own fingerprint; the agreement audit by hand; a runtime that
is missing or an export that fails refused before any encoding."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.cli import main
from analysis.errors import InputError
from analysis.inputs.backend_audit import BackendAudit, top_agreement
from analysis.inputs.backends import Backend, split_spec, with_backend
from analysis.inputs.specs import resolve_source

TEXTS = [
    "the supplier indemnifies the buyer against third-party claims",
    "patients on the higher dose reported fewer symptoms",
    "reconcile the ledger before the quarterly audit",
    "a short one",
]


def test_a_spec_suffix_names_the_backend_and_the_options_apply_to_every_model():
    assert split_spec("default@onnx-int8", Backend()) == ("default", Backend("onnx", "int8"))
    assert split_spec("org/model@openvino", Backend()) == ("org/model", Backend("openvino"))
    assert split_spec("default", Backend("onnx")) == ("default", Backend("onnx"))
    assert with_backend("default", "onnx", "int8") == "default@onnx-int8"
    assert with_backend("default@openvino", "onnx") == "default@openvino"  # its own wins
    assert with_backend("vectors:/x.parquet", "onnx") == "vectors:/x.parquet"
    assert with_backend("default", "torch") == "default"
    with pytest.raises(InputError, match="--quantize int8 needs --backend onnx or openvino"):
        Backend("torch", "int8")
    with pytest.raises(InputError, match="precomputed vectors have none"):
        resolve_source("vectors:/x.parquet@onnx")


@pytest.mark.real_model
@pytest.mark.parametrize("backend", ["onnx", "openvino", "onnx-int8", "openvino-int8"])
def test_each_backend_encodes_the_bundled_model_offline(backend, tmp_path):
    torch_side = resolve_source("default", exports=tmp_path)
    other = resolve_source(f"default@{backend}", exports=tmp_path)
    assert other.fingerprint != torch_side.fingerprint  # never one cache entry for both
    expected = torch_side.embed(["x"] * len(TEXTS), TEXTS, role="document")
    got = other.embed(["x"] * len(TEXTS), TEXTS, role="document")
    cosines = np.sum(expected * got, axis=1) / (
        np.linalg.norm(expected, axis=1) * np.linalg.norm(got, axis=1)
    )
    if backend.endswith("int8"):
        assert cosines.min() > 0.8  # close, not exact: what the audit reports
    else:
        assert cosines.min() > 0.9999
        assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)  # Normalize ran
    assert list((tmp_path / "exports").rglob("model.onnx"))  # exported once, cached


def test_the_fingerprint_differs_per_backend_and_quantisation(tmp_path):
    prints = {
        spec: resolve_source(spec, exports=tmp_path).fingerprint
        for spec in ("default", "default@onnx", "default@onnx-int8", "default@openvino")
    }
    assert len(set(prints.values())) == 4
    assert {p.split("|")[0] for p in prints.values()} == {prints["default"]}  # same weights


def test_top_ten_agreement_and_cosines_by_hand():
    angles = np.radians(np.arange(12) * 10.0)  # 12 documents at 0°, 10°, ..., 110°
    docs_a = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    query = np.array([[3.0, 0.0]], dtype=np.float32)  # at 0°: top-10 are documents 0-9
    assert top_agreement(query, docs_a, query, docs_a) == 1.0
    docs_b = docs_a.copy()
    docs_b[[0, 1]] = [-1.0, 0.0]  # documents 0 and 1 turned to 180°: top-10 are 2-11
    assert top_agreement(query, docs_a, query, docs_b) == pytest.approx(0.8)  # 2-9 shared
    audit = BackendAudit("onnx-int8", 400, 100, 0.91372, 0.96254, 0.846)
    assert "top-10 agreement 0.846 with the float model" in audit.sentence("candidate")
    assert "min 0.9137, median 0.9625" in audit.sentence("candidate")


@pytest.mark.real_model
def test_a_comparison_of_the_float_and_the_int8_model_carries_the_audit(tmp_path, capsys):
    from tests.dashboard_fixture import build

    corpus = build(tmp_path / "inputs")["corpus"]
    out = tmp_path / "out"
    cache = ["--cache-dir", str(tmp_path / "cache")]
    code = main(
        ["compare", "--corpus", corpus, "--baseline", "default", "--candidate", "default"]
        + ["--backend", "onnx", "--quantize", "int8", "--out", str(out), "--k", "3", *cache]
    )
    assert code == 0
    models = json.loads((out / "summary.json").read_text())["manifest"]["models"]
    assert models["baseline"]["spec"] == "default@onnx-int8"
    audit = models["candidate"]["backend_audit"]
    assert audit["backend"] == "onnx-int8" and 0.5 < audit["min_cosine"] <= audit["median_cosine"]
    said = capsys.readouterr().out
    assert "runs as int8 ONNX (ONNX Runtime): top-10 agreement" in said

    # the audit by hand: the candidate's vectors against the float model's, on the sample
    from analysis.inputs.cache import EmbeddingCache
    from analysis.inputs.corpus import load_corpus as read_corpus
    from analysis.inputs.embed import embed_corpus

    loaded = read_corpus(corpus)
    float_side = embed_corpus(
        loaded, resolve_source("default"), cache=EmbeddingCache(tmp_path / "cache"), label="f"
    )
    int8_side = embed_corpus(
        loaded,
        resolve_source("default@onnx-int8", exports=tmp_path / "cache"),
        cache=EmbeddingCache(tmp_path / "cache"),
        label="q",
    )
    every = np.concatenate(
        [
            np.sum(int8_side.documents * float_side.documents, axis=1),
            np.sum(int8_side.queries * float_side.queries, axis=1),
        ]
    )  # both unit vectors (Normalize), and the small corpus is sampled whole
    assert audit["min_cosine"] == pytest.approx(float(every.min()), abs=1e-6)
    assert audit["median_cosine"] == pytest.approx(float(np.median(every)), abs=1e-6)


def test_a_missing_runtime_is_refused_before_any_encoding(monkeypatch, tmp_path, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "openvino" else real(name)
    )
    with pytest.raises(InputError, match="backend openvino needs the package openvino"):
        resolve_source("default@openvino")
    out = tmp_path / "out"
    code = main(
        ["compare", "--corpus", "sample_corpora/enterprise", "--baseline", "default"]
        + ["--candidate", "default", "--backend", "openvino", "--out", str(out)]
    )
    assert code == 2 and "needs the package openvino" in capsys.readouterr().err
    assert not out.exists()


def test_an_export_that_fails_says_so_before_encoding(tmp_path):
    from analysis.inputs.backends import exported_model

    class NotATransformer:
        def __getitem__(self, index):
            return object()

    with pytest.raises(InputError, match="the other backends need a sentence-transformers model"):
        exported_model(NotATransformer(), "f" * 64, Backend("onnx"), tmp_path)
    assert not list(tmp_path.rglob("*.onnx"))


@pytest.mark.real_model
def test_the_setup_pages_backend_runs_both_models_there_and_the_overview_gives_the_audit(
    tmp_path, monkeypatch
):

    from tests.dashboard_fixture import build, setup_page_on

    corpus = build(tmp_path / "inputs")["corpus"]
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path / "cache"))
    at = setup_page_on(corpus, timeout=180)
    at.selectbox(key="setup_Candidate_kind").set_value("default").run()
    at.selectbox(key="setup_backend").set_value("onnx-int8").run()
    at.checkbox(key="setup_projection").uncheck().run()
    at.number_input(key="setup_k").set_value(3).run()
    at.button(key="setup_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["run"]["candidate"] == "default@onnx-int8"
    at.switch_page("views/overview.py").run()
    said = " ".join(m.value for m in at.markdown)
    assert "The candidate (default@onnx-int8) runs as int8 ONNX (ONNX Runtime)" in said
