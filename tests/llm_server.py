"""An OpenAI-compatible chat endpoint for tests: in-process, on 127.0.0.1, programmable.

``reply(messages) -> str`` writes the answers; ``script`` (a list consumed one request at a
time) injects failures first: an int status (e.g. 429 or 500), "slow" (sleeps past the
client's timeout), "garbage" (a body that is not JSON), "empty" (JSON without choices),
"fatal" (a 500 the client is told not to retry).
Every request is recorded (headers and body) so tests can count calls and look for keys.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[list[dict[str, str]]], str]


@dataclass
class ChatServer:
    reply: Reply
    script: list[Any] = field(default_factory=list)
    slow_seconds: float = 2.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_action(self) -> Any:
        with self._lock:
            return self.script.pop(0) if self.script else None

    @property
    def chat_calls(self) -> int:
        return sum(r["path"].endswith("/chat/completions") for r in self.requests)


@contextmanager
def chat_server(reply: Reply, script: list[Any] | None = None) -> Iterator[ChatServer]:
    """Serve on a free loopback port for the duration of the block, then stop."""
    state = ChatServer(reply, list(script or []))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.requests.append({"path": self.path, "headers": headers, "body": body})
            action = state.next_action()
            if isinstance(action, int):
                self._send(action, {"error": {"message": f"status {action}, key was "
                                              f"{self.headers.get('authorization')}"}},
                           {"retry-after-ms": "5"})  # fmt: skip
            elif action == "fatal":  # a failure the client must not retry
                self._send(500, {"error": {"message": "down"}}, {"x-should-retry": "false"})
            elif action == "slow":
                time.sleep(state.slow_seconds)
                self._send(200, _completion(body, "late"))
            elif action == "garbage":
                self._raw(200, b"<html>not json</html>")
            elif action == "empty":
                self._send(200, {"id": "x", "object": "chat.completion", "choices": []})
            else:
                self._send(200, _completion(body, state.reply(body["messages"])))

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            self._raw(status, json.dumps(payload).encode(), headers)

        def _raw(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _completion(body: dict[str, Any], content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "test"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def user_text(messages: list[dict[str, str]]) -> str:
    return next(m["content"] for m in messages if m["role"] == "user")


def system_text(messages: list[dict[str, str]]) -> str:
    return next((m["content"] for m in messages if m["role"] == "system"), "")
