"""The similarity-preserving anchor, a loss the library has none of.

``AnchoredLoss`` adds ``weight x`` the mean squared difference between the model's cosine
matrix over the tuning domain's documents and the one the model had before training, to a
library loss (MultipleNegativesRankingLoss): the usual guard against disturbing the index a
team knows (similarity-preserving distillation). It guards only the documents it is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch


class AnchoredLoss(torch.nn.Module):
    """``loss`` plus ``weight`` x the anchor documents' cosine drift.

    ``texts`` are the anchor documents and ``before`` their unit vectors under the model
    before training. Each step embeds ``per_step`` of them (a seeded sample; None: all),
    with gradients, through the model being trained.
    """

    def __init__(
        self,
        loss: torch.nn.Module,
        *,
        texts: list[str],
        before: np.ndarray,
        weight: float,
        per_step: int | None,
        prompt: str = "",
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.loss = loss
        self.model: Any = loss.model
        self.texts, self.weight, self.per_step, self.prompt = texts, weight, per_step, prompt
        self.before = torch.nn.functional.normalize(torch.as_tensor(before), dim=-1)
        self._rng = np.random.default_rng(seed)

    def forward(self, sentence_features: Iterable[dict[str, Any]], labels: Any) -> Any:
        total = self.loss(sentence_features, labels)
        rows = np.arange(len(self.texts))
        if self.per_step is not None and self.per_step < len(rows):
            # A fresh sample each step: embedding every anchor document with gradients
            # would cost more than the training pairs themselves.
            rows = self._rng.choice(len(rows), self.per_step, replace=False)
        features = self.model.preprocess([self.texts[i] for i in rows], prompt=self.prompt or None)
        device = self.model.device
        features = {k: v.to(device) if hasattr(v, "to") else v for k, v in features.items()}
        tuned = torch.nn.functional.normalize(self.model(features)["sentence_embedding"], dim=-1)
        base = self.before[torch.as_tensor(rows)].to(tuned.device)
        return total + self.weight * cosine_drift(tuned, base)


def cosine_drift(tuned: Any, base: Any) -> Any:
    """Mean squared difference of two sets of unit vectors' cosine matrices."""
    return ((tuned @ tuned.T - base @ base.T) ** 2).mean()
