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
from ops.lib.offline import run_program
from ops.lib.stackfile import PROJECT_ROOT, read_stack_file
from tests.conftest import run_under_mocks, with_overrides

# Every optional tier switched on, so one run builds them all.
EVERY_TIER = {"bastionEnabled": "true", "p2pEnabled": "true", "devOpsGuruEnabled": "true"}


def _declared(cls: type) -> set[str]:
    """Read off the class body: public annotations, but no resource handed to siblings."""
    names = set()
    for klass in cls.__mro__:
        for attribute, annotation in vars(klass).get("__annotations__", {}).items():
            if not attribute.startswith("_") and "ClassVar" not in str(annotation) \
                    and "Resource" not in str(annotation):
                names.add(attribute)
    return names


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
def registrations() -> dict[str, list[set[str]]]:
    """Type token -> the output names each of its instances registered, over both stacks
    with every optional tier on, and the bootstrap's dev stack."""
    seen: dict[str, list[set[str]]] = {}
    original = TierComponent.register_outputs

    def recording(self, outputs):
        seen.setdefault(type(self).TYPE, []).append(set(outputs))
        return original(self, outputs)

    patch = pytest.MonkeyPatch()
    patch.setattr(TierComponent, "register_outputs", recording)
    try:
        for stack in ("dev", "prod"):
            run_program(with_overrides(read_stack_file(stack), EVERY_TIER))
        run_program(read_stack_file("dev", PROJECT_ROOT / "bootstrap"), PROJECT_ROOT / "bootstrap")
    finally:
        patch.undo()
    return seen


def test_every_tier_and_the_account_bootstrap_use_the_kit(registrations):
    tiers = {cls.TYPE for cls in _tier_classes()} | {"chainlink:index:AccountBootstrap"}
    assert set(registrations) == tiers
    assert len(tiers) == 13


def test_each_tier_registers_exactly_the_outputs_it_declares(registrations):
    classes = {cls.TYPE: cls for cls in _tier_classes()}
    import account_bootstrap  # on sys.path once the bootstrap program ran
    classes["chainlink:index:AccountBootstrap"] = account_bootstrap.AccountBootstrap
    for token, registered in registrations.items():
        for outputs in registered:
            assert outputs == _declared(classes[token]), token


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
