"""The embedding cache: incremental encoding, atomic shards, corruption never served."""

from __future__ import annotations

import numpy as np

from analysis.inputs.cache import ENV_VAR, CacheNamespace, EmbeddingCache, default_cache_dir
from analysis.inputs.corpus import Corpus
from analysis.inputs.embed import embed_corpus
from tests.fakes import KeywordEmbedder


def _corpus(n: int) -> Corpus:
    texts = tuple(f"contract {'liability ' * (i % 7)}doc {i}" for i in range(n))
    return Corpus("c", tuple(f"d{i}" for i in range(n)), texts, ("legal",) * n)


def test_adding_documents_encodes_only_the_new_texts(tmp_path):
    cache, model = EmbeddingCache(tmp_path), KeywordEmbedder()
    first = embed_corpus(_corpus(1000), model, cache=cache, label="m")
    second = embed_corpus(_corpus(1010), model, cache=cache, label="m")
    assert (first.encoded, first.cached) == (1000, 0)
    assert (second.encoded, second.cached) == (10, 1000)
    assert model.calls == [1000, 10]
    np.testing.assert_array_equal(second.documents[:1000], first.documents)


def test_cached_vectors_equal_fresh_ones(tmp_path):
    model = KeywordEmbedder()
    cached = embed_corpus(_corpus(20), model, cache=EmbeddingCache(tmp_path), label="m")
    again = embed_corpus(_corpus(20), model, cache=EmbeddingCache(tmp_path), label="m")
    np.testing.assert_array_equal(again.documents, cached.documents)
    assert again.encoded == 0


def test_entries_are_separate_per_namespace(tmp_path):
    cache = EmbeddingCache(tmp_path)
    key = [b"k" * 32]
    cache.store(CacheNamespace("model-a", False, 256), key, np.ones((1, 2)))
    found, _ = cache.lookup(CacheNamespace("model-a", False, 128), key)
    assert not found.any()  # a different max length is a different entry
    found, _ = cache.lookup(CacheNamespace("model-b", False, 256), key)
    assert not found.any()
    found, vectors = cache.lookup(CacheNamespace("model-a", False, 256), key)
    assert found.all() and vectors.tolist() == [[1.0, 1.0]]


def test_truncated_shard_is_detected_discarded_and_recomputed(tmp_path):
    cache, model = EmbeddingCache(tmp_path), KeywordEmbedder()
    embed_corpus(_corpus(30), model, cache=cache, label="m")
    (shard,) = list(tmp_path.rglob("*.npz"))
    shard.write_bytes(shard.read_bytes()[:200])
    result = embed_corpus(_corpus(30), model, cache=cache, label="m")
    assert result.encoded == 30 and cache.discarded == [shard]


def test_corrupted_values_with_valid_zip_are_never_served(tmp_path):
    cache, model = EmbeddingCache(tmp_path), KeywordEmbedder()
    original = embed_corpus(_corpus(5), model, cache=cache, label="m")
    (shard,) = list(tmp_path.rglob("*.npz"))
    with np.load(shard) as data:
        keys, vectors = data["keys"], data["vectors"] + 1.0
    np.savez(shard, keys=keys, vectors=vectors)  # well-formed file, wrong content
    result = embed_corpus(_corpus(5), model, cache=cache, label="m")
    assert result.encoded == 5
    np.testing.assert_array_equal(result.documents, original.documents)


def test_no_temporary_files_are_left_behind(tmp_path):
    embed_corpus(_corpus(5), KeywordEmbedder(), cache=EmbeddingCache(tmp_path), label="m")
    assert not list(tmp_path.rglob("*.tmp"))


def test_cache_location_follows_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "here"))
    assert default_cache_dir() == tmp_path / "here"
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "recall-horizon"


def test_a_shard_is_read_and_checked_once_per_process_until_its_file_changes(tmp_path, monkeypatch):
    from analysis.inputs import cache as cache_module

    reads: list[str] = []
    read = cache_module._read_shard
    monkeypatch.setattr(cache_module, "_read_shard", lambda p: reads.append(p.name) or read(p))
    monkeypatch.setattr(cache_module, "_CHECKED", cache_module.OrderedDict())
    cache, namespace = EmbeddingCache(tmp_path), CacheNamespace("m", False, 256)
    keys = [bytes([i]) * 32 for i in range(3)]
    cache.store(namespace, keys, np.arange(6, dtype=np.float32).reshape(3, 2))
    for _ in range(3):
        found, vectors = cache.lookup(namespace, keys[::-1])
        assert found.all() and vectors[0].tolist() == [4.0, 5.0]
    assert len(reads) == 1
    shard = next((tmp_path).rglob("*.npz"))
    shard.write_bytes(shard.read_bytes()[:-10])  # damaged on disk after it was kept
    found, _ = cache.lookup(namespace, keys)
    assert not found.any() and len(reads) == 2 and not shard.exists()  # read again: refused


def test_a_key_held_twice_takes_the_first_shards_vector_and_within_a_shard_its_first_row(
    tmp_path, monkeypatch
):
    """The sorted-key lookup keeps the loop's precedence: shards in file-name order, rows in
    file order; keys not held stay unfound, asked in any order and more than once."""
    from analysis.inputs import cache as cache_module

    monkeypatch.setattr(cache_module, "_CHECKED", cache_module.OrderedDict())
    cache, namespace = EmbeddingCache(tmp_path), CacheNamespace("m", False, 256)
    a, b, c, missing = (bytes([i]) * 32 for i in range(4))
    cache.store(namespace, [a, b, a], np.array([[1.0], [2.0], [3.0]], dtype=np.float32))
    cache.store(namespace, [b, c], np.array([[20.0], [30.0]], dtype=np.float32))
    first = sorted(tmp_path.rglob("*.npz"))[0]  # shards are read in file-name order
    b_first = 2.0 if np.load(first)["vectors"][0, 0] == 1.0 else 20.0
    found, vectors = cache.lookup(namespace, [c, missing, b, a, a])
    assert found.tolist() == [True, False, True, True, True]
    assert vectors[:, 0].tolist() == [30.0, 0.0, b_first, 1.0, 1.0]
