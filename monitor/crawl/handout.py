"""Where scrapyd jobs get their offers: a small HTTP server on the main machine for one run.

A job's offers can be far larger than a command-line argument (10,000 offers are about 4 MB of
JSON), so a job is started with the URL of its description instead and fetches it. The same URL
plus ``/lease`` is asked every few seconds while the job crawls: 200 keeps it going, 410 ends it.
The server listens only while the run crawls, only on the address the nodes reach this machine
at, and answers only at paths carrying a random token given to the run's own jobs.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Handed:
    description: bytes
    active: bool = True
    renewed: float = 0.0  # monotonic time of the job's last lease renewal, 0 before the first


def local_address_towards(url: str) -> str:
    """The address of this machine that a node at ``url`` would see connections come from."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    family, _, _, _, sockaddr = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        probe.connect(sockaddr)  # UDP: no packet is sent, the kernel only picks the route
        return probe.getsockname()[0]


class Handout:
    """The run's job descriptions and leases, served on each address a node needs."""

    def __init__(self, addresses: list[str], port: int = 0):
        self.token = secrets.token_urlsafe(24)
        self.jobs: dict[str, Handed] = {}
        self.lock = threading.Lock()
        self.servers: dict[str, ThreadingHTTPServer] = {}
        handout = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                status, body = handout._answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (quiet: the run has its own log)
                pass

        for address in dict.fromkeys(addresses):
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            server_class = type("Server", (ThreadingHTTPServer,), {"address_family": family, "daemon_threads": True})
            server = server_class((address, port), Handler)
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
            self.servers[address] = server

    def url(self, address: str, job_id: str) -> str:
        address_host, port = self.servers[address].server_address[:2]
        host = address_host.decode() if isinstance(address_host, bytes) else str(address_host)
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/{self.token}/{job_id}"

    def offer(self, job_id: str, description: dict[str, Any]) -> None:
        with self.lock:
            self.jobs[job_id] = Handed(json.dumps(description).encode("utf-8"))

    def revoke(self, job_id: str) -> None:
        with self.lock:
            if job_id in self.jobs:
                self.jobs[job_id].active = False

    def renewed(self, job_id: str) -> float:
        with self.lock:
            return self.jobs[job_id].renewed if job_id in self.jobs else 0.0

    def _answer(self, path: str) -> tuple[int, bytes]:
        parts = path.split("?", 1)[0].strip("/").split("/")
        if len(parts) not in (2, 3) or not secrets.compare_digest(parts[0], self.token):
            return 404, b'{"error": "not found"}'
        with self.lock:
            handed = self.jobs.get(parts[1])
            if handed is None:
                return 404, b'{"error": "not found"}'
            if len(parts) == 2:
                return 200, handed.description
            if parts[2] != "lease":
                return 404, b'{"error": "not found"}'
            if not handed.active:
                return 410, b'{"lease": "ended"}'
            handed.renewed = time.monotonic()
            return 200, b'{"lease": "kept"}'

    def close(self) -> None:
        with self.lock:
            for handed in self.jobs.values():
                handed.active = False
        for server in self.servers.values():
            server.shutdown()
            server.server_close()
