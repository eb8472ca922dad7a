"""`ops health` against a hostile or slow server on 127.0.0.1 (issue 17, item 2).

The timeout is one deadline for the whole check (both requests, every redirect and every
read): measured here from outside the process, as an operator's shell would see it.
Whatever the server sends is echoed on one line, escaped and bounded.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest

from ops.lib.node_health import check_node
from ops.lib.paths import PROJECT_ROOT
from tests.node_server import ALL_PASSING, health_body

MAX_ECHOED_CHARS = 200  # what the README promises of an echoed server answer
SLACK_SECONDS = 3.0  # interpreter start and a loaded machine, on top of --timeout
HOP_SECONDS = 1.5
TRICKLE_SECONDS = 0.5


class HostileNode(BaseHTTPRequestHandler):
    """/<scenario>/readyz and /<scenario>/health."""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        scenario, _, path = self.path.lstrip("/").partition("/")
        try:
            getattr(self, "answer_" + scenario.replace("-", "_"))(path)
        except OSError:
            pass  # the client gave up at its deadline, as it should

    def _answer(self, path: str, health: bytes = ALL_PASSING, status: int = 200,
                headers: dict[str, str] | None = None) -> None:
        body = health if path == "health" else b""
        self.send_response(status)
        for name, value in (headers or {"Content-Length": str(len(body))}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def answer_trickle(self, path: str) -> None:
        # Each answer is complete within the timeout, one byte every 0.5 s at the end;
        # the two together are not.
        body = (ALL_PASSING if path == "health" else b"") + b"   "
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:-3])
        for byte in body[-3:]:
            self.wfile.flush()
            time.sleep(TRICKLE_SECONDS)
            self.wfile.write(bytes([byte]))

    def answer_redirects(self, path: str) -> None:
        # /redirects/readyz -> /redirects/readyz/1 -> /redirects/readyz/0, 1.5 s for
        # each answer: /readyz answers after 2 redirects (4.5 s), /health after a chain
        # of 9 (15 s).
        name, _, left = path.partition("/")
        hops = int(left) if left else {"readyz": 2, "health": 9}[name]
        time.sleep(HOP_SECONDS)
        if hops:
            self.send_response(302)
            self.send_header("Location", f"/redirects/{name}/{hops - 1}")
            self.end_headers()
            return
        self._answer(name)

    def answer_no_checks(self, path: str) -> None:
        self._answer(path, b'{"data": []}')

    def answer_escapes(self, path: str) -> None:
        self._answer(path, health_body(
            ("EVM.1\x1b[2J\x1b]0;owned\x07", "passing", ""),
            ("Head\rTracker", "failing\x1b[32m", "line one\r\nline two \x1b[31mred\ud800"),
        ))

    def answer_status_line(self, path: str) -> None:
        self.wfile.write(b"\x1b[2JHTTP/9 \x1b]0;owned\x07\r\nX-Second: line\r\n\r\n")

    def answer_long_status_line(self, path: str) -> None:
        self.wfile.write(b"A" * 5000 + b"\r\n\r\n")

    def answer_long_length(self, path: str) -> None:
        self._answer(path, headers={"Content-Length": "1" * 5000})

    def answer_bad_location(self, path: str) -> None:
        self._answer(path, status=302, headers={"Location": "http://[node\x1b[31m/health",
                                                "Content-Length": "0"})

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def hostile():
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostileNode)
    server.daemon_threads = True
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield lambda scenario: f"http://127.0.0.1:{server.server_address[1]}/{scenario}"
    finally:
        server.shutdown()
        server.server_close()


def timed_ops(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    """`python -m ops ARGS` and its wall time, measured by this (the parent) process."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "ops", *args], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=60)
    return result, time.monotonic() - started


def check(url: str, timeout: float = 5.0, as_json: bool = False) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = check_node(url, timeout, as_json=as_json, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("scenario, timeout, slow_path", [
    # /readyz and /health take 1.5 s each, trickling: 3 s for the check.
    ("trickle", 2, "health"),
    # /readyz after 2 redirects (4.5 s), /health after 9 (15 s), 1.5 s for every hop.
    ("redirects", 5, "health"),
])
def test_the_timeout_is_one_deadline_for_the_whole_check(hostile, scenario, timeout,
                                                         slow_path):
    result, seconds = timed_ops("health", hostile(scenario), "--timeout", str(timeout))
    assert result.returncode == 2, result.stdout
    assert result.stdout == ""
    assert result.stderr == (
        f"error: no answer from {hostile(scenario)}/{slow_path} within {timeout} s; check "
        "that the node is up and reachable from here, or raise --timeout\n")
    assert seconds < timeout + SLACK_SECONDS


def test_zero_checks_is_not_healthy(hostile):
    code, out, err = check(hostile("no-checks"))
    assert (code, err) == (1, "")
    assert out.splitlines()[2] == (
        "health:  not healthy: no checks were reported (/health answered 200)")
    code, out, _ = check(hostile("no-checks"), as_json=True)
    document = json.loads(out)
    assert (document["healthy"], document["state"], document["exitCode"]) == (
        False, "unhealthy", 1)


def test_check_names_and_outputs_are_printed_escaped(hostile):
    result = subprocess.run([sys.executable, "-m", "ops", "health", hostile("escapes")],
                            cwd=PROJECT_ROOT, capture_output=True, timeout=60)
    assert result.returncode == 1 and result.stderr == b""
    out = result.stdout.decode("ascii")
    assert "\x1b" not in out and "\r" not in out and "\x07" not in out
    lines = out.split("\n")
    assert len(lines) == 8 and lines[-1] == ""
    failing, passing = lines[5].split(None, 2), lines[6].split(None, 2)
    assert failing == ["failing\\x1b[32m", "Head\\rTracker",
                       "line one line two \\x1b[31mred\\ud800"]
    assert passing == ["passing", "EVM.1\\x1b[2J\\x1b]0;owned\\x07"]


@pytest.mark.parametrize("scenario, expected", [
    ("status-line", "cannot reach {url}/readyz: \\x1b[2JHTTP/9 \\x1b]0;owned\\x07\\r\\n; "
                    "check the URL and the network path"),
    ("long-length", "{url}/readyz announced an answer of more than 10^18 bytes, more than "
                    "the 1,048,576 bytes a node's answer takes; is this the node's base URL?"),
    ("bad-location", "{url}/readyz answered with something that is not a node's HTTP answer "
                     "(Invalid IPv6 URL); is this the node's base URL?"),
])
def test_a_hostile_answer_is_one_escaped_line_with_exit_2(hostile, scenario, expected):
    result, _ = timed_ops("health", hostile(scenario), "--timeout", "5")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: " + expected.format(url=hostile(scenario)) + "\n"


def test_what_the_server_sent_is_echoed_bounded(hostile):
    code, out, err = check(hostile("long-status-line"))
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1
    assert f"{'A' * MAX_ECHOED_CHARS}...; check the URL" in err
    assert "A" * (MAX_ECHOED_CHARS + 1) not in err
