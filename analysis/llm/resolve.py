"""What the user's LLM options name, turned into a chat model (nothing loaded yet)."""

from __future__ import annotations

from analysis.errors import InputError
from analysis.llm.chat import ChatModel

EMBEDDED = "default"


def chat_model(
    llm: str | None,
    *,
    base_url: str | None = None,
    model: str | None = None,
    api_key_env: str | None = None,
    api_key: str | None = None,
    timeout: float = 60.0,
    max_retries: int = 4,
) -> ChatModel | None:
    """``--llm default``: the embedded SmolLM2; ``--llm-base-url`` + ``--llm-model``: an
    OpenAI-compatible endpoint; neither: no LLM (None)."""
    if base_url:
        if llm:
            raise InputError(f"--llm {llm} and --llm-base-url both name an LLM: give one of them")
        from analysis.llm.endpoint import OpenAICompatible

        return OpenAICompatible(
            base_url,
            model or "",
            api_key_env=api_key_env,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
        )
    if model or api_key_env:
        raise InputError("--llm-model and --llm-api-key-env need --llm-base-url (the endpoint)")
    if not llm:
        return None
    if llm.strip() != EMBEDDED:
        raise InputError(
            f"--llm {llm}: only '{EMBEDDED}' (the embedded SmolLM2-135M) is named this way; "
            "for your own model give --llm-base-url and --llm-model"
        )
    from analysis.llm.embedded import EmbeddedSmolLM

    return EmbeddedSmolLM()
