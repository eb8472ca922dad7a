"""The component kit: every tier registers exactly the outputs it declares."""

from __future__ import annotations

import importlib
import pkgutil
import types

import pulumi
import pulumi_aws as aws
import pytest

import components
from components.kit import TierComponent
from ops.lib.offline import ProgramRun, run_program
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
