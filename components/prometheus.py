"""Prometheus scrape configurations for the node's `/metrics`.

Two readers: the CloudWatch agent on each node host scrapes its own node on localhost,
and operators who run their own Prometheus discover the node hosts through EC2 by tag.
Both are plain functions of plain values, so `ops prometheus-config` and the stack
output `prometheusScrapeConfig` print the same document.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

from ruamel.yaml import YAML

from components.tags import NODE_ROLE, ROLE_TAG_KEY, STACK_TAG_KEY

NODE_METRICS_PORT = 6688
METRICS_PATH = "/metrics"


def dump_yaml(document: dict[str, Any]) -> str:
    yaml = YAML()  # round-trip mode keeps the keys in the order written here
    yaml.indent(mapping=2, sequence=4, offset=2)
    stream = StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()


def scrape_job(job_name: str, bearer_token_file: str | None) -> dict[str, Any]:
    """The part every job shares: where the metrics are and, when the node has a
    `[Prometheus] AuthToken`, the file holding it (never the token itself)."""
    job: dict[str, Any] = {"job_name": job_name, "metrics_path": METRICS_PATH,
                           "scheme": "http"}
    if bearer_token_file:
        job["authorization"] = {"type": "Bearer", "credentials_file": bearer_token_file}
    return job


def operator_job_name(stack: str) -> str:
    return f"chainlink-node-{stack}"


def operator_scrape_config(stack: str, region: str,
                           bearer_token_file: str | None = None) -> str:
    """A prometheus.yml for an operator's own Prometheus inside (or peered with) the VPC.

    EC2 service discovery finds the running node hosts of this stack; the standby host
    has no HTTP listener, so one of the two targets is down by design: alert on
    `max(up{job="chainlink-node-<stack>"}) == 0`, not on a single target.
    """
    job = scrape_job(operator_job_name(stack), bearer_token_file)
    job["ec2_sd_configs"] = [{
        "region": region,
        "port": NODE_METRICS_PORT,
        "filters": [
            {"name": f"tag:{ROLE_TAG_KEY}", "values": [NODE_ROLE]},
            {"name": f"tag:{STACK_TAG_KEY}", "values": [stack]},
            {"name": "instance-state-name", "values": ["running"]},
        ],
    }]
    job["relabel_configs"] = [
        {"source_labels": ["__meta_ec2_private_ip"], "regex": "(.+)",
         "target_label": "__address__", "replacement": f"${{1}}:{NODE_METRICS_PORT}"},
        {"source_labels": ["__meta_ec2_instance_id"], "target_label": "instance"},
        {"source_labels": ["__meta_ec2_availability_zone"],
         "target_label": "availability_zone"},
        {"target_label": "stack", "replacement": stack},
    ]
    return dump_yaml({
        "global": {"scrape_interval": "30s", "scrape_timeout": "10s"},
        "scrape_configs": [job],
    })
