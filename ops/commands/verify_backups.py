"""`python -m ops verify-backups --stack STACK`: are the live backups what the stack promises?

Finds the stack's Aurora cluster (by its chainlink:stack tag, or --cluster-id) in the
region of the stack file and checks its backup retention, how recent its point-in-time
restore is and the age of its newest snapshot; then the Data Lifecycle Manager policy
that snapshots the node hosts' volumes. One line per check: PASS, FAIL, or NOT CHECKED
(with the reason: access denied, still throttled after retries, an API the endpoint does
not offer, ...). Exit 0 only when every check passed; 1 when one failed or could not be
checked (--allow-not-checked accepts those); 2 on bad arguments or missing credentials.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

import boto3
from botocore.config import Config
from botocore.exceptions import (BotoCoreError, ClientError, EndpointConnectionError,
                                 NoCredentialsError, PartialCredentialsError)

from stack_config import PROD_MIN_BACKUP_RETENTION_DAYS, SETTINGS_BY_KEY, namespaced
from components.tags import BACKUP_TAG_KEY, BACKUP_TAG_VALUE, STACK_TAG_KEY
from ops.lib.errors import EXIT_FAILED, EXIT_OK, OpsError
from ops.lib.stackfile import read_stack_file

PASS, FAIL, NOT_CHECKED = "PASS", "FAIL", "NOT CHECKED"
ENGINE = "aurora-postgresql"
# Aurora's latest restorable time trails by about five minutes when all is well.
DEFAULT_MAX_RESTORE_LAG_MINUTES = 15
# One automated snapshot a day, plus the length of the backup window.
DEFAULT_MAX_SNAPSHOT_AGE_HOURS = 26
DEFAULT_MAX_ATTEMPTS = 5
ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
                 "AuthorizationError"}
BAD_CREDENTIALS = {"InvalidClientTokenId", "UnrecognizedClientException",
                   "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException"}
THROTTLED = {"Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
             "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException",
             "LimitExceededException"}


@dataclass(frozen=True)
class Thresholds:
    min_retention_days: int
    max_restore_lag: timedelta
    max_snapshot_age: timedelta


@dataclass(frozen=True)
class Result:
    status: str
    check: str
    detail: str

    def line(self) -> str:
        return f"{self.status:<12} {self.check}: {self.detail}"


class NotChecked(Exception):
    """AWS gave no answer to judge by; the message says why."""


class Missing(Exception):
    """What should exist does not; the message names it and the fix."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "verify-backups", help="check the live database and volume backups of a stack",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", required=True, help="stack name: reads Pulumi.<STACK>.yaml")
    parser.add_argument("--cluster-id", metavar="ID",
                        help="check this cluster instead of the one tagged with the stack")
    parser.add_argument("--min-retention-days", type=_bounded(1, 35), metavar="DAYS",
                        help="least backup retention that passes (default: the stack's "
                             f"backupRetentionDays, at least {PROD_MIN_BACKUP_RETENTION_DAYS} "
                             "in prod)")
    parser.add_argument("--max-restore-lag-minutes", type=_bounded(1, 1440), metavar="MIN",
                        default=DEFAULT_MAX_RESTORE_LAG_MINUTES,
                        help="oldest latest-restorable time that passes (default "
                             f"{DEFAULT_MAX_RESTORE_LAG_MINUTES})")
    parser.add_argument("--max-snapshot-age-hours", type=_bounded(1, 24 * 35), metavar="HOURS",
                        default=DEFAULT_MAX_SNAPSHOT_AGE_HOURS,
                        help="oldest newest-snapshot that passes (default "
                             f"{DEFAULT_MAX_SNAPSHOT_AGE_HOURS})")
    parser.add_argument("--max-attempts", type=_bounded(1, 20), metavar="N",
                        default=DEFAULT_MAX_ATTEMPTS,
                        help="attempts per AWS call when throttled or on server errors "
                             f"(botocore standard retries; default {DEFAULT_MAX_ATTEMPTS})")
    parser.add_argument("--allow-not-checked", action="store_true",
                        help="exit 0 when nothing failed even if some checks could not run")
    parser.set_defaults(func=run)


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, got {value}")
        return value
    return parse


