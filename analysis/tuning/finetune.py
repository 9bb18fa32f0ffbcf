"""Precision-tune an embedding model on one domain's (query, relevant document) pairs.

The objective is the contrastive loss with in-batch negatives (MultipleNegativesRanking):
for a batch of pairs, each query must score its own document above the other documents
in the batch, cross-entropy over cosine similarities x ``scale``. This is how teams tune
retrievers for precision, and it is what can shrink the recall horizon elsewhere.

An optional *anchor* adds ``anchor x`` the mean squared difference between the tuned and
the base model's cosine matrices over the tuning domain's own documents (similarity-
preserving distillation): the usual guard against disturbing the index a team knows. It
guards only the domain it is given, so everything else is free to move.

Training is seeded (torch and the batch order), shows progress, and the result is cached
by (base model fingerprint, corpus fingerprint, domain, pairs, recipe): asking again for
the same candidate copies it from the cache instead of training.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analysis.errors import InputError
from analysis.inputs.cache import default_cache_dir
from analysis.inputs.corpus import Corpus
from analysis.inputs.models import SentenceTransformerSource
from analysis.progress import Progress
from analysis.tuning.pairs import TrainingPair

RECIPE_FILE = "recall_horizon_finetune.json"
ANCHOR_MAX_DOCS = 512  # a seeded sample of the tuning domain's documents beyond this


@dataclass(frozen=True)
class Recipe:
    """Hyper-parameters of a tuning run (all of them enter the cache key)."""

    epochs: int = 8
    learning_rate: float = 1e-4
    batch_size: int = 16
    scale: float = 20.0
    train_layers: int = 0  # 0: every layer; n: only the top n transformer layers
    adapter: bool = False  # train only a linear layer on top of the frozen model
    weight_decay: float = 0.01
    anchor: float = 0.0  # weight of the tuning domain's document-geometry anchor (0: off)
    adapter_bias: bool = True  # the adapter learns a bias too (a shift of every vector)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 2 or self.learning_rate <= 0:
            raise InputError("epochs >= 1, batch size >= 2 and a positive learning rate needed")
        if self.train_layers < 0:
            raise InputError(f"train layers must be 0 (all) or more, got {self.train_layers}")
        if self.adapter and self.train_layers:
            raise InputError("--adapter trains a layer on a frozen model: drop --train-layers")
        if self.anchor < 0:
            raise InputError(f"the anchor weight must be 0 (off) or more, got {self.anchor}")


def finetune(
    base: SentenceTransformerSource,
    corpus: Corpus,
    pairs: Sequence[TrainingPair],
    *,
    domain: str,
    out: Path,
    recipe: Recipe,
    cache_root: Path | None = None,
    progress: Progress | None = None,
) -> tuple[Path, bool]:
    """Train (or fetch from the cache) and save the tuned model to ``out``.

    Returns the output folder and whether it came from the cache.
    """
    key = _cache_key(base, corpus, domain, pairs, recipe)
    cached = (cache_root or default_cache_dir()) / "finetuned" / key
    from_cache = (cached / RECIPE_FILE).is_file()
    if not from_cache:
        _train_into(cached, base, corpus, pairs, recipe, key, domain, progress or Progress())
    if out.resolve() != cached.resolve() and _cache_key_of(out) != key:
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(cached, out)
    return out, from_cache


def _cache_key_of(folder: Path) -> str | None:
    try:
        return json.loads((folder / RECIPE_FILE).read_text())["cache_key"]
    except (OSError, ValueError, KeyError):
        return None


def _cache_key(
    base: SentenceTransformerSource,
    corpus: Corpus,
    domain: str,
    pairs: Sequence[TrainingPair],
    recipe: Recipe,
) -> str:
    payload = json.dumps(
        {
            "base": base.fingerprint,
            "corpus": corpus.fingerprint,
            "domain": domain,
            "pairs": [[p.query, p.doc_id] for p in pairs],
            "recipe": asdict(recipe),
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def _train_into(
    target: Path,
    base: SentenceTransformerSource,
    corpus: Corpus,
    pairs: Sequence[TrainingPair],
    recipe: Recipe,
    key: str,
    domain: str,
    progress: Progress,
) -> None:
    import torch

    torch.manual_seed(recipe.seed)
    if recipe.adapter:
        model = _train_adapter(base, corpus, pairs, recipe, domain, progress)
    else:
        model = _train_model(base, corpus, pairs, recipe, domain, progress)
    _save_atomically(model, target, recipe, key, domain, base, len(pairs))


def _train_model(
    base: SentenceTransformerSource,
    corpus: Corpus,
    pairs: Sequence[TrainingPair],
    recipe: Recipe,
    domain: str,
    progress: Progress,
) -> Any:
    """Fine-tune the transformer itself (every layer, or only the top ``train_layers``)."""
    import torch

    model = base._load()
    _freeze_lower_layers(model, recipe.train_layers)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        trainable, lr=recipe.learning_rate, weight_decay=recipe.weight_decay
    )
    docs = [corpus.doc_texts[corpus.doc_index[p.doc_id]] for p in pairs]
    queries = [p.query for p in pairs]
    anchor_texts = _anchor_texts(corpus, domain, recipe)
    if anchor_texts:
        anchor_base = torch.tensor(_encode(model, anchor_texts, base.prompt("document")))
        anchor_rng = np.random.default_rng(recipe.seed + 1)

    def loss_of(batch: np.ndarray) -> Any:
        loss = _in_batch_loss(
            model, [queries[i] for i in batch], [docs[i] for i in batch], recipe.scale
        )
        if anchor_texts:
            # A fresh sample each step: embedding every anchor document with gradients
            # would cost more than the training pairs themselves.
            rows = anchor_rng.choice(
                len(anchor_texts), min(recipe.batch_size, len(anchor_texts)), replace=False
            )
            tuned = _embed_with_grad(model, [anchor_texts[i] for i in rows])
            loss = loss + recipe.anchor * _geometry_drift(tuned, anchor_base[rows])
        return loss

    model.train()
    _run_epochs(
        len(pairs), recipe, optimiser, loss_of, progress, f"tuning on {len(pairs)} '{domain}' pairs"
    )
    model.eval()
    return model


def _train_adapter(
    base: SentenceTransformerSource,
    corpus: Corpus,
    pairs: Sequence[TrainingPair],
    recipe: Recipe,
    domain: str,
    progress: Progress,
) -> Any:
    """A linear layer (initialised to the identity) on top of the frozen model.

    The encoder is run once to embed the pairs; only the layer is trained, so tuning takes
    seconds. The result is the base model plus a sentence-transformers Dense module.
    """
    import torch
    import torch.nn.functional as F
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense

    frozen = base._load()
    queries = torch.tensor(_encode(frozen, [p.query for p in pairs], base.prompt("query")))
    docs = torch.tensor(
        _encode(
            frozen,
            [corpus.doc_texts[corpus.doc_index[p.doc_id]] for p in pairs],
            base.prompt("document"),
        )
    )
    anchor_texts = _anchor_texts(corpus, domain, recipe)
    if anchor_texts:
        anchor_base = torch.tensor(_encode(frozen, anchor_texts, base.prompt("document")))
    dim = queries.shape[1]
    weight = torch.nn.Parameter(torch.eye(dim))
    bias = torch.nn.Parameter(torch.zeros(dim), requires_grad=recipe.adapter_bias)
    optimiser = torch.optim.AdamW(
        [weight, bias] if recipe.adapter_bias else [weight],
        lr=recipe.learning_rate,
        weight_decay=recipe.weight_decay,
    )

    def loss_of(batch: np.ndarray) -> Any:
        q = F.normalize(queries[batch] @ weight + bias, dim=-1)
        d = F.normalize(docs[batch] @ weight + bias, dim=-1)
        loss = F.cross_entropy(q @ d.T * recipe.scale, torch.arange(len(batch)))
        if anchor_texts:
            tuned = F.normalize(anchor_base @ weight + bias, dim=-1)
            loss = loss + recipe.anchor * _geometry_drift(tuned, anchor_base)
        return loss

    _run_epochs(
        len(pairs),
        recipe,
        optimiser,
        loss_of,
        progress,
        f"tuning an adapter on {len(pairs)} '{domain}' pairs",
    )
    dense = Dense(dim, dim, bias=recipe.adapter_bias, activation_function=torch.nn.Identity())
    with torch.no_grad():
        dense.linear.weight.copy_(weight.T)  # Dense computes x @ W_lin.T + b
        if recipe.adapter_bias:
            dense.linear.bias.copy_(bias)
    return SentenceTransformer(modules=[*frozen, dense], device="cpu")


def _run_epochs(
    n_pairs: int,
    recipe: Recipe,
    optimiser: Any,
    loss_of: Callable[[np.ndarray], Any],
    progress: Progress,
    stage: str,
) -> None:
    """Seeded shuffles, one optimiser step per batch (a batch of one has no negative)."""
    rng = np.random.default_rng(recipe.seed)
    batches = -(-n_pairs // recipe.batch_size)
    with progress.stage(stage, recipe.epochs * batches) as tick:
        for _ in range(recipe.epochs):
            order = rng.permutation(n_pairs)
            for start in range(0, n_pairs, recipe.batch_size):
                batch = order[start : start + recipe.batch_size]
                if len(batch) >= 2:
                    loss = loss_of(batch)
                    optimiser.zero_grad()
                    loss.backward()
                    optimiser.step()
                tick(1)


def _in_batch_loss(model: Any, queries: list[str], docs: list[str], scale: float) -> Any:
    import torch
    import torch.nn.functional as F

    scores = _embed_with_grad(model, queries) @ _embed_with_grad(model, docs).T * scale
    return F.cross_entropy(scores, torch.arange(len(queries), device=scores.device))


def _embed_with_grad(model: Any, texts: list[str]) -> Any:
    import torch.nn.functional as F

    features = model.tokenize(texts)
    features = {k: v.to(model.device) if hasattr(v, "to") else v for k, v in features.items()}
    return F.normalize(model(features)["sentence_embedding"], dim=-1)


def _encode(model: Any, texts: list[str], prompt: str) -> np.ndarray:
    return model.encode(texts, prompt=prompt or None, convert_to_numpy=True)


def _anchor_texts(corpus: Corpus, domain: str, recipe: Recipe) -> list[str]:
    """The tuning domain's documents the anchor holds in place (none when it is off)."""
    if recipe.anchor == 0:
        return []
    rows = [i for i, label in enumerate(corpus.doc_domains) if label == domain]
    if len(rows) < 2:
        raise InputError(
            f"--anchor: the corpus has {len(rows)} document(s) in domain '{domain}'; the anchor "
            "holds the similarities between that domain's documents, so it needs at least 2"
        )
    if len(rows) > ANCHOR_MAX_DOCS:
        rng = np.random.default_rng(recipe.seed)
        rows = sorted(rng.choice(rows, ANCHOR_MAX_DOCS, replace=False).tolist())
    return [corpus.doc_texts[i] for i in rows]


