"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp's server, LM Studio,
gateways), through the official ``openai`` client.

The client retries 408/409/429/5xx and connection errors with exponential backoff (honouring
``Retry-After``) and bounds every call with a timeout. The API key is read from the
environment variable the user names, held only by the client, and scrubbed from every
error message: it never reaches an output, a log or a manifest.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from analysis.errors import InputError
from analysis.llm.chat import LLMError, Message

SEED = 0  # honoured by endpoints that support it, ignored by the others


class OpenAICompatible:
    """A chat model behind ``base_url`` (e.g. ``http://127.0.0.1:8000/v1``)."""

    embedded = False

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 4,
    ) -> None:
        if not base_url.strip():
            raise InputError("--llm-base-url is empty: give the endpoint, e.g. http://host:8000/v1")
        if not model.strip():
            raise InputError("--llm-model is required with --llm-base-url (the model's name there)")
        self.base_url = base_url.strip().rstrip("/")
        self.model = model.strip()
        # a key given as a value (a shared dashboard's visitor pasted it for their session)
        # wins over the variable; neither is part of the spec or the identity
        self._key = api_key or _read_key(api_key_env)
        self.timeout = timeout
        self.max_retries = max_retries
        self._client: Any = None

    @property
    def spec(self) -> str:
        return f"{self.model} at {_without_credentials(self.base_url)}"

    @property
    def identity(self) -> str:
        return f"openai-compatible|{_without_credentials(self.base_url)}|{self.model}"

    def complete(self, messages: Sequence[Message], *, max_tokens: int) -> str:
        import openai

        client = self._connect()
        try:
            response = client.chat.completions.create(
                model=self.model,
                messages=list(messages),
                temperature=0,
                seed=SEED,
                max_tokens=max_tokens,
            )
        except openai.APIStatusError as err:
            raise LLMError(
                self._scrub(f"{self.spec}: the endpoint answered {err.status_code}: {err.message}")
            ) from None
        except openai.APITimeoutError:
            raise LLMError(
                f"{self.spec}: no answer within {self.timeout:g} s "
                f"(after {self.max_retries} retries)"
            ) from None
        except openai.APIConnectionError as err:
            raise LLMError(self._scrub(f"{self.spec}: cannot connect ({err})")) from None
        except (openai.OpenAIError, ValueError) as err:  # malformed responses (not JSON, …)
            raise LLMError(self._scrub(f"{self.spec}: unusable response ({err})")) from None
        return _content(response, self.spec)

    def _connect(self) -> Any:
        if self._client is None:
            import openai

            self._client = openai.OpenAI(
                base_url=self.base_url,
                api_key=self._key or "not-needed",  # local servers take any key
                timeout=self.timeout,
                max_retries=self.max_retries,
            )
        return self._client

    def _scrub(self, text: str) -> str:
        for secret in (self._key, urlsplit(self.base_url).password):
            if secret:
                text = text.replace(secret, "***")
        return text


def _without_credentials(url: str) -> str:
    """The URL as outputs may show it: a user:password@ part is dropped.

    >>> _without_credentials("https://user:secret@llm.example.com/v1")
    'https://llm.example.com/v1'
    """
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


def _read_key(variable: str | None) -> str:
    if not variable:
        return ""
    value = os.environ.get(variable, "")
    if not value:
        raise InputError(f"--llm-api-key-env {variable}: that environment variable is not set")
    return value


def _content(response: Any, spec: str) -> str:
    """The reply's text; a response without one is an LLMError, not a crash."""
    try:
        content = response.choices[0].message.content
    except (AttributeError, IndexError, TypeError):
        raise LLMError(f"{spec}: the response has no message (malformed reply)") from None
    if not isinstance(content, str):
        raise LLMError(f"{spec}: the response's message has no text content")
    return content
