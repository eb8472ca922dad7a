"""cloud-init user data for a node host: the files it needs, then one bootstrap script.

The unit with the `docker run` line stays plain text (and that line on one line), so
reviewers and the policy pack can read exactly how the node runs. The agent's source
(28 KB) would not fit EC2's 16 KB user-data limit even compressed: the host downloads
it from S3 and checks it against the SHA-256 written here. The CloudWatch agent
configuration travels gzip+base64. Nothing here is secret: the agent fetches secrets
at every start of the node.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from string import Template

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from components.host.paths import CLOUDWATCH_AGENT_CONFIG, CLOUDWATCH_AGENT_SCRAPE_CONFIG
from components.host import chainlink_agent as agent

HOST_DIR = Path(__file__).resolve().parent
AGENT_SOURCE = Path(agent.__file__).resolve()
USER_DATA_LIMIT_BYTES = 16 * 1024

AGENT_DIR = "/opt/chainlink-agent"
AGENT_PATH = f"{AGENT_DIR}/chainlink_agent.py"
SETTINGS_PATH = agent.DEFAULT_SETTINGS_PATH
SYSTEMD_DIR = "/etc/systemd/system"
UNIT_FILES = ("chainlink-node.service", "chainlink-watchdog.service",
              "chainlink-watchdog.timer", "chainlink-secrets-watch.service",
              "chainlink-secrets-watch.timer")


@dataclass(frozen=True)
class HostTimings:
    restart_delay: int            # s between a crash and the next start
    start_limit_burst: int        # failed starts ...
    start_limit_interval: int     # ... within this many s make systemd give up
    watchdog_interval: int        # s between watchdog runs
    secrets_watch_interval: int   # s between secret-version checks
    boot_grace: int               # s after boot before either timer first runs


@dataclass(frozen=True)
class HostBootstrap:
    image: str
    region: str
    node_log_group: str
    http_port: int
    p2p_port: int                 # 0: P2P networking off
    agent_settings_json: str
    agent_url: str                # s3://bucket/key of AGENT_SOURCE
    cloudwatch_agent_config: str
    timings: HostTimings
    prometheus_config: str = ""


def agent_sha256() -> str:
    return hashlib.sha256(AGENT_SOURCE.read_bytes()).hexdigest()


def image_reference(repository: str, version: str) -> str:
    """`repo:2.29.0`, or `repo@sha256:...` when the version is a digest."""
    return f"{repository}@{version}" if version.startswith("sha256:") else f"{repository}:{version}"


def docker_run_command(host: HostBootstrap) -> list[str]:
    runtime = agent.RUNTIME_DIR
    ports = [host.http_port] + ([host.p2p_port] if host.p2p_port else [])
    return [
        "docker", "run", "--rm", "--name", agent.NODE_CONTAINER,
        # The image's own non-root user, named explicitly; no capabilities, no setuid.
        "--user", f"{agent.CONTAINER_UID}:{agent.CONTAINER_GID}",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        *[argument for port in ports for argument in ("--publish", f"{port}:{port}")],
        "--volume", f"{runtime}:{runtime}:ro",
        "--log-driver", "awslogs",
        "--log-opt", f"awslogs-region={host.region}",
        "--log-opt", f"awslogs-group={host.node_log_group}",
        # %H: systemd puts the host name here, one log stream per host.
        "--log-opt", "awslogs-stream=%H",
        # A CloudWatch Logs stall must never block the node's stdout (and with it the
        # lease holder): drop lines beyond a bounded buffer instead.
        "--log-opt", "mode=non-blocking", "--log-opt", "max-buffer-size=4m",
        host.image,
        "node", "-config", f"{runtime}/{agent.CONFIG_FILE}",
        "-secrets", f"{runtime}/{agent.SECRETS_FILE}",
        "start", "-a", f"{runtime}/{agent.API_FILE}",
    ]


def _template(name: str, **values: object) -> str:
    return Template((HOST_DIR / name).read_text(encoding="utf-8")).substitute(values)


def unit_files(host: HostBootstrap) -> dict[str, str]:
    timings = host.timings
    values = dict(
        image=host.image, container=agent.NODE_CONTAINER,
        docker_run=shlex.join(docker_run_command(host)),
        runtime_directory=Path(agent.RUNTIME_DIR).name,
        restart_delay=timings.restart_delay, start_limit_burst=timings.start_limit_burst,
        start_limit_interval=timings.start_limit_interval,
        watchdog_interval=timings.watchdog_interval,
        secrets_watch_interval=timings.secrets_watch_interval,
        boot_grace=timings.boot_grace)
    return {name: _template(name, **values) for name in UNIT_FILES}


def _gzip_base64(text: str) -> str:
    # mtime=0: the same input gives the same user data, so no launch template churn.
    return base64.b64encode(gzip.compress(text.encode("utf-8"), mtime=0)).decode("ascii")


def _file(path: str, content: str, permissions: str = "0644",
          compressed: bool = False) -> dict[str, object]:
    entry: dict[str, object] = {"path": path, "owner": "root:root",
                                "permissions": permissions}
    if compressed:
        entry.update(encoding="gz+b64", content=_gzip_base64(content))
    else:
        entry["content"] = LiteralScalarString(content)
    return entry


def write_files(host: HostBootstrap) -> list[dict[str, object]]:
    files = [
        _file(SETTINGS_PATH, host.agent_settings_json),
        # bootstrap.sh downloads the agent from here and refuses it unless it matches.
        _file(f"{AGENT_PATH}.url", host.agent_url + "\n"),
        _file(f"{AGENT_PATH}.sha256", f"{agent_sha256()}  {AGENT_PATH}\n"),
        _file(f"{AGENT_DIR}/requirements.txt",
              (HOST_DIR / "requirements.txt").read_text(encoding="utf-8")),
        _file(f"{AGENT_DIR}/bootstrap.sh",
              (HOST_DIR / "bootstrap.sh").read_text(encoding="utf-8"), "0700"),
        *[_file(f"{SYSTEMD_DIR}/{name}", text) for name, text in unit_files(host).items()],
        _file(CLOUDWATCH_AGENT_CONFIG, host.cloudwatch_agent_config, compressed=True),
    ]
    if host.prometheus_config:
        files.append(_file(CLOUDWATCH_AGENT_SCRAPE_CONFIG, host.prometheus_config, compressed=True))
    return files


def cloud_config(host: HostBootstrap) -> str:
    document = {"write_files": write_files(host),
                "runcmd": [[f"{AGENT_DIR}/bootstrap.sh"]]}
    yaml = YAML()
    yaml.width = 4096  # never fold the long docker run line
    stream = io.StringIO()
    yaml.dump(document, stream)
    return "#cloud-config\n" + stream.getvalue()


def user_data(host: HostBootstrap) -> str:
    """Base64, as launch templates take it; refuses to exceed EC2's limit."""
    text = cloud_config(host)
    size = len(text.encode("utf-8"))
    if size > USER_DATA_LIMIT_BYTES:
        raise ValueError(f"node host user data is {size} bytes, over EC2's "
                         f"{USER_DATA_LIMIT_BYTES}; shrink the CloudWatch agent config")
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
