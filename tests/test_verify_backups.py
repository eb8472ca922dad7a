"""`ops verify-backups` against moto's server on 127.0.0.1, and AWS's bad days.

moto has RDS but no Data Lifecycle Manager, and it cannot throttle or deny. A small
loopback front (`AwsFront`) stands between boto3 and moto: it passes requests through,
or answers a service's requests the way AWS does when it throttles or denies, or with a
canned DLM answer; so every line is produced by botocore parsing real wire responses.
"""

from __future__ import annotations

import http.client
import json
import re
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import boto3
import pytest
from moto.backends import get_backend

from ops.__main__ import main
from ops.commands.verify_backups import (FAIL, NOT_CHECKED, PASS, Result, check_newest_snapshot,
                                check_restorable_time, exit_code, stack_minimum_retention)
from tests.conftest import point_boto3_at, run_ops

REGION = "us-east-1"
MOTO_ACCOUNT = "123456789012"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)


# --- the loopback AWS: moto, with a front that can misbehave like AWS ---

RDS_ERROR = """<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>
<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"""
RDS_THROTTLED = (400, {"Content-Type": "text/xml"},
                 RDS_ERROR.format(code="Throttling", message="Rate exceeded"))
RDS_DENIED = (403, {"Content-Type": "text/xml"}, RDS_ERROR.format(
    code="AccessDenied", message="User: arn:aws:sts::123456789012:assumed-role/ops/me is not "
                                 "authorized to perform: rds:DescribeDBClusters"))
DLM_DENIED = (403, {"Content-Type": "application/json",
                    "x-amzn-ErrorType": "AccessDeniedException"},
              json.dumps({"message": "not authorized to perform dlm:GetLifecyclePolicies"}))


def dlm_answer(*policies):
    return (200, {"Content-Type": "application/json"}, json.dumps({"Policies": list(policies)}))


def dlm_policy(policy_id, state):
    return {"PolicyId": policy_id, "Description": "chainlink node host volumes",
            "State": state, "Tags": {"chainlink:stack": "prod"}, "PolicyType":
            "EBS_SNAPSHOT_MANAGEMENT", "DefaultPolicy": False}


class AwsFront(ThreadingHTTPServer):
    """Forwards to moto, except where `plans[service]` says to answer (count times, or -1)."""

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _FrontHandler)
        self.upstream = upstream
        self.plans: dict[str, tuple[int, tuple]] = {}
        self.requests: dict[str, int] = {"rds": 0, "dlm": 0}

    def answer(self, service: str, response: tuple, times: int = -1) -> None:
        self.plans[service] = (times, response)

    @property
    def url(self) -> str:
        host, port = self.server_address
        return f"http://{host}:{port}"


