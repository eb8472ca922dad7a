"""Containers started by EC2 user data must run as a named non-root user."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator, Mapping

from ..common.containers import ROOT_IMAGE_SCHEMA, ContainerRun, container_runs, has_root_tag, is_root_user, is_unresolved
from ..common.container_files import embedded_files, file_runs, non_root_built_images
from ..common.userdata import EC2_TYPES_WITH_USER_DATA, decode_user_data, inspection_problem, user_data_values
from ..model import Resource, ResourceRule


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    for value in user_data_values(resource.props):
        decoded = decode_user_data(value)
        if decoded is None:
            continue
        problem = inspection_problem(decoded)
        if problem:
            yield problem
        files = (*decoded.documents, *embedded_files(decoded.scripts))
        built_non_root = non_root_built_images(files, decoded.scripts)
        runs = [run for script in decoded.scripts for run in container_runs(script)]
        for run in (*runs, *file_runs(files)):
            if run.user is None and run.image in built_non_root:
                run = replace(run, user="(the Dockerfile's non-root USER)")
            yield from _run_findings(run, config["rootImageTagPattern"])


def _run_findings(run: ContainerRun, root_tag_pattern: str) -> Iterator[str]:
    where = f"user data: `{run.command}` of {run.image or 'an unnamed image'}"
    if run.privileged:
        yield f"{where} uses --privileged, which gives the container root on the host"
    if is_unresolved(run.user):
        yield f"{where} takes --user from {run.user!r}, which cannot be resolved here"
    elif run.user is None:
        yield f"{where} names no {_user_option(run)}, so it runs as the image's user, taken as root"
    elif is_root_user(run.user):
        yield f"{where} runs as {_user_option(run)} {run.user!r}, which is root"
    if has_root_tag(run.image, root_tag_pattern):
        yield f"{where} uses an image tag that runs as root"


def _user_option(run: ContainerRun) -> str:
    if run.command.startswith("compose"):
        return "`user`"
    return "`User=`" if run.command.startswith("quadlet") else "--user"


RULE = ResourceRule(
    name="aws-ec2-instance-disallow-root-containers",
    description=(
        "Containers started from EC2 user data (instances, launch templates, launch configurations) "
        "must run as an explicit non-root user, without --privileged, and not from a root image tag."
    ),
    remediation=(
        "Give every `docker run`/`docker create`/`podman run` an explicit non-root `--user UID:GID` "
        "(the Chainlink image's user is 14933:14933), drop `--privileged`, and use a release tag without `-root`."
    ),
    resource_types=EC2_TYPES_WITH_USER_DATA,
    config_schema=ROOT_IMAGE_SCHEMA,
    check=check,
)
