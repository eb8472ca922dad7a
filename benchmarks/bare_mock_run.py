"""The floor for `ops preview`: a bare Pulumi mock run that registers what a preview did.

`venv/bin/python benchmarks/bare_mock_run.py PLAN.json`, PLAN written by
`ops preview --json`. It imports the pulumi_aws module of every resource type in the plan
(what any program using those types must import) and registers the same resources, with
the same types, names, parents and inputs, under the SDK's own mocks: no project code, no
config, no policy pack, no report. `benchmarks/run_all.py` compares the two processes.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

import pulumi
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

STACK_TYPE = "pulumi:pulumi:Stack"


class EchoMocks(pulumi.runtime.Mocks):
    """Every resource's state is its inputs; no invokes are made."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        return {}


def sdk_classes(resources: list[dict[str, Any]]) -> list[type]:
    """`aws:ec2/vpc:Vpc` -> `pulumi_aws.ec2.Vpc` (`random:index/...` -> `pulumi_random`).

    pulumi_aws imports its modules lazily, on first attribute access: taking the class is
    what a program pays for using the type.
    """
    classes = set()
    for resource in resources:
        package, module_and_name, class_name = resource["type"].split(":")
        if package != "chainlink":
            module_name = module_and_name.split("/")[0]
            module = importlib.import_module(
                f"pulumi_{package}" if module_name == "index" else f"pulumi_{package}.{module_name}")
            classes.add(getattr(module, class_name))
    return sorted(classes, key=lambda cls: cls.__module__)


def register(resources: list[dict[str, Any]]) -> None:
    by_urn: dict[str, pulumi.Resource] = {}
    for resource in resources:
        options = pulumi.ResourceOptions(parent=by_urn.get(resource["parent"]))
        if resource["type"].startswith("chainlink:"):
            registered: pulumi.Resource = pulumi.ComponentResource(
                resource["type"], resource["name"], None, options)
        else:
            registered = pulumi.CustomResource(resource["type"], resource["name"],
                                               resource["inputs"], options)
        by_urn[resource["urn"]] = registered


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as file:
        plan = json.load(file)
    resources = [r for r in plan["resources"] if r["type"] != STACK_TYPE]
    classes = sdk_classes(resources)
    pulumi.runtime.set_mocks(EchoMocks(), project=plan["project"], stack=plan["stack"],
                             preview=False)
    _sync_await(run_pulumi_func(lambda: register(resources)))
    print(f"registered {len(resources)} resources of {len(classes)} provider types")
    return 0


if __name__ == "__main__":
    sys.exit(main())
