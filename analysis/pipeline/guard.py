"""The rollout gate inside a team's own training loop: a sentence-transformers evaluator.

.. code-block:: python

    from analysis.pipeline.guard import RecallHorizonEvaluator

    guard = RecallHorizonEvaluator("eval/corpus", baseline="default", policy="policy.toml")
    args = SentenceTransformerTrainingArguments(
        ..., eval_strategy="steps", metric_for_best_model=guard.primary_metric,
        load_best_model_at_end=True,
    )
    trainer = SentenceTransformerTrainer(model, args, ..., evaluator=guard)

At each evaluation it encodes the corpus with the model being trained (the baseline's
vectors were computed once, through the embedding cache), compares the two exactly as
``compare`` does on the families the gate reads (relevance, overlap, reach; answer or
judged-relevant coverage and exclusions when the policy checks them; the paired tests and
overlap's intervals only when a guardrail reads a p-value) and returns, under
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
  checkpoint. A guardrail the comparison cannot evaluate fails closed, as the gate does;
* ``rh_marginal_passed`` and ``rh_marginal_worst_headroom``: the same gate on what this
  evaluation changed since the one before (the first: since the baseline), as ``rounds``
  judges a round against the round before.

:class:`GuardCallback` stops the training on a breach and records the last safe step.

Whatever the trainer logs to (TensorBoard, MLflow, W&B, plain logs) receives them.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sentence_transformers.sentence_transformer.evaluation import SentenceEvaluator
from transformers import TrainerCallback

from analysis.errors import InputError
from analysis.tuning.threads import BlasThreads

if TYPE_CHECKING:
    from analysis.bundle.summary import Summary
    from analysis.inputs.embed import CorpusEmbeddings
    from analysis.inputs.source import Role
    from analysis.retrieval import Ranking
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
        self.policy = load_policy(policy)
        # p-values (and overlap's intervals, which no guardrail reads) only where a
        # guardrail reads p-values: the sign-flip tests were half of an evaluation's
        # comparisons, and a policy that counts every drop reads none
        self.config = replace(
            self.request.config(), projection=False, inference=self._reads_p_values()
        )
        self.families = self._families_read()  # what the policy reads, decided once
        self._marginal_config = self.config  # the baseline's cutoff, once it is known
        self._previous: CorpusEmbeddings | None = None  # the last evaluation's vectors
        # each side's ranking, so an evaluation searches the corpus once, not four times
        self._rankings: list[tuple[CorpusEmbeddings, Ranking]] = []
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
        self._threads = BlasThreads()  # after the search above loaded faiss's BLAS

    def check_model(self, model: Any) -> None:
        """An InputError when ``model`` cannot be compared with the baseline."""
        dimension = model.get_embedding_dimension()
        if dimension is not None and dimension != self.baseline.dimension:
            raise InputError(
                f"the model being trained gives {dimension}-dimension vectors and the baseline "
                f"({self.baseline.spec}) {self.baseline.dimension}: they cannot be compared"
            )

    def __call__(
        self, model: Any, output_path: str | None = None, epoch: int = -1, steps: int = -1
    ) -> dict[str, float]:
        with self._threads.for_evaluation(self.corpus.n_docs, self.corpus.n_queries):
            current = self.encoded(model, epoch, steps)
            metrics = self.metrics(self.summary(current))
            # what this evaluation added to the one before (the first: against the
            # baseline), at the baseline's cutoff, as `rounds` compares consecutive rounds
            before = self._previous if self._previous is not None else self.baseline
            marginal = self.gate(self.summary(current, against=before))
        headrooms = [c.headroom if c.evaluated else UNEVALUATED for c in marginal.checks]
        finite = [h for h in headrooms if h is not None]
        metrics[f"{self.name}_marginal_passed"] = 1.0 if marginal.passed else 0.0
        metrics[f"{self.name}_marginal_worst_headroom"] = min(finite) if finite else 0.0
        self._previous = current
        self.store_metrics_in_model_card_data(model, metrics, epoch, steps)
        return metrics

    def encoded(self, model: Any, epoch: int = -1, steps: int = -1) -> CorpusEmbeddings:
        """The corpus encoded by ``model`` as it is now (no cache: its weights change)."""
        from analysis.inputs.embed import CorpusEmbeddings

        self.check_model(model)
        from analysis.inputs.models import encode_with, prompt_for
        from analysis.tuning.frozen import FrozenPrefixModel

        prompts = getattr(model, "prompts", None) or {}

        def vectors(texts: list[str], role: Role) -> np.ndarray:
            prompt = prompt_for(prompts, role)
            if isinstance(model, FrozenPrefixModel):  # finetune's adapter recipe
                return model.encode_remembered(
                    texts, prompt=prompt or None, batch_size=self.batch_size
                )
            encoded = encode_with(model, texts, batch_size=self.batch_size, prompt=prompt)
            return np.asarray(encoded, dtype=np.float32)

        docs = vectors(list(self.corpus.doc_texts), "document")
        queries = vectors(list(self.corpus.query_texts), "query")
        label = f"the model in training (epoch {epoch}, step {steps})"
        return CorpusEmbeddings(label, f"training|{epoch}|{steps}", docs, queries, 0, 0)

    def summary(
        self, candidate: CorpusEmbeddings, against: CorpusEmbeddings | None = None
    ) -> Summary:
        """The comparison with the baseline (or ``against``: then at the baseline's
        cutoff), on the families the gate reads."""
        from analysis.bundle.summary import Summary, build_summary
        from analysis.compare import compare
        from analysis.metrics.thresholds import THRESHOLDS

        base = self.baseline if against is None else against
        config = self.config if against is None else self._marginal_config
        result = compare(
            self.corpus,
            base,
            candidate,
            config,
            families=self.families,
            baseline_ranking=self._ranking(base),
            candidate_ranking=self._ranking(candidate),
        )
        self._remember(base, result.baseline_ranking)
        self._remember(candidate, result.candidate_ranking)
        thresholds = result.result(THRESHOLDS)
        if against is None and self.config.cutoff is None and thresholds is not None:
            self._marginal_config = replace(self.config, cutoff=thresholds.cutoff)
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

    def _ranking(self, side: CorpusEmbeddings) -> Ranking | None:
        return next((ranking for known, ranking in self._rankings if known is side), None)

    def _remember(self, side: CorpusEmbeddings, ranking: Ranking) -> None:
        """Keep the baseline's ranking and the last few evaluations' (by identity: two
        evaluations at one step may hold different weights)."""
        if self._ranking(side) is not None:
            return
        kept = [entry for entry in self._rankings if entry[0] is not self.baseline][-2:]
        baseline = [entry for entry in self._rankings if entry[0] is self.baseline]
        self._rankings = [*baseline, *kept, (side, ranking)]

    def _reads_p_values(self) -> bool:
        rails = [self.policy.defaults, *self.policy.overrides.values()]
        return any(r.only_when_significant for r in rails)

    def _key(self, domain: str) -> str:
        return f"{self.name}_{re.sub(r'[^0-9a-z.-]+', '_', domain.lower())}"

    def _families_read(self) -> tuple[Any, ...]:
        from analysis.compare import FAMILIES
        from analysis.metrics.answers import ANSWERS
        from analysis.metrics.overlap import OVERLAP
        from analysis.metrics.quality import QUALITY
        from analysis.metrics.reach import REACH
        from analysis.metrics.thresholds import THRESHOLDS

        rails = [self.policy.defaults, *self.policy.overrides.values()]

        def checked(*guardrails: str) -> bool:
            return any(r.limit(g) is not None for r in rails for g in guardrails)

        # coverage and exclusions only when the policy checks them: answer coverage builds
        # every query's context, and was most of an evaluation that never read it
        coverage = checked("max_relative_drop_answer_coverage", "max_relative_drop_judged_coverage")
        exclusions = checked("max_excluded_share_same_cutoff")
        wanted = [
            OVERLAP,
            REACH,
            QUALITY,
            *((ANSWERS,) if coverage else ()),
            *((THRESHOLDS,) if exclusions else ()),
        ]
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


GUARD_FILE = "guard.json"  # what GuardCallback records in the trainer's output folder


class GuardCallback(TrainerCallback):
    """Stop the training when the guard's gate is breached beyond ``noise_floor`` (headroom
    below −noise_floor, cumulative or marginal) at ``patience`` evaluations in a row, and
    record every evaluation, the last safe step and its checkpoint in
    ``<output_dir>/guard.json``.

    Safe is what ``rounds`` calls safe: the gate holds against the baseline and against the
    evaluation before. With a checkpoint saved at every evaluation (``save_steps`` equal to
    ``eval_steps``), ``recall-horizon rounds --checkpoints <output_dir>`` judges the same
    checkpoints and names the same last safe one.
    """

    def __init__(
        self, evaluator: RecallHorizonEvaluator, *, patience: int = 1, noise_floor: float = 0.0
    ) -> None:
        if patience < 1:
            raise InputError(f"patience must be at least 1, got {patience}")
        if noise_floor < 0:
            raise InputError(f"noise_floor must be 0 or more, got {noise_floor}")
        self.evaluator, self.patience, self.noise_floor = evaluator, patience, noise_floor
        self.evaluations: list[dict[str, Any]] = []
        self.last_safe_step: int | None = None
        self.stopped_at: int | None = None
        self._streak = 0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        model = kwargs.get("model")
        if model is not None:
            self.evaluator.check_model(model)  # before the first step, not at the first eval

    def on_evaluate(
        self,
        args: Any,
        state: Any,
        control: Any,
        metrics: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> None:
        name = self.evaluator.name
        found = metrics or {}
        worst = found.get(f"eval_{name}_worst_headroom")
        if worst is None:
            return  # another evaluator's metrics
        marginal = found.get(f"eval_{name}_marginal_worst_headroom", worst)
        safe = (
            found.get(f"eval_{name}_passed") == 1.0
            and found.get(f"eval_{name}_marginal_passed", 1.0) == 1.0
        )
        beyond = min(worst, marginal) < -self.noise_floor
        self._streak = self._streak + 1 if (not safe and beyond) else 0
        if safe:
            self.last_safe_step = state.global_step
        self.evaluations.append(
            {
                "step": state.global_step,
                "epoch": state.epoch,
                "safe": safe,
                "worst_headroom": worst,
                "marginal_worst_headroom": marginal,
                "seconds": found.get("eval_runtime"),  # what this evaluation cost
            }
        )
        if self._streak >= self.patience:
            self.stopped_at = state.global_step
            control.should_training_stop = True
        self._write(Path(args.output_dir))

    def _write(self, folder: Path) -> None:
        import json
        import os
        import tempfile

        folder.mkdir(parents=True, exist_ok=True)
        record = {
            "policy": self.evaluator.policy.source,
            "baseline": self.evaluator.baseline.spec,
            "patience": self.patience,
            "noise_floor": self.noise_floor,
            "evaluations": self.evaluations,
            "last_safe_step": self.last_safe_step,
            "last_safe_checkpoint": (
                None if self.last_safe_step is None else f"checkpoint-{self.last_safe_step}"
            ),
            "stopped_at_step": self.stopped_at,
        }
        handle, staging = tempfile.mkstemp(dir=folder, prefix=".guard.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(record, out, indent=2)
        os.replace(staging, folder / GUARD_FILE)
