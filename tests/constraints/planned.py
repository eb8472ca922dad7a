"""The planned resources of both node stacks and of the bootstrap project, as the engine
would receive them: type, name and wire-form inputs (camelCase keys), secrets revealed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ops.lib.offline import unwrap_secrets
from ops.lib.stackfile import PROJECT_ROOT, read_stack_file
from tests.conftest import cached_run, checked_in_stack_file

BOOTSTRAP_DIR = PROJECT_ROOT / "bootstrap"
# (label, project directory, stack name, config overrides): prod-optional switches on
# the tiers both checked-in stacks leave off, so that their resources are judged too.
PLANS = (("dev", PROJECT_ROOT, "dev", {}), ("prod", PROJECT_ROOT, "prod", {}),
         ("prod-optional", PROJECT_ROOT, "prod", {"p2pEnabled": "true",
                                                  "bastionEnabled": "true"}),
         ("bootstrap-dev", BOOTSTRAP_DIR, "dev", {}),
         ("bootstrap-prod", BOOTSTRAP_DIR, "prod", {}))
PLAN_LABELS = tuple(entry[0] for entry in PLANS)


@dataclass(frozen=True)
class Planned:
    type: str
    name: str
    inputs: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    label: str
    account_id: str
    region: str
    partition: str
    resources: tuple[Planned, ...]

    def of_type(self, resource_type: str) -> list[Planned]:
        return [resource for resource in self.resources if resource.type == resource_type]


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


@lru_cache(maxsize=None)
def plan(label: str) -> Plan:
    """One per process (xdist workers each make their own), from the run the other tests
    of the same stack and config read (cached_run)."""
    _, directory, stack, overrides = next(entry for entry in PLANS if entry[0] == label)
    stack_file = (checked_in_stack_file(stack) if directory == PROJECT_ROOT
                  else read_stack_file(stack, directory))
    if overrides:
        config = dict(stack_file.config)
        config.update({f"{stack_file.project}:{key}": value for key, value in overrides.items()})
        stack_file = dataclasses.replace(stack_file, config=config)
    run = cached_run(stack_file, directory)
    resources = tuple(Planned(r.type, r.name, unwrap_secrets(r.inputs))
                      for r in run.resources if r.custom)
    return Plan(label, stack_file.account_id, stack_file.region,
                _partition(stack_file.region), resources)
