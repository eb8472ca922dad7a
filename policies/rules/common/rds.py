"""RDS instances and clusters share the rules; read replicas follow their source."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..model import Resource, ResourceRule
from .values import flag, shown

INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
INSTANCES_AND_CLUSTERS = frozenset({INSTANCE, CLUSTER})

_REPLICA_SOURCE_FIELD = {INSTANCE: "replicateSourceDb", CLUSTER: "replicationSourceIdentifier"}


def is_read_replica(resource: Resource) -> bool:
    """A replica names its source; an unknown source (preview) still makes it a replica."""
    source = resource.props.get(_REPLICA_SOURCE_FIELD.get(resource.type, ""))
    return source is not None and source != ""


def kind(resource: Resource) -> str:
    return "cluster" if resource.type == CLUSTER else "instance"


def setting_rule(
    *, name: str, description: str, remediation: str, field: str, required: bool, consequence: str
) -> ResourceRule:
    """A rule that a database (not a replica: it follows its source) sets boolean `field` to `required`.

    An absent `field` counts as false, AWS's default for all of them. `consequence`
    may name the database's kind as `{kind}`.
    """

    def check(resource: Resource, config: Mapping) -> Iterator[str]:
        value = resource.props.get(field)
        if not is_read_replica(resource) and flag(value) is (not required):
            yield f"`{field}` is {shown(value)}: {consequence.format(kind=kind(resource))}"

    return ResourceRule(
        name=name,
        description=description,
        remediation=remediation,
        resource_types=INSTANCES_AND_CLUSTERS,
        check=check,
    )
