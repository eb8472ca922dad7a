"""What the stack publishes (ports, paths, lease) is what the agent renders for the node.

The stack writes the agent's settings into user data, opens ports in security groups and
load balancers, and runs `docker run` with published ports and a mounted runtime directory;
the agent turns the settings into config.toml. Each value below is read from both ends of
one preview, so a port or a path changed on one side only fails here.
"""

from __future__ import annotations

import base64
import json
import shlex
import tomllib

import pytest
from ruamel.yaml import YAML

from components.host import chainlink_agent as agent
from components.host.user_data import AGENT_PATH, SETTINGS_PATH
from components.node import LEASE_DURATION_SECONDS, LEASE_REFRESH_SECONDS
from tests.conftest import cached_run, checked_in_stack_file, inputs_of, with_overrides

FAKE_SECRETS = agent.NodeSecrets(
    api_email="ops@example.com", api_password="a-fine-api-password-1",
    keystore_password="a-fine-keystore-password",
    rpc_urls={"1/primary/wsUrl": "wss://rpc.example.com/ws",
              "1/primary/httpUrl": "https://rpc.example.com/http"},
    database_username="chainlink",
    database_password="a-fine-database-password", versions={})


def only(run, resource_type: str, name: str) -> dict:
    (resource,) = [r for r in run.of_type(resource_type) if r.name == name]
    return inputs_of(resource)


def cloud_config(run) -> dict:
    template = only(run, "aws:ec2/launchTemplate:LaunchTemplate", "chainlink-node-lt")
    text = base64.b64decode(template["userData"]).decode("utf-8")
    return YAML(typ="safe").load(text)


def written(document: dict, path: str) -> str:
    (entry,) = [entry for entry in document["write_files"] if entry["path"] == path]
    return entry["content"]


def docker_run(document: dict) -> list[str]:
    unit = written(document, "/etc/systemd/system/chainlink-node.service")
    (line,) = [line for line in unit.splitlines() if line.startswith("ExecStart=docker run")]
    return shlex.split(line[len("ExecStart="):])


def option_values(argv: list[str], option: str) -> list[str]:
    return [argv[index + 1] for index, value in enumerate(argv) if value == option]


@pytest.fixture(scope="module")
def published():
    """One prod preview with P2P on: user data, resources and the agent's rendering."""
    run = cached_run(with_overrides(checked_in_stack_file("prod"), {"p2pEnabled": "true"}))
    document = cloud_config(run)
    settings = agent.parse_settings(json.loads(written(document, SETTINGS_PATH)), "user data")
    config = tomllib.loads(agent.rendered_files(settings, FAKE_SECRETS)[agent.CONFIG_FILE])
    return run, document, settings, config


def test_the_settings_file_is_where_the_agent_reads_it(published):
    _, document, _, _ = published
    assert SETTINGS_PATH == agent.DEFAULT_SETTINGS_PATH
    for unit in ("chainlink-node.service", "chainlink-watchdog.service",
                 "chainlink-secrets-watch.service"):
        text = written(document, f"/etc/systemd/system/{unit}")
        assert f"/usr/bin/python3 {AGENT_PATH} " in text
    assert AGENT_PATH.endswith("/chainlink_agent.py")


def test_the_http_port_is_one_port_everywhere(published):
    run, document, settings, config = published
    port = config["WebServer"]["HTTPPort"]
    assert port == settings.http_port == agent.NODE_HTTP_PORT
    target_group = only(run, "aws:lb/targetGroup:TargetGroup", "chainlink-web-tg")
    assert target_group["port"] == port
    assert target_group["healthCheck"]["port"] == "traffic-port"
    assert f"{port}:{port}" in option_values(docker_run(document), "--publish")
    host_group = only(run, "aws:ec2/securityGroup:SecurityGroup", "chainlink-node-sg")
    assert any(rule["fromPort"] == rule["toPort"] == port for rule in host_group["ingress"])
    # The CloudWatch agent scrapes the node's /metrics on the same port.
    scrape = written_compressed(document, "/opt/aws/amazon-cloudwatch-agent/etc/prometheus.yaml")
    assert f"localhost:{port}" in scrape


def written_compressed(document: dict, path: str) -> str:
    import gzip
    (entry,) = [entry for entry in document["write_files"] if entry["path"] == path]
    return gzip.decompress(base64.b64decode(entry["content"])).decode("utf-8")


def test_the_p2p_port_is_listened_on_published_and_balanced(published):
    run, document, settings, config = published
    (listen,) = config["P2P"]["V2"]["ListenAddresses"]
    port = int(listen.rsplit(":", 1)[1])
    assert port == settings.p2p_port
    assert only(run, "aws:lb/targetGroup:TargetGroup", "chainlink-p2p-tg")["port"] == port
    assert f"{port}:{port}" in option_values(docker_run(document), "--publish")
    assert config["P2P"]["V2"]["AnnounceAddresses"] == settings.p2p_announce_addresses
    assert all(address.endswith(f":{port}") for address in settings.p2p_announce_addresses)


def test_the_lease_the_failover_figures_use_is_the_lease_the_node_gets(published):
    _, _, _, config = published
    lock = config["Database"]["Lock"]
    assert lock == {"Enabled": True, "LeaseDuration": f"{LEASE_DURATION_SECONDS}s",
                    "LeaseRefreshInterval": f"{LEASE_REFRESH_SECONDS}s"}


def test_the_runtime_directory_is_mounted_where_the_agent_writes(published):
    _, document, settings, _ = published
    argv = docker_run(document)
    runtime = settings.runtime_dir
    assert f"{runtime}:{runtime}:ro" in option_values(argv, "--volume")
    assert option_values(argv, "-config") == [f"{runtime}/{agent.CONFIG_FILE}"]
    assert option_values(argv, "-secrets") == [f"{runtime}/{agent.SECRETS_FILE}"]
    assert option_values(argv, "-a") == [f"{runtime}/{agent.API_FILE}"]
    assert option_values(argv, "--name") == [settings.container]
    assert option_values(argv, "--user") == [f"{settings.container_uid}:{settings.container_gid}"]


def test_the_database_the_agent_dials_is_the_cluster(published):
    run, _, settings, _ = published
    cluster = only(run, "aws:rds/cluster:Cluster", "chainlink-db-cluster")
    assert settings.database_port == cluster["port"]
    assert settings.database_name == cluster["databaseName"]


def test_every_settings_field_survives_the_round_trip(published):
    _, _, settings, _ = published
    assert agent.parse_settings(json.loads(settings.to_json()), "x") == settings


def test_with_p2p_the_node_runs_ocr2_so_the_p2p_stack_listens(published):
    _, _, _, config = published
    assert config["P2P"]["V2"]["Enabled"] is True
    assert config["OCR2"] == {"Enabled": True}
    assert config["Feature"] == {"LogPoller": True}


def test_the_log_driver_never_blocks_the_node(published):
    _, document, _, _ = published
    options = option_values(docker_run(document), "--log-opt")
    assert "mode=non-blocking" in options
    assert any(option.startswith("max-buffer-size=") for option in options)
