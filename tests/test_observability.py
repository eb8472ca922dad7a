"""Observability tier: alarms, their topic, log groups, metric filters and the dashboard."""

from __future__ import annotations

import json

import pytest

from components.aws_context import AwsContext
from components.observability import (CRITICAL_LOG_METRIC, AlarmThresholds, Observability,
                                      ObservabilityArgs)
from stack_config import DEV, PROD

DEV_THRESHOLDS = AlarmThresholds(**DEV.alarm_thresholds)
PROD_THRESHOLDS = AlarmThresholds(**PROD.alarm_thresholds)
from tests.conftest import inputs_of, run_under_mocks

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
STACKS = ["dev", "prod"]
RETENTION = {"dev": 7, "prod": 90}
EMAIL = {"dev": "chainlink-dev-alerts@example.com", "prod": "chainlink-oncall@example.com"}


def alarms_by_key(run) -> dict[str, dict]:
    """alarm key (the resource name without the component's prefix) -> inputs"""
    return {alarm.name.split("-", 1)[1]: inputs_of(alarm) for alarm in run.of_type(ALARM)}


def alarm_topic(run):
    (topic,) = [t for t in run.of_type(TOPIC) if t.name == "chainlink-alarms"]
    return topic


@pytest.mark.parametrize("stack", STACKS)
def test_at_least_five_alarms_each_notifying_the_alarm_topic(stack_run, stack):
    run = stack_run(stack)
    alarms = alarms_by_key(run)
    assert len(alarms) >= 5
    topic_arn = f"arn:aws:sns:us-east-1:{'111111111111' if stack == 'dev' else '222222222222'}:"
    for key, inputs in alarms.items():
        (action,) = inputs["alarmActions"]
        assert action.startswith(topic_arn + "chainlink-alarms-"), key
        assert inputs["okActions"] == [action], key
        assert inputs["alarmDescription"].split(":")[0] in ("Page", "Warn"), key


@pytest.mark.parametrize("stack", STACKS)
def test_every_topic_is_encrypted_with_a_customer_key(stack_run, stack):
    run = stack_run(stack)
    topics = run.of_type(TOPIC)
    assert len(topics) == {"dev": 1, "prod": 2}[stack]  # prod adds DevOps Guru's
    for topic in topics:
        assert inputs_of(topic)["kmsMasterKeyId"].startswith("arn:aws:kms:"), topic.name
    (node_group,) = [g for g in run.of_type(LOG_GROUP) if g.name == "chainlink-node"]
    telemetry_key_arn = inputs_of(node_group)["kmsKeyId"]
    assert inputs_of(alarm_topic(run))["kmsMasterKeyId"] == telemetry_key_arn


@pytest.mark.parametrize("stack", STACKS)
def test_every_log_group_has_a_customer_key_and_the_configured_retention(stack_run, stack):
    groups = {group.name: inputs_of(group) for group in stack_run(stack).of_type(LOG_GROUP)}
    assert set(groups) == {"chainlink-node", "chainlink-bootstrap", "chainlink-node-metrics",
                           "chainlink-flow-logs", "chainlink-db-log"}
    for name, inputs in groups.items():
        assert inputs["kmsKeyId"].startswith("arn:aws:kms:"), name
        assert inputs["retentionInDays"] == RETENTION[stack], name


@pytest.mark.parametrize("stack", STACKS)
def test_alarms_are_e_mailed_to_the_configured_address(stack_run, stack):
    run = stack_run(stack)
    subscriptions = [inputs_of(s) for s in run.of_type("aws:sns/topicSubscription:TopicSubscription")
                     if s.name == "chainlink-alarms-email"]
    assert [(s["protocol"], s["endpoint"]) for s in subscriptions] == [("email", EMAIL[stack])]


def test_without_an_alarm_address_there_is_no_subscription(stack_run):
    run = stack_run("dev", alarmEmail=None)
    assert run.of_type("aws:sns/topicSubscription:TopicSubscription") == []
    assert len(run.of_type(ALARM)) >= 5


def test_thresholds_are_stricter_in_prod(stack_run):
    dev, prod = alarms_by_key(stack_run("dev")), alarms_by_key(stack_run("prod"))
    assert (dev["db-cpu"]["threshold"], prod["db-cpu"]["threshold"]) == (90, 80)
    assert dev["db-memory"]["threshold"] < prod["db-memory"]["threshold"]
    stalled = dev["head-tracker-stalled-11155111"], prod["head-tracker-stalled-1"]
    assert [alarm["period"] for alarm in stalled] == [15 * 60, 5 * 60]
    for alarm in stalled:
        assert (alarm["metricName"], alarm["statistic"]) == ("head_tracker_heads_received", "Sum")
        assert (alarm["comparisonOperator"], alarm["threshold"]) == ("LessThanThreshold", 1)
        assert alarm["treatMissingData"] == "breaching"
        assert alarm["alarmDescription"].startswith("Page:")


