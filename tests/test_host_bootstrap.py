"""The node hosts' user data: valid cloud-config, clean shell, no secret, a non-root node."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from components.host.user_data import HOST_DIR, USER_DATA_LIMIT_BYTES
from ops.lib.stackfile import PROJECT_ROOT
from tests.test_node import named, user_data_text

STACKS = ["dev", "prod"]
# Distinctive values for every secret the stack takes, to look for in the user data.
SECRETS = {"apiPassword": "api-Secret-Value-7f3a9c", "keystorePassword": "ks-Secret-Value-2b8e4d",
           "chains": json.dumps([{"chain": "ethereum-mainnet",
                                  "wsUrl": "wss://rpc.example.com/ws/ws-Secret-Key-91c2",
                                  "httpUrl": "https://rpc.example.com/http-Secret-Key-5d7e"}])}
URLS = ["wss://rpc.example.com/ws/ws-Secret-Key-91c2",
        "https://rpc.example.com/http-Secret-Key-5d7e"]


def cloud_config(text: str) -> dict:
    assert text.startswith("#cloud-config\n")
    return YAML(typ="safe").load(text)


def written_file(text: str, path: str) -> str:
    (entry,) = [entry for entry in cloud_config(text)["write_files"] if entry["path"] == path]
    assert "encoding" not in entry, f"{path} should be plain text"
    return entry["content"]


def node_unit(text: str) -> str:
    return written_file(text, "/etc/systemd/system/chainlink-node.service")


def require(tool: str) -> str:
    """The validators are part of the test environment (`.ci/run` installs them); a
    missing one is a failure to fix, never a reason to skip."""
    path = shutil.which(tool)
    assert path, f"{tool} is not installed: run .ci/run or apt-get install {tool}"
    return path


@pytest.mark.parametrize("overrides", [{}, {"p2pEnabled": "true"}, {"certificateArn": None}],
                         ids=["checked-in", "p2p", "no-certificate"])
@pytest.mark.parametrize("stack", STACKS)
def test_user_data_is_valid_cloud_config_within_the_ec2_limit(stack_run, tmp_path, stack,
                                                              overrides):
    text = user_data_text(stack_run(stack, **overrides))
    assert len(text.encode("utf-8")) < USER_DATA_LIMIT_BYTES
    path = tmp_path / "user-data.yaml"
    path.write_text(text)
    result = subprocess.run([require("cloud-init"), "schema", "--config-file", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid cloud-config" in result.stdout


def test_the_bootstrap_script_passes_shellcheck_and_is_what_the_hosts_run(stack_run):
    script = HOST_DIR / "bootstrap.sh"
    result = subprocess.run([require("shellcheck"), "--severity=style", str(script)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout
    text = user_data_text(stack_run("prod"))
    assert written_file(text, "/opt/chainlink-agent/bootstrap.sh") == script.read_text()
    assert cloud_config(text)["runcmd"] == [["/opt/chainlink-agent/bootstrap.sh"]]


def test_no_secret_reaches_the_user_data_or_any_plain_input(stack_run):
    run = stack_run("prod", **SECRETS)
    text = user_data_text(run)
    searched = [SECRETS["apiPassword"], SECRETS["keystorePassword"], *URLS]
    for value in searched:
        assert value not in text, value
    for resource in run.resources:
        plain = json.dumps(strip_secrets(resource.inputs))
        for value in searched:
            assert value not in plain, f"{value} in plain inputs of {resource.name}"


def strip_secrets(value):
    """Inputs with every secret-wrapped value removed: what would be stored in clear."""
    from policies.rules.common.values import is_secret_wire_value as is_secret
    if is_secret(value):
        return None
    if isinstance(value, dict):
        return {key: strip_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [strip_secrets(item) for item in value]
    return value


def exec_lines(unit: str, key: str) -> list[list[str]]:
    """ExecStart=/ExecStartPre= command lines as systemd would run them on host `node-a`."""
    commands = []
    for line in unit.splitlines():
        if line.startswith(f"{key}="):
            command = line.split("=", 1)[1].lstrip("-")
            commands.append(shlex.split(command.replace("%H", "node-a")))
    return commands


@pytest.fixture
def fake_docker(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "docker.log"
    docker = bin_dir / "docker"
    docker.write_text(f"#!{sys.executable}\nimport json, sys\n"
                      f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n")
    docker.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    def run(commands: list[list[str]]) -> list[list[str]]:
        for command in commands:
            assert command[0] == "docker", "the unit must find docker on PATH"
            subprocess.run(command, env=env, check=True, timeout=30)
        return [json.loads(line) for line in log.read_text().splitlines()]
    return run


@pytest.mark.parametrize("stack", STACKS)
def test_the_node_runs_as_the_images_own_user_never_privileged(stack_run, fake_docker, stack):
    run = stack_run(stack)
    unit = node_unit(user_data_text(run))
    (recorded,) = fake_docker(exec_lines(unit, "ExecStart"))
    assert recorded[0] == "run"
    assert recorded[recorded.index("--user") + 1] == "14933:14933"
    assert not any(argument.startswith("--privileged") for argument in recorded)
    assert not any(argument.startswith("--cap-add") for argument in recorded)
    assert recorded[recorded.index("--cap-drop") + 1] == "ALL"
    assert recorded[recorded.index("--security-opt") + 1] == "no-new-privileges"
    assert recorded[recorded.index("--volume") + 1] == "/run/chainlink:/run/chainlink:ro"
    options = [recorded[i + 1] for i, argument in enumerate(recorded) if argument == "--log-opt"]
    assert recorded[recorded.index("--log-driver") + 1] == "awslogs"
    assert f"awslogs-group={run.outputs['nodeLogGroup']}" in options
    assert "awslogs-stream=node-a" in options
    image = "public.ecr.aws/chainlink/chainlink:2.29.0"
    assert recorded[recorded.index(image) + 1:] == [
        "node", "-config", "/run/chainlink/config.toml",
        "-secrets", "/run/chainlink/secrets.toml", "start", "-a", "/run/chainlink/.api"]
    assert [publish for i, publish in enumerate(recorded[1:]) if recorded[i] == "--publish"] \
        == ["6688:6688"]


def test_before_every_start_the_agent_renders_then_the_image_is_fetched(stack_run, fake_docker):
    unit = node_unit(user_data_text(stack_run("dev")))
    (render, *docker_steps) = exec_lines(unit, "ExecStartPre")
    assert render == ["/usr/bin/python3", "/opt/chainlink-agent/chainlink_agent.py", "render"]
    recorded = fake_docker(docker_steps)
    assert recorded == [["rm", "--force", "chainlink-node"],
                        ["pull", "public.ecr.aws/chainlink/chainlink:2.29.0"]]
    # rm and pull may fail (no container yet, registry unreachable with a cached image).
    assert all(line.startswith("ExecStartPre=-docker ") for line in unit.splitlines()
               if line.startswith("ExecStartPre=") and "docker" in line)
    assert re.search(r"^Restart=on-failure$", unit, re.MULTILINE)
    assert re.search(r"^RuntimeDirectory=chainlink$", unit, re.MULTILINE)
    assert re.search(r"^RuntimeDirectoryMode=0700$", unit, re.MULTILINE)


def test_every_docker_run_in_the_user_data_names_a_non_root_user(stack_run):
    """What the policy pack reads: every `docker run` line carries `--user <non-root>`."""
    for stack in STACKS:
        lines = [line for line in user_data_text(stack_run(stack, p2pEnabled="true")).splitlines()
                 if "docker run" in line]
        assert lines
        for line in lines:
            user = re.search(r"--user (\S+)", line)
            assert user and user.group(1).split(":")[0] not in ("0", "root"), line
            assert "--privileged" not in line and "-root" not in line.split("--user")[1]


def test_timers_run_the_watchdog_and_the_secrets_watch(stack_run):
    text = user_data_text(stack_run("prod"))
    for name, command in (("chainlink-watchdog", "watchdog"),
                          ("chainlink-secrets-watch", "watch")):
        service = written_file(text, f"/etc/systemd/system/{name}.service")
        timer = written_file(text, f"/etc/systemd/system/{name}.timer")
        assert f"ExecStart=/usr/bin/python3 /opt/chainlink-agent/chainlink_agent.py {command}" \
            in service
        assert re.search(r"^OnUnitActiveSec=\d+$", timer, re.MULTILINE)
        assert f"{name}.timer" in written_file(text, "/opt/chainlink-agent/bootstrap.sh")


def test_the_hosts_tomlkit_is_the_repositorys_pin_and_hash_checked():
    repository = re.search(r"^tomlkit==(\S+)$",
                           (PROJECT_ROOT / "requirements.txt").read_text(), re.MULTILINE)
    host = re.search(r"^tomlkit==(\S+) --hash=sha256:[0-9a-f]{64}$",
                     (HOST_DIR / "requirements.txt").read_text(), re.MULTILINE)
    assert repository and host and host.group(1) == repository.group(1)
    assert "--require-hashes" in (HOST_DIR / "bootstrap.sh").read_text()


def test_the_hosts_ship_their_boot_and_agent_logs_to_the_bootstrap_group(stack_run):
    run = stack_run("dev")
    (entry,) = [entry for entry in cloud_config(user_data_text(run))["write_files"]
                if entry["path"].endswith("amazon-cloudwatch-agent.json")]
    import base64
    import gzip
    config = json.loads(gzip.decompress(base64.b64decode(entry["content"])))
    collected = config["logs"]["logs_collected"]["files"]["collect_list"]
    bootstrap_group = named(run, "aws:cloudwatch/logGroup:LogGroup", "chainlink-bootstrap")
    assert {item["file_path"] for item in collected} == {
        "/var/log/cloud-init-output.log", "/var/log/chainlink-agent.log"}
    assert all(item["log_group_name"].startswith(bootstrap_group["namePrefix"])
               for item in collected)


def test_a_given_cloudwatch_and_prometheus_config_are_written_verbatim():
    """The observability tier hands its agent configuration to ChainlinkNodeArgs."""
    import base64
    import gzip

    from components.host.paths import (CLOUDWATCH_AGENT_CONFIG as CLOUDWATCH_CONFIG_PATH,
                                       CLOUDWATCH_AGENT_SCRAPE_CONFIG as PROMETHEUS_CONFIG_PATH)
    from components.host.user_data import HostBootstrap, HostTimings, cloud_config
    cloudwatch = json.dumps({"logs": {"metrics_collected": {"prometheus": {
        "prometheus_config_path": PROMETHEUS_CONFIG_PATH}}}})
    prometheus = "scrape_configs:\n- job_name: chainlink\n  static_configs:\n" \
                 "  - targets: ['localhost:6688']\n"
    host = HostBootstrap(image="public.ecr.aws/chainlink/chainlink:2.29.0", region="eu-west-1",
                         node_log_group="/chainlink/node", http_port=6688, p2p_port=0,
                         agent_settings_json="{}\n", agent_url="s3://bucket/agent.py",
                         cloudwatch_agent_config=cloudwatch, prometheus_config=prometheus,
                         timings=HostTimings(10, 10, 900, 30, 60, 300))
    files = {entry["path"]: entry for entry in cloud_config_entries(cloud_config(host))}
    for path, text in ((CLOUDWATCH_CONFIG_PATH, cloudwatch), (PROMETHEUS_CONFIG_PATH, prometheus)):
        assert files[path]["encoding"] == "gz+b64"
        assert gzip.decompress(base64.b64decode(files[path]["content"])).decode() == text


def cloud_config_entries(text: str) -> list[dict]:
    return cloud_config(text)["write_files"]
