"""The floor for `ops preview`: a bare Pulumi mock run that registers what a preview did.

`venv/bin/python benchmarks/bare_mock_run.py PLAN.json [--untyped]`, PLAN written by
`ops preview --json`. It registers the same resources, with the same types, names,
parents and inputs, under the SDK's own mocks, as any Pulumi program using those types
would: through the provider SDK's classes (`pulumi_aws.ec2.Vpc(...)`), which is what
importing and typing the resources costs. No project code, no config, no policy pack, no
report. `--untyped` registers plain `pulumi.CustomResource`s instead (the modules are
still imported): a lower floor than any real program has, kept for comparison.
`benchmarks/run_all.py` compares these processes with the preview.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any, Callable

# The one piece of the project the floor takes: the preview's collector setting (standard
# library only), set before the SDKs are imported as `python -m ops preview` sets it, so
# that the two processes are compared on their work, not on how often the collector runs.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ops.lib import collector  # noqa: E402

gc.set_threshold(collector.ALLOCATIONS_PER_PASS, *gc.get_threshold()[1:])

import pulumi  # noqa: E402
from pulumi import _types  # noqa: E402
from pulumi.runtime.rpc import (  # noqa: E402
    _special_asset_sig, _special_secret_sig, _special_sig_key)
from pulumi.runtime.stack import run_pulumi_func  # noqa: E402
from pulumi.runtime.sync_await import _sync_await  # noqa: E402

STACK_TYPE = "pulumi:pulumi:Stack"


class EchoMocks(pulumi.runtime.Mocks):
    """Every resource's state is its inputs; no invokes are made."""

    def __init__(self) -> None:
        self.inputs: dict[str, dict] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.inputs[args.name] = dict(args.inputs)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        return {}


def sdk_class(resource_type: str) -> tuple[type, Any]:
    """`aws:ec2/vpc:Vpc` -> (`pulumi_aws.ec2.Vpc`, its module); `random:index/...` ->
    `pulumi_random`. pulumi_aws imports its modules lazily, on first attribute access:
    taking the class is what a program pays for using the type."""
    package, module_and_name, class_name = resource_type.split(":")
    module_name = module_and_name.split("/")[0]
    module = importlib.import_module(
        f"pulumi_{package}" if module_name == "index" else f"pulumi_{package}.{module_name}")
    return getattr(module, class_name), module


def keyword_names(cls: type, module: Any) -> Callable[[str], str]:
    """Wire name (`cidrBlock`) -> the class's keyword argument (`cidr_block`); nested
    values keep their wire names, which the SDK passes through unchanged."""
    args_class = getattr(module, f"{cls.__name__}Args", None)
    known = ({wire: py for py, wire in _types.input_type_py_to_pulumi_names(args_class).items()}
             if args_class is not None else {})
    return lambda wire: known.get(wire) or re.sub(r"(?<!^)(?=[A-Z])", "_", wire).lower()


def sdk_value(value: Any) -> Any:
    """A file asset as a program builds it (the plan holds its wire form)."""
    if isinstance(value, dict) and value.get(_special_sig_key) == _special_asset_sig:
        return pulumi.FileAsset(value["path"])
    return value


def registrar(resource_type: str, untyped: bool) -> Callable[..., pulumi.Resource]:
    if resource_type.startswith("chainlink:"):
        return lambda name, inputs, opts: pulumi.ComponentResource(resource_type, name, None, opts)
    cls, module = sdk_class(resource_type)
    if untyped:
        return lambda name, inputs, opts: pulumi.CustomResource(resource_type, name, inputs, opts)
    keyword = keyword_names(cls, module)
    return lambda name, inputs, opts: cls(
        name, opts=opts, **{keyword(key): sdk_value(value) for key, value in inputs.items()})


def register(resources: list[dict[str, Any]],
             registrars: dict[str, Callable[..., pulumi.Resource]]) -> None:
    by_urn: dict[str, pulumi.Resource] = {}
    for resource in resources:
        options = pulumi.ResourceOptions(parent=by_urn.get(resource["parent"]))
        by_urn[resource["urn"]] = registrars[resource["type"]](
            resource["name"], resource["inputs"], options)


def revealed(value: Any) -> Any:
    """The value in wire form with secret wrappers taken off (the SDK classes mark secret
    fields, the plan masks them)."""
    if isinstance(value, pulumi.FileAsset):
        return {"path": value.path, _special_sig_key: _special_asset_sig}
    if isinstance(value, dict):
        if value.get(_special_sig_key) == _special_secret_sig:
            return revealed(value.get("value"))
        return {key: revealed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [revealed(item) for item in value]
    return value


def unfaithful(resources: list[dict[str, Any]], mocks: EchoMocks) -> list[str]:
    """Names of resources whose registered inputs are not the plan's: a floor that
    registered something else would measure nothing."""
    return [r["name"] for r in resources if not r["type"].startswith("chainlink:")
            and revealed(mocks.inputs.get(r["name"])) != revealed(r["inputs"])]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plan", help="a document written by `ops preview --json`")
    parser.add_argument("--untyped", action="store_true",
                        help="register plain CustomResources, not the SDK's classes")
    args = parser.parse_args()
    with open(args.plan, encoding="utf-8") as file:
        plan = json.load(file)
    resources = [r for r in plan["resources"] if r["type"] != STACK_TYPE]
    registrars = {r["type"]: registrar(r["type"], args.untyped) for r in resources}
    mocks = EchoMocks()
    pulumi.runtime.set_mocks(mocks, project=plan["project"], stack=plan["stack"], preview=False)
    _sync_await(run_pulumi_func(lambda: register(resources, registrars)))
    differing = unfaithful(resources, mocks)
    if differing:
        print(f"registered inputs differ from the plan for {', '.join(differing[:5])}",
              file=sys.stderr)
        return 1
    kind = "plain CustomResources" if args.untyped else "SDK classes"
    print(f"registered {len(resources)} resources of {len(registrars)} types as {kind}")
    return 0


if __name__ == "__main__":
    exit_code = main()
    # As `python -m ops` does: the interpreter's final collections over every object
    # alive are skipped, so the two processes are compared on their work alone.
    gc.freeze()
    sys.exit(exit_code)
