"""The scrape config for operators' own Prometheus: `ops prometheus-config` and the output."""

from __future__ import annotations

import os

import pytest
from ruamel.yaml import YAML

from components.tags import NODE_ROLE, ROLE_TAG_KEY, STACK_TAG_KEY
from ops.lib.stackfile import read_stack_file
from tests.conftest import promtool_check, run_ops


def load(text: str) -> dict:
    return YAML(typ="safe").load(text)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_command_prints_the_same_document_as_the_stack_output(stack_run, stack):
    result = run_ops("prometheus-config", "--stack", stack)
    assert result.returncode == 0, result.stderr
    assert result.stdout == stack_run(stack).outputs["prometheusScrapeConfig"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_promtool_accepts_it(promtool, tmp_path, stack):
    result = promtool_check(promtool, run_ops("prometheus-config", "--stack", stack).stdout,
                            tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_would_catch_a_broken_one(promtool, tmp_path):
    document = run_ops("prometheus-config", "--stack", "dev").stdout
    broken = document.replace("metrics_path: /metrics", "metrics_path: [/metrics]")
    assert broken != document
    assert promtool_check(promtool, broken, tmp_path).returncode != 0


def test_it_discovers_this_stacks_node_hosts_on_port_6688():
    (job,) = load(run_ops("prometheus-config", "--stack", "prod").stdout)["scrape_configs"]
    assert job["job_name"] == "chainlink-node-prod"
    assert job["metrics_path"] == "/metrics"
    (discovery,) = job["ec2_sd_configs"]
    assert (discovery["region"], discovery["port"]) == (read_stack_file("prod").region, 6688)
    filters = {item["name"]: item["values"] for item in discovery["filters"]}
    assert filters == {f"tag:{ROLE_TAG_KEY}": [NODE_ROLE], f"tag:{STACK_TAG_KEY}": ["prod"],
                       "instance-state-name": ["running"]}
    address = job["relabel_configs"][0]
    assert address["source_labels"] == ["__meta_ec2_private_ip"]
    assert (address["target_label"], address["replacement"]) == ("__address__", "${1}:6688")
    assert "authorization" not in job


def test_a_bearer_token_file_is_referenced_never_inlined(promtool, tmp_path):
    token = tmp_path / "chainlink-metrics-token"
    token.write_text("token-value-that-must-not-appear\n")
    output = tmp_path / "prometheus.yml"
    result = run_ops("prometheus-config", "--stack", "dev", "--output", str(output),
                     "--bearer-token-file", str(token))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    text = output.read_text()
    assert "token-value-that-must-not-appear" not in text
    (job,) = load(text)["scrape_configs"]
    assert job["authorization"] == {"type": "Bearer", "credentials_file": str(token)}
    assert promtool_check(promtool, text, tmp_path).returncode == 0


def test_an_unwritable_output_exits_2_with_one_line_and_no_file(tmp_path):
    target = tmp_path / "missing-directory" / "prometheus.yml"
    result = run_ops("prometheus-config", "--stack", "dev", "--output", str(target))
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot write ") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not target.parent.exists()


def test_an_existing_file_is_replaced_whole(tmp_path):
    target = tmp_path / "prometheus.yml"
    target.write_text("x" * 10000)
    assert run_ops("prometheus-config", "--stack", "dev", "--output", str(target)).returncode == 0
    assert target.read_text().startswith("global:")
    assert os.listdir(tmp_path) == ["prometheus.yml"]


def test_an_unknown_stack_exits_2():
    result = run_ops("prometheus-config", "--stack", "staging")
    assert result.returncode == 2
    assert "no stack file Pulumi.staging.yaml" in result.stderr
