"""The bundled demo: the enterprise sample corpus and a legal-tuned candidate built on demand."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from analysis.inputs.cache import default_cache_dir
from analysis.inputs.corpus import load_corpus
from analysis.inputs.models import SentenceTransformerSource
from analysis.inputs.specs import resolve_source
from analysis.progress import Progress
from analysis.tuning.finetune import RECIPE_FILE, Recipe, finetune
from analysis.tuning.pairs import read_pairs


def _sample_corpus() -> Path:
    """The bundled sample corpus: inside the package once installed, beside it in a checkout."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "sample_corpora" / "enterprise"
    return installed if installed.is_dir() else package.parent / "sample_corpora" / "enterprise"


SAMPLE_CORPUS = _sample_corpus()
DEMO_DOMAIN = "legal"
DEMO_CANDIDATE = "demo-candidate"  # the model spec that names the demo's tuned model
# A linear adapter on the frozen MiniLM, trained hard on 60 legal (question, clause) pairs,
# with the legal documents' own geometry anchored: the recipe that reproduced the paradox
# (sample_corpora/README.md lists what else was tried and what each did).
DEMO_RECIPE = Recipe(
    epochs=100,
    learning_rate=1e-2,
    batch_size=16,
    scale=30.0,
    adapter=True,
    adapter_bias=False,
    anchor=30.0,
    seed=0,
)


# The paper's recipe on the demo: the same, with a structure-targeted hard negative per pair
# (a rule-made near miss of its clause), so the demo shows what such training buys.
DEMO_NEAR_MISS_CANDIDATE = "demo-near-miss-candidate"
DEMO_RECIPES = {
    DEMO_CANDIDATE: DEMO_RECIPE,
    DEMO_NEAR_MISS_CANDIDATE: replace(DEMO_RECIPE, negatives="near-miss"),
}


def demo_candidate_folder(cache_root: Path | None = None, name: str = DEMO_CANDIDATE) -> Path:
    return (cache_root or default_cache_dir()) / name


def ensure_demo_candidate(
    cache_root: Path | None = None,
    progress: Progress | None = None,
    name: str = DEMO_CANDIDATE,
) -> tuple[Path, bool]:
    """A demo candidate's folder (``name``: one of DEMO_RECIPES), tuning it first if needed;
    (folder, came from cache)."""
    corpus = load_corpus(SAMPLE_CORPUS)
    base = resolve_source("default")
    assert isinstance(base, SentenceTransformerSource)
    pairs = read_pairs(SAMPLE_CORPUS / "train" / "pairs.jsonl", corpus, DEMO_DOMAIN)
    return finetune(
        base,
        corpus,
        pairs,
        domain=DEMO_DOMAIN,
        out=demo_candidate_folder(cache_root, name),
        recipe=DEMO_RECIPES[name],
        cache_root=cache_root,
        progress=progress,
    )


def ensure_demo_rounds(
    rounds: int, cache_root: Path | None = None, progress: Progress | None = None
) -> Path:
    """The demo's recipe cut into ``rounds`` rounds by epochs, in a cache folder (built on
    first use: the adapter trains in seconds)."""
    from analysis.tuning.rounds import finetune_rounds

    folder = (cache_root or default_cache_dir()) / f"demo-series-{rounds}"
    if all((folder / f"round{r + 1}" / RECIPE_FILE).is_file() for r in range(rounds)):
        return folder
    if folder.exists():
        shutil.rmtree(folder)  # an interrupted build: start again
    corpus = load_corpus(SAMPLE_CORPUS)
    base = resolve_source("default")
    assert isinstance(base, SentenceTransformerSource)
    pairs = read_pairs(SAMPLE_CORPUS / "train" / "pairs.jsonl", corpus, DEMO_DOMAIN)
    finetune_rounds(
        base,
        corpus,
        pairs,
        domain=DEMO_DOMAIN,
        out=folder,
        recipe=DEMO_RECIPE,
        rounds=rounds,
        cache_root=cache_root,
        progress=progress,
    )
    return folder