class _FrontHandler(BaseHTTPRequestHandler):
    server: AwsFront

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._handle()

    do_POST = do_GET

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        scope = re.search(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/",
                          self.headers.get("Authorization", ""))
        service = scope.group(1) if scope else "unknown"
        self.server.requests[service] = self.server.requests.get(service, 0) + 1
        times, response = self.server.plans.get(service, (0, None))
        if times != 0:
            self.server.plans[service] = (times - 1 if times > 0 else times, response)
            self._send(*response)
        else:
            self._send(*self._forward(body))

    def _forward(self, body: bytes) -> tuple:
        host, port = self.server.upstream.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.request(self.command, self.path, body, dict(self.headers))
        reply = connection.getresponse()
        headers = {k: v for k, v in reply.getheaders()
                   if k.lower() not in ("content-length", "transfer-encoding", "connection")}
        return reply.status, headers, reply.read().decode()

    def _send(self, status: int, headers: dict, body: str) -> None:
        payload = body.encode()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def aws(moto_url, monkeypatch):
    """A fresh moto behind a fresh front; boto3 in this process and children talk to it."""
    front = AwsFront(moto_url)
    Thread(target=front.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    point_boto3_at(front.url, moto_url, monkeypatch)
    yield front
    front.shutdown()
    front.server_close()


@pytest.fixture(autouse=True)
def retry_sleeps(monkeypatch):
    """botocore's backoff delays, recorded instead of slept (this process only)."""
    delays: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", delays.append)
    return delays


def create_cluster(aws, identifier="chainlink-prod", stack="prod", retention=14):
    """Set-up goes straight to moto, so the front counts only what the command sends."""
    boto3.client("rds", region_name=REGION, endpoint_url=aws.upstream).create_db_cluster(
        DBClusterIdentifier=identifier, Engine="aurora-postgresql", EngineVersion="16.6",
        MasterUsername="chainlink", ManageMasterUserPassword=True,
        BackupRetentionPeriod=retention, StorageEncrypted=True,
        Tags=[{"Key": "chainlink:stack", "Value": stack}])


def age_snapshots(identifier, by):
    backend = get_backend("rds")[MOTO_ACCOUNT][REGION]
    for snapshot in backend.cluster_snapshots.values():
        if snapshot.cluster.db_cluster_identifier == identifier:
            snapshot.created -= by


def verify(capsys, *extra):
    code = main(["verify-backups", "--stack", "prod", *extra])
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    start = lines.index("verify-backups: stack prod, us-east-1")
    checks = {}
    for line in lines[start + 1:-1]:
        status, _, rest = line.partition("  ")
        name, _, detail = rest.strip().partition(": ")
        checks[name] = (status.strip(), detail)
    return code, checks, captured


# --- moto: healthy, stale, missing ---

def test_healthy_cluster_passes_and_the_missing_dlm_api_is_not_checked(aws, capsys):
    create_cluster(aws)
    code, checks, captured = verify(capsys)
    assert {name: status for name, (status, _) in checks.items()} == {
        "cluster": PASS, "retention": PASS, "point-in-time restore": PASS,
        "newest snapshot": PASS, "volume backups": NOT_CHECKED}
    assert "does not offer dlm:GetLifecyclePolicies" in checks["volume backups"][1]
    assert checks["retention"][1] == "14 days of automated backups (at least 14 required)"
    assert code == 1 and "--allow-not-checked" in captured.out.splitlines()[-1]
    assert captured.err == ""


def test_allow_not_checked_accepts_what_could_not_run(aws, capsys):
    create_cluster(aws)
    code, checks, captured = verify(capsys, "--allow-not-checked")
    assert code == 0
    assert captured.out.splitlines()[-1] == (
        "5 checks: 4 passed, 0 failed, 1 not checked -> OK")


def test_retention_below_the_stacks_promise_fails(aws, capsys):
    create_cluster(aws, retention=3)
    code, checks, _ = verify(capsys, "--allow-not-checked")
    assert checks["retention"] == (FAIL, "3 days of automated backups (at least 14 required)")
    assert code == 1
    code, checks, _ = verify(capsys, "--allow-not-checked", "--min-retention-days", "3")
    assert checks["retention"][0] == PASS and code == 0


def test_old_snapshot_fails(aws, capsys):
    create_cluster(aws)
    age_snapshots("chainlink-prod", by=timedelta(days=3))
    code, checks, _ = verify(capsys, "--allow-not-checked")
    status, detail = checks["newest snapshot"]
    assert status == FAIL and "72 hours old (at most 26 hours allowed)" in detail
    assert code == 1
    code, checks, _ = verify(capsys, "--allow-not-checked", "--max-snapshot-age-hours", "80")
    assert checks["newest snapshot"][0] == PASS and code == 0


def test_missing_cluster_fails_and_says_how_to_fix_it(aws, capsys):
    create_cluster(aws, identifier="chainlink-dev", stack="dev")
    code, checks, _ = verify(capsys, "--allow-not-checked")
    assert checks["cluster"] == (FAIL, "no aurora-postgresql cluster tagged chainlink:stack=prod "
                                       "in us-east-1; deploy the stack, or name the cluster "
                                       "with --cluster-id")
    for name in ("retention", "point-in-time restore", "newest snapshot"):
        assert checks[name] == (NOT_CHECKED, "no cluster to check")
    assert code == 1


def test_cluster_id_overrides_the_tag_and_a_wrong_one_is_named(aws, capsys):
    create_cluster(aws, identifier="restored-from-pitr", stack="elsewhere")
    code, checks, _ = verify(capsys, "--allow-not-checked", "--cluster-id", "restored-from-pitr")
    assert checks["cluster"][0] == PASS and code == 0
    code, checks, _ = verify(capsys, "--cluster-id", "nope")
    assert checks["cluster"] == (FAIL, "there is no cluster 'nope' in us-east-1; check "
                                       "--cluster-id and the stack's aws:region")
    assert code == 1


# --- AWS on a bad day: denied, throttled ---

def test_access_denied_is_not_checked_never_passed(aws, capsys):
    create_cluster(aws)
    aws.answer("rds", RDS_DENIED)
    aws.answer("dlm", DLM_DENIED)
    code, checks, captured = verify(capsys, "--allow-not-checked")
    assert checks["cluster"] == (NOT_CHECKED, "access denied to rds:DescribeDBClusters; "
                                              "allow it for the caller's role")
    assert checks["volume backups"] == (NOT_CHECKED, "access denied to dlm:GetLifecyclePolicies;"
                                                     " allow it for the caller's role")
    assert PASS not in {status for status, _ in checks.values()}
    assert aws.requests["rds"] == 1  # denial is not retried
    assert code == 0  # only because of --allow-not-checked
    assert main(["verify-backups", "--stack", "prod"]) == 1


def test_throttling_is_retried_with_backoff_until_it_passes(aws, capsys, retry_sleeps):
    create_cluster(aws)
    aws.answer("rds", RDS_THROTTLED, times=2)
    code, checks, _ = verify(capsys, "--allow-not-checked")
    assert checks["cluster"][0] == checks["newest snapshot"][0] == PASS and code == 0
    assert aws.requests["rds"] == 2 + 2  # two throttled, then clusters and snapshots
    assert len([d for d in retry_sleeps if d > 0]) >= 1 and len(retry_sleeps) >= 2


def test_throttling_that_never_ends_is_not_checked(aws, capsys, retry_sleeps):
    create_cluster(aws)
    aws.answer("rds", RDS_THROTTLED)
    code, checks, _ = verify(capsys, "--max-attempts", "3")
    assert checks["cluster"] == (NOT_CHECKED, "rds:DescribeDBClusters still throttled after 3 "
                                              "attempts; try again later")
    assert aws.requests["rds"] == 3 and code == 1


# --- the DLM check, on DLM's wire format ---

@pytest.mark.parametrize("answer,status,fragment", [
    (dlm_answer(dlm_policy("policy-0abc", "ENABLED")), PASS,
     "policy-0abc ENABLED for volumes tagged chainlink:backup=daily"),
    (dlm_answer(dlm_policy("policy-0abc", "ERROR")), FAIL, "policy-0abc is ERROR"),
    (dlm_answer(dlm_policy("policy-0abc", "DISABLED")), FAIL, "policy-0abc is DISABLED"),
    (dlm_answer(), FAIL, "no lifecycle policy snapshots volumes tagged chainlink:backup=daily"),
])
def test_volume_backup_policy_must_exist_and_be_enabled(aws, capsys, answer, status, fragment):
    create_cluster(aws)
    aws.answer("dlm", answer)
    code, checks, _ = verify(capsys)
    assert checks["volume backups"][0] == status and fragment in checks["volume backups"][1]
    assert code == (0 if status == PASS else 1)


# --- the command line itself ---

def test_no_credentials_is_one_line_and_exit_2(aws, monkeypatch, capsys):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    code = main(["verify-backups", "--stack", "prod"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.startswith("error: no AWS credentials found: set AWS_PROFILE")
    assert len(captured.err.strip().splitlines()) == 1


def test_an_unknown_profile_is_one_line_and_exit_2(aws, monkeypatch, capsys):
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    code = main(["verify-backups", "--stack", "prod"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.startswith("error: cannot set up AWS access: The config profile "
                                   "(no-such-profile) could not be found")
    assert len(captured.err.strip().splitlines()) == 1


def test_unknown_stack_and_bad_thresholds_exit_2(capsys):
    assert main(["verify-backups", "--stack", "staging"]) == 2
    assert "known stacks: dev, prod" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        main(["verify-backups", "--stack", "prod", "--max-snapshot-age-hours", "0"])
    assert stopped.value.code == 2
    assert "must be from 1 to 840, got 0" in capsys.readouterr().err


def test_real_command_line_against_moto(aws):
    create_cluster(aws)
    result = run_ops("verify-backups", "--stack", "prod", "--max-attempts", "1",
                     "--allow-not-checked")
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and "Traceback" not in result.stdout
    lines = result.stdout.splitlines()
    assert lines[0] == "verify-backups: stack prod, us-east-1"
    assert [line.split()[0] for line in lines[1:-1]] == [PASS] * 4 + ["NOT"]


# --- judgements at fixed times ---

def test_stale_point_in_time_restore_fails_and_a_missing_one_is_not_checked():
    lag = timedelta(minutes=15)
    fresh = check_restorable_time({"LatestRestorableTime": NOW - timedelta(minutes=5)}, NOW, lag)
    stale = check_restorable_time({"LatestRestorableTime": NOW - timedelta(hours=2)}, NOW, lag)
    unknown = check_restorable_time({}, NOW, lag)
    assert (fresh.status, stale.status, unknown.status) == (PASS, FAIL, NOT_CHECKED)
    assert "2 hours old (at most 15 minutes allowed)" in stale.detail


def test_only_available_snapshots_count():
    snapshots = [{"DBClusterSnapshotIdentifier": "rds:x", "SnapshotType": "automated",
                  "Status": "creating", "SnapshotCreateTime": NOW}]
    assert check_newest_snapshot(snapshots, NOW, timedelta(hours=26)).status == FAIL
    snapshots.append({"DBClusterSnapshotIdentifier": "manual-1", "SnapshotType": "manual",
                      "Status": "available", "SnapshotCreateTime": NOW - timedelta(hours=3)})
    result = check_newest_snapshot(snapshots, NOW, timedelta(hours=26))
    assert result.status == PASS and result.detail.startswith("manual-1 (manual) is 3 hours old")


@pytest.mark.parametrize("config,expected", [
    ({"chainlink-node-aws:environment": "prod", "chainlink-node-aws:backupRetentionDays": "14"}, 14),
    ({"chainlink-node-aws:environment": "prod", "chainlink-node-aws:backupRetentionDays": "3"}, 7),
    ({"chainlink-node-aws:environment": "dev", "chainlink-node-aws:backupRetentionDays": "3"}, 3),
    ({}, 7),
])
def test_default_retention_threshold_is_what_the_stack_promises(config, expected):
    assert stack_minimum_retention(config) == expected


def test_exit_code_counts_not_checked_as_failure_unless_allowed():
    results = [Result(PASS, "a", ""), Result(NOT_CHECKED, "b", "")]
    assert (exit_code(results, False), exit_code(results, True)) == (1, 0)
    assert exit_code(results + [Result(FAIL, "c", "")], True) == 1

