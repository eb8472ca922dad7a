"""The component kit: every tier registers exactly the outputs it declares."""

from __future__ import annotations

import dataclasses
import importlib
import json
import pkgutil
import re
import sys
import types

import pulumi
import pulumi_aws as aws
import pytest

import components
from components.aws_context import AwsContext
from components.chains import ChainSpec, RpcNode, resolve_chain
from components.interfaces import (DatabaseConnection, HostLogGroups, NodeSecretAccess,
                                   VpcPlacement)
from components.kit import TierComponent
from components.load_balancer import NodeLoadBalancer, NodeLoadBalancerArgs
from components.node import ChainlinkNode, ChainlinkNodeArgs
from components.p2p import PeerLoadBalancer, PeerLoadBalancerArgs
from ops.lib.offline import ProgramRun, run_program, unwrap_secrets
from ops.lib.stackfile import PROJECT_ROOT, read_stack_file
from tests.conftest import run_under_mocks, with_overrides

# Every optional tier switched on, so one run builds them all.
EVERY_TIER = {"bastionEnabled": "true", "p2pEnabled": "true", "devOpsGuruEnabled": "true"}
# The runs the `registrations` fixture made: dev and prod (every tier on), and the bootstrap.
RUNS: dict[str, ProgramRun] = {}


def _declared(cls: type) -> set[str]:
    """Read off the class body: the public annotated attributes (not the type token)."""
    return {attribute for klass in cls.__mro__
            for attribute in vars(klass).get("__annotations__", {})
            if not attribute.startswith("_") and attribute != "TYPE"}


def _is_resource(value: object) -> bool:
    """A resource (or a list of them) handed to siblings, e.g. for `depends_on`."""
    if isinstance(value, list) and value:
        return all(isinstance(item, pulumi.Resource) for item in value)
    return isinstance(value, pulumi.Resource)


def _tier_classes() -> set[type]:
    for module in pkgutil.iter_modules(components.__path__):
        importlib.import_module(f"components.{module.name}")
    found, todo = set(), list(TierComponent.__subclasses__())
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


@pytest.fixture(scope="module")
def registrations() -> dict[str, list[tuple[TierComponent, dict]]]:
    """Type token -> the output names each of its instances registered, over both stacks
    with every optional tier on, and the bootstrap's dev stack."""
    seen: dict[str, list[tuple[TierComponent, dict]]] = {}
    original = TierComponent.register_outputs

    def recording(self, outputs):
        seen.setdefault(type(self).TYPE, []).append((self, dict(outputs)))
        return original(self, outputs)

    patch = pytest.MonkeyPatch()
    patch.setattr(TierComponent, "register_outputs", recording)
    try:
        for stack in ("dev", "prod"):
            RUNS[stack] = run_program(with_overrides(read_stack_file(stack), EVERY_TIER))
        RUNS["bootstrap"] = run_program(read_stack_file("dev", PROJECT_ROOT / "bootstrap"),
                                        PROJECT_ROOT / "bootstrap")
    finally:
        patch.undo()
    return seen


def test_every_tier_and_the_account_bootstrap_use_the_kit(registrations):
    tiers = {cls.TYPE for cls in _tier_classes()} | {"chainlink:index:AccountBootstrap"}
    assert set(registrations) == tiers
    assert len(tiers) == 13


def test_each_tier_registers_exactly_the_outputs_it_declares(registrations):
    """Judged on the instances: every declared attribute that holds a value (an Output, a
    list of them, or a plain value) is registered, and nothing else; a declared resource
    handed to siblings is not an output."""
    for token, registered in registrations.items():
        for instance, outputs in registered:
            declared = _declared(type(instance))
            values = {name: getattr(instance, name) for name in declared}
            expected = {name for name, value in values.items() if not _is_resource(value)}
            assert set(outputs) == expected, token
            assert all(outputs[name] is values[name] for name in outputs), token


def test_network_registers_all_eight_of_its_outputs(registrations):
    (network, outputs), *_ = registrations["chainlink:index:Network"]
    assert list(outputs) == ["vpc_id", "vpc_cidr", "availability_zones", "public_subnet_ids",
                             "private_subnet_ids", "nat_gateway_ids", "private_route_table_ids",
                             "flow_log_group_name"]
    assert "internet_access" not in outputs and network.internet_access


