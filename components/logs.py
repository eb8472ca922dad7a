"""Node log groups: created before the hosts, which write to them from their first boot."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.interfaces import HostLogGroups
from components.kit import TierComponent


@dataclass
class NodeLogsArgs:
    kms_key_arn: pulumi.Input[str]
    retention_days: int
    protect: bool = False


class NodeLogs(TierComponent):
    """The node's JSON logs, the hosts' bootstrap logs and the node's scraped metrics
    (embedded metric format), each encrypted and with a retention.

    The CloudWatch agent would create a missing log group itself, unencrypted and kept
    forever; creating all three here first is what keeps that from happening.
    """

    TYPE = "chainlink:index:NodeLogs"

    node_log_group_name: pulumi.Output[str]
    node_log_group_arn: pulumi.Output[str]
    bootstrap_log_group_name: pulumi.Output[str]
    bootstrap_log_group_arn: pulumi.Output[str]
    metrics_log_group_name: pulumi.Output[str]
    metrics_log_group_arn: pulumi.Output[str]

    def _build(self, name: str, args: NodeLogsArgs) -> None:
        node = self._log_group(f"{name}-node", args)
        bootstrap = self._log_group(f"{name}-bootstrap", args)
        metrics = self._log_group(f"{name}-node-metrics", args)
        self.node_log_group_name, self.node_log_group_arn = node.name, node.arn
        self.bootstrap_log_group_name = bootstrap.name
        self.bootstrap_log_group_arn = bootstrap.arn
        self.metrics_log_group_name, self.metrics_log_group_arn = metrics.name, metrics.arn

    @property
    def host_log_groups(self) -> HostLogGroups:
        """The groups the node tier's hosts write to (metrics go by the agent's config)."""
        return HostLogGroups(node_log_group_name=self.node_log_group_name,
                             node_log_group_arn=self.node_log_group_arn,
                             bootstrap_log_group_arn=self.bootstrap_log_group_arn)

    def _log_group(self, name: str, args: NodeLogsArgs) -> aws.cloudwatch.LogGroup:
        return aws.cloudwatch.LogGroup(
            name, name_prefix=f"/chainlink/{name}-", retention_in_days=args.retention_days,
            kms_key_id=args.kms_key_arn,
            opts=self._child(stateful=True))
