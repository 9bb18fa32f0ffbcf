"""Faster CPU runtimes for a sentence-transformers model: its transformer exported once to
ONNX (from the local files, offline) and run by ONNX Runtime or OpenVINO, float32 or int8
(ONNX Runtime's dynamic quantisation of the weights).

Only the transformer runs in the other runtime; the model's own pooling, dense and
normalisation modules run after it unchanged, so a backend differs from torch only where
the transformer's numbers do. Exports are cached under the tool's cache folder, by the
model's fingerprint and the backend: ``exports/<fingerprint>/<backend>/model.onnx``.

(sentence-transformers' own ``backend="onnx"`` goes through optimum, whose releases pin
transformers and huggingface_hub versions this project cannot install beside its own.)
"""

from __future__ import annotations

import importlib.util
import os
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analysis.errors import InputError

RUNTIMES = ("torch", "onnx", "openvino")
QUANTISATIONS = ("none", "int8")
SUFFIX = re.compile(r"^(?P<spec>.+)@(?P<runtime>torch|onnx|openvino)(?:-(?P<quantize>int8))?$")
OPSET = 17
_RUNTIME_PACKAGE = {"onnx": "onnxruntime", "openvino": "openvino"}
_EXPORTING = threading.Lock()  # two comparisons exporting one model at once: one export


@dataclass(frozen=True)
class Backend:
    """Where a model's transformer runs: ``runtime`` with its weights ``quantize``d or not."""

    runtime: str = "torch"
    quantize: str = "none"

    def __post_init__(self) -> None:
        if self.runtime not in RUNTIMES:
            raise InputError(f"--backend {self.runtime}: not a backend (use {', '.join(RUNTIMES)})")
        if self.quantize not in QUANTISATIONS:
            raise InputError(
                f"--quantize {self.quantize}: not a quantisation (use {', '.join(QUANTISATIONS)})"
            )
        if self.runtime == "torch" and self.quantize != "none":
            raise InputError(
                "--quantize int8 needs --backend onnx or openvino (torch runs the float model)"
            )

    @property
    def name(self) -> str:
        """ "torch", "onnx", "onnx-int8", "openvino", "openvino-int8"."""
        return self.runtime if self.quantize == "none" else f"{self.runtime}-{self.quantize}"

    @property
    def is_torch(self) -> bool:
        return self.runtime == "torch"

    def check_runtime(self, spec: str) -> None:
        """An InputError now, before any work, when the runtime is not installed."""
        package = _RUNTIME_PACKAGE.get(self.runtime)
        if package and importlib.util.find_spec(package) is None:
            raise InputError(
                f"model '{spec}': backend {self.name} needs the package {package}, which is not "
                "installed (pip install -r requirements.txt)"
            )


def split_spec(spec: str, default: Backend) -> tuple[str, Backend]:
    """A model spec and its backend: a suffix ``@onnx``, ``@onnx-int8``, ``@openvino``,
    ``@openvino-int8`` or ``@torch`` overrides ``default`` for that model."""
    found = SUFFIX.match(spec)
    if found is None:
        return spec, default
    return found["spec"], Backend(found["runtime"], found["quantize"] or "none")


def with_backend(spec: str, runtime: str = "torch", quantize: str = "none") -> str:
    """``spec`` run in ``runtime`` (``--backend``/``--quantize``, for every model): the
    suffix added unless the spec names its own backend, is precomputed vectors, or the
    backend is plain torch."""
    backend = Backend(runtime, quantize)
    if not spec or backend.is_torch or spec.startswith("vectors:") or SUFFIX.match(spec):
        return spec
    return f"{spec}@{backend.name}"


def export_folder(cache_dir: Path, fingerprint: str, backend: Backend) -> Path:
    return cache_dir / "exports" / fingerprint[:32] / backend.name


def exported_model(model: Any, fingerprint: str, backend: Backend, cache_dir: Path) -> Path:
    """The ONNX file of ``model``'s transformer for ``backend`` (float32 or int8), exported
    on first use and cached; an InputError names what failed."""
    folder = export_folder(cache_dir, fingerprint, backend)
    target = folder / "model.onnx"
    with _EXPORTING:
        if target.is_file():
            return target
        folder.mkdir(parents=True, exist_ok=True)
        float_model = export_folder(cache_dir, fingerprint, Backend("onnx")) / "model.onnx"
        if not float_model.is_file():
            float_model.parent.mkdir(parents=True, exist_ok=True)
            _export_float(model, float_model)
        if backend.quantize == "int8":
            _quantise(float_model, target)
        elif target != float_model:
            _link_or_copy(float_model, target)
    return target