def test_a_declared_output_the_tier_never_sets_is_an_error():
    class Forgetful(TierComponent):
        TYPE = "chainlink:index:Forgetful"
        set_one: pulumi.Output[str]
        never_set: pulumi.Output[str]

        def _build(self, name: str, args: None) -> None:
            self.set_one = pulumi.Output.from_input("x")

    with pytest.raises(Exception, match="never_set"):
        run_under_mocks(lambda: Forgetful("forgetful", None))


def test_stateful_children_are_protected_only_when_the_tier_is_asked_to():
    class Tier(TierComponent):
        TYPE = "chainlink:index:Tier"

        def _build(self, name: str, args: types.SimpleNamespace) -> None:
            aws.s3.Bucket(f"{name}-state", opts=self._child(stateful=True))
            aws.s3.BucketPolicy(f"{name}-policy", bucket="b", policy="{}", opts=self._child())

    run = run_under_mocks(lambda: [Tier(f"t-{protect}", types.SimpleNamespace(protect=protect))
                                   for protect in (False, True)])
    protected = {r.name: r.protect for r in run.resources if r.custom}
    # The tier itself is never protected, so an unmarked child inherits nothing.
    assert protected == {"t-False-state": False, "t-False-policy": False,
                         "t-True-state": True, "t-True-policy": False}
    assert {r.parent.rsplit("::", 1)[1] for r in run.resources if r.custom} == {"t-False", "t-True"}


def test_a_stateful_child_of_args_without_protect_is_an_error():
    class Careless(TierComponent):
        TYPE = "chainlink:index:Careless"

        def _build(self, name: str, args: types.SimpleNamespace) -> None:
            aws.s3.Bucket(f"{name}-state", opts=self._child(stateful=True))

    with pytest.raises(Exception, match="Careless: a stateful child needs a `protect` field"):
        run_under_mocks(lambda: Careless("careless", types.SimpleNamespace()))


def _kind(urn_or_type: str) -> str:
    return urn_or_type.split("::")[2].rsplit("$", 1)[-1]


# What the real program protects in prod (protectData on), per (tier, child type).
PROD_PROTECTED = {
    ("chainlink:index:Database", "aws:cloudwatch/logGroup:LogGroup"): 1,
    ("chainlink:index:Database", "aws:rds/cluster:Cluster"): 1,
    ("chainlink:index:Database", "aws:rds/clusterInstance:ClusterInstance"): 2,
    ("chainlink:index:DevOpsGuru", "aws:kms/key:Key"): 1,
    ("chainlink:index:Encryption", "aws:kms/key:Key"): 1,
    ("chainlink:index:NodeLogs", "aws:cloudwatch/logGroup:LogGroup"): 3,
    ("chainlink:index:PeerLoadBalancer", "aws:ec2/eip:Eip"): 3,
    ("chainlink:index:Secrets", "aws:kms/key:Key"): 1,
    ("chainlink:index:Secrets", "aws:secretsmanager/secret:Secret"): 3,
    ("chainlink:index:Secrets", "aws:secretsmanager/secretVersion:SecretVersion"): 1,
}
BOOTSTRAP_PROTECTED = {
    ("chainlink:index:AccountBootstrap", "aws:iam/policy:Policy"): 1,
    ("chainlink:index:AccountBootstrap", "aws:kms/key:Key"): 2,
    ("chainlink:index:AccountBootstrap", "aws:s3/bucket:Bucket"): 1,
}


@pytest.mark.parametrize("run_name, protected", [
    ("dev", {}), ("prod", PROD_PROTECTED), ("bootstrap", BOOTSTRAP_PROTECTED)])
def test_the_programs_children_carry_parent_and_protect(registrations, run_name, protected):
    run = RUNS[run_name]
    tiers = {r.urn for r in run.resources if r.type.startswith("chainlink:index:")}
    custom = [r for r in run.resources if r.custom]
    # Every resource hangs below a tier, none straight off the stack; tiers are never protected.
    assert all(r.parent in tiers for r in custom), run_name
    assert not any(r.protect for r in run.resources if not r.custom)
    counted: dict[tuple[str, str], int] = {}
    for resource in custom:
        if resource.protect:
            key = (_kind(resource.parent), resource.type)
            counted[key] = counted.get(key, 0) + 1
    assert counted == protected


# --- what tiers hand each other ----------------------------------------------------------

def _names_in(cls: type, annotation: str) -> set[type]:
    """The classes an annotation string names (`X | None`, `list[X]`), looked up where the
    Args class is defined; dotted names (`pulumi.Input`) are never a tier."""
    namespace = vars(sys.modules[cls.__module__])
    return {namespace[word] for word in re.findall(r"(?<![.\w])[A-Z]\w*", annotation)
            if isinstance(namespace.get(word), type)}


