"""Every container of an ECS task definition must name a non-root user and not be privileged."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common.containers import ROOT_IMAGE_SCHEMA, has_root_tag, is_root_user
from ..common.ecs import TASK_DEFINITION, container_definitions, container_label
from ..common.values import flag
from ..model import Resource, ResourceRule


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    for index, container in enumerate(container_definitions(resource.props) or []):
        label = container_label(container, index)
        user = container.get("user")
        if user is None or user == "":
            yield f"{label} names no `user`, so it runs as the image's user, taken as root"
        elif isinstance(user, str) and is_root_user(user):
            yield f"{label} runs as user {user!r}, which is root"
        if flag(container.get("privileged")) is True:
            yield f"{label} is privileged, which gives it root on the host"
        image = container.get("image")
        if isinstance(image, str) and has_root_tag(image, config["rootImageTagPattern"]):
            yield f"{label} uses an image tag that runs as root"


RULE = ResourceRule(
    name="aws-ecs-task-definition-disallow-root-containers",
    description="Every container in an ECS task definition must set a non-root `user` and must not be `privileged`.",
    remediation=(
        "Set `user` to a non-root UID:GID in each container definition (14933:14933 for the Chainlink image), "
        "remove `privileged: true`, and use an image tag without `-root`."
    ),
    resource_types=frozenset({TASK_DEFINITION}),
    config_schema=ROOT_IMAGE_SCHEMA,
    check=check,
)