def _export_float(model: Any, target: Path) -> None:
    """torch.onnx.export of the transformer (dynamic batch and sequence), atomically."""
    import torch

    transformer = model[0]
    auto_model: Any = getattr(transformer, "auto_model", None)
    tokenizer = getattr(transformer, "tokenizer", None)
    if auto_model is None or tokenizer is None:
        raise InputError(
            f"cannot export {type(transformer).__name__}: the other backends need a "
            "sentence-transformers model whose first module is a Transformer"
        )
    # The plain attention graph: the SDPA one exports as a tangle that int8 quantisation
    # serves at half the speed (measured: docs/backends.md)
    if hasattr(auto_model, "set_attn_implementation"):
        auto_model.set_attn_implementation("eager")
    examples = ["an example", "a second, longer example"]
    example = tokenizer(examples, padding=True, return_tensors="pt")
    names = list(example.keys())

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = auto_model

        def forward(self, *inputs: Any) -> Any:
            return self.model(**dict(zip(names, inputs, strict=True))).last_hidden_state

    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "token_embeddings"]}

    def export(staging: str) -> None:
        with torch.no_grad():
            torch.onnx.export(
                TokenEmbeddings().eval(),
                tuple(example[name] for name in names),
                staging,
                input_names=names,
                output_names=["token_embeddings"],
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,  # the TorchScript exporter: no onnxscript dependency
                do_constant_folding=True,
            )

    _atomically(target, export, failed="cannot export the model to ONNX")


def _quantise(source: Path, target: Path) -> None:
    """ONNX Runtime's dynamic int8 quantisation of the weights, atomically."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        raise InputError("int8 needs the package onnxruntime (its quantisation tools)") from None
    _atomically(
        target,
        lambda staging: quantize_dynamic(str(source), staging, weight_type=QuantType.QInt8),
        failed="cannot quantise the ONNX export to int8",
    )


def _atomically(target: Path, write: Callable[[str], Any], *, failed: str) -> None:
    """``write(staging)`` to a temporary file beside ``target``, then renamed to it; an
    InputError starting with ``failed`` when it raises (nothing is left behind)."""
    handle, staging = tempfile.mkstemp(dir=target.parent, prefix=".export.", suffix=".onnx")
    os.close(handle)
    try:
        write(staging)
        os.replace(staging, target)
    except Exception as err:
        Path(staging).unlink(missing_ok=True)
        raise InputError(f"{failed}: {err}") from None


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        import shutil

        shutil.copyfile(source, target)


class Runner:
    """Token embeddings from an exported transformer in ONNX Runtime or OpenVINO."""

    def __init__(self, path: Path, backend: Backend, threads: int | None = None) -> None:
        self.backend = backend
        threads = threads or max(1, os.cpu_count() or 1)
        try:
            if backend.runtime == "onnx":
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = threads
                # no busy-waiting between runs: tokenising and pooling need those cores
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                session = ort.InferenceSession(
                    str(path), options, providers=["CPUExecutionProvider"]
                )
                self.inputs = [i.name for i in session.get_inputs()]
                self._run = lambda feed: session.run(None, feed)[0]
            else:
                import openvino as ov

                core = ov.Core()
                core.set_property("CPU", {"INFERENCE_NUM_THREADS": threads})
                compiled = core.compile_model(str(path), "CPU")
                self.inputs = [port.any_name for port in compiled.inputs]
                self._run = lambda feed: compiled(feed)[0]
        except ImportError as err:
            raise InputError(f"backend {backend.name}: {err}") from None
        except Exception as err:
            raise InputError(f"backend {backend.name} cannot load {path}: {err}") from None

    def token_embeddings(self, features: dict[str, np.ndarray]) -> np.ndarray:
        feed = {name: features[name].astype(np.int64) for name in self.inputs}
        return np.asarray(self._run(feed), dtype=np.float32)


def encode(
    model: Any,
    runner: Runner,
    texts: list[str],
    *,
    batch_size: int,
    prompt: str | None,
) -> np.ndarray:
    """Sentence embeddings as ``model.encode`` gives them, the transformer run by
    ``runner``: batches of similar length (longest first), tokenised and padded as the
    model's own tokenizer does, then the model's pooling and later modules in torch."""
    import torch
    from sentence_transformers.models import Pooling

    pooling = next((m for m in model if isinstance(m, Pooling)), None)
    if prompt and pooling is not None and not getattr(pooling, "include_prompt", True):
        raise InputError(
            f"backend {runner.backend.name}: this model's pooling leaves its prompt out, "
            "which only the torch backend does; use --backend torch"
        )
    texts = [prompt + t for t in texts] if prompt else list(texts)
    order = np.argsort([-len(t) for t in texts], kind="stable")
    out: list[np.ndarray | None] = [None] * len(texts)
    tokenizer, limit = model[0].tokenizer, model.max_seq_length
    for start in range(0, len(texts), batch_size):
        chosen = order[start : start + batch_size]
        batch = [texts[i] for i in chosen]
        tokens = tokenizer(
            batch, padding=True, truncation=True, max_length=limit, return_tensors="np"
        )
        features: dict[str, Any] = {
            "token_embeddings": torch.from_numpy(runner.token_embeddings(dict(tokens))),
            "attention_mask": torch.from_numpy(tokens["attention_mask"]),
        }
        with torch.no_grad():
            for module in list(model)[1:]:
                features = module(features)
        vectors = features["sentence_embedding"].numpy().astype(np.float32)
        for row, index in enumerate(chosen):
            out[index] = vectors[row]
    if not texts:
        return np.zeros((0, model.get_sentence_embedding_dimension() or 0), dtype=np.float32)
    return np.stack(out)  # type: ignore[arg-type]
