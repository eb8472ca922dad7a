"""Run the Pulumi program under Pulumi's mock runtime, with no CLI and no cloud account.

Every resource registration is recorded as the engine would see it: type, name, parent
and the inputs in wire form (camelCase keys, secrets wrapped in Pulumi's secret
signature). Invokes are answered with realistic data for the stack's account and region.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import runpy
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from ops.lib import collector, source_facts
from ops.lib.paths import PROJECT_ROOT
from ops.lib.stackfile import StackFile
from policies.rules.common.values import SECRET_SIGNATURE, SIGNATURE_KEY, is_secret_wire_value

STACK_TYPE = "pulumi:pulumi:Stack"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"


BOOTSTRAP_PROGRAM = PROJECT_ROOT / "bootstrap" / "account_bootstrap.py"


@dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]
    custom: bool
    protect: bool
    id: str = ""  # what the mock answered; references between resources carry it
    dependencies: tuple[str, ...] = ()  # URNs the engine would wait for (depends_on, inputs)


@dataclass
class ProgramRun:
    project: str
    stack: str
    resources: list[RecordedResource]
    outputs: dict[str, Any] = field(default_factory=dict)  # wire form, secrets wrapped

    def of_type(self, resource_type: str) -> list[RecordedResource]:
        return [resource for resource in self.resources if resource.type == resource_type]


def unwrap_secrets(value: Any) -> Any:
    """The plain value, secrets revealed: for assertions on what the engine would store."""
    if is_secret_wire_value(value):
        return unwrap_secrets(value.get("value"))
    if isinstance(value, dict):
        return {key: unwrap_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(item) for item in value]
    return value


def _integral_numbers(value: Any) -> Any:
    """protobuf Structs carry every number as a double; give whole numbers back as ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral_numbers(item) for item in value]
    return value


def wire_form(struct: Any) -> dict[str, Any]:
    return _integral_numbers(json_format.MessageToDict(struct))


# The offline account's zones: names a-d map to these ids (as a real account maps them).
ZONE_IDS = ("use1-az1", "use1-az2", "use1-az4", "use1-az6")


def _short_hash(*parts: str, length: int = 8) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


