"""A small HTTP server on 127.0.0.1 for tests: routes to canned replies, records requests.

    @pytest.fixture
    def server():
        with LocalServer() as server:
            yield server

    server.route("/a.bin", Reply(body=b"..."))              # always the same reply
    server.route("/flaky", [Reply(503), Reply(body=b"ok")])  # in turn; the last one repeats
    server.route("/any", lambda request: Reply(body=request.path.encode()))
    server.url("/a.bin"); server.requests_to("/a.bin")[0].headers["range"]

Unrouted paths answer 404. Replies go out over HTTP/1.1 keep-alive, as real servers do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    """A request as the server saw it; header names are lower-case."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    """A canned answer. `close` drops the connection after it (cut a body short with it)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False


Handler = Callable[[Request], Reply]


def serve_bytes(data: bytes) -> Handler:
    """A handler serving `data` like a static file server, `Range: bytes=N-` included."""

    def handle(request: Request) -> Reply:
        wanted = request.headers.get("range", "")
        if not wanted.startswith("bytes=") or not wanted.endswith("-"):
            return Reply(body=data)
        start = int(wanted[len("bytes=") : -1])
        if start >= len(data):
            return Reply(416, headers={"Content-Range": f"bytes */{len(data)}"})
        content_range = f"bytes {start}-{len(data) - 1}/{len(data)}"
        return Reply(206, data[start:], {"Content-Range": content_range})

    return handle


class LocalServer:
    """A threaded HTTP server on a free port of 127.0.0.1; use it as a context manager."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)

    def route(self, path: str, answer: Reply | Sequence[Reply] | Handler) -> None:
        """Answer requests for `path` (any method) with a reply, replies in turn, or a function."""
        if isinstance(answer, Reply):
            self.routes[path] = lambda request: answer
        elif callable(answer):
            self.routes[path] = answer
        else:
            queue = list(answer)
            self.routes[path] = lambda request: queue.pop(0) if len(queue) > 1 else queue[0]

    def url(self, path: str) -> str:
        return self.base_url + path

    def requests_to(self, path: str) -> list[Request]:
        return [request for request in self.requests if request.path == path]

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            handler = self.routes.get(request.path)
            return handler(request) if handler else Reply(404, b"not found")

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hang up mid-reply on purpose in tests (resume, cut bodies)


def _make_handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            request = Request(
                method=self.command,
                path=parts.path,
                query=parts.query,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            reply = server._answer(request)
            self.send_response(reply.status)
            headers = {"Content-Length": str(len(reply.body)), **reply.headers}
            if reply.close:
                headers["Connection"] = "close"
                self.close_connection = True
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _handle

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    return _Handler
