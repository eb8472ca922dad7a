"""`ops health`: exit codes and output against a local server replaying node answers."""

from __future__ import annotations

import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ops.lib.node_health import check_node
from tests.conftest import run_ops


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

# scenario -> path -> (status, body, seconds to wait before answering)
SCENARIOS: dict[str, dict[str, tuple[int, bytes, float]]] = {
    "passing": {"/readyz": (200, b"", 0), "/health": (200, ALL_PASSING, 0)},
    "failing-207": {"/readyz": (200, b"", 0), "/health": (207, ONE_FAILING, 0)},
    "failing-503": {"/readyz": (503, b"", 0), "/health": (503, ONE_FAILING, 0)},
    "failing-200": {"/readyz": (200, b"", 0), "/health": (200, ONE_FAILING, 0)},
    "not-ready": {"/readyz": (503, b"", 0), "/health": (200, ALL_PASSING, 0)},
    "migrating": {"/readyz": (503, b"", 0), "/health": (204, b"", 0)},
    "garbage": {"/readyz": (200, b"", 0), "/health": (200, b"<html>Welcome to nginx</html>", 0)},
    "wrong-shape": {"/readyz": (200, b"", 0), "/health": (200, b'{"status": "ok"}', 0)},
    "not-a-node": {"/readyz": (404, b"not found", 0), "/health": (404, b"not found", 0)},
    "slow": {"/readyz": (200, b"", 1.5), "/health": (200, ALL_PASSING, 1.5)},
}


class RecordedNode(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        scenario, _, path = self.path.lstrip("/").partition("/")
        if scenario == "moved":
            self.send_response(301)
            self.send_header("Location", f"/passing/{path}")
            self.end_headers()
            return
        status, body, delay = SCENARIOS[scenario]["/" + path]
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def node_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordedNode)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield lambda scenario: f"http://127.0.0.1:{server.server_address[1]}/{scenario}"
    server.shutdown()
    server.server_close()


def check(url: str, timeout: float = 5.0, as_json: bool = False) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = check_node(url, timeout, as_json=as_json, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("scenario,expected", [
    ("passing", 0), ("moved", 0),
    ("failing-207", 1), ("failing-503", 1), ("failing-200", 1),
    ("not-ready", 1), ("migrating", 1),
    ("garbage", 2), ("wrong-shape", 2), ("not-a-node", 2),
])
def test_exit_codes(node_url, scenario, expected):
    code, _, err = check(node_url(scenario))
    assert code == expected, err
    assert (err == "") == (expected != 2)


def test_a_passing_node_prints_every_check(node_url):
    code, out, _ = check(node_url("passing") + "/")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"node:    {node_url('passing')}"
    assert lines[1] == "ready:   yes (/readyz answered 200)"
    assert lines[2] == "health:  all 3 checks passing (/health answered 200)"
    assert lines[4].split() == ["STATUS", "CHECK", "OUTPUT"]
    assert [line.split()[:2] for line in lines[5:]] == [
        ["passing", "EVM.11155111"], ["passing", "EVM.11155111.HeadTracker"],
        ["passing", "JobSpawner"]]


def test_a_207_lists_the_failing_check_first_with_its_output_on_one_line(node_url):
    code, out, _ = check(node_url("failing-207"))
    assert code == 1
    lines = out.splitlines()
    assert lines[2] == "health:  1 of 3 checks failing (/health answered 207)"
    assert lines[5].split(None, 2) == ["failing", "EVM.11155111.HeadTracker",
                                       "no new heads for 5m0s: last head 5123456"]


def test_migrations_are_reported_as_such(node_url):
    code, out, _ = check(node_url("migrating"))
    assert code == 1
    assert "ready:   no (/readyz answered 503)" in out
    assert "health:  database migrations still running (/health answered 204)" in out


def test_json_output_for_machines(node_url):
    code, out, _ = check(node_url("failing-503"), as_json=True)
    document = json.loads(out)
    assert code == document["exitCode"] == 1
    assert document["url"] == node_url("failing-503")
    assert (document["ready"], document["migrating"], document["healthy"]) == (False, False, False)
    assert document["failing"] == ["EVM.11155111.HeadTracker"]
    assert document["checks"][1] == {"name": "EVM.11155111.HeadTracker", "status": "failing",
                                     "output": "no new heads for 5m0s:\nlast head 5123456"}


def test_json_output_carries_the_error_when_the_answer_is_not_the_nodes(node_url):
    code, out, err = check(node_url("garbage"), as_json=True)
    assert code == 2
    document = json.loads(out)
    assert set(document) == {"url", "error", "exitCode"} and document["exitCode"] == 2
    assert "not JSON" in document["error"]
    assert err == f"error: {document['error']}\n"


def test_a_slow_node_times_out_with_exit_2(node_url):
    code, out, err = check(node_url("slow"), timeout=0.3)
    assert (code, out) == (2, "")
    assert err.startswith("error: no answer from ") and "within 0.3 s" in err


def test_an_unreachable_node_exits_2():
    with ThreadingHTTPServer(("127.0.0.1", 0), RecordedNode) as closed:
        port = closed.server_address[1]
    code, out, err = check(f"http://127.0.0.1:{port}")
    assert (code, out) == (2, "")
    assert err == (f"error: 127.0.0.1:{port} refused the connection; check the URL and that "
                   "the node (or its load balancer) is up\n")


@pytest.mark.parametrize("url", ["node.example.com:6688", "ftp://node.example.com", "http://"])
def test_a_bad_url_exits_2_naming_the_fix(url):
    code, _, err = check(url)
    assert code == 2
    assert "is not the node's base URL; give one such as http://" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("url", ["http://[::1", "http://admin:pw@[::1", "http://node:99999"])
def test_a_malformed_url_exits_2_without_echoing_it(url):
    code, out, err = check(url, as_json=True)
    assert code == 2
    assert err.startswith("error: the URL is malformed (") and len(err.splitlines()) == 1
    assert "pw@" not in err + out
    assert json.loads(out)["exitCode"] == 2


def test_credentials_in_the_url_are_refused_without_being_echoed():
    code, out, err = check("https://admin:hunter2-password@node.example.com", as_json=True)
    assert code == 2
    assert "hunter2" not in err + out
    assert err.startswith("error: the URL carries credentials")
    assert json.loads(out)["url"] == "https://node.example.com"


def test_the_cli_wires_exit_codes_and_flags(node_url):
    passing = run_ops("health", node_url("passing"), "--timeout", "5")
    assert (passing.returncode, passing.stderr) == (0, "")
    failing = run_ops("health", "--json", node_url("failing-207"))
    assert failing.returncode == 1 and json.loads(failing.stdout)["healthy"] is False
    slow = run_ops("health", node_url("slow"), "--timeout", "0.2")
    assert slow.returncode == 2 and len(slow.stderr.splitlines()) == 1
    assert "Traceback" not in slow.stderr


@pytest.mark.parametrize("timeout", ["0", "-1", "soon", "nan", "301"])
def test_a_bad_timeout_exits_2(timeout):
    result = run_ops("health", "http://127.0.0.1:6688", "--timeout", timeout)
    assert result.returncode == 2
    assert "--timeout" in result.stderr