def _geometry_drift(tuned: Any, base: Any) -> Any:
    """Mean squared difference of the two cosine matrices (rows of ``tuned`` are unit)."""
    import torch.nn.functional as F

    base = F.normalize(base, dim=-1)
    return ((tuned @ tuned.T - base @ base.T) ** 2).mean()


def _freeze_lower_layers(model: Any, train_layers: int) -> None:
    if train_layers == 0:
        return
    transformer = getattr(model[0], "auto_model", None)
    layers = getattr(getattr(transformer, "encoder", None), "layer", None)
    if transformer is None or layers is None:
        raise InputError(
            "--train-layers: cannot find this model's transformer layers; "
            "use 0 (train every layer) or --adapter"
        )
    if train_layers > len(layers):
        raise InputError(f"--train-layers {train_layers}: the model has {len(layers)} layers")
    for parameter in transformer.parameters():
        parameter.requires_grad = False
    for layer in layers[len(layers) - train_layers :]:
        for parameter in layer.parameters():
            parameter.requires_grad = True


def _save_atomically(
    model: Any,
    target: Path,
    recipe: Recipe,
    key: str,
    domain: str,
    base: SentenceTransformerSource,
    n_pairs: int,
) -> None:
    temporary = target.with_name(target.name + ".partial")
    if temporary.exists():
        shutil.rmtree(temporary)
    model.save(str(temporary))
    record = {
        "base": base.spec,
        "base_fingerprint": base.fingerprint,
        "domain": domain,
        "pairs": n_pairs,
        "recipe": asdict(recipe),
        "cache_key": key,
    }
    (temporary / RECIPE_FILE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    if target.exists():
        shutil.rmtree(target)
    temporary.rename(target)
