"""Weight interpolation between a base model and its fine-tune (WiSE-FT, LM-Cocktail):
θ(α) = (1 − α)·θ_baseline + α·θ_candidate, tensor by tensor.

Integer buffers (position ids) are copied from the candidate. A module the candidate has
and the baseline has not (the demo's candidate adds a 384×384 Dense adapter) is
interpolated toward the identity when it is a square linear layer: W(α) = (1 − α)·I + α·W,
b(α) = α·b. A LoRA candidate (a peft adapter on the baseline's frozen weights) is
interpolated by scaling its adapter by α, which is the same thing (peft's
``rescale_adapter_scale``). Anything else that differs (a missing module, a shape, an
adapter on other weights) is an error that names it.
At α = 0 the remedy is the baseline and at α = 1 the candidate themselves (their vectors,
not a re-encoding), so the ends reproduce their numbers exactly.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from analysis.errors import InputError
from analysis.inputs.models import SentenceTransformerSource


def interpolation_plan(baseline: Any, candidate: Any) -> dict[str, str]:
    """How each of the candidate's tensors is interpolated ("blend", "copy", "identity", or
    "lora": the adapter is scaled), checked before anything is encoded; an InputError names
    what does not match."""
    base, cand = baseline.state_dict(), candidate.state_dict()
    if any(".lora_A." in key for key in cand):
        return _lora_plan(base, cand)
    missing = [key for key in base if key not in cand]
    if missing:
        raise InputError(
            f"cannot interpolate: the candidate has no {_module(missing[0])} "
            f"(tensor {missing[0]}): the two models are not one architecture"
        )
    plan = {}
    for key, tensor in cand.items():
        if key in base:
            if tuple(base[key].shape) != tuple(tensor.shape):
                raise InputError(
                    f"cannot interpolate {_module(key)}: tensor {key} is "
                    f"{tuple(base[key].shape)} in the baseline and {tuple(tensor.shape)} in "
                    "the candidate"
                )
            plan[key] = "blend" if tensor.is_floating_point() else "copy"
        elif _square_linear(key, tensor) or (key.endswith(".bias") and tensor.dim() == 1):
            plan[key] = "identity"
        else:
            raise InputError(
                f"cannot interpolate {_module(key)}: the baseline has no such module, and "
                f"tensor {key} {tuple(tensor.shape)} is not a square linear layer that could "
                "start from the identity"
            )
    return plan


def interpolated_state(baseline: Any, candidate: Any, alpha: float) -> dict[str, Any]:
    """The candidate's state dict at ``alpha`` (see the module's docstring)."""
    import torch

    base, cand = baseline.state_dict(), candidate.state_dict()
    plan = interpolation_plan(baseline, candidate)
    if "lora" in plan.values():
        raise ValueError("a LoRA candidate is interpolated by scaled_adapter, not tensor by tensor")
    out = {}
    for key, how in plan.items():
        tensor = cand[key]
        if how == "copy":
            out[key] = tensor.clone()
        elif how == "blend":
            out[key] = (1 - alpha) * base[key] + alpha * tensor
        elif tensor.dim() == 2:
            eye = torch.eye(tensor.shape[0], dtype=tensor.dtype, device=tensor.device)
            out[key] = (1 - alpha) * eye + alpha * tensor
        else:
            out[key] = alpha * tensor
    return out


class InterpolatedSource(SentenceTransformerSource):
    """The candidate's architecture with weights interpolated at ``alpha``, encoded like any
    model and cached under its own fingerprint (both models' and α)."""

    def __init__(
        self,
        baseline: SentenceTransformerSource,
        candidate: SentenceTransformerSource,
        alpha: float,
    ) -> None:
        super().__init__(
            f"interpolate α={alpha:g}",
            candidate.folder,
            trust_remote_code=candidate.trust_remote_code,
            max_seq_length=candidate.max_seq_length,
            batch_size=candidate.batch_size,
            device=candidate.device,
        )
        self.baseline, self.candidate, self.alpha = baseline, candidate, alpha

    @property
    def fingerprint(self) -> str:
        key = f"interpolate|{self.baseline.fingerprint}|{self.candidate.fingerprint}|{self.alpha!r}"
        return hashlib.sha256(key.encode()).hexdigest()

    def _load(self) -> Any:
        if self._model is None:
            base, cand = self.baseline._load(), self.candidate._load()
            plan = interpolation_plan(base, cand)
            if "lora" in plan.values():
                self._model = scaled_adapter(cand, self.alpha)
            else:
                model = copy.deepcopy(cand)
                model.load_state_dict(interpolated_state(base, cand, self.alpha))
                self._model = model
        return self._model


def check_interpolable(
    baseline: SentenceTransformerSource, candidate: SentenceTransformerSource
) -> None:
    """Raise an InputError naming the first module that cannot be interpolated."""
    interpolation_plan(baseline._load(), candidate._load())


def _lora_plan(base: dict[str, Any], cand: dict[str, Any]) -> dict[str, str]:
    """A LoRA candidate: its frozen weights must be the baseline's, to the last bit."""
    import torch

    plan = {}
    for key, tensor in cand.items():
        if ".lora_" in key:
            plan[key] = "lora"
            continue
        own = key.replace(".base_layer.", ".")
        if own not in base:
            raise InputError(
                f"cannot interpolate {_module(key)}: the candidate's LoRA adapter sits on a "
                f"tensor the baseline does not have ({key})"
            )
        if base[own].shape != tensor.shape or not torch.equal(base[own], tensor):
            raise InputError(
                f"cannot interpolate {_module(key)}: the candidate's LoRA adapter is not on the "
                f"baseline's weights (tensor {own} differs)"
            )
        plan[key] = "copy"
    return plan


def scaled_adapter(candidate: Any, alpha: float) -> Any:
    """A copy of a LoRA candidate whose adapters act at ``alpha`` of their strength."""
    from peft.tuners.lora import LoraLayer

    model = copy.deepcopy(candidate)
    for module in model.modules():
        if isinstance(module, LoraLayer):
            for name in module.scaling:
                module.scaling[name] *= alpha
    return model


def _square_linear(key: str, tensor: Any) -> bool:
    return key.endswith(".weight") and tensor.dim() == 2 and tensor.shape[0] == tensor.shape[1]


def _module(key: str) -> str:
    """The module a state-dict key belongs to, as a reader names it ('module 3 (3.linear)')."""
    parts = key.split(".")
    return f"module {parts[0]} ({'.'.join(parts[:-1])})" if len(parts) > 1 else f"tensor {key}"
