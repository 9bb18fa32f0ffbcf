"""A series of fine-tuning rounds: ``finetune --rounds N [--seeds S]``.

Two ways to cut training into rounds:

* ``epochs`` (default): checkpoint r is the model after r x E/N of the recipe's E epochs,
  on every pair. Training is seeded and its learning rate constant, so stopping a run
  after r x E/N epochs gives exactly the checkpoint a longer run passes through; each is
  trained (and cached) as its own recipe.
* ``pairs``: the pairs are cut, in file order, into N chunks, and round r tunes round r-1's
  checkpoint on chunk r: what continuous fine-tuning on newly curated data does.

Each seed trains its own chain (recipe seed + 0, 1, ...). Checkpoints land in
``OUT/round<r>/`` (``OUT/round<r>/seed-<s>/`` with several seeds), the layout
``rounds --checkpoints OUT`` reads, and each checkpoint's recipe file records its round and
what it was trained on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from analysis.errors import InputError
from analysis.inputs.corpus import Corpus
from analysis.inputs.models import SentenceTransformerSource
from analysis.inputs.specs import resolve_source
from analysis.progress import Progress
from analysis.tuning.finetune import RECIPE_FILE, Recipe, finetune
from analysis.tuning.pairs import TrainingPair

ROUND_BY = ("epochs", "pairs")


def finetune_rounds(
    base: SentenceTransformerSource,
    corpus: Corpus,
    pairs: Sequence[TrainingPair],
    *,
    domain: str,
    out: Path,
    recipe: Recipe,
    rounds: int,
    seeds: int = 1,
    by: str = "epochs",
    cache_root: Path | None = None,
    progress: Progress | None = None,
) -> list[list[Path]]:
    """Train every round of every seed; return the checkpoint folders, [seed][round]."""
    _check(out, recipe, len(pairs), rounds, seeds, by)
    chains = []
    for seed in range(seeds):
        seeded = replace(recipe, seed=recipe.seed + seed)
        previous, folders = base, []
        for index in range(rounds):
            folder = out / f"round{index + 1}"
            folder = folder / f"seed-{seed}" if seeds > 1 else folder
            if by == "epochs":
                epochs = (index + 1) * recipe.epochs // rounds
                step, trained_on = replace(seeded, epochs=epochs), list(pairs)
                start, model = base, f"{epochs} of {recipe.epochs} epochs on all pairs"
            else:
                low, high = _chunk(len(pairs), rounds, index)
                step, trained_on, start = seeded, list(pairs[low:high]), previous
                model = f"pairs {low + 1}-{high} of {len(pairs)}, from round {index}'s model"
            finetune(
                start,
                corpus,
                trained_on,
                domain=domain,
                out=folder,
                recipe=step,
                cache_root=cache_root,
                progress=progress,
            )
            _record_round(folder, index + 1, rounds, seed, model)
            loaded = resolve_source(str(folder))
            assert isinstance(loaded, SentenceTransformerSource)
            previous = loaded
            folders.append(folder)
        chains.append(folders)
    return chains


def _check(out: Path, recipe: Recipe, n_pairs: int, rounds: int, seeds: int, by: str) -> None:
    if by not in ROUND_BY:
        raise InputError(f"--round-by must be one of {', '.join(ROUND_BY)}, got {by!r}")
    if rounds < 1 or seeds < 1:
        raise InputError("--rounds and --seeds must be at least 1")
    if by == "epochs" and recipe.epochs < rounds:
        raise InputError(
            f"--rounds {rounds} by epochs needs at least {rounds} --epochs, got {recipe.epochs}"
        )
    if by == "pairs" and n_pairs < 2 * rounds:
        raise InputError(
            f"--rounds {rounds} by pairs needs at least 2 pairs per round; the domain has {n_pairs}"
        )
    if out.exists() and any(out.iterdir()):
        raise InputError(f"--out {out}: not empty; a series needs a new or empty folder")


def _chunk(n: int, rounds: int, index: int) -> tuple[int, int]:
    return index * n // rounds, (index + 1) * n // rounds


def _record_round(folder: Path, index: int, rounds: int, seed: int, trained: str) -> None:
    path = folder / RECIPE_FILE
    record = json.loads(path.read_text(encoding="utf-8"))
    record["series"] = {"round": index, "rounds": rounds, "seed_index": seed, "trained": trained}
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