def _tier_args_classes() -> list[type]:
    _tier_classes()  # imports every module
    return [cls for module in pkgutil.iter_modules(components.__path__)
            for cls in vars(importlib.import_module(f"components.{module.name}")).values()
            if isinstance(cls, type) and dataclasses.is_dataclass(cls)
            and cls.__name__.endswith("Args")
            and cls.__module__ == f"components.{module.name}"]


def test_no_tier_takes_a_sibling_tier_only_ids_arns_and_small_values():
    args_classes = _tier_args_classes()
    assert {"NodeLoadBalancerArgs", "PeerLoadBalancerArgs", "ChainlinkNodeArgs",
            "NetworkArgs", "DatabaseArgs"} <= {cls.__name__ for cls in args_classes}
    takes_a_tier = {
        f"{cls.__name__}.{field}": tier.__name__
        for cls in args_classes
        for field, annotation in cls.__annotations__.items()
        for tier in _names_in(cls, annotation) if issubclass(tier, pulumi.Resource)}
    assert takes_a_tier == {}


def test_the_load_balancers_and_the_node_go_into_a_vpc_another_project_made():
    """Plain ids of an existing VPC, as another project would pass them: nothing of this
    project's Network, Secrets, Database or NodeLogs tiers is needed."""
    placement = VpcPlacement(vpc_id="vpc-0existing", vpc_cidr="10.99.0.0/16",
                             public_subnet_ids=["subnet-pub-a", "subnet-pub-b"],
                             private_subnet_ids=["subnet-priv-a", "subnet-priv-b"])
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"

    def build() -> None:
        web = NodeLoadBalancer("web", NodeLoadBalancerArgs(
            placement=placement, remote_access_cidr="192.0.2.0/24"))
        peers = PeerLoadBalancer("p2p", PeerLoadBalancerArgs(placement=placement, port=9999))
        ChainlinkNode("node", ChainlinkNodeArgs(
            context=AwsContext.lookup(), placement=placement,
            secrets=NodeSecretAccess(
                key_arn="arn:aws:kms:us-east-1:123456789012:key/existing",
                autoscaling_service_role_arn="arn:aws:iam::123456789012:role/asg",
                api_credentials_secret_arn=arn + "api", keystore_password_secret_arn=arn + "ks",
                rpc_secret_arn=arn + "rpc"),
            database=DatabaseConnection(
                endpoint="db.cluster-x.us-east-1.rds.amazonaws.com", port=5432,
                database_name="chainlink", credentials_secret_arn=arn + "db",
                security_group_id="sg-0database"),
            logs=HostLogGroups(node_log_group_name="/existing/node",
                               node_log_group_arn="arn:aws:logs:us-east-1:123456789012:"
                                                  "log-group:/existing/node",
                               bootstrap_log_group_arn="arn:aws:logs:us-east-1:123456789012:"
                                                       "log-group:/existing/boot"),
            load_balancer=web.target, peer_load_balancer=peers.target,
            chainlink_version="2.29.0",
            chains=(ChainSpec(resolve_chain("1"), (RpcNode(
                "primary", "https://rpc.example", "wss://rpc.example"),)),),
            instance_type="m7i.large", volume_size_gb=40,
            cloudwatch_agent_config="{}", metrics_namespace="Chainlink/test"))

    run = run_under_mocks(build)
    inputs = {resource.name: resource.inputs for resource in run.resources if resource.custom}
    assert inputs["web-alb"]["subnets"] == ["subnet-priv-a", "subnet-priv-b"]
    assert inputs["p2p-nlb"]["subnetMappings"][0]["subnetId"] == "subnet-pub-a"
    assert {inputs[name]["vpcId"] for name in ("web-sg", "web-tg", "p2p-sg", "p2p-tg", "node-sg")} \
        == {"vpc-0existing"}
    assert inputs["node-asg"]["vpcZoneIdentifiers"] == ["subnet-priv-a", "subnet-priv-b"]
    assert inputs["node-database-access"]["securityGroupId"] == "sg-0database"
    policy = json.loads(unwrap_secrets(inputs["node-host-access"]["policy"]))
    (read_secrets,) = [s for s in policy["Statement"] if s["Sid"] == "ReadOwnSecrets"]
    assert read_secrets["Resource"] == [arn + "api", arn + "ks", arn + "rpc", arn + "db"]
