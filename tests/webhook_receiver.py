"""A loopback HTTP server standing in for a webhook (``--notify-webhook``): it records what it
is sent and answers what the test asks."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "T0ken-Canary-9f8e7d"
"""In the receiver's URL path and query, as a real webhook's secret would be: never logged."""


@dataclass
class Receiver:
    """What the receiver was sent, and how it answers."""

    url: str = ""
    bodies: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    status: int = 204
    delay: float = 0.0
    location: str = ""


@contextlib.contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    """A running receiver at ``state.url`` (``/hooks/<TOKEN>?key=<TOKEN>``)."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            state.paths.append(self.path)
            state.headers.append({k.lower(): v for k, v in self.headers.items()})
            state.bodies.append(json.loads(body))
            time.sleep(state.delay)
            self.send_response(state.status)
            if state.location:
                self.send_header("Location", state.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/{TOKEN}?key={TOKEN}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
