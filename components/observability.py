"""Observability tier: node log metrics, alarms to an encrypted topic, a dashboard.

Every alarm is described once as an AlarmSpec; the same spec makes the CloudWatch alarm
and its graph on the dashboard, so the two cannot disagree about a threshold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

import pulumi
import pulumi_aws as aws

from components.cloudwatch_agent import (BALANCE_CHAIN_LABEL, CURRENT_HEAD, DISK_USED_PERCENT,
                                         GAS_BALANCE, GROUP_DIMENSION, HEAD_CHAIN_LABEL,
                                         HEADS_RECEIVED, SCRAPE_JOB)
from components.kit import TierComponent

GIB = 1024 ** 3
MIB = 1024 ** 2
CRITICAL_LOG_METRIC = "NodeCriticalLogEvents"
ERROR_LOG_METRIC = "NodeErrorLogEvents"
# The node logs JSON lines (`[Log] JSONConsole = true`) with a `level` field.
CRITICAL_LOG_PATTERN = '{ ($.level = "crit") || ($.level = "panic") || ($.level = "fatal") }'
ERROR_LOG_PATTERN = '{ $.level = "error" }'


@dataclass(frozen=True)
class AlarmThresholds:
    """What counts as trouble (per environment: stack_config/profile.py)."""

    db_cpu_percent: float
    db_freeable_memory_bytes: float
    db_free_local_storage_bytes: float
    db_connections: float
    load_balancer_5xx_per_5_minutes: float
    host_disk_used_percent: float
    head_stall_minutes: int
    no_ready_node_minutes: int
    missing_host_minutes: int


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    statistic: str
    dimensions: Mapping[str, pulumi.Input[str]]
    period: int = 300


@dataclass(frozen=True)
class AlarmSpec:
    key: str                 # names the alarm resource: "<component>-<key>"
    title: str
    description: str
    metrics: tuple[Metric, ...]
    comparison: str
    threshold: float
    evaluation_periods: int = 1
    treat_missing_data: str = "notBreaching"
    expression: str | None = None   # metric math over m1..mN; None: the one metric alone


@dataclass
class ObservabilityArgs:
    stack: str
    region: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    metrics_namespace: str
    node_log_group_name: pulumi.Input[str]
    database_cluster_identifier: pulumi.Input[str]
    thresholds: AlarmThresholds
    min_gas_balance: float
    alarm_email: str | None = None
    # From the node tier; the alarms that need one are left out until it is given.
    node_group_name: pulumi.Input[str] | None = None
    load_balancer_arn_suffix: pulumi.Input[str] | None = None
    target_group_arn_suffix: pulumi.Input[str] | None = None
    # The EVM chains the node serves: head-tracker and low-gas alarms per chain.
    chain_ids: tuple[int, ...] = ()


def database_alarms(cluster_identifier: pulumi.Input[str],
                    thresholds: AlarmThresholds) -> list[AlarmSpec]:
    """On the writer (the node only ever talks to it), by cluster and role, so the alarms
    follow a failover to the other instance."""
    def writer(name: str, statistic: str) -> tuple[Metric, ...]:
        return (Metric("AWS/RDS", name, statistic,
                       {"DBClusterIdentifier": cluster_identifier, "Role": "WRITER"}),)
    return [
        AlarmSpec("db-cpu", "Database CPU",
                  f"Warn: Aurora writer CPU above {thresholds.db_cpu_percent:g}% for 15 "
                  "minutes; look at Performance Insights for the queries, then the "
                  "instance class (dbInstanceClass).",
                  writer("CPUUtilization", "Average"), "GreaterThanThreshold",
                  thresholds.db_cpu_percent, evaluation_periods=3),
        AlarmSpec("db-memory", "Database freeable memory",
                  f"Warn: Aurora writer freeable memory below "
                  f"{thresholds.db_freeable_memory_bytes / MIB:g} MiB for 15 minutes; "
                  "the instance class is too small for the load.",
                  writer("FreeableMemory", "Minimum"), "LessThanThreshold",
                  thresholds.db_freeable_memory_bytes, evaluation_periods=3),
        AlarmSpec("db-storage", "Database free local storage",
                  f"Warn: Aurora writer local (temporary) storage below "
                  f"{thresholds.db_free_local_storage_bytes / GIB:g} GiB; large sorts or "
                  "temporary tables fill it, and a full disk stops queries.",
                  writer("FreeLocalStorage", "Minimum"), "LessThanThreshold",
                  thresholds.db_free_local_storage_bytes, evaluation_periods=2),
        AlarmSpec("db-connections", "Database connections",
                  f"Warn: more than {thresholds.db_connections:g} connections on the "
                  "Aurora writer for 10 minutes; the node pools 100, so something else "
                  "is connecting or leaking.",
                  writer("DatabaseConnections", "Maximum"), "GreaterThanThreshold",
                  thresholds.db_connections, evaluation_periods=2),
    ]


def node_alarms(namespace: str, thresholds: AlarmThresholds, min_gas_balance: float,
                chain_ids: tuple[int, ...] = ()) -> list[AlarmSpec]:
    """From the node's own metrics and logs; the active node is the only one exporting.
    Head-tracker and gas alarms come once per chain."""
    return [spec for chain_id in chain_ids
            for spec in chain_alarms(namespace, thresholds, min_gas_balance, chain_id)] + [
        AlarmSpec("node-critical-logs", "Critical node log lines",
                  "Warn: the node logged at crit, panic or fatal level; read the node log "
                  "group around the alarm time.",
                  (Metric(namespace, CRITICAL_LOG_METRIC, "Sum", {}),),
                  "GreaterThanOrEqualToThreshold", 1),
    ]


def chain_alarms(namespace: str, thresholds: AlarmThresholds, min_gas_balance: float,
                 chain_id: int) -> list[AlarmSpec]:
    stall_seconds = thresholds.head_stall_minutes * 60
    heads = {"job": SCRAPE_JOB, HEAD_CHAIN_LABEL: str(chain_id)}
    balances = {"job": SCRAPE_JOB, BALANCE_CHAIN_LABEL: str(chain_id)}
    return [
        AlarmSpec(f"head-tracker-stalled-{chain_id}", f"New heads, chain {chain_id}",
                  f"Page: the node received no new block heads on chain {chain_id} for "
                  f"{thresholds.head_stall_minutes} minutes (or exports no metrics); check "
                  "that chain's RPC nodes (chains in the stack config) and `ops health`.",
                  (Metric(namespace, HEADS_RECEIVED.name, "Sum", heads, stall_seconds),),
                  "LessThanThreshold", 1, treat_missing_data="breaching"),
        AlarmSpec(f"low-gas-balance-{chain_id}", f"Lowest key balance, chain {chain_id}",
                  f"Warn: a node key on chain {chain_id} holds less than {min_gas_balance:g} "
                  "of the chain's native token; fund it before transactions start failing.",
                  (Metric(namespace, GAS_BALANCE.name, "Minimum", balances),),
                  "LessThanThreshold", min_gas_balance, treat_missing_data="ignore"),
    ]


def host_alarms(group_name: pulumi.Input[str], namespace: str,
                thresholds: AlarmThresholds) -> list[AlarmSpec]:
    minutes = thresholds.missing_host_minutes
    return [
        AlarmSpec("hosts-in-service", "Hosts in service",
                  f"Warn: fewer than two node hosts in service for {minutes} minutes: "
                  "there is no standby to fail over to.",
                  (Metric("AWS/AutoScaling", "GroupInServiceInstances", "Minimum",
                          {"AutoScalingGroupName": group_name}, 60),),
                  "LessThanThreshold", 2, evaluation_periods=minutes,
                  treat_missing_data="breaching"),
        AlarmSpec("host-disk", "Host disk used",
                  f"Warn: a node host's root volume is more than "
                  f"{thresholds.host_disk_used_percent:g}% full; raise nodeVolumeSizeGb or "
                  "prune old images.",
                  (Metric(namespace, DISK_USED_PERCENT, "Maximum",
                          {GROUP_DIMENSION: group_name}),),
                  "GreaterThanThreshold", thresholds.host_disk_used_percent,
                  evaluation_periods=2),
    ]


def load_balancer_alarms(load_balancer: pulumi.Input[str], target_group: pulumi.Input[str],
                         thresholds: AlarmThresholds) -> list[AlarmSpec]:
    targets = {"LoadBalancer": load_balancer, "TargetGroup": target_group}
    minutes = thresholds.no_ready_node_minutes
    return [
        AlarmSpec("no-ready-node", "Ready nodes",
                  f"Page: no node behind the load balancer answered /readyz for {minutes} "
                  "minutes: the node is down for its users. Check both hosts and "
                  "`ops health`.",
                  (Metric("AWS/ApplicationELB", "HealthyHostCount", "Minimum", targets, 60),),
                  "LessThanThreshold", 1, evaluation_periods=minutes,
                  treat_missing_data="breaching"),
        AlarmSpec("load-balancer-5xx", "5xx answers",
                  f"Warn: more than {thresholds.load_balancer_5xx_per_5_minutes:g} 5xx "
                  "answers in 5 minutes from the load balancer or the node.",
                  (Metric("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum",
                          {"LoadBalancer": load_balancer}),
                   Metric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", targets)),
                  "GreaterThanThreshold", thresholds.load_balancer_5xx_per_5_minutes,
                  expression="FILL(m1, 0) + FILL(m2, 0)"),
    ]


def alarm_specs(args: ObservabilityArgs) -> list[AlarmSpec]:
    specs = database_alarms(args.database_cluster_identifier, args.thresholds)
    specs += node_alarms(args.metrics_namespace, args.thresholds, args.min_gas_balance,
                         tuple(args.chain_ids))
    if args.node_group_name is not None:
        specs += host_alarms(args.node_group_name, args.metrics_namespace, args.thresholds)
    load_balancer = (args.load_balancer_arn_suffix, args.target_group_arn_suffix)
    if (load_balancer[0] is None) != (load_balancer[1] is None):
        raise ValueError("load_balancer_arn_suffix and target_group_arn_suffix come together: "
                         "give both or neither")
    if load_balancer[0] is not None:
        specs += load_balancer_alarms(*load_balancer, args.thresholds)
    return specs


# --- the dashboard: a plain document with Inputs inside, resolved once into JSON ---

def _metric_row(metric: Metric, **options: Any) -> list[Any]:
    row: list[Any] = [metric.namespace, metric.name]
    for key, value in metric.dimensions.items():
        row += [key, value]
    return row + [{"stat": metric.statistic, "period": metric.period, **options}]


def _graph(title: str, region: pulumi.Input[str], rows: list[list[Any]],
           threshold: float | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {"title": title, "region": region, "metrics": rows,
                                  "view": "timeSeries", "stacked": False}
    if threshold is not None:
        properties["annotations"] = {"horizontal": [{"label": "alarm", "value": threshold}]}
    return {"type": "metric", "width": 8, "height": 6, "properties": properties}


def alarm_graph(spec: AlarmSpec, region: pulumi.Input[str]) -> dict[str, Any]:
    if spec.expression is None:
        rows = [_metric_row(metric) for metric in spec.metrics]
    else:
        rows = [[{"expression": spec.expression, "label": spec.title, "id": "e1"}]]
        rows += [_metric_row(metric, id=f"m{index}", visible=False)
                 for index, metric in enumerate(spec.metrics, start=1)]
    return _graph(spec.title, region, rows, spec.threshold)


def dashboard_document(specs: list[AlarmSpec], alarm_arns: list[pulumi.Output[str]],
                       region: pulumi.Input[str], namespace: str,
                       node_log_group_name: pulumi.Input[str],
                       chain_ids: tuple[int, ...] = ()) -> dict[str, Any]:
    recent_errors = pulumi.Output.concat(
        "SOURCE '", node_log_group_name, "' | fields @timestamp, level, logger, msg "
        "| filter level in ['error', 'crit', 'panic', 'fatal'] "
        "| sort @timestamp desc | limit 50")
    widgets = [
        {"type": "alarm", "width": 24, "height": 4,
         "properties": {"title": "Alarms", "alarms": alarm_arns}},
        _graph("Current head", region,
               [_metric_row(Metric(namespace, CURRENT_HEAD.name, "Maximum",
                                   {"job": SCRAPE_JOB, HEAD_CHAIN_LABEL: str(chain_id)}, 60),
                            label=f"chain {chain_id}") for chain_id in chain_ids]),
        _graph("Node log lines at error and above", region,
               [_metric_row(Metric(namespace, name, "Sum", {}))
                for name in (ERROR_LOG_METRIC, CRITICAL_LOG_METRIC)]),
        *[alarm_graph(spec, region) for spec in specs],
        {"type": "log", "width": 24, "height": 8,
         "properties": {"title": "Recent node errors", "region": region, "view": "table",
                        "query": recent_errors}},
    ]
    return {"start": "-PT6H", "periodOverride": "inherit", "widgets": widgets}


class Observability(TierComponent):
    """Alarms for the node, its hosts, its load balancer and its database, e-mailed
    through an SNS topic encrypted with our key, and one dashboard showing them all."""

    TYPE = "chainlink:index:Observability"

    alarm_topic_arn: pulumi.Output[str]
    alarm_arns: list[pulumi.Output[str]]
    dashboard_name: pulumi.Output[str]

    def _build(self, name: str, args: ObservabilityArgs) -> None:
        topic = aws.sns.Topic(f"{name}-alarms", kms_master_key_id=args.kms_key_arn,
                              opts=self._child())
        if args.alarm_email:
            aws.sns.TopicSubscription(f"{name}-alarms-email", topic=topic.arn,
                                      protocol="email", endpoint=args.alarm_email,
                                      opts=self._child())
        self.alarm_topic_arn = topic.arn
        self._node_log_metrics(args)

        specs = alarm_specs(args)
        self.alarm_arns = [self._alarm(spec).arn for spec in specs]
        document = dashboard_document(specs, self.alarm_arns, args.region,
                                      args.metrics_namespace, args.node_log_group_name,
                                      tuple(args.chain_ids))
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard", dashboard_name=f"{name}-{args.stack}",
            dashboard_body=pulumi.Output.from_input(document).apply(json.dumps),
            opts=self._child())
        self.dashboard_name = dashboard.dashboard_name

    def _node_log_metrics(self, args: ObservabilityArgs) -> None:
        for key, metric_name, pattern in (("critical", CRITICAL_LOG_METRIC, CRITICAL_LOG_PATTERN),
                                          ("errors", ERROR_LOG_METRIC, ERROR_LOG_PATTERN)):
            aws.cloudwatch.LogMetricFilter(
                f"{self._name}-node-{key}", log_group_name=args.node_log_group_name,
                pattern=pattern,
                metric_transformation={"name": metric_name,
                                       "namespace": args.metrics_namespace,
                                       "value": "1", "unit": "Count"},
                opts=self._child())

    def _alarm(self, spec: AlarmSpec) -> aws.cloudwatch.MetricAlarm:
        actions = [self.alarm_topic_arn]
        common: dict[str, Any] = dict(
            alarm_description=spec.description, comparison_operator=spec.comparison,
            threshold=spec.threshold, evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.evaluation_periods,
            treat_missing_data=spec.treat_missing_data,
            alarm_actions=actions, ok_actions=actions, opts=self._child())
        if spec.expression is None:
            (metric,) = spec.metrics
            return aws.cloudwatch.MetricAlarm(
                f"{self._name}-{spec.key}", namespace=metric.namespace,
                metric_name=metric.name, statistic=metric.statistic, period=metric.period,
                dimensions=dict(metric.dimensions) or None, **common)
        queries = [{"id": f"m{index}", "return_data": False,
                    "metric": {"namespace": metric.namespace, "metric_name": metric.name,
                               "stat": metric.statistic, "period": metric.period,
                               "dimensions": dict(metric.dimensions)}}
                   for index, metric in enumerate(spec.metrics, start=1)]
        queries.append({"id": "e1", "expression": spec.expression, "label": spec.title,
                        "return_data": True})
        return aws.cloudwatch.MetricAlarm(f"{self._name}-{spec.key}", metric_queries=queries,
                                          **common)