# --- reading AWS ---

def aws_call(action: str, call: Callable[[], Any]) -> Any:
    """Run one AWS read; every answer that is not data becomes NotChecked with its reason.

    Codes callers want to judge themselves (a cluster that does not exist) pass through.
    """
    try:
        return call()
    except (NoCredentialsError, PartialCredentialsError):
        raise OpsError("no AWS credentials found: set AWS_PROFILE (or the AWS_ACCESS_KEY_ID "
                       "and AWS_SECRET_ACCESS_KEY variables) for the stack's account") from None
    except EndpointConnectionError as error:
        raise NotChecked(f"cannot reach {error.kwargs.get('endpoint_url', 'the AWS endpoint')}"
                         ) from None
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "DBClusterNotFoundFault":
            raise
        raise NotChecked(_client_error_reason(action, error)) from None
    except BotoCoreError as error:
        raise NotChecked(f"{action} failed: {error}") from None


def _client_error_reason(action: str, error: ClientError) -> str:
    code = error.response.get("Error", {}).get("Code", "")
    metadata = error.response.get("ResponseMetadata", {})
    if code in ACCESS_DENIED:
        return f"access denied to {action}; allow it for the caller's role"
    if code in BAD_CREDENTIALS:
        return f"AWS refused the credentials ({code}); renew them"
    if code in THROTTLED:
        attempts = metadata.get("RetryAttempts", 0) + 1
        return f"{action} still throttled after {attempts} attempts; try again later"
    if code == str(metadata.get("HTTPStatusCode")):
        return (f"the endpoint does not offer {action} (HTTP {code} without an AWS error; "
                "moto, for one, has no such API)")
    return f"{action} failed: {code}: {error.response.get('Error', {}).get('Message', '')}"


def find_cluster(rds, stack: str, cluster_id: str | None, region: str) -> dict[str, Any]:
    if cluster_id:
        try:
            return aws_call("rds:DescribeDBClusters", lambda: rds.describe_db_clusters(
                DBClusterIdentifier=cluster_id)["DBClusters"][0])
        except ClientError:
            raise Missing(f"there is no cluster {cluster_id!r} in {region}; check --cluster-id "
                          "and the stack's aws:region") from None
    clusters = aws_call("rds:DescribeDBClusters", lambda: [
        cluster for page in rds.get_paginator("describe_db_clusters").paginate()
        for cluster in page["DBClusters"]])
    tag = {"Key": STACK_TAG_KEY, "Value": stack}
    tagged = [c for c in clusters if c.get("Engine") == ENGINE and tag in c.get("TagList", [])]
    if not tagged:
        raise Missing(f"no {ENGINE} cluster tagged {STACK_TAG_KEY}={stack} in {region}; "
                      "deploy the stack, or name the cluster with --cluster-id")
    if len(tagged) > 1:
        names = ", ".join(sorted(c["DBClusterIdentifier"] for c in tagged))
        raise Missing(f"several clusters are tagged {STACK_TAG_KEY}={stack} ({names}); "
                      "choose one with --cluster-id")
    return tagged[0]


def cluster_snapshots(rds, cluster_id: str) -> list[dict[str, Any]]:
    return aws_call("rds:DescribeDBClusterSnapshots", lambda: [
        snapshot for page in rds.get_paginator("describe_db_cluster_snapshots").paginate(
            DBClusterIdentifier=cluster_id)
        for snapshot in page["DBClusterSnapshots"]])


def volume_backup_policies(dlm) -> list[dict[str, Any]]:
    return aws_call("dlm:GetLifecyclePolicies", lambda: dlm.get_lifecycle_policies(
        ResourceTypes=["VOLUME"], TargetTags=[f"{BACKUP_TAG_KEY}={BACKUP_TAG_VALUE}"]
    )["Policies"])


