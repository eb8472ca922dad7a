"""The CloudWatch agent's config for the node hosts, and the scrape config it points to."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from components.host.paths import CLOUDWATCH_AGENT_SCRAPE_CONFIG
from components.cloudwatch_agent import (DISK_USED_PERCENT,
                                         GROUP_DIMENSION, NODE_METRICS, agent_scrape_config,
                                         cloudwatch_agent_config, node_metrics_namespace)
from stack_config import LOG_RETENTION_DAYS
from components.observability import (CRITICAL_LOG_METRIC, AlarmThresholds, host_alarms,
                                      node_alarms)
from stack_config import PROD

PROD_THRESHOLDS = AlarmThresholds(**PROD.alarm_thresholds)
from tests.conftest import promtool_check

NAMESPACE = node_metrics_namespace("prod")
CONFIG = json.loads(cloudwatch_agent_config("/chainlink/bootstrap-1", "/chainlink/metrics-1",
                                            NAMESPACE))

# The parts of the agent's published JSON schema (amazon-cloudwatch-agent,
# translator/config/schema.json) that this config uses, with the same closed objects:
# a misspelt key is an error there too.
STRINGS = {"type": "array", "items": {"type": "string"}}
DIMENSION_SETS = {"type": "array", "items": STRINGS}
AGENT_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "agent": {"type": "object", "properties": {
            "metrics_collection_interval": {"type": "integer", "minimum": 1}}},
        "metrics": {
            "type": "object", "additionalProperties": False, "required": ["metrics_collected"],
            "properties": {
                "namespace": {"type": "string", "minLength": 1, "maxLength": 255},
                "append_dimensions": {"type": "object",
                                      "additionalProperties": {"type": "string"}},
                "aggregation_dimensions": DIMENSION_SETS,
                "metrics_collected": {
                    "type": "object", "minProperties": 1,
                    "additionalProperties": {
                        "type": "object", "required": ["measurement"],
                        "properties": {"measurement": {**STRINGS, "minItems": 1},
                                       "resources": STRINGS,
                                       "drop_device": {"type": "boolean"}}}},
            },
        },
        "logs": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "logs_collected": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"files": {
                        "type": "object", "additionalProperties": False,
                        "required": ["collect_list"],
                        "properties": {"collect_list": {
                            "type": "array", "minItems": 1,
                            "items": {
                                "type": "object", "additionalProperties": False,
                                "required": ["file_path"],
                                "properties": {
                                    "file_path": {"type": "string"},
                                    "log_group_name": {"type": "string", "minLength": 1},
                                    "log_stream_name": {"type": "string", "minLength": 1},
                                    "timezone": {"enum": ["Local", "LOCAL", "UTC"]},
                                    "retention_in_days": {"enum": [-1, *LOG_RETENTION_DAYS]},
                                }}}}}},
                },
                "metrics_collected": {
                    "type": "object",
                    "properties": {"prometheus": {
                        "type": "object", "additionalProperties": False,
                        "properties": {
                            "cluster_name": {"type": "string"},
                            "log_group_name": {"type": "string"},
                            "prometheus_config_path": {"type": "string"},
                            "emf_processor": {
                                "type": "object", "additionalProperties": False,
                                "properties": {
                                    "metric_declaration_dedup": {"type": "boolean"},
                                    "metric_namespace": {"type": "string"},
                                    "metric_unit": {"type": "object",
                                                    "additionalProperties": {"type": "string"}},
                                    "metric_declaration": {"type": "array", "items": {
                                        "type": "object", "additionalProperties": False,
                                        "properties": {
                                            "source_labels": STRINGS,
                                            "label_matcher": {"type": "string"},
                                            "label_separator": {"type": "string"},
                                            "metric_selectors": STRINGS,
                                            "dimensions": DIMENSION_SETS}}},
                                }},
                        }}},
                },
                "force_flush_interval": {"type": "integer", "minimum": 1},
            },
            "anyOf": [{"required": ["logs_collected"]}, {"required": ["metrics_collected"]}],
        },
    },
}
# What CloudWatch accepts as a unit (MetricDatum.Unit).
CLOUDWATCH_UNITS = {"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes",
                    "Megabytes", "Gigabytes", "Terabytes", "Bits", "Percent", "Count",
                    "Bytes/Second", "Count/Second", "None"}


def test_the_agent_config_matches_the_agents_schema():
    jsonschema.validate(CONFIG, AGENT_SCHEMA)


def test_the_schema_refuses_what_the_agent_refuses():
    broken = json.loads(json.dumps(CONFIG))
    broken["logs"]["logs_collected"]["files"]["collect_list"][0]["retention_in_days"] = 8
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, AGENT_SCHEMA)
    broken = json.loads(json.dumps(CONFIG))
    broken["logs"]["metrics_collected"]["prometheus"]["emf_processor"]["metric_namespce"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, AGENT_SCHEMA)


def test_bootstrap_logs_go_to_the_bootstrap_group_one_stream_per_host():
    entries = CONFIG["logs"]["logs_collected"]["files"]["collect_list"]
    assert [entry["file_path"] for entry in entries] == [
        "/var/log/cloud-init-output.log", "/var/log/chainlink-agent.log"]
    for entry in entries:
        assert entry["log_group_name"] == "/chainlink/bootstrap-1"
        assert entry["log_stream_name"].startswith("{instance_id}/")
        # Retention is the log group's (from config); the agent must not set its own.
        assert "retention_in_days" not in entry


def test_several_bootstrap_files_get_their_own_streams():
    config = json.loads(cloudwatch_agent_config(
        "/b", "/m", NAMESPACE, bootstrap_log_files=["/var/log/cloud-init-output.log",
                                                    "/var/log/chainlink-render.log"]))
    streams = [entry["log_stream_name"]
               for entry in config["logs"]["logs_collected"]["files"]["collect_list"]]
    assert streams == ["{instance_id}/cloud-init-output.log", "{instance_id}/chainlink-render.log"]


def test_node_metrics_go_to_the_metrics_group_as_emf_in_the_stack_namespace():
    prometheus = CONFIG["logs"]["metrics_collected"]["prometheus"]
    assert prometheus["log_group_name"] == "/chainlink/metrics-1"
    assert prometheus["prometheus_config_path"] == CLOUDWATCH_AGENT_SCRAPE_CONFIG
    emf = prometheus["emf_processor"]
    assert emf["metric_namespace"] == NAMESPACE == "Chainlink/prod"
    assert set(emf["metric_unit"]) == {metric.name for metric in NODE_METRICS}
    assert set(emf["metric_unit"].values()) <= CLOUDWATCH_UNITS


def emf_dimensions_of(metric_name: str) -> list[list[str]]:
    emf = CONFIG["logs"]["metrics_collected"]["prometheus"]["emf_processor"]
    found = [declaration["dimensions"] for declaration in emf["metric_declaration"]
             if any(re.fullmatch(selector, metric_name)
                    for selector in declaration["metric_selectors"])]
    assert len(found) == 1, f"{metric_name} is declared {len(found)} times"
    return found[0]


def test_every_metric_an_alarm_uses_is_produced_with_the_alarms_dimensions():
    """An alarm on a metric nobody publishes never fires: each node or host alarm's metric
    must come out of this agent config (or the node log metric filters) with exactly
    the dimensions the alarm asks for."""
    specs = node_alarms(NAMESPACE, PROD_THRESHOLDS, 1.0, (1, 137)) + host_alarms(
        "group", NAMESPACE, PROD_THRESHOLDS)
    metrics = [metric for spec in specs for metric in spec.metrics
               if metric.namespace == NAMESPACE]
    assert len(metrics) == 2 * 2 + 2
    host_dimensions = CONFIG["metrics"]["aggregation_dimensions"]
    for metric in metrics:
        wanted = sorted(metric.dimensions)
        if metric.name == CRITICAL_LOG_METRIC:
            assert wanted == []
        elif metric.name == DISK_USED_PERCENT:
            assert "disk" in CONFIG["metrics"]["metrics_collected"]
            assert wanted == [GROUP_DIMENSION] and host_dimensions == [[GROUP_DIMENSION]]
        else:
            assert wanted in [sorted(dims) for dims in emf_dimensions_of(metric.name)]
            assert metric.dimensions["job"] == "chainlink"


def test_host_metrics_are_aggregated_per_group_not_per_instance():
    metrics = CONFIG["metrics"]
    assert metrics["namespace"] == NAMESPACE
    assert metrics["append_dimensions"][GROUP_DIMENSION] == "${aws:AutoScalingGroupName}"
    assert metrics["aggregation_dimensions"] == [[GROUP_DIMENSION]]


# --- the embedded scrape config, checked by Prometheus's own promtool ---

def test_promtool_accepts_the_agent_scrape_config(promtool, tmp_path):
    result = promtool_check(promtool, agent_scrape_config(), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_it_with_a_bearer_token_file_and_refuses_a_missing_one(promtool,
                                                                                  tmp_path):
    token = tmp_path / "prometheus-token"
    document = agent_scrape_config(str(token))
    refused = promtool_check(promtool, document, tmp_path)
    assert refused.returncode != 0 and "prometheus-token" in refused.stdout + refused.stderr
    token.write_text("not-a-real-token\n")
    accepted = promtool_check(promtool, document, tmp_path)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def test_the_scrape_keeps_only_the_series_the_alarms_and_dashboard_use():
    from ruamel.yaml import YAML
    document = YAML(typ="safe").load(agent_scrape_config())
    (job,) = document["scrape_configs"]
    assert job["static_configs"] == [{"targets": ["localhost:6688"]}]
    assert job["metrics_path"] == "/metrics"
    (keep,) = job["metric_relabel_configs"]
    assert (keep["action"], keep["source_labels"]) == ("keep", ["__name__"])
    for metric in NODE_METRICS:
        assert re.fullmatch(keep["regex"], metric.name)
    for other in ("go_goroutines", "head_tracker_current_head_total", "eth_balance_x"):
        assert not re.fullmatch(keep["regex"], other)
    assert "authorization" not in job
