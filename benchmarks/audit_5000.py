"""Benchmark: `python -m ops audit` over a generated 5,000-resource stack export.

Not a test. Run from the repository root:  python benchmarks/audit_5000.py [--resources N]
It writes the export into a temporary directory, runs the whole command as a new
process (interpreter start-up included) and prints the wall time. Target: under 3 s.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLOUD_CONFIG = (REPO / "tests" / "fixtures" / "node-host-cloud-config.yaml").read_text()
TARGET_SECONDS = 3.0
PROJECT = "chainlink-node-aws"
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:AAAA"}


def urn(stack: str, types: list[str], name: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{'$'.join(types)}::{name}"


def state(stack: str, parent: tuple[str, str] | None, resource_type: str, name: str, inputs: dict) -> dict:
    types = [parent[1], resource_type] if parent else [resource_type]
    return {
        "urn": urn(stack, types, name),
        "custom": True,
        "id": f"{name}-id",
        "type": resource_type,
        "inputs": inputs,
        "outputs": inputs,
        "parent": parent[0] if parent else None,
    }


def user_data(index: int) -> str:
    """A distinct node-host cloud-config per template, gzip-compressed every other time."""
    text = CLOUD_CONFIG.replace("2.19.0", f"2.19.{index}")
    data = gzip.compress(text.encode()) if index % 2 else text.encode()
    return base64.b64encode(data).decode()


def node_unit(stack: str, index: int) -> list[dict]:
    """Twenty resources shaped like one node deployment; every 10th has a short backup retention."""
    component_type = "chainlink:index:ChainlinkNode"
    component = {"urn": urn(stack, [component_type], f"node{index}"), "custom": False, "type": component_type,
                 "inputs": {}, "outputs": {}}
    tag = {"chainlink:backup": f"node{index}"}
    children = [
        ("aws:ec2/launchTemplate:LaunchTemplate", "lt", {
            "userData": user_data(index),
            "metadataOptions": {"httpTokens": "required"},
            "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": KEY_ARN}}],
            "tagSpecifications": [{"resourceType": "volume", "tags": tag}],
        }),
        ("aws:autoscaling/group:Group", "asg", {"minSize": 2, "maxSize": 2, "desiredCapacity": 2}),
        ("aws:dlm/lifecyclePolicy:LifecyclePolicy", "dlm", {"policyDetails": {"resourceTypes": ["VOLUME"], "targetTags": tag}}),
        ("aws:ebs/volume:Volume", "data", {"encrypted": True, "size": 50, "tags": tag}),
        ("aws:rds/cluster:Cluster", "db", {"storageEncrypted": True, "kmsKeyId": KEY_ARN, "deletionProtection": True,
                                           "backupRetentionPeriod": 1 if index % 10 == 0 else 7, "masterPassword": SECRET}),
        ("aws:rds/clusterInstance:ClusterInstance", "db-1", {"clusterIdentifier": f"node{index}-db"}),
        ("aws:rds/clusterInstance:ClusterInstance", "db-2", {"clusterIdentifier": f"node{index}-db"}),
        ("aws:kms/key:Key", "key", {"enableKeyRotation": True}),
        ("aws:secretsmanager/secret:Secret", "api", {"kmsKeyId": KEY_ARN}),
        ("aws:secretsmanager/secretVersion:SecretVersion", "api-v1", {"secretString": SECRET}),
        ("aws:cloudwatch/logGroup:LogGroup", "logs", {"kmsKeyId": KEY_ARN, "retentionInDays": 30}),
        ("aws:sns/topic:Topic", "alarms", {"kmsMasterKeyId": KEY_ARN}),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "cpu", {"threshold": 80, "comparisonOperator": "GreaterThanThreshold"}),
        ("aws:ec2/securityGroup:SecurityGroup", "sg", {"ingress": [
            {"protocol": "tcp", "fromPort": 6688, "toPort": 6688, "cidrBlocks": ["10.0.0.0/16"]}]}),
        ("aws:lb/listener:Listener", "https", {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}),
        ("aws:s3/bucket:Bucket", "bucket", {"bucket": f"node{index}-bucket"}),
        ("aws:s3/bucketVersioning:BucketVersioning", "bucket-versioning", {
            "bucket": f"node{index}-bucket", "versioningConfiguration": {"status": "Enabled"}}),
        ("aws:ssm/parameter:Parameter", "log-level", {"name": f"/node{index}/log-level", "type": "String", "value": "info"}),
        ("aws:ecs/taskDefinition:TaskDefinition", "task", {"containerDefinitions": json.dumps([
            {"name": "node", "image": "public.ecr.aws/chainlink/chainlink:2.19.0", "user": "14933",
             "environment": [{"name": "LOG_LEVEL", "value": "info"}],
             "secrets": [{"name": "API_PASSWORD", "valueFrom": "arn:aws:secretsmanager:eu-west-1:1:secret:api"}]}])}),
    ]
    parent = (component["urn"], component_type)
    return [component] + [
        state(stack, parent, resource_type, f"node{index}-{suffix}", inputs) for resource_type, suffix, inputs in children
    ]


def generate_export(count: int, stack: str = "bench") -> dict:
    units = itertools.chain.from_iterable(node_unit(stack, index) for index in itertools.count())
    return {"version": 3, "deployment": {"manifest": {"version": "v3.272.0"},
                                         "resources": list(itertools.islice(units, count))}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        export, report_path = Path(directory) / "export.json", Path(directory) / "report.json"
        export.write_text(json.dumps(generate_export(args.resources)))
        size = export.stat().st_size
        command = [sys.executable, "-m", "ops", "audit", str(export), "--json", str(report_path)]
        started = time.perf_counter()
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        child = resource.getrusage(resource.RUSAGE_CHILDREN)
        report = json.loads(report_path.read_text()) if result.returncode in (0, 1) else {}
    verdict = "within" if elapsed < TARGET_SECONDS else "OVER"
    print(f"ops audit over {report.get('resources', '?')} resources ({size / 1e6:.1f} MB): {elapsed:.2f} s wall ({child.ru_utime + child.ru_stime:.2f} s CPU, {child.ru_maxrss / 1024:.0f} MB), exit {result.returncode}, {len(report.get('violations', []))} violations; "
          f"{verdict} the {TARGET_SECONDS:.0f} s target")
    if result.returncode not in (0, 1):
        print(result.stderr, file=sys.stderr)
    return 0 if elapsed < TARGET_SECONDS and result.returncode in (0, 1) else 1


if __name__ == "__main__":
    sys.exit(main())
