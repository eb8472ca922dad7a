"""RDS instances and clusters share the rules; read replicas follow their source."""

from __future__ import annotations

from ..model import Resource

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
