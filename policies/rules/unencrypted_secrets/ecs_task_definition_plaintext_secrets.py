"""ECS container `environment` must not carry secrets; `secrets` with `valueFrom` is the place."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common.ecs import TASK_DEFINITION, container_definitions, container_label
from ..common.secrets import SECRET_NAME_SCHEMA, SecretNames, variable_findings
from ..common.values import items, text
from ..model import Resource, ResourceRule


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    names = SecretNames.from_config(config)
    for index, container in enumerate(container_definitions(resource.props) or []):
        label = container_label(container, index)
        for variable in items(container.get("environment")):
            if not isinstance(variable, dict):
                continue
            name, value = text(variable.get("name")) or "", text(variable.get("value"))
            if value is None:
                continue
            for finding in variable_findings(name, value, names):
                yield (f"{label} has {finding} in environment variable {name}" if finding
                       else f"{label} sets {name} to a literal value in `environment`")


RULE = ResourceRule(
    name="aws-ecs-task-definition-disallow-plaintext-secrets",
    description="ECS container `environment` entries must not hold plaintext secrets (ARNs and other references are fine).",
    remediation="Move the value to Secrets Manager or SSM SecureString and reference it from the container's `secrets` with `valueFrom`.",
    resource_types=frozenset({TASK_DEFINITION}),
    config_schema=SECRET_NAME_SCHEMA,
    check=check,
)