class OfflineMocks(pulumi.runtime.Mocks):
    """Answers the program's resource registrations and invokes for one account/region."""

    # Which zones getInstanceTypeOfferings reports for any type (tests narrow it).
    zone_ids_offering: tuple[str, ...] = ZONE_IDS

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region

    # -- invokes --

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        answer = self._invoke_answers().get(args.token)
        if answer is None:
            raise NotImplementedError(
                f"the offline preview has no answer for invoke {args.token}; "
                "add one to OfflineMocks in ops/lib/offline.py")
        return answer(args.args)

    def _invoke_answers(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "aws:index/getCallerIdentity:getCallerIdentity": lambda _: {
                "accountId": self.account_id, "id": self.account_id,
                "arn": f"arn:aws:sts::{self.account_id}:assumed-role/chainlink-node-deployer/pulumi",
                "userId": "AROAOFFLINEPREVIEW:pulumi"},
            "aws:index/getRegion:getRegion": lambda _: {
                "region": self.region, "name": self.region, "id": self.region,
                "endpoint": f"ec2.{self.region}.amazonaws.com",
                "description": f"offline preview of {self.region}"},
            "aws:index/getPartition:getPartition": lambda _: self._partition(),
            "aws:index/getAvailabilityZones:getAvailabilityZones": lambda _: {
                "id": self.region,
                "names": [f"{self.region}{letter}" for letter in "abcd"],
                "zoneIds": list(ZONE_IDS),
                "groupNames": [self.region] * 4},
            "aws:ssm/getParameter:getParameter": self._ssm_parameter,
            "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings":
                self._instance_type_offerings,
        }

    def _instance_type_offerings(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every zone offers every type, unless a test says otherwise."""
        types = [value for item in args.get("filters", []) if item.get("name") == "instance-type"
                 for value in item.get("values", [])]
        zone_ids = self.zone_ids_offering
        return {"id": self.region, "instanceTypes": [t for t in types for _ in zone_ids],
                "locations": [z for _ in types for z in zone_ids],
                "locationTypes": ["availability-zone-id"] * (len(types) * len(zone_ids))}

    def _partition(self) -> dict[str, Any]:
        """As AWS answers: GovCloud and China regions are partitions of their own."""
        if self.region.startswith("us-gov-"):
            partition, suffix = "aws-us-gov", "amazonaws.com"
        elif self.region.startswith("cn-"):
            partition, suffix = "aws-cn", "amazonaws.com.cn"
        else:
            partition, suffix = "aws", "amazonaws.com"
        return {"partition": partition, "dnsSuffix": suffix, "id": partition,
                "reverseDnsPrefix": ".".join(reversed(suffix.split(".")))}

    def _ssm_parameter(self, args: dict[str, Any]) -> dict[str, Any]:
        name = args["name"]
        value = f"ami-0{_short_hash(name, length=16)}" if "/ami-" in name else "offline-value"
        return {"id": name, "name": name, "type": "String", "value": value, "version": 1,
                "arn": f"arn:aws:ssm:{self.region}::parameter{name}",
                "insecureValue": value, "withDecryption": True}

    # -- resources --

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == STACK_REFERENCE_TYPE:
            return args.name, {"name": args.name, "outputs": self._bootstrap_outputs(),
                               "secretOutputNames": []}
        if not args.custom:
            return "", {}
        resource_id = f"{args.name}-{_short_hash(args.typ, args.name)}"
        state = dict(args.inputs)
        if "name" not in state:
            prefix = state.get("namePrefix")
            state["name"] = f"{prefix}{_short_hash(resource_id)}" if prefix else resource_id
        state.update(self._computed_attributes(args.typ, resource_id, state))
        return resource_id, state

    def _bootstrap_outputs(self) -> dict[str, Any]:
        """What the account's bootstrap stack exports, for the node stack's StackReference:
        the names come from the bootstrap program itself (tests compare with its run)."""
        boundary = source_facts.constant(BOOTSTRAP_PROGRAM, "BOUNDARY_POLICY_NAME")
        return {"permissionsBoundaryArn": f"arn:aws:iam::{self.account_id}:policy/{boundary}"}

    def _computed_attributes(self, resource_type: str, resource_id: str,
                             state: dict[str, Any]) -> dict[str, Any]:
        service = resource_type.split(":")[1].split("/")[0]
        computed: dict[str, Any] = {
            "arn": f"arn:aws:{service}:{self.region}:{self.account_id}:{resource_id}"}
        if resource_type == "aws:kms/key:Key":
            key_id = _uuid_like(resource_id)
            computed.update(keyId=key_id,
                            arn=f"arn:aws:kms:{self.region}:{self.account_id}:key/{key_id}")
        elif resource_type == "aws:secretsmanager/secret:Secret":
            # AWS's own shape (":secret:" before the name): without it the mock ARN reads
            # like a Telegram bot token to the policy pack's secret scanner.
            computed["arn"] = (f"arn:aws:secretsmanager:{self.region}:{self.account_id}"
                               f":secret:{resource_id}")
        elif resource_type == "aws:cloudwatch/logGroup:LogGroup":
            computed["arn"] = (f"arn:aws:logs:{self.region}:{self.account_id}"
                               f":log-group:{state['name']}")
        elif resource_type in ("aws:iam/role:Role", "aws:iam/instanceProfile:InstanceProfile",
                               "aws:iam/policy:Policy"):
            kind = {"Role": "role", "InstanceProfile": "instance-profile",
                    "Policy": "policy"}[resource_type.rsplit(":", 1)[1]]
            computed.update(arn=f"arn:aws:iam::{self.account_id}:{kind}/{state['name']}",
                            uniqueId=f"AROA{_short_hash(resource_id, length=16).upper()}")
        elif resource_type == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            host = str(state.get("url", "")).removeprefix("https://")
            computed["arn"] = f"arn:aws:iam::{self.account_id}:oidc-provider/{host}"
        elif resource_type == "random:index/randomId:RandomId":
            digest = _short_hash(resource_id, length=2 * int(state.get("byteLength", 4)))
            computed = {"hex": digest, "dec": str(int(digest, 16))}
        elif resource_type == "aws:cloudwatch/metricAlarm:MetricAlarm":
            computed["arn"] = (f"arn:aws:cloudwatch:{self.region}:{self.account_id}"
                               f":alarm:{state['name']}")
        elif resource_type == "aws:ec2/launchTemplate:LaunchTemplate":
            computed.update(latestVersion=1, defaultVersion=1)
        elif resource_type in ("aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup"):
            computed.update(self._elb_attributes(resource_type, resource_id, state))
        elif resource_type == "aws:autoscaling/group:Group":
            computed["arn"] = (f"arn:aws:autoscaling:{self.region}:{self.account_id}:autoScalingGroup"
                               f":{_uuid_like(resource_id)}:autoScalingGroupName/{state['name']}")
        elif resource_type == "aws:s3/bucket:Bucket":
            bucket = state.get("bucket") or resource_id  # an explicit name wins, as in AWS
            computed.update(arn=f"arn:aws:s3:::{bucket}", bucket=bucket)
        elif resource_type == "aws:ec2/eip:Eip":
            # Documentation range (RFC 5737): plausible, never someone's address.
            computed.update(allocationId=resource_id,
                            publicIp=f"203.0.113.{int(_short_hash(resource_id), 16) % 254 + 1}")
        elif resource_type == "aws:rds/cluster:Cluster":
            identifier = state.get("clusterIdentifier", resource_id)
            computed.update(
                clusterIdentifier=identifier,
                arn=f"arn:aws:rds:{self.region}:{self.account_id}:cluster:{identifier}",
                endpoint=f"{identifier}.cluster-offline.{self.region}.rds.amazonaws.com",
                readerEndpoint=f"{identifier}.cluster-ro-offline.{self.region}.rds.amazonaws.com")
            if state.get("manageMasterUserPassword"):
                computed["masterUserSecrets"] = [{
                    "secretArn": f"arn:aws:secretsmanager:{self.region}:{self.account_id}"
                                 f":secret:rds!cluster-{_uuid_like(resource_id)}-AbCdEf",
                    "secretStatus": "active", "kmsKeyId": state.get("masterUserSecretKmsKeyId")}]
        elif resource_type == "aws:rds/clusterInstance:ClusterInstance":
            identifier = state.get("identifier", resource_id)
            computed.update(
                identifier=identifier,
                arn=f"arn:aws:rds:{self.region}:{self.account_id}:db:{identifier}",
                endpoint=f"{identifier}.offline.{self.region}.rds.amazonaws.com")
        elif resource_type == "aws:iam/serviceLinkedRole:ServiceLinkedRole":
            computed.update(arn=_service_linked_role_arn(self.account_id, state))
        return computed

    def _elb_attributes(self, resource_type: str, resource_id: str,
                        state: dict[str, Any]) -> dict[str, Any]:
        """ARN, its suffix (what CloudWatch dimensions use) and, for load balancers, DNS."""
        if resource_type.endswith("TargetGroup"):
            suffix = f"targetgroup/{state['name']}/{_short_hash(resource_id, length=16)}"
            return {"arn": f"arn:aws:elasticloadbalancing:{self.region}:{self.account_id}:{suffix}",
                    "arnSuffix": suffix}
        kind = "net" if state.get("loadBalancerType") == "network" else "app"
        suffix = f"{kind}/{state['name']}/{_short_hash(resource_id, length=16)}"
        scheme = "internal-" if state.get("internal") else ""
        return {"arn": (f"arn:aws:elasticloadbalancing:{self.region}:{self.account_id}"
                        f":loadbalancer/{suffix}"),
                "arnSuffix": suffix, "zoneId": "Z35SXDOTRQ7X7K",
                "dnsName": f"{scheme}{state['name']}-{_short_hash(resource_id)}"
                           f".{self.region}.elb.amazonaws.com"}


# Service-linked role names AWS derives from the service (the rest: its title-cased prefix).
_SERVICE_LINKED_ROLE_NAMES = {"autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling"}


def _service_linked_role_arn(account_id: str, state: dict[str, Any]) -> str:
    service = state["awsServiceName"]
    role = _SERVICE_LINKED_ROLE_NAMES.get(
        service, "AWSServiceRoleFor" + service.split(".")[0].title().replace("-", ""))
    if state.get("customSuffix"):
        role += f"_{state['customSuffix']}"
    return f"arn:aws:iam::{account_id}:role/aws-service-role/{service}/{role}"


def _uuid_like(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, also keeping each registration as the engine receives it."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine leaves the root stack out of its children's type chains; the SDK's
        # mock does not, which would give URNs no real deployment ever has.
        if parent and parent.split("::")[2] == STACK_TYPE:
            parent = ""
        return super().make_urn(parent, type_, name)

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != STACK_TYPE:
            self.recorded.append(RecordedResource(
                urn=response.urn, type=request.type, name=request.name,
                parent=request.parent or None, inputs=wire_form(request.object),
                custom=bool(request.custom), protect=bool(request.protect), id=response.id,
                dependencies=tuple(request.dependencies)))
        return response


@contextmanager
def _program_environment(stack_file: StackFile, program_dir: Path) -> Iterator[None]:
    """Config the way the Pulumi language host passes it: PULUMI_CONFIG and its secret keys."""
    saved = {name: os.environ.get(name)
             for name in ("PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS")}
    os.environ["PULUMI_CONFIG"] = json.dumps(stack_file.config)
    os.environ["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(sorted(stack_file.secret_keys))
    sys.path.insert(0, str(program_dir))
    try:
        yield
    finally:
        sys.path.remove(str(program_dir))
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


async def _resolved_outputs(outputs: dict[str, Any]) -> dict[str, Any]:
    resolved = {}
    for name, value in outputs.items():
        output = pulumi.Output.from_input(value)
        plain = await output.future()
        secret = await output.is_secret()
        plain = json.loads(json.dumps(plain, default=str))
        resolved[name] = ({SIGNATURE_KEY: SECRET_SIGNATURE, "value": plain}
                          if secret else plain)
    return resolved


def run_program(stack_file: StackFile, program_dir: Path = PROJECT_ROOT) -> ProgramRun:
    """Run `__main__.py` once under mocks and return everything it registered.

    Exceptions from the program (a RunError for bad config, say) propagate unchanged.
    """
    program = str(program_dir / "__main__.py")
    with _program_environment(stack_file, program_dir):
        return run_under_mocks(lambda: runpy.run_path(program, run_name="__main__"),
                               project=stack_file.project, stack=stack_file.stack,
                               account_id=stack_file.account_id, region=stack_file.region)


def run_under_mocks(build: Callable[[], Any], project: str, stack: str,
                    account_id: str = "123456789012", region: str = "us-east-1") -> ProgramRun:
    """Run `build` (a program, or one tier on its own) under the mock runtime.

    Returns every registration and the stack outputs `build` exported.
    """
    monitor = RecordingMonitor(OfflineMocks(account_id, region))
    # A run that failed leaves its pending outputs and RPCs behind, bound to its closed
    # loop; the next run in the process would wait on them.
    with pulumi_settings.SETTINGS.lock:
        pulumi_settings.SETTINGS.outputs.clear()
    pulumi_settings.SETTINGS.rpc_manager.clear()
    with _own_event_loop(), collector.fewer_passes():
        pulumi_settings.ROOT.set(None)
        pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack,
                                 preview=False, monitor=monitor)
        _sync_await(run_pulumi_func(build))
        root = pulumi_settings.get_root_resource()
        outputs = _sync_await(_resolved_outputs(dict(root.outputs))) if root else {}
    return ProgramRun(project, stack, monitor.recorded, outputs)


@contextmanager
def _own_event_loop() -> Iterator[None]:
    """A fresh event loop for one run, closed with its executor's loops afterwards.

    The SDK answers mock RPCs on executor threads that each need an event loop. Left to
    the garbage collector, those loops and their sockets are finalised in arbitrary order
    ("Invalid file descriptor" noise); here each thread gets a loop we close ourselves.
    """
    thread_loops: list[asyncio.AbstractEventLoop] = []

    def give_thread_a_loop() -> None:
        thread_loop = asyncio.new_event_loop()
        asyncio.set_event_loop(thread_loop)
        thread_loops.append(thread_loop)  # list.append is atomic

    loop = asyncio.new_event_loop()
    loop.set_default_executor(ThreadPoolExecutor(initializer=give_thread_a_loop))
    asyncio.set_event_loop(loop)
    try:
        yield
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        for thread_loop in thread_loops:
            thread_loop.close()
        asyncio.set_event_loop(None)
        loop.close()
