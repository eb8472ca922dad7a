"""The CloudWatch agent's configuration on a node host.

The agent ships the hosts' bootstrap logs, host memory and disk, and the node's own
Prometheus metrics: it scrapes `localhost:6688/metrics` and writes the series the alarms
use as CloudWatch metrics in embedded metric format (EMF). Only the series named in
NODE_METRICS are kept at the scrape, so the EMF log group carries three series a minute,
not the node's thousands.

Two files go on the host: the agent JSON (`cloudwatch_agent_config`) and the scrape
config it points to (`agent_scrape_config`, at CLOUDWATCH_AGENT_SCRAPE_CONFIG).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Sequence

import pulumi

from components.host.paths import CLOUDWATCH_AGENT_SCRAPE_CONFIG, HOST_LOG_FILES

from components.prometheus import NODE_METRICS_PORT, dump_yaml, scrape_job

SCRAPE_JOB = "chainlink"
# Host metrics carry this dimension (the agent fills it in from instance metadata), so
# alarms can aggregate over both hosts of the group without knowing instance ids.
GROUP_DIMENSION = "AutoScalingGroupName"


@dataclass(frozen=True)
class NodeMetric:
    """A series the node exports (names from smartcontractkit/chainlink) and how it
    lands in CloudWatch. Every set of dimensions starts with the scrape job, which is
    the same on both hosts: only the active node answers, so the series continues
    across a failover."""

    name: str
    unit: str
    dimensions: tuple[tuple[str, ...], ...] = (("job",),)


# The node labels its head-tracker series by `ChainID` and its balances by `evmChainID`
# (smartcontractkit/chainlink common/headtracker and the balance monitor).
HEAD_CHAIN_LABEL = "ChainID"
BALANCE_CHAIN_LABEL = "evmChainID"
# Gauge: the highest block number the node has seen, per chain.
CURRENT_HEAD = NodeMetric("head_tracker_current_head", "None", (("job", HEAD_CHAIN_LABEL),))
# Counter: the agent sends the increase since the previous scrape, so a sum of zero over
# a period means no new heads on that chain.
HEADS_RECEIVED = NodeMetric("head_tracker_heads_received", "Count",
                            (("job", HEAD_CHAIN_LABEL),))
# Gauge, one series per sending key (label `account`), in the chain's native unit.
GAS_BALANCE = NodeMetric("eth_balance", "None", (("job", BALANCE_CHAIN_LABEL),
                                                 ("job", "account", BALANCE_CHAIN_LABEL)))
NODE_METRICS = (CURRENT_HEAD, HEADS_RECEIVED, GAS_BALANCE)
MEMORY_USED_PERCENT = "mem_used_percent"
DISK_USED_PERCENT = "disk_used_percent"


def node_metrics_namespace(stack: str) -> str:
    return f"Chainlink/{stack}"


def agent_scrape_config(bearer_token_file: str | None = None) -> str:
    """The Prometheus scrape config the agent reads: this host's node only."""
    job = scrape_job(SCRAPE_JOB, bearer_token_file)
    job["static_configs"] = [{"targets": [f"localhost:{NODE_METRICS_PORT}"]}]
    job["metric_relabel_configs"] = [{
        "source_labels": ["__name__"],
        "regex": "|".join(metric.name for metric in NODE_METRICS),
        "action": "keep",
    }]
    return dump_yaml({
        "global": {"scrape_interval": "1m", "scrape_timeout": "10s"},
        "scrape_configs": [job],
    })


def _metric_declarations() -> list[dict]:
    """One declaration per distinct set of dimensions, as the EMF processor wants."""
    by_dimensions: dict[tuple[tuple[str, ...], ...], list[str]] = {}
    for metric in NODE_METRICS:
        by_dimensions.setdefault(metric.dimensions, []).append(f"^{metric.name}$")
    return [{"source_labels": ["job"], "label_matcher": f"^{SCRAPE_JOB}$",
             "dimensions": [list(dimension_set) for dimension_set in dimensions],
             "metric_selectors": selectors}
            for dimensions, selectors in by_dimensions.items()]


def _log_file(path: str, log_group: str) -> dict:
    return {"file_path": path, "log_group_name": log_group,
            "log_stream_name": f"{{instance_id}}/{PurePosixPath(path).name}",
            "timezone": "UTC"}


def cloudwatch_agent_config(bootstrap_log_group: str, metrics_log_group: str,
                            metrics_namespace: str,
                            bootstrap_log_files: Sequence[str] = HOST_LOG_FILES,
                            ) -> str:
    """The agent JSON. The log groups must exist (NodeLogs creates them encrypted and
    with a retention); the agent is not given a retention so it never changes theirs."""
    return json.dumps({
        "agent": {"metrics_collection_interval": 60},
        "metrics": {
            "namespace": metrics_namespace,
            "append_dimensions": {GROUP_DIMENSION: "${aws:AutoScalingGroupName}",
                                  "InstanceId": "${aws:InstanceId}"},
            "aggregation_dimensions": [[GROUP_DIMENSION]],
            "metrics_collected": {
                "mem": {"measurement": [MEMORY_USED_PERCENT]},
                "disk": {"measurement": ["used_percent"], "resources": ["/"],
                         "drop_device": True},
            },
        },
        "logs": {
            "logs_collected": {
                "files": {"collect_list": [_log_file(path, bootstrap_log_group)
                                           for path in bootstrap_log_files]},
            },
            "metrics_collected": {
                "prometheus": {
                    "log_group_name": metrics_log_group,
                    "prometheus_config_path": CLOUDWATCH_AGENT_SCRAPE_CONFIG,
                    "emf_processor": {
                        "metric_declaration_dedup": True,
                        "metric_namespace": metrics_namespace,
                        "metric_unit": {metric.name: metric.unit for metric in NODE_METRICS},
                        "metric_declaration": _metric_declarations(),
                    },
                },
            },
            "force_flush_interval": 15,
        },
    }, indent=2)


def cloudwatch_agent_config_output(bootstrap_log_group: pulumi.Input[str],
                                   metrics_log_group: pulumi.Input[str],
                                   metrics_namespace: str) -> pulumi.Output[str]:
    """The same document once the log groups' generated names are known."""
    return pulumi.Output.all(bootstrap_log_group, metrics_log_group).apply(
        lambda names: cloudwatch_agent_config(names[0], names[1], metrics_namespace))
