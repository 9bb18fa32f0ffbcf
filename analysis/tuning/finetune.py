"""Precision-tune an embedding model on one domain's (query, relevant document) pairs.

Training is sentence-transformers' own ``SentenceTransformerTrainer`` with the library's
MultipleNegativesRankingLoss (contrastive with in-batch negatives: for a batch of pairs,
each query must score its own document above the other documents in the batch,
cross-entropy over cosine similarities x ``scale``). This is how teams tune retrievers for
precision, and it is what can shrink the recall horizon elsewhere.

An optional *anchor* (``analysis.tuning.losses.AnchoredLoss``, ours: the library has none)
adds ``anchor x`` the mean squared difference between the tuned and the base model's cosine
matrices over the tuning domain's own documents (similarity-preserving distillation): the
usual guard against disturbing the index a team knows. It guards only the domain it is
given, so everything else is free to move.

Training is seeded (torch and the batch order), shows progress, and the result is cached
by (base model fingerprint, corpus fingerprint, domain, pairs, recipe, training loop):
asking again for the same candidate copies it from the cache instead of training. A
``Guard`` attaches the rollout gate's evaluator and callbacks to the trainer; a guarded run
is never cached.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
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
# Enters the cache key: a model trained by another loop is not this recipe's model.
TRAINING_LOOP = "sentence-transformers-trainer"
ANCHOR_MAX_DOCS = 512  # a seeded sample of the tuning domain's documents beyond this
NEGATIVES = ("none", "near-miss")


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
    max_grad_norm: float = 1.0  # the trainer's gradient clipping (its default); 0: none
    negatives: str = "none"  # "near-miss": a rule-made hard negative per pair (the paper's)

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 2 or self.learning_rate <= 0:
            raise InputError("epochs >= 1, batch size >= 2 and a positive learning rate needed")
        if self.train_layers < 0:
            raise InputError(f"train layers must be 0 (all) or more, got {self.train_layers}")
        if self.adapter and self.train_layers:
            raise InputError("--adapter trains a layer on a frozen model: drop --train-layers")
        if self.anchor < 0:
            raise InputError(f"the anchor weight must be 0 (off) or more, got {self.anchor}")
        if self.negatives not in NEGATIVES:
            raise InputError(
                f"--negatives must be one of {', '.join(NEGATIVES)}, got {self.negatives!r}"
            )
        if self.max_grad_norm < 0:
            raise InputError(
                f"--max-grad-norm must be 0 (no clipping) or more, got {self.max_grad_norm}"
            )


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
    guard: Guard | None = None,
) -> tuple[Path, bool]:
    """Train (or fetch from the cache) and save the tuned model to ``out``.

    Returns the output folder and whether it came from the cache. A guarded run is never
    cached (where it stops depends on the guard): its checkpoints and ``guard.json`` land in
    ``guard.output_dir`` and the model where training ended in ``out``.
    """
    key = _cache_key(base, corpus, domain, pairs, recipe)
    if guard is not None:
        _train_into(out, base, corpus, pairs, recipe, key, domain, progress or Progress(), guard)
        return out, False
    cached = (cache_root or default_cache_dir()) / "finetuned" / key
    from_cache = (cached / RECIPE_FILE).is_file()
    if not from_cache:
        _train_into(cached, base, corpus, pairs, recipe, key, domain, progress or Progress())
    if out.resolve() != cached.resolve() and _cache_key_of(out) != key:
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(cached, out)
    return out, from_cache


@dataclass(frozen=True)
class Guard:
    """What ``finetune --guard`` attaches to the trainer: an evaluator (a sentence-transformers
    evaluator, run every ``every_epochs`` epochs with a checkpoint saved at each evaluation
    in ``output_dir``), its callbacks, and where the trainer logs (``report_to``)."""

    evaluator: Any
    callbacks: tuple[Any, ...]
    output_dir: Path
    every_epochs: int = 1
    report_to: str = "none"

    def __post_init__(self) -> None:
        if self.every_epochs < 1:
            raise InputError(f"--guard-every must be at least 1 epoch, got {self.every_epochs}")


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
            "loop": TRAINING_LOOP,
            # the negatives themselves: a change of the rules is a change of the training data
            "negatives": _negatives_digest(corpus, pairs, recipe),
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def _negatives_digest(corpus: Corpus, pairs: Sequence[TrainingPair], recipe: Recipe) -> str:
    if recipe.negatives == "none":
        return ""
    datasets, _ = _datasets(corpus, pairs, recipe)
    texts = json.dumps(datasets, sort_keys=True).encode("utf-8")
    return hashlib.sha256(texts).hexdigest()


def _train_into(
    target: Path,
    base: SentenceTransformerSource,
    corpus: Corpus,
    pairs: Sequence[TrainingPair],
    recipe: Recipe,
    key: str,
    domain: str,
    progress: Progress,
    guard: Guard | None = None,
) -> None:
    model = _model_to_train(base, recipe)
    prompts = {"query": base.prompt("query"), "document": base.prompt("document")}
    loss = _loss(model, corpus, recipe, domain, prompts["document"])
    datasets, negatives = _datasets(corpus, pairs, recipe)
    what = "an adapter" if recipe.adapter else "the model"
    stage = f"tuning {what} on {len(pairs)} '{domain}' pairs"
    record = _record(recipe, key, domain, base, len(pairs))
    if negatives is not None:
        record["near_miss_negatives"] = negatives  # how many pairs got one, and by which rule
    from analysis.tuning.trainer import train

    train(model, loss, datasets, prompts, recipe, progress, stage, guard, record, RECIPE_FILE)
    _save_atomically(model, target, record)


def _datasets(
    corpus: Corpus, pairs: Sequence[TrainingPair], recipe: Recipe
) -> tuple[dict[str, dict[str, list[str]]], dict[str, Any] | None]:
    """The training columns (query, document[, negative]) and, with near-miss negatives,
    what they were: the pairs whose document a rule could edit train with its near miss as
    a hard negative; the others (counted) train in a dataset of their own, without one."""
    documents = [corpus.doc_texts[corpus.doc_index[p.doc_id]] for p in pairs]
    plain = {"query": [p.query for p in pairs], "document": documents}
    if recipe.negatives == "none":
        return {"pairs": plain}, None
    from analysis.nearmiss.passages import near_miss_document

    with_negative: dict[str, list[str]] = {"query": [], "document": [], "negative": []}
    without: dict[str, list[str]] = {"query": [], "document": []}
    rules: dict[str, int] = {}
    for index, (pair, document) in enumerate(zip(pairs, documents, strict=True)):
        # seed + index: pair by pair the rules take turns first, so the negatives mix them
        made = near_miss_document(pair.query, document, seed=recipe.seed + index)
        if made is None:
            without["query"].append(pair.query)
            without["document"].append(document)
            continue
        negative, edit = made
        with_negative["query"].append(pair.query)
        with_negative["document"].append(document)
        with_negative["negative"].append(negative)
        rules[edit.rule] = rules.get(edit.rule, 0) + 1
    if not with_negative["query"]:
        raise InputError(
            f"--negatives near-miss: no rule could edit the document of any of the "
            f"{len(pairs)} pairs (negation, role swap, number, condition)"
        )
    datasets = {"near-miss": with_negative}
    if without["query"]:
        datasets["without-negative"] = without
    record = {
        "pairs": len(with_negative["query"]),
        "skipped": len(without["query"]),
        "rules": rules,
    }
    return datasets, record


def _model_to_train(base: SentenceTransformerSource, recipe: Recipe) -> Any:
    """The base itself (every layer, or only the top ``train_layers``); or, for the adapter
    recipe, the frozen base followed by a linear layer initialised to the identity."""
    import torch

    torch.manual_seed(recipe.seed)
    model = base._load()
    if not recipe.adapter:
        _freeze_lower_layers(model, recipe.train_layers)
        return model
    from sentence_transformers.sentence_transformer.modules import Dense

    from analysis.tuning.frozen import FrozenPrefixModel

    dim = model.get_embedding_dimension()
    dense = Dense(dim, dim, bias=recipe.adapter_bias, activation_function=torch.nn.Identity())
    with torch.no_grad():
        dense.linear.weight.copy_(torch.eye(dim))
        if recipe.adapter_bias:
            dense.linear.bias.zero_()
    return FrozenPrefixModel(model, [dense])


def _loss(model: Any, corpus: Corpus, recipe: Recipe, domain: str, document_prompt: str) -> Any:
    """The library's MultipleNegativesRankingLoss, with the anchor of ours when it is on."""
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    loss = MultipleNegativesRankingLoss(model, scale=recipe.scale)
    texts = _anchor_texts(corpus, domain, recipe)
    if not texts:
        return loss
    from analysis.tuning.losses import AnchoredLoss

    before = _encode(model, texts, document_prompt)
    # The adapter's frozen encoder makes every anchor document cheap at each step; a model
    # being trained re-encodes them with gradients, so it takes a batch-sized sample.
    return AnchoredLoss(
        loss,
        texts=texts,
        before=before,
        weight=recipe.anchor,
        per_step=None if recipe.adapter else recipe.batch_size,
        prompt=document_prompt,
        seed=recipe.seed + 1,
    )


def _encode(model: Any, texts: list[str], prompt: str) -> Any:
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


def _record(
    recipe: Recipe, key: str, domain: str, base: SentenceTransformerSource, n_pairs: int
) -> dict[str, Any]:
    """What the recipe file of a tuned model (and of each guarded checkpoint) says."""
    return {
        "base": base.spec,
        "base_fingerprint": base.fingerprint,
        "domain": domain,
        "pairs": n_pairs,
        "recipe": asdict(recipe),
        "cache_key": key,
    }


def _save_atomically(model: Any, target: Path, record: dict[str, Any]) -> None:
    temporary = target.with_name(target.name + ".partial")
    if temporary.exists():
        shutil.rmtree(temporary)
    model.save(str(temporary))
    (temporary / RECIPE_FILE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    if target.exists():
        shutil.rmtree(target)
    temporary.rename(target)