# --- judging what AWS said ---

def _age(moment: datetime, now: datetime) -> str:
    seconds = max((now - moment).total_seconds(), 0)
    if seconds >= 5400:
        return f"{round(seconds / 3600, 1):g} hours"
    return f"{seconds / 60:.0f} minutes"


def check_cluster(cluster: dict[str, Any]) -> Result:
    return Result(PASS, "cluster", f"{cluster['DBClusterIdentifier']} ({cluster.get('Engine')} "
                                   f"{cluster.get('EngineVersion', '?')}, "
                                   f"{cluster.get('Status', 'status unknown')})")


def check_retention(cluster: dict[str, Any], minimum: int) -> Result:
    days = cluster.get("BackupRetentionPeriod")
    if days is None:
        return Result(NOT_CHECKED, "retention", "the cluster description has no "
                                                "BackupRetentionPeriod")
    verdict = PASS if days >= minimum else FAIL
    return Result(verdict, "retention", f"{days} days of automated backups "
                                        f"(at least {minimum} required)")


def check_restorable_time(cluster: dict[str, Any], now: datetime, max_lag: timedelta) -> Result:
    latest = cluster.get("LatestRestorableTime")
    if latest is None:
        return Result(NOT_CHECKED, "point-in-time restore",
                      "the cluster description has no LatestRestorableTime")
    verdict = PASS if now - latest <= max_lag else FAIL
    return Result(verdict, "point-in-time restore",
                  f"latest restorable time {latest.isoformat(timespec='seconds')} is "
                  f"{_age(latest, now)} old (at most {_age(now - max_lag, now)} allowed)")


def check_newest_snapshot(snapshots: Iterable[dict[str, Any]], now: datetime,
                          max_age: timedelta) -> Result:
    available = [s for s in snapshots
                 if s.get("Status") == "available" and s.get("SnapshotCreateTime")]
    if not available:
        return Result(FAIL, "newest snapshot", "the cluster has no available snapshot; "
                                               "check the backup window and retention")
    newest = max(available, key=lambda s: s["SnapshotCreateTime"])
    created = newest["SnapshotCreateTime"]
    verdict = PASS if now - created <= max_age else FAIL
    return Result(verdict, "newest snapshot",
                  f"{newest['DBClusterSnapshotIdentifier']} ({newest.get('SnapshotType')}) is "
                  f"{_age(created, now)} old (at most {_age(now - max_age, now)} allowed)")


def check_volume_policies(policies: list[dict[str, Any]]) -> Result:
    tag = f"{BACKUP_TAG_KEY}={BACKUP_TAG_VALUE}"
    if not policies:
        return Result(FAIL, "volume backups", f"no lifecycle policy snapshots volumes tagged "
                                              f"{tag}; deploy the stack")
    enabled = [p["PolicyId"] for p in policies if p.get("State") == "ENABLED"]
    if enabled:
        return Result(PASS, "volume backups", f"{', '.join(enabled)} ENABLED for volumes "
                                              f"tagged {tag}")
    states = ", ".join(f"{p['PolicyId']} is {p.get('State')}" for p in policies)
    return Result(FAIL, "volume backups", f"{states}; an ERROR state usually means its role "
                                          "lost a permission")


# --- the run ---

def verify(session: boto3.session.Session, stack: str, region: str, thresholds: Thresholds,
           cluster_id: str | None = None, max_attempts: int = DEFAULT_MAX_ATTEMPTS,
           now: datetime | None = None) -> list[Result]:
    now = now or datetime.now(timezone.utc)
    config = Config(retries={"mode": "standard", "total_max_attempts": max_attempts},
                    connect_timeout=5, read_timeout=30)
    rds = session.client("rds", region_name=region, config=config)
    dlm = session.client("dlm", region_name=region, config=config)
    results = _database_results(rds, stack, region, thresholds, cluster_id, now)
    try:
        results.append(check_volume_policies(volume_backup_policies(dlm)))
    except NotChecked as reason:
        results.append(Result(NOT_CHECKED, "volume backups", str(reason)))
    return results


