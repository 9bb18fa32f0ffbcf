"""The one Protocol every chat model implements, and the errors a call may raise."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from analysis.errors import InputError

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}


class LLMError(InputError):
    """A call that failed for good (after the retries), with what the endpoint said."""


class ChatModel(Protocol):
    """A chat model answering at temperature 0."""

    @property
    def spec(self) -> str:
        """What the manifest and the pages call it (never a secret)."""
        ...

    @property
    def identity(self) -> str:
        """What identifies its answers in the call cache: endpoint and model, or the
        embedded model's file hash (never a secret)."""
        ...

    @property
    def embedded(self) -> bool:
        """Whether this is the small embedded model (its numbers carry a warning)."""
        ...

    def complete(self, messages: Sequence[Message], *, max_tokens: int) -> str:
        """The model's reply to ``messages`` (greedy / temperature 0)."""
        ...
