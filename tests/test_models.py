"""Model specs, precomputed vectors and content fingerprints."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from analysis.errors import InputError
from analysis.inputs.models import SentenceTransformerSource, default_model_folder
from analysis.inputs.specs import resolve_source
from analysis.inputs.vectors import PrecomputedVectors


def _write_parquet(path, ids, vectors):
    pd.DataFrame({"id": ids, "embedding": [list(map(float, v)) for v in vectors]}).to_parquet(path)
    return path


def test_parquet_vectors_are_read_by_id_in_corpus_order(tmp_path):
    path = _write_parquet(tmp_path / "v.parquet", ["a", "b", "q"], np.eye(3))
    source = resolve_source(f"vectors:{path}")
    assert isinstance(source, PrecomputedVectors) and source.cache_namespace("query") is None
    out = source.embed(["b", "a"], ["", ""], role="document")
    assert out.tolist() == [[0, 1, 0], [1, 0, 0]] and out.dtype == np.float32


def test_npy_vectors_with_ids_file(tmp_path):
    np.save(tmp_path / "v.npy", np.arange(6, dtype=np.float32).reshape(3, 2))
    (tmp_path / "v.ids.txt").write_text("a\nb\nc\n", encoding="utf-8")
    source = resolve_source(f"vectors:{tmp_path / 'v.npy'}")
    # read memory-mapped, normalised (every measure is a cosine)
    np.testing.assert_allclose(
        source.embed(["c"], [""], role="document"), [[4 / 41**0.5, 5 / 41**0.5]], rtol=1e-6
    )


def test_query_prefixed_row_is_preferred_for_queries(tmp_path):
    path = _write_parquet(tmp_path / "v.parquet", ["1", "query:1"], [[1, 0], [0, 1]])
    source = resolve_source(f"vectors:{path}")
    assert source.embed(["1"], [""], role="query").tolist() == [[0, 1]]
    assert source.embed(["1"], [""], role="document").tolist() == [[1, 0]]


def test_vectors_missing_an_id_name_count_and_examples(tmp_path):
    path = _write_parquet(tmp_path / "v.parquet", ["a"], [[1.0, 0.0]])
    with pytest.raises(InputError, match=r"no vector for 2 document id\(s\).*'b', 'c'"):
        resolve_source(f"vectors:{path}").embed(["a", "b", "c"], [""] * 3, role="document")


def test_vectors_with_mixed_dimensions_name_the_row(tmp_path):
    path = tmp_path / "v.parquet"
    pd.DataFrame({"id": ["a", "b"], "embedding": [[1.0, 2.0], [1.0]]}).to_parquet(path)
    expected = r"row 2 \(id 'b'\): embedding has 1 values where row 1 has 2"
    with pytest.raises(InputError, match=expected):
        resolve_source(f"vectors:{path}").embed(["a"], [""], role="document")


def test_vectors_with_nan_name_the_row(tmp_path):
    path = _write_parquet(
        tmp_path / "v.parquet", ["a", "b", "c"], [[1.0, 0.0], [np.nan, 1.0], [0, 1]]
    )
    with pytest.raises(InputError, match=r"row 2 \(id 'b'\): vector holds NaN or infinite"):
        resolve_source(f"vectors:{path}").embed(["a", "b"], [""] * 2, role="document")
    # a file may hold vectors the corpus does not use (a vector store's whole export):
    # only the rows asked for are checked
    assert resolve_source(f"vectors:{path}").embed(["c"], [""], role="document").shape == (1, 2)


def test_vectors_with_duplicate_ids(tmp_path):
    path = _write_parquet(tmp_path / "v.parquet", ["a", "a"], [[1.0], [2.0]])
    with pytest.raises(InputError, match="duplicate id 'a' at rows 1 and 2"):
        resolve_source(f"vectors:{path}").embed(["a"], [""], role="document")


def test_vectors_parquet_without_embedding_column(tmp_path):
    path = tmp_path / "v.parquet"
    pd.DataFrame({"id": ["a"], "vector": [[1.0]]}).to_parquet(path)
    with pytest.raises(InputError, match=r"missing column\(s\) 'embedding'"):
        resolve_source(f"vectors:{path}").embed(["a"], [""], role="document")


def test_npy_without_ids_file_or_with_object_array(tmp_path):
    np.save(tmp_path / "v.npy", np.eye(2))
    with pytest.raises(InputError, match=r"the ids file v\.ids\.txt .* is missing"):
        resolve_source(f"vectors:{tmp_path / 'v.npy'}").embed(["a"], [""], role="document")
    np.save(tmp_path / "o.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "o.ids.txt").write_text("a\n")
    with pytest.raises(InputError, match="not a plain numeric .npy array"):
        resolve_source(f"vectors:{tmp_path / 'o.npy'}").embed(["a"], [""], role="document")


def test_missing_vectors_file_and_bad_specs(tmp_path):
    with pytest.raises(InputError, match="vectors file not found"):
        resolve_source(f"vectors:{tmp_path / 'none.parquet'}")
    with pytest.raises(InputError, match="model folder not found"):
        resolve_source(str(tmp_path / "no-model"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="not a sentence-transformers model folder"):
        resolve_source(str(tmp_path / "empty"))


def test_default_spec_points_at_the_bundled_model_without_loading_it():
    source = resolve_source("default")
    assert isinstance(source, SentenceTransformerSource)
    assert (source.folder / "model.safetensors").is_file()
    assert source.max_seq_length == 256
    assert source.trust_remote_code is False


def test_fingerprint_follows_weights_and_config_not_the_folder_name(tmp_path):
    copy_a = shutil.copytree(default_model_folder(), tmp_path / "a")
    copy_b = shutil.copytree(default_model_folder(), tmp_path / "b")
    assert SentenceTransformerSource("a", copy_a).fingerprint == (
        SentenceTransformerSource("b", copy_b).fingerprint
    )
    config = json.loads((copy_b / "config.json").read_text())
    config["hidden_dropout_prob"] = 0.2  # same name, different checkpoint
    (copy_b / "config.json").write_text(json.dumps(config))
    assert SentenceTransformerSource("a", copy_a).fingerprint != (
        SentenceTransformerSource("b", copy_b).fingerprint
    )
    (copy_a / "README.md").write_text("docs do not change embeddings")
    assert SentenceTransformerSource("a", copy_a).fingerprint == (
        SentenceTransformerSource(
            "a", shutil.copytree(default_model_folder(), tmp_path / "c")
        ).fingerprint
    )


def test_trust_remote_code_is_passed_through_and_off_by_default(monkeypatch):
    import sentence_transformers

    seen = {}

    class Recorder:
        def __init__(self, path, **kwargs):
            seen.update(kwargs)
            self.max_seq_length = 256

        def encode(self, texts, **kwargs):
            return np.zeros((len(texts), 3))

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", Recorder)
    resolve_source("default").embed(["a"], ["x"], role="document")
    assert seen["trust_remote_code"] is False and seen["local_files_only"] is True
    resolve_source("default", trust_remote_code=True).embed(["a"], ["x"], role="document")
    assert seen["trust_remote_code"] is True


def test_a_hub_that_never_answers_fails_in_bounded_time(monkeypatch):
    """A server that accepts connections and never answers (a stalled proxy) must not hang."""
    import socket
    import threading
    import time

    from huggingface_hub import constants

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
    monkeypatch.setenv("RECALL_HORIZON_HUB_TIMEOUT", "1")
    started = time.monotonic()
    try:
        with pytest.raises(InputError, match=r"did not answer within 1 s.*HF_HUB_OFFLINE=1"):
            resolve_source("org/never-answers")
    finally:
        server.close()
        for connection in held:
            connection.close()
    assert time.monotonic() - started < 30