def _database_results(rds, stack: str, region: str, thresholds: Thresholds,
                      cluster_id: str | None, now: datetime) -> list[Result]:
    dependent = ("retention", "point-in-time restore", "newest snapshot")
    try:
        cluster = find_cluster(rds, stack, cluster_id, region)
    except (Missing, NotChecked) as problem:
        status = FAIL if isinstance(problem, Missing) else NOT_CHECKED
        return [Result(status, "cluster", str(problem)),
                *[Result(NOT_CHECKED, name, "no cluster to check") for name in dependent]]
    results = [check_cluster(cluster),
               check_retention(cluster, thresholds.min_retention_days),
               check_restorable_time(cluster, now, thresholds.max_restore_lag)]
    try:
        snapshots = cluster_snapshots(rds, cluster["DBClusterIdentifier"])
        results.append(check_newest_snapshot(snapshots, now, thresholds.max_snapshot_age))
    except NotChecked as reason:
        results.append(Result(NOT_CHECKED, "newest snapshot", str(reason)))
    return results


def stack_minimum_retention(config: dict[str, str]) -> int:
    """The retention the stack promises: its backupRetentionDays, and 7 at least in prod."""
    values = {}
    for key in ("environment", "backupRetentionDays"):
        setting = SETTINGS_BY_KEY[key]
        raw = config.get(namespaced(key))
        try:
            values[key] = setting.parse(raw) if raw is not None else setting.default_for("dev")
        except ValueError as error:
            raise OpsError(f"{namespaced(key)} in the stack file: {error}") from None
    if values["environment"] == "prod":
        return max(values["backupRetentionDays"], PROD_MIN_BACKUP_RETENTION_DAYS)
    return values["backupRetentionDays"]


def exit_code(results: list[Result], allow_not_checked: bool) -> int:
    statuses = {result.status for result in results}
    if FAIL in statuses or (NOT_CHECKED in statuses and not allow_not_checked):
        return EXIT_FAILED
    return EXIT_OK


def summary_line(results: list[Result], allow_not_checked: bool) -> str:
    counts = {status: sum(r.status == status for r in results)
              for status in (PASS, FAIL, NOT_CHECKED)}
    verdict = "OK" if exit_code(results, allow_not_checked) == EXIT_OK else "NOT OK"
    note = ("" if not counts[NOT_CHECKED] or allow_not_checked
            else " (a check that could not run fails the run; see --allow-not-checked)")
    return (f"{len(results)} checks: {counts[PASS]} passed, {counts[FAIL]} failed, "
            f"{counts[NOT_CHECKED]} not checked -> {verdict}{note}")


def run(args: argparse.Namespace) -> int:
    stack_file = read_stack_file(args.stack)
    thresholds = Thresholds(
        min_retention_days=args.min_retention_days or stack_minimum_retention(stack_file.config),
        max_restore_lag=timedelta(minutes=args.max_restore_lag_minutes),
        max_snapshot_age=timedelta(hours=args.max_snapshot_age_hours))
    try:
        results = verify(boto3.session.Session(), args.stack, stack_file.region, thresholds,
                         args.cluster_id, args.max_attempts)
    except BotoCoreError as error:
        # API calls report their own failures as check lines; what escapes is the setup:
        # an unknown profile, unreadable credentials or config.
        raise OpsError(f"cannot set up AWS access: {error}; check AWS_PROFILE, the "
                       "credentials and the region") from None
    print(f"verify-backups: stack {args.stack}, {stack_file.region}")
    for result in results:
        print(result.line())
    print(summary_line(results, args.allow_not_checked))
    return exit_code(results, args.allow_not_checked)

