"""Every LLM call goes through here: cached on disk, run with bounded concurrency, counted
against the run's budget.

A call is keyed by sha256 of (the model's identity, the messages, max_tokens): a rerun, or
a prompt two models share (identical contexts), costs nothing. Each answer is written to
its own file as soon as it arrives (write, then rename), so interrupting a run loses no
completed call.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from analysis.errors import InputError
from analysis.llm.chat import ChatModel, Message
from analysis.progress import Progress

CHARS_PER_TOKEN = 4  # the usual rough estimate, for the plan only


@dataclass(frozen=True)
class Request:
    """One chat call: the messages and the most tokens the reply may have."""

    messages: tuple[Message, ...]
    max_tokens: int

    def estimated_tokens(self) -> int:
        text = sum(len(m["content"]) for m in self.messages)
        return text // CHARS_PER_TOKEN + self.max_tokens


class BudgetExceeded(InputError):
    """The run needed more calls than ``--max-llm-calls`` allows (the calls made are cached)."""


@dataclass
class LLMCalls:
    """A chat model with its call cache, concurrency and budget for one run."""

    model: ChatModel
    cache_dir: Path
    concurrency: int = 4
    max_calls: int | None = None
    progress: Progress = field(default_factory=Progress)
    report: Callable[[str], None] = lambda line: None
    made: int = 0  # calls sent to the model in this run (cache hits are free)
    served: int = 0  # answers read from the cache in this run

    def cached(self, requests: Sequence[Request]) -> int:
        """How many of ``requests`` (distinct) the cache already answers."""
        keys = {self.key(r) for r in requests}
        return sum(self._path(k).is_file() for k in keys)

    def ask(self, requests: Sequence[Request], *, stage: str) -> list[str]:
        """The replies, in order; uncached distinct requests are sent, at most
        ``concurrency`` at a time, until the budget runs out (BudgetExceeded)."""
        keys = [self.key(r) for r in requests]
        replies: dict[str, str] = {}
        todo: dict[str, Request] = {}
        for key, request in zip(keys, requests, strict=True):
            if key in replies or key in todo:
                continue
            found = self._read(key)
            if found is None:
                todo[key] = request
            else:
                replies[key] = found
        self.served += len(replies)
        allowed = len(todo) if self.max_calls is None else max(0, self.max_calls - self.made)
        sending = list(todo.items())[:allowed]
        if sending:
            self._send(sending, replies, stage)
        if len(todo) > len(sending):
            raise BudgetExceeded(
                f"--max-llm-calls {self.max_calls}: {stage} needs {len(todo) - len(sending):,} "
                f"more calls; the {self.made:,} made in this run are cached, so a rerun with a "
                "higher limit pays only for the rest"
            )
        return [replies[key] for key in keys]

    def key(self, request: Request) -> str:
        payload = json.dumps(
            [self.model.identity, list(request.messages), request.max_tokens],
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def _send(
        self, sending: list[tuple[str, Request]], replies: dict[str, str], stage: str
    ) -> None:
        title = f"{stage}: {len(sending):,} LLM calls"
        with (
            self.progress.stage(title, len(sending)) as advance,
            ThreadPoolExecutor(max_workers=self.concurrency) as pool,
        ):
            futures = {pool.submit(self._call, key, request): key for key, request in sending}
            try:
                for future in as_completed(futures):
                    replies[futures[future]] = future.result()
                    self.made += 1
                    advance(1)
            except BaseException:
                for pending in futures:
                    pending.cancel()  # calls not started yet; running ones still get cached
                raise

    def _call(self, key: str, request: Request) -> str:
        """One call, cached by the worker itself: an answer that arrives while the run is
        being interrupted is kept too."""
        reply = self.model.complete(request.messages, max_tokens=request.max_tokens)
        self._write(key, reply)
        return reply

    def _path(self, key: str) -> Path:
        return self.cache_dir / "llm" / key[:2] / f"{key}.json"

    def _read(self, key: str) -> str | None:
        try:
            value = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # absent or damaged: asked again
        reply = value.get("reply") if isinstance(value, dict) else None
        return reply if isinstance(reply, str) else None

    def _write(self, key: str, reply: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"model": self.model.spec, "reply": reply}, out, ensure_ascii=False)
        os.replace(temporary, path)
