"""A model whose lower modules are frozen: their output is computed once per text.

The adapter recipe trains one linear layer on top of a frozen encoder. The library's
trainer runs the whole model at every step, so a hundred epochs would run the frozen
transformer a hundred times on the same texts. A frozen module in eval mode gives the same
output for the same tokens every time, so remembering that output per text changes no
number; it makes the adapter recipe train in seconds, and a guard evaluation after the
first one encodes only through the layer being trained.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sentence_transformers import SentenceTransformer

_BLOCK_ROWS = 8192  # remembered texts put through the trainable modules at a time


class FrozenPrefixModel(SentenceTransformer):
    """``frozen`` (a loaded model, not trained) followed by ``trainable`` modules.

    Saved, it is a standard sentence-transformers model: its ``modules.json`` lists the
    frozen modules and the trainable ones, nothing of this class.
    """

    def __init__(self, frozen: SentenceTransformer, trainable: list[Any]) -> None:
        super().__init__(modules=[*frozen, *trainable], device="cpu")
        for parameter in frozen.parameters():
            parameter.requires_grad = False
        self._frozen_count = len(frozen)
        self._memo: dict[bytes, Any] = {}  # a text's token ids -> the frozen modules' output
        self._token_keys: dict[tuple[str | None, str], bytes] = {}  # (prompt, text) -> ids

    def encode_remembered(
        self, texts: list[str], *, prompt: str | None, batch_size: int
    ) -> np.ndarray:
        """The raw (unnormalised) vectors ``encode`` gives (to float32 rounding: ``encode``
        batches texts otherwise), each text tokenised and put through the frozen modules
        once per model: a guard evaluation after the first one runs only the trainable
        modules (tokenising the corpus again was most of its cost)."""
        import torch

        missing = [t for t in dict.fromkeys(texts) if (prompt, t) not in self._token_keys]
        for start in range(0, len(missing), batch_size):
            batch = missing[start : start + batch_size]
            features = self.preprocess(batch, prompt=prompt)
            self._frozen_output(features)
            for text, key in zip(batch, _token_keys(features), strict=True):
                self._token_keys[(prompt, text)] = key
        # only the trainable modules run, in eval mode as encode runs them (switching the
        # whole model's hundreds of modules cost more than the adapter itself), on large
        # blocks: a product of a few rows at a time is slow under the trainer's threads
        trainable = list(self.children())[self._frozen_count :]
        training = [module.training for module in trainable]
        parts = []
        with torch.inference_mode():
            for module in trainable:
                module.eval()
            for start in range(0, len(texts), _BLOCK_ROWS):
                batch = texts[start : start + _BLOCK_ROWS]
                keys = [self._token_keys[(prompt, t)] for t in batch]
                features = {"sentence_embedding": torch.stack([self._memo[k] for k in keys])}
                for module in trainable:
                    features = module(features)
                parts.append(features["sentence_embedding"])
        for module, was in zip(trainable, training, strict=True):
            module.train(was)
        dimension = self.get_embedding_dimension() or 0
        return torch.cat(parts).float().numpy() if parts else np.zeros((0, dimension), np.float32)

    def forward(self, input: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "input_ids" not in input or "attention_mask" not in input:
            return super().forward(input, **kwargs)  # not a tokenised text: nothing to key on
        features = {**input, "sentence_embedding": self._frozen_output(input)}
        for module in list(self.children())[self._frozen_count :]:
            features = module(features)
        return features

    def _frozen_output(self, features: dict[str, Any]) -> Any:
        """The frozen modules' sentence embeddings, each text's computed at most once."""
        import torch

        keys = _token_keys(features)
        ids = features["input_ids"]
        missing = sorted({row for row, key in enumerate(keys) if key not in self._memo})
        if missing:
            rows = torch.tensor(missing)
            subset = {
                name: value[rows] if torch.is_tensor(value) and len(value) == len(ids) else value
                for name, value in features.items()
            }
            frozen = list(self.children())[: self._frozen_count]
            training = [module.training for module in frozen]
            with torch.no_grad():
                for module in frozen:
                    module.eval()  # no dropout: the same text gives the same vector
                    subset = module(subset)
            for module, was in zip(frozen, training, strict=True):
                module.train(was)
            for row, vector in zip(missing, subset["sentence_embedding"], strict=True):
                self._memo[keys[row]] = vector
        return torch.stack([self._memo[key] for key in keys])


def _token_keys(features: dict[str, Any]) -> list[bytes]:
    """Each tokenised text's ids without its padding: what the frozen output is kept under."""
    ids, mask = features["input_ids"], features["attention_mask"]
    return [ids[row][mask[row].bool()].numpy().tobytes() for row in range(len(ids))]
