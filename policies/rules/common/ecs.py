"""ECS task definitions: `containerDefinitions` is a JSON string in Pulumi's inputs."""

from __future__ import annotations

import json
from typing import Any

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"


def container_definitions(props: dict) -> list[dict] | None:
    """The container definitions; None when they are secret, unknown or unreadable."""
    value: Any = props.get("containerDefinitions")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, list):
        return None
    return [container for container in value if isinstance(container, dict)]


def container_label(container: dict, index: int) -> str:
    name = container.get("name")
    return f"container {name!r}" if isinstance(name, str) and name else f"container #{index + 1}"
