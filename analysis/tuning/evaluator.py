"""The rollout gate inside a team's own training loop: a sentence-transformers evaluator.

.. code-block:: python

    from analysis.tuning.evaluator import RecallHorizonEvaluator

    guard = RecallHorizonEvaluator("eval/corpus", baseline="default", policy="policy.toml")
    args = SentenceTransformerTrainingArguments(
        ..., eval_strategy="steps", metric_for_best_model=guard.primary_metric,
        load_best_model_at_end=True,
    )
    trainer = SentenceTransformerTrainer(model, args, ..., evaluator=guard)

At each evaluation it encodes the corpus with the model being trained (the baseline's
vectors were computed once, through the embedding cache), compares the two exactly as
``compare`` does on the families the gate reads (relevance, answer or judged-relevant
coverage, overlap, reach, and exclusions when the policy checks them) and returns, under
stable keys (``name`` is the prefix, ``rh`` by default; a domain's name lower-cased, other
characters than letters, digits, ``-`` and ``.`` replaced by ``_``):

* ``rh_<domain>_ndcg@10_rel_change``: nDCG@10's relative change against the baseline;
* ``rh_<domain>_<guardrail>``: the number each guardrail of the policy checks (its name as
  in the policy: ``max_relative_drop_ndcg``, ``min_overlap``, ``max_net_lost_reach_share``,
  …), and ``rh_<domain>_<guardrail>_headroom``: its distance to the limit (> 0 inside it);
* ``rh_<domain>_headroom``: the domain's smallest headroom; ``rh_passed``: 1 when every
  guardrail holds;
* ``rh_worst_headroom`` (the ``primary_metric``): the smallest headroom of all, so that
  ``metric_for_best_model`` with ``load_best_model_at_end`` keeps the best *safe*
  checkpoint. A guardrail the comparison cannot evaluate fails closed, as the gate does.

Whatever the trainer logs to (TensorBoard, MLflow, W&B, plain logs) receives them.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sentence_transformers.sentence_transformer.evaluation import SentenceEvaluator

from analysis.errors import InputError

if TYPE_CHECKING:
    from analysis.bundle.summary import Summary
    from analysis.inputs.embed import CorpusEmbeddings
    from analysis.verdict.gate import GateResult

UNEVALUATED = -1.0  # a guardrail that fails closed: its headroom, as the primary metric sees it


class RecallHorizonEvaluator(SentenceEvaluator):
    """The gate's per-domain measures of the model being trained against a baseline."""

    def __init__(
        self,
        corpus: str,
        baseline: str = "default",
        policy: str | Path | None = None,
        *,
        k: int = 10,
        name: str = "rh",
        cache_dir: str | Path | None = None,
        batch_size: int = 64,
        model: Any = None,
        queries: str = "",
        qrels: str = "",
        answers: str = "",
    ) -> None:
        """``corpus`` (with domains; judgments and/or reference answers), ``baseline`` (a
        model spec or ``vectors:PATH``) and ``policy`` (a policy TOML; the shipped default
        when None) are read and checked now, with the baseline's vectors: a corpus without
        domains, a policy the corpus cannot evaluate and, given ``model``, a dimension that
        differs from the baseline's are errors before training starts."""
        super().__init__()
        from analysis.pipeline.request import Request
        from analysis.pipeline.run import embed, embedding_cache, load_corpus, source_of
        from analysis.progress import Progress
        from analysis.verdict.gate import load_policy

        self.name, self.batch_size = name, batch_size
        self.request = Request(
            corpus=str(corpus),
            baseline=baseline,
            candidate=baseline,
            queries=queries,
            qrels=qrels,
            answers=answers,
            k=k,
            cache_dir=Path(cache_dir) if cache_dir is not None else None,
            batch_size=batch_size,
            projection=False,
        )
        self.config = replace(self.request.config(), projection=False)
        self.policy = load_policy(policy)
        self.corpus = load_corpus(self.request)
        if len(self.corpus.domains) < 2:
            raise InputError(
                f"{corpus}: the guard corpus has {len(self.corpus.domains)} domain(s) "
                f"({', '.join(self.corpus.domains) or 'none'}); the evaluator guards the "
                "domains a fine-tune was not aimed at: give a corpus whose documents carry "
                "several (a folder of BEIR folders, or a domain column)"
            )
        source = source_of(self.request, baseline)
        cache = embedding_cache(self.request, [source])
        self.baseline = embed(self.corpus, source, cache, label="baseline", progress=Progress())
        self.primary_metric = f"{name}_worst_headroom"
        self.greater_is_better = True
        self._check_policy()
        if model is not None:
            self.check_model(model)

    def check_model(self, model: Any) -> None:
        """An InputError when ``model`` cannot be compared with the baseline."""
        dimension = model.get_sentence_embedding_dimension()
        if dimension is not None and dimension != self.baseline.dimension:
            raise InputError(
                f"the model being trained gives {dimension}-dimension vectors and the baseline "
                f"({self.baseline.spec}) {self.baseline.dimension}: they cannot be compared"
            )

    def __call__(
        self, model: Any, output_path: str | None = None, epoch: int = -1, steps: int = -1
    ) -> dict[str, float]:
        summary = self.summary(self.encoded(model, epoch, steps))
        metrics = self.metrics(summary)
        self.store_metrics_in_model_card_data(model, metrics, epoch, steps)
        return metrics

    def encoded(self, model: Any, epoch: int = -1, steps: int = -1) -> CorpusEmbeddings:
        """The corpus encoded by ``model`` as it is now (no cache: its weights change)."""
        from analysis.inputs.embed import CorpusEmbeddings

        self.check_model(model)
        prompts = getattr(model, "prompts", None) or {}

        def vectors(texts: list[str], names: tuple[str, ...]) -> np.ndarray:
            prompt = next((prompts[n] for n in names if prompts.get(n)), None)
            encoded = model.encode(
                texts,
                batch_size=self.batch_size,
                prompt=prompt,
                convert_to_numpy=True,
                normalize_embeddings=False,
                show_progress_bar=False,
            )
            return np.asarray(encoded, dtype=np.float32)

        docs = vectors(list(self.corpus.doc_texts), ("document", "passage", "corpus"))
        queries = vectors(list(self.corpus.query_texts), ("query",))
        label = f"the model in training (epoch {epoch}, step {steps})"
        return CorpusEmbeddings(label, f"training|{epoch}|{steps}", docs, queries, 0, 0)

    def summary(self, candidate: CorpusEmbeddings) -> Summary:
        """The comparison with the baseline, on the families the gate reads."""
        from analysis.bundle.summary import Summary, build_summary
        from analysis.compare import compare

        result = compare(
            self.corpus, self.baseline, candidate, self.config, families=self._families()
        )
        return Summary(build_summary(result, corpus_source=self.request.corpus))

    def metrics(self, summary: Summary) -> dict[str, float]:
        """The documented keys, from a comparison's summary."""
        from analysis.metrics.quality import QualityFigures
        from analysis.verdict.gate import evaluate

        gate = evaluate(summary, self.policy)
        out: dict[str, float] = {}
        for domain, section in summary.domains.items():
            quality = section.get(QualityFigures)
            change = quality.relative_change("ndcg@10") if quality else None
            if change is not None:
                out[f"{self._key(domain)}_ndcg@10_rel_change"] = float(change)
        worst: dict[str, float] = {}
        for check in gate.checks:
            prefix = f"{self._key(check.domain)}_{check.guardrail}"
            headroom = check.headroom if check.evaluated else UNEVALUATED
            if check.value is not None:
                out[prefix] = float(check.value)
            if headroom is not None:
                out[f"{prefix}_headroom"] = float(headroom)
                worst[check.domain] = min(worst.get(check.domain, np.inf), float(headroom))
        for domain, headroom in worst.items():
            out[f"{self._key(domain)}_headroom"] = headroom
        out[f"{self.name}_worst_headroom"] = min(worst.values()) if worst else 0.0
        out[f"{self.name}_passed"] = 1.0 if gate.passed else 0.0
        return out

    def gate(self, summary: Summary) -> GateResult:
        from analysis.verdict.gate import evaluate

        return evaluate(summary, self.policy)

    def _key(self, domain: str) -> str:
        return f"{self.name}_{re.sub(r'[^0-9a-z.-]+', '_', domain.lower())}"

    def _families(self) -> tuple[Any, ...]:
        from analysis.compare import FAMILIES
        from analysis.metrics.answers import ANSWERS
        from analysis.metrics.overlap import OVERLAP
        from analysis.metrics.quality import QUALITY
        from analysis.metrics.reach import REACH
        from analysis.metrics.thresholds import THRESHOLDS

        rails = [self.policy.defaults, *self.policy.overrides.values()]
        exclusions = any(r.limit("max_excluded_share_same_cutoff") is not None for r in rails)
        wanted = [OVERLAP, REACH, QUALITY, ANSWERS, *((THRESHOLDS,) if exclusions else ())]
        return tuple(f for f in FAMILIES if f in wanted)

    def _check_policy(self) -> None:
        """Fail closed before training, as the gate would at the first evaluation: the
        baseline against itself must evaluate every guardrail the policy sets."""
        gate = self.gate(self.summary(self.baseline))
        missing = [c for c in gate.checks if not c.evaluated and not c.passed]
        if missing:
            first = missing[0]
            raise InputError(
                f"policy {self.policy.source}: {len(missing)} guardrail(s) cannot be evaluated "
                f"on this corpus, e.g. {first.domain}: {first.detail}"
            )
