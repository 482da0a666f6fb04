"""An OpenAI-compatible chat-completions server on 127.0.0.1 for tests, scriptable per request.

    with OpenAIServer(answer=lambda request: "What is shown?") as server:
        server.script(rate_limited(retry_after=0.2), server_error())  # the next two requests
        client = openai.OpenAI(api_key="sk-test", base_url=server.base_url)
        ...
        server.requests[0].messages, server.max_in_flight

Every `POST /v1/chat/completions` takes the next scripted reply in arrival order; once the
script is used up, `answer(request)` decides (a `Reply`, or just the assistant's text).
`latency` delays every reply, so concurrent clients overlap. Other paths answer 404 in
OpenAI's error shape. The server records each request it received and the largest number
of requests it was handling at once.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

COMPLETIONS_PATH = "/v1/chat/completions"
DEFAULT_USAGE = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


@dataclass(frozen=True)
class ChatRequest:
    """A request as the server saw it; header names are lower-case, `received` is monotonic."""

    path: str
    headers: dict[str, str]
    body: bytes
    received: float

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def model(self) -> str:
        return self.json.get("model", "")

    @property
    def messages(self) -> list[dict[str, str]]:
        return self.json.get("messages", [])

    @property
    def user_text(self) -> str:
        """The content of the last user message (what a stand-in usually answers from)."""
        users = [m for m in self.messages if m.get("role") == "user"]
        return users[-1].get("content", "") if users else ""


@dataclass(frozen=True)
class Reply:
    """One answer: a completion with `content` and `usage`, or `status` with an error body.

    `body` replaces the whole body (for malformed replies); `delay` is added to the server's
    latency (a slow reply, for timeouts).
    """

    status: int = 200
    content: str | None = "What is a stand-in reply?"
    usage: dict[str, int] | None = field(default_factory=lambda: dict(DEFAULT_USAGE))
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    delay: float = 0.0


def completion(
    content: str | None, *, usage: dict[str, int] | None = DEFAULT_USAGE, **kw: Any
) -> Reply:
    """A normal answer; `usage=None` leaves the usage out, as some local servers do."""
    return Reply(content=content, usage=dict(usage) if usage is not None else None, **kw)


def error(status: int, message: str = "stand-in error", **kw: Any) -> Reply:
    """An error in OpenAI's shape: `{"error": {"message", "type", "code"}}`."""
    body = {"error": {"message": message, "type": "stand_in_error", "code": str(status)}}
    return Reply(status=status, body=json.dumps(body).encode(), **kw)


def rate_limited(retry_after: float | None = None) -> Reply:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return error(429, "Rate limit reached", headers=headers)


def server_error() -> Reply:
    return error(500, "The server had an error while processing your request")


def malformed(body: bytes = b'{"id": "chatcmpl-1", "choices": [') -> Reply:
    """A 200 whose JSON body is cut short."""
    return Reply(body=body)


def slow(seconds: float, content: str | None = "What is a slow reply?") -> Reply:
    """A normal answer that starts only after `seconds` (longer than a client's timeout)."""
    return Reply(content=content, delay=seconds)


Answer = Callable[[ChatRequest], "Reply | str"]


class OpenAIServer:
    """A threaded OpenAI-compatible stand-in on a free port of 127.0.0.1 (a context manager)."""

    def __init__(self, answer: Answer | None = None, *, latency: float = 0.0) -> None:
        self.answer: Answer = answer or (lambda request: Reply())
        self.latency = latency
        self.requests: list[ChatRequest] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self.root_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.base_url = self.root_url + "/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next requests, in the order the requests arrive."""
        with self._lock:
            self._script.extend(replies)

    def completion_requests(self) -> list[ChatRequest]:
        return [r for r in self.requests if r.path == COMPLETIONS_PATH]

    def _begin(self, request: ChatRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            scripted = self._script.popleft() if self._script else None
        if request.path != COMPLETIONS_PATH:
            return error(404, f"no route {request.path}")
        if scripted is not None:
            return scripted
        answer = self.answer(request)
        return answer if isinstance(answer, Reply) else Reply(content=answer)

    def _end(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._closing.wait(seconds)  # cut short when the server shuts down

    def __enter__(self) -> OpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _body_of(reply: Reply, request: ChatRequest) -> bytes:
    if reply.body is not None:
        return reply.body
    payload: dict[str, Any] = {
        "id": f"chatcmpl-{len(request.body)}",
        "object": "chat.completion",
        "created": 0,
        "model": request.model if request.body else "",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content},
                "finish_reason": "stop",
            }
        ],
    }
    if reply.usage is not None:
        payload["usage"] = reply.usage
    return json.dumps(payload).encode()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that timed out hang up before the slow reply is written


def _make_handler(server: OpenAIServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each reply waits ~40 ms on delayed ACKs

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = ChatRequest(
                path=self.path.split("?", 1)[0],
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
                received=time.monotonic(),
            )
            reply = server._begin(request)
            try:
                server._wait(server.latency + reply.delay)
            finally:  # before replying: the client may send its next request the moment it has it
                server._end()
            body = _body_of(reply, request)
            self.send_response(reply.status)
            headers = {
                "Content-Type": "application/json",
                "Content-Length": str(len(body)),
                **reply.headers,
            }
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _handle

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    return _Handler