def test_database_alarms_watch_the_writer_of_this_stacks_cluster(stack_run):
    run = stack_run("prod")
    (cluster,) = run.of_type("aws:rds/cluster:Cluster")
    alarms = alarms_by_key(run)
    for key, metric in [("db-cpu", "CPUUtilization"), ("db-memory", "FreeableMemory"),
                        ("db-storage", "FreeLocalStorage"),
                        ("db-connections", "DatabaseConnections")]:
        assert alarms[key]["namespace"] == "AWS/RDS"
        assert alarms[key]["metricName"] == metric
        assert alarms[key]["dimensions"]["Role"] == "WRITER"
        assert alarms[key]["dimensions"]["DBClusterIdentifier"] == \
            inputs_of(cluster)["clusterIdentifier"] == "chainlink-prod"


def test_the_gas_alarm_follows_min_gas_balance(stack_run):
    default = alarms_by_key(stack_run("prod"))["low-gas-balance-1"]
    assert (default["metricName"], default["statistic"]) == ("eth_balance", "Minimum")
    assert default["dimensions"] == {"job": "chainlink", "evmChainID": "1"}
    assert default["threshold"] == 1.0
    assert alarms_by_key(stack_run("dev"))["low-gas-balance-11155111"]["threshold"] == 0.1
    tuned = alarms_by_key(stack_run("prod", minGasBalance="25.5"))["low-gas-balance-1"]
    assert tuned["threshold"] == 25.5


def test_head_tracker_and_gas_alarms_and_the_head_graph_follow_the_chains(stack_run):
    chains = json.dumps([{"chain": chain, "wsUrl": "wss://r.example/ws",
                          "httpUrl": "https://r.example/h"}
                         for chain in ("ethereum-mainnet", "polygon-mainnet", "base-mainnet")])
    run = stack_run("prod", chains=chains)
    alarms = alarms_by_key(run)
    for chain_id in (1, 137, 8453):
        heads = alarms[f"head-tracker-stalled-{chain_id}"]
        assert heads["dimensions"] == {"job": "chainlink", "ChainID": str(chain_id)}
        assert heads["metricName"] == "head_tracker_heads_received"
        assert alarms[f"low-gas-balance-{chain_id}"]["dimensions"]["evmChainID"] == str(chain_id)
    assert not [key for key in alarms if key in ("head-tracker-stalled", "low-gas-balance")]
    (dashboard,) = run.of_type("aws:cloudwatch/dashboard:Dashboard")
    widgets = json.loads(inputs_of(dashboard)["dashboardBody"])["widgets"]
    (head,) = [w for w in widgets if w["properties"].get("title") == "Current head"]
    assert [row[5] for row in head["properties"]["metrics"]] == ["1", "137", "8453"]


