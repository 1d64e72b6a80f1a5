"""A real HTTP server for the tests: serves firmware images and takes log uploads.

Each path has a :class:`Route` saying how to misbehave: answer normally, stall after the
headers, promise more bytes than it sends, trickle, or send a body with no length at all.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STALL_LIMIT = 30.0  # a stalled answer ends at the latest when the test is over


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    behaviour: str = "send"  # send | stall | truncate | trickle | unsized
    failures: int = 0  # answer 500 to this many requests first


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FileServer:
    """``http.server`` on a free port of 127.0.0.1, in a thread."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.received: list[Received] = []
        self.release = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route_for(self, path: str) -> Route | None:
        """The route of ``path``, or of the longest route ending in / that it starts with."""
        if path in self.routes:
            return self.routes[path]
        folders = [key for key in self.routes if key.endswith("/") and path.startswith(key)]
        return self.routes[max(folders, key=len)] if folders else None

    def close(self) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler(server: FileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def do_GET(self) -> None:
            server.received.append(Received("GET", self.path, dict(self.headers), b""))
            route = server.route_for(self.path)
            if route is None:
                self.send_error(404)
                return
            if route.failures > 0:
                route.failures -= 1
                self.send_error(500)
                return
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            body = route.body
            if route.behaviour == "truncate":
                self.send_header("Content-Length", str(len(body) + 4096))
            elif route.behaviour != "unsized":
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if route.behaviour == "stall":
                self.wfile.write(body[:16])
                self.wfile.flush()
                server.release.wait(STALL_LIMIT)
            elif route.behaviour == "trickle":
                for index in range(len(body)):
                    self.wfile.write(body[index:index + 1])
                    self.wfile.flush()
                    if server.release.wait(0.05):
                        break
            else:
                self.wfile.write(body)
            self.close_connection = True

        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            server.received.append(Received("PUT", self.path, dict(self.headers), body))
            route = server.route_for(self.path)
            self.send_response(route.status if route else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler
