"""A local stand-in for a Chainlink node's HTTP server, replaying recorded answers.

Shared by the `ops health` and `ops promote --health-url` tests. Binds port 0, so
parallel test workers never collide.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

from ops.lib.node_health import MAX_BODY_BYTES
from ops.lib.paths import PROJECT_ROOT


def health_body(*checks: tuple[str, str, str]) -> bytes:
    """A /health answer as the node gives it (JSON:API)."""
    return json.dumps({"data": [
        {"type": "checks", "id": name,
         "attributes": {"name": name, "status": status, "output": output}}
        for name, status, output in checks]}).encode()


ALL_PASSING = health_body(("EVM.11155111", "passing", ""),
                          ("EVM.11155111.HeadTracker", "passing", ""),
                          ("JobSpawner", "passing", ""))
ONE_FAILING = health_body(("EVM.11155111", "passing", ""),
                          ("EVM.11155111.HeadTracker", "failing",
                           "no new heads for 5m0s:\nlast head 5123456"),
                          ("JobSpawner", "passing", ""))
TRICKLE = "trickle"  # a body sent one byte at a time, forever

# scenario -> path -> (status, body, seconds to wait before answering)
SCENARIOS: dict[str, dict[str, tuple[int, bytes | str, float]]] = {
    "passing": {"/readyz": (200, b"", 0), "/health": (200, ALL_PASSING, 0)},
    "failing-207": {"/readyz": (200, b"", 0), "/health": (207, ONE_FAILING, 0)},
    "failing-503": {"/readyz": (503, b"", 0), "/health": (503, ONE_FAILING, 0)},
    "failing-200": {"/readyz": (200, b"", 0), "/health": (200, ONE_FAILING, 0)},
    "not-ready": {"/readyz": (503, b"", 0), "/health": (200, ALL_PASSING, 0)},
    # The node during its version check and migrations: only /health, with 204.
    "migrating": {"/readyz": (404, b"404 page not found", 0), "/health": (204, b"", 0)},
    "migrating-503": {"/readyz": (503, b"", 0), "/health": (204, b"", 0)},
    "garbage": {"/readyz": (200, b"", 0), "/health": (200, b"<html>Welcome to nginx</html>", 0)},
    "wrong-shape": {"/readyz": (200, b"", 0), "/health": (200, b'{"status": "ok"}', 0)},
    "not-a-node": {"/readyz": (404, b"not found", 0), "/health": (404, b"not found", 0)},
    "slow": {"/readyz": (200, b"", 1.5), "/health": (200, ALL_PASSING, 1.5)},
    "huge": {"/readyz": (200, b"", 0), "/health": (200, b" " * (MAX_BODY_BYTES + 1), 0)},
    "deep": {"/readyz": (200, b"", 0), "/health": (200, b"[" * 200_000, 0)},
    "long-number": {"/readyz": (200, b"", 0), "/health": (200, b"1" * 5000, 0)},
    "trickle": {"/readyz": (200, b"", 0), "/health": (200, TRICKLE, 0)},
}


class RecordedNode(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        scenario, _, path = self.path.lstrip("/").partition("/")
        if scenario == "moved":
            self.send_response(301)
            self.send_header("Location", f"/passing/{path}")
            self.end_headers()
            return
        if scenario == "huge-declared":
            self.send_response(200)
            self.send_header("Content-Length", str(1 << 40))
            self.end_headers()
            return
        status, body, delay = SCENARIOS[scenario]["/" + path]
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if body == TRICKLE:
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            self._trickle()
            return
        if scenario != "huge":  # huge: no length announced, the body runs to the close
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _trickle(self) -> None:
        try:
            for _ in range(1_000_000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass  # the client gave up, as it should

    def log_message(self, *args):
        pass


@contextmanager
def recorded_node() -> Iterator:
    """Yields scenario -> base URL of a node answering as that scenario says."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordedNode)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield lambda scenario: f"http://127.0.0.1:{server.server_address[1]}/{scenario}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Bounded:
    returncode: int
    stdout: str
    stderr: str
    max_rss_mb: float


# Runs `python -m ops` under limits it sets on itself, then records its own peak resident
# memory (VmHWM of the process after exec: a forked child's rusage would include the
# test worker's own memory, copied at fork).
_LAUNCHER = """
import resource, runpy, sys
cpu, memory, report = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
sys.argv = ["ops", *sys.argv[4:]]
try:
    runpy.run_module("ops", run_name="__main__", alter_sys=True)
finally:
    with open("/proc/self/status") as status, open(report, "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


def run_ops_bounded(*args: str, cpu_seconds: int = 20, memory_mb: int = 1024,
                    wall_seconds: float = 60) -> Bounded:
    """`python -m ops ARGS` with CPU and address-space limits, killed past `wall_seconds`
    (subprocess.TimeoutExpired fails the test); reports its peak resident memory."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "peak-kib"
        result = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(cpu_seconds), str(memory_mb << 20),
             str(report), *args],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=wall_seconds)
        peak_kib = int(report.read_text()) if report.exists() else 0
    return Bounded(result.returncode, result.stdout, result.stderr, peak_kib / 1024)