@pytest.mark.parametrize("stack", STACKS)
def test_node_log_metric_filters_read_the_node_log_group(stack_run, stack):
    run = stack_run(stack)
    (node_group,) = [g for g in run.of_type(LOG_GROUP) if g.name == "chainlink-node"]
    filters = {f.name: inputs_of(f)
               for f in run.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")}
    assert set(filters) == {"chainlink-node-critical", "chainlink-node-errors"}
    for inputs in filters.values():
        assert inputs["logGroupName"].startswith(f"/chainlink/{node_group.name}-")
        assert inputs["metricTransformation"]["namespace"] == f"Chainlink/{stack}"
    critical = filters["chainlink-node-critical"]
    assert critical["metricTransformation"]["name"] == CRITICAL_LOG_METRIC
    assert all(f'"{level}"' in critical["pattern"] for level in ("crit", "panic", "fatal"))
    alarm = alarms_by_key(run)["node-critical-logs"]
    assert (alarm["namespace"], alarm["metricName"]) == (f"Chainlink/{stack}",
                                                         CRITICAL_LOG_METRIC)


def dashboard_of(run) -> dict:
    (dashboard,) = run.of_type("aws:cloudwatch/dashboard:Dashboard")
    return inputs_of(dashboard)


@pytest.mark.parametrize("stack", STACKS)
def test_the_dashboard_shows_every_alarm_and_its_threshold(stack_run, stack):
    run = stack_run(stack)
    inputs = dashboard_of(run)
    assert inputs["dashboardName"] == f"chainlink-{stack}"
    widgets = json.loads(inputs["dashboardBody"])["widgets"]
    alarm_widget = next(w for w in widgets if w["type"] == "alarm")
    assert len(alarm_widget["properties"]["alarms"]) == len(run.of_type(ALARM))
    assert all(arn.startswith("arn:aws:cloudwatch:us-east-1:") and ":alarm:" in arn
               for arn in alarm_widget["properties"]["alarms"])
    graphed = {w["properties"]["title"]: w["properties"] for w in widgets if w["type"] == "metric"}
    cpu = graphed["Database CPU"]
    assert cpu["annotations"]["horizontal"][0]["value"] == alarms_by_key(run)["db-cpu"]["threshold"]
    assert cpu["region"] == "us-east-1"
    log_widget = next(w for w in widgets if w["type"] == "log")
    assert log_widget["properties"]["query"].startswith("SOURCE '/chainlink/chainlink-node-")


# --- the alarms that need the node tier's inputs, with stand-ins for them ---

def build_observability(**node_inputs):
    context = AwsContext.lookup()
    Observability("obs", ObservabilityArgs(
        stack="test", region=context.region, kms_key_arn="arn:aws:kms:us-east-1:123:key/k",
        metrics_namespace="Chainlink/test", node_log_group_name="/chainlink/node",
        database_cluster_identifier="db-cluster", thresholds=PROD_THRESHOLDS,
        min_gas_balance=1.0, alarm_email="oncall@example.com", **node_inputs))


NODE_INPUTS = {"node_group_name": "chainlink-node-asg",
               "load_balancer_arn_suffix": "app/chainlink/0123456789abcdef",
               "target_group_arn_suffix": "targetgroup/chainlink/fedcba9876543210"}


def test_node_and_load_balancer_alarms_appear_with_their_inputs():
    without = alarms_by_key(run_under_mocks(build_observability))
    alarms = alarms_by_key(run_under_mocks(lambda: build_observability(**NODE_INPUTS)))
    added = set(alarms) - set(without)
    assert added == {"no-ready-node", "hosts-in-service", "host-disk", "load-balancer-5xx"}

    no_ready = alarms["no-ready-node"]
    assert (no_ready["namespace"], no_ready["metricName"]) == ("AWS/ApplicationELB",
                                                              "HealthyHostCount")
    assert no_ready["dimensions"] == {"LoadBalancer": NODE_INPUTS["load_balancer_arn_suffix"],
                                      "TargetGroup": NODE_INPUTS["target_group_arn_suffix"]}
    assert (no_ready["comparisonOperator"], no_ready["threshold"]) == ("LessThanThreshold", 1)
    assert no_ready["treatMissingData"] == "breaching"
    assert no_ready["evaluationPeriods"] == PROD_THRESHOLDS.no_ready_node_minutes
    assert no_ready["alarmDescription"].startswith("Page:")

    hosts = alarms["hosts-in-service"]
    assert (hosts["metricName"], hosts["threshold"]) == ("GroupInServiceInstances", 2)
    assert hosts["dimensions"] == {"AutoScalingGroupName": "chainlink-node-asg"}

    errors = alarms["load-balancer-5xx"]
    queries = {query["id"]: query for query in errors["metricQueries"]}
    assert queries["e1"]["expression"] == "FILL(m1, 0) + FILL(m2, 0)"
    assert queries["e1"]["returnData"] is True
    assert {queries[m]["metric"]["metricName"] for m in ("m1", "m2")} == {
        "HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"}
    assert errors["threshold"] == PROD_THRESHOLDS.load_balancer_5xx_per_5_minutes


def test_half_a_load_balancer_is_refused():
    with pytest.raises(ValueError, match="give both or neither"):
        run_under_mocks(lambda: build_observability(
            load_balancer_arn_suffix=NODE_INPUTS["load_balancer_arn_suffix"]))


def test_the_dashboard_graphs_metric_math_alarms_with_hidden_inputs():
    run = run_under_mocks(lambda: build_observability(**NODE_INPUTS))
    widgets = json.loads(dashboard_of(run)["dashboardBody"])["widgets"]
    (graph,) = [w for w in widgets if w["properties"].get("title") == "5xx answers"]
    expression, *inputs = graph["properties"]["metrics"]
    assert expression == [{"expression": "FILL(m1, 0) + FILL(m2, 0)", "label": "5xx answers",
                           "id": "e1"}]
    assert [row[-1]["id"] for row in inputs] == ["m1", "m2"]
    assert all(row[-1]["visible"] is False for row in inputs)


def test_thresholds_come_per_environment():
    assert PROD_THRESHOLDS.no_ready_node_minutes < DEV_THRESHOLDS.no_ready_node_minutes
    assert PROD_THRESHOLDS.head_stall_minutes < DEV_THRESHOLDS.head_stall_minutes


@pytest.mark.parametrize("stack", STACKS)
def test_the_stacks_alarm_on_the_node_group_and_load_balancer_they_deploy(stack_run, stack):
    run = stack_run(stack)
    alarms = alarms_by_key(run)
    assert len(alarms) >= 11
    group_name = run.outputs["nodeGroupName"]
    dimensions = [alarm.get("dimensions", {}) for alarm in alarms.values()] + [
        query["metric"].get("dimensions", {})
        for alarm in alarms.values() for query in alarm.get("metricQueries", [])
        if query.get("metric")]
    assert {"AutoScalingGroupName": group_name} in dimensions
    assert any(d.get("LoadBalancer") == run.outputs["loadBalancerArnSuffix"] for d in dimensions)
    assert any(d.get("TargetGroup") == run.outputs["targetGroupArnSuffix"] for d in dimensions)
