"""`ops health`: exit codes and output against a local server replaying node answers."""

from __future__ import annotations

import io
import json
from http.server import ThreadingHTTPServer

import pytest

from ops.lib.node_health import MAX_BODY_BYTES, check_node
from tests.conftest import run_ops
from tests.node_server import RecordedNode, recorded_node, run_ops_bounded


@pytest.fixture(scope="module")
def node_url():
    with recorded_node() as url:
        yield url


def check(url: str, timeout: float = 5.0, as_json: bool = False) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = check_node(url, timeout, as_json=as_json, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("scenario,expected", [
    ("passing", 0), ("moved", 0),
    ("failing-207", 1), ("failing-503", 1), ("failing-200", 1),
    ("not-ready", 1), ("migrating", 1), ("migrating-503", 1),
    ("garbage", 2), ("wrong-shape", 2), ("not-a-node", 2), ("huge", 2), ("huge-declared", 2),
    ("deep", 2), ("long-number", 2),
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


@pytest.mark.parametrize("scenario,readyz", [("migrating", 404), ("migrating-503", 503)])
def test_a_migrating_node_is_starting_not_a_wrong_url(node_url, scenario, readyz):
    # While it checks its version and migrates, the node serves only /health (204);
    # /readyz is 404 on current nodes. That is a node starting, exit 1, not exit 2.
    code, out, err = check(node_url(scenario))
    assert (code, err) == (1, "")
    assert f"ready:   no (/readyz answered {readyz})" in out.splitlines()
    assert out.splitlines()[2] == (
        "health:  starting/migrating: only /health answers while the node checks its "
        "version and runs database migrations (/health answered 204)")
    code, out, _ = check(node_url(scenario), as_json=True)
    document = json.loads(out)
    assert (document["state"], document["migrating"], document["exitCode"]) == (
        "starting/migrating", True, 1)


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


@pytest.mark.parametrize("scenario,message", [
    ("huge", f"answered with more than {MAX_BODY_BYTES:,} bytes"),
    ("huge-declared", f"announced a {1 << 40:,}-byte answer"),
    ("deep", "the JSON is nested too deeply"),
    ("long-number", "the body is not JSON"),
])
def test_an_oversized_or_hostile_body_is_one_line_exit_2(node_url, scenario, message):
    code, out, err = check(node_url(scenario))
    assert (code, out) == (2, "")
    assert message in err and len(err.splitlines()) == 1


def test_a_trickling_body_is_cut_off_at_the_timeout(node_url):
    # The socket timeout restarts with every byte; the check's timeout bounds the request.
    code, out, err = check(node_url("trickle"), timeout=0.5)
    assert (code, out) == (2, "")
    assert err.startswith("error: no answer from ") and "within 0.5 s" in err


@pytest.mark.parametrize("scenario", ["trickle", "huge", "huge-declared", "deep"])
def test_hostile_answers_stay_bounded_in_a_limited_process(node_url, scenario):
    result = run_ops_bounded("health", node_url(scenario), "--timeout", "1",
                             cpu_seconds=20, memory_mb=1024, wall_seconds=40)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert result.max_rss_mb < 200
