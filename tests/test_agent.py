"""The node agent against moto's server on 127.0.0.1: rendered files, errors, watch, watchdog."""

from __future__ import annotations

import ast
import http.server
import json
import os
import socket
import stat
import sys
import threading
import tomllib
from pathlib import Path
from urllib.parse import unquote, urlsplit

import boto3
import pytest

from components.host import chainlink_agent as agent
from tests.conftest import point_boto3_at, run_ops

REGION = "us-east-1"
# Every character the Quick Start's `printf "$1"` and raw DATABASE_URL broke on, spaces
# inside, non-ASCII; 16 to 50 characters as the node demands.
TRICKY = {
    "api_email": "node-admin+ops@example.com",
    "api_password": "p%@:/?#[]'\"\\$ wörd ÄÖÜ ∑",
    "keystore_password": "ks%20 #[x]'\"\\$@:/? ünï 密码",
    "db_username": "chainlink",
    "db_password": "db%@:/?#[]'\"\\$ pässwörd ☃",
    "ws_url": "wss://rpc.example.com/ws/k3y%2F'\"#?x=[1]",
    "http_url": "https://rpc.example.com/v1/k3y?token=a%b&c='\"#",
}
ONE_CHAIN = [{"chainId": "11155111", "nodes": [{"name": "primary", "sendOnly": False}]}]
MOTO_AMAZON_IMAGE = "ami-12c6146b"  # in moto's default images (moto's own tests use it)
CONTAINER_UID = agent.CONTAINER_UID if os.geteuid() == 0 else os.geteuid()
CONTAINER_GID = agent.CONTAINER_GID if os.geteuid() == 0 else os.getegid()


@pytest.fixture
def aws(moto_url, monkeypatch):
    point_boto3_at(moto_url, moto_url, monkeypatch, region=REGION)
    return moto_url


def put_secret(name: str, value: dict | str) -> str:
    client = boto3.client("secretsmanager", region_name=REGION)
    text = value if isinstance(value, str) else json.dumps(value)
    return client.create_secret(Name=name, SecretString=text)["ARN"]


def node_secrets(values: dict[str, str] = TRICKY) -> agent.SecretArns:
    return agent.SecretArns(
        api_credentials=put_secret("api", {"email": values["api_email"],
                                           "password": values["api_password"]}),
        keystore_password=put_secret("keystore", {"password": values["keystore_password"]}),
        rpc_urls=put_secret("rpc", {"11155111/primary/wsUrl": values["ws_url"],
                                    "11155111/primary/httpUrl": values["http_url"]}),
        database_credentials=put_secret("rds!cluster-1", {"username": values["db_username"],
                                                          "password": values["db_password"]}))


def settings_for(tmp_path: Path, secrets: agent.SecretArns, **changes) -> agent.AgentSettings:
    values = dict(region=REGION, chains=ONE_CHAIN, secrets=secrets,
                  database_host="db.cluster-x.us-east-1.rds.amazonaws.com", database_port=5432,
                  database_name="chainlink", container_uid=CONTAINER_UID,
                  container_gid=CONTAINER_GID, runtime_dir=str(tmp_path / "run"),
                  state_dir=str(tmp_path / "state"),
                  instance_data_file=str(tmp_path / "instance-data.json"), aws_max_attempts=2)
    values.update(changes)
    return agent.AgentSettings(**values)


def settings_file(tmp_path: Path, settings: agent.AgentSettings) -> str:
    path = tmp_path / "agent.json"
    path.write_text(settings.to_json())
    return str(path)


def render(tmp_path: Path, settings: agent.AgentSettings):
    return run_ops("agent", "render", "--settings", settings_file(tmp_path, settings))


def assert_no_secret_in(text: str) -> None:
    for name, value in TRICKY.items():
        if "password" in name:
            assert value not in text, name


def test_rendered_files_parse_back_to_exactly_the_secrets(aws, tmp_path):
    settings = settings_for(tmp_path, node_secrets())
    result = render(tmp_path, settings)
    assert result.returncode == 0, result.stderr
    assert_no_secret_in(result.stdout + result.stderr)

    runtime = Path(settings.runtime_dir)
    config = tomllib.loads((runtime / "config.toml").read_text(encoding="utf-8"))
    (chain,) = config["EVM"]
    (rpc,) = chain["Nodes"]
    assert (chain["ChainID"], rpc["WSURL"], rpc["HTTPURL"]) == (
        "11155111", TRICKY["ws_url"], TRICKY["http_url"])

    secrets = tomllib.loads((runtime / "secrets.toml").read_text(encoding="utf-8"))
    assert secrets["Password"]["Keystore"] == TRICKY["keystore_password"]
    url = urlsplit(secrets["Database"]["URL"])
    assert (unquote(url.username), unquote(url.password)) == (
        TRICKY["db_username"], TRICKY["db_password"])
    assert (url.scheme, url.hostname, url.port, url.path, url.query) == (
        "postgresql", settings.database_host, 5432, "/chainlink", "sslmode=require")

    api_lines = (runtime / ".api").read_text(encoding="utf-8").split("\n")
    assert api_lines == [TRICKY["api_email"], TRICKY["api_password"], ""]


def test_files_are_0600_owned_by_the_container_user_in_a_0700_directory(aws, tmp_path):
    settings = settings_for(tmp_path, node_secrets())
    assert render(tmp_path, settings).returncode == 0
    runtime = Path(settings.runtime_dir)
    assert stat.S_IMODE(runtime.stat().st_mode) == 0o700
    assert sorted(path.name for path in runtime.iterdir()) == [".api", "config.toml",
                                                                "secrets.toml"]
    for path in runtime.iterdir():
        info = path.stat()
        assert stat.S_IMODE(info.st_mode) == 0o600, path.name
        assert (info.st_uid, info.st_gid) == (CONTAINER_UID, CONTAINER_GID), path.name


def test_config_sets_json_logs_tls_at_the_load_balancer_and_the_lease(aws, tmp_path):
    settings = settings_for(tmp_path, node_secrets(), secure_cookies=False)
    assert render(tmp_path, settings).returncode == 0
    config = tomllib.loads((Path(settings.runtime_dir) / "config.toml").read_text())
    assert config["Log"] == {"Level": "info", "JSONConsole": True, "File": {"MaxSize": "0b"}}
    assert config["WebServer"] == {"HTTPPort": 6688, "SecureCookies": False,
                                   "TLS": {"HTTPSPort": 0}}
    assert config["Database"]["Lock"] == {"Enabled": True, "LeaseDuration": "10s",
                                          "LeaseRefreshInterval": "1s"}
    assert config["P2P"] == {"V2": {"Enabled": False}}


def test_p2p_listens_on_its_port_and_announces_the_stable_addresses(aws, tmp_path):
    addresses = ["203.0.113.10:6690", "203.0.113.20:6690"]
    settings = settings_for(tmp_path, node_secrets(), p2p_port=6690,
                            p2p_announce_addresses=addresses)
    assert render(tmp_path, settings).returncode == 0
    config = tomllib.loads((Path(settings.runtime_dir) / "config.toml").read_text())
    assert config["P2P"]["V2"] == {"Enabled": True, "ListenAddresses": ["0.0.0.0:6690"],
                                   "AnnounceAddresses": addresses}


def test_a_missing_secret_leaves_no_file_behind(aws, tmp_path):
    secrets = node_secrets()
    missing = secrets.rpc_urls.replace(":secret:rpc", ":secret:deleted-rpc")
    settings = settings_for(tmp_path, agent.SecretArns(
        secrets.api_credentials, secrets.keystore_password, missing,
        secrets.database_credentials))
    result = render(tmp_path, settings)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: reading secret ") and missing in line
    assert "does not exist" in line and "Traceback" not in result.stderr
    assert not Path(settings.runtime_dir).exists()
    assert not Path(settings.state_dir).exists()


@pytest.mark.parametrize("api_value, complaint, hidden", [
    ("{not json", "is not a JSON object with the string keys email, password", "{not json"),
    ({"email": "a@example.com"}, "lacks password", None),
    ({"email": "a@example.com", "password": "too-short-pw"}, "must be 16 to 50 bytes",
     "too-short-pw"),
    # 26 characters, 52 bytes: the node counts bytes (the agent used to count characters).
    ({"email": "a@example.com", "password": "é" * 26}, "it has 52 bytes", "é" * 26),
    ({"email": "a@example.com", "password": " surrounded-by-spaces-1234 "},
     "must not start or end with whitespace", "surrounded-by-spaces-1234"),
    ({"email": "a@example.com", "password": "line\nbreak-in-the-password"},
     "control characters", "break-in-the-password"),
    ({"email": "Ops <a@example.com>", "password": "a-fine-api-password-1"},
     "email must be a plain e-mail address", "Ops <"),
])
def test_invalid_secret_contents_are_refused_without_showing_them(aws, tmp_path, api_value,
                                                                 complaint, hidden):
    secrets = node_secrets()
    bad = put_secret("bad-api", api_value)
    settings = settings_for(tmp_path, agent.SecretArns(
        bad, secrets.keystore_password, secrets.rpc_urls, secrets.database_credentials))
    result = render(tmp_path, settings)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert complaint in line and bad in line
    assert hidden is None or hidden not in result.stdout + result.stderr
    assert not Path(settings.runtime_dir).exists()


def test_keystore_and_database_passwords_have_no_50_byte_limit(aws, tmp_path):
    """Only the API user's password meets bcrypt's 50; the node takes longer others."""
    long_password = "k" * 80
    values = dict(TRICKY, keystore_password=long_password)
    settings = settings_for(tmp_path, node_secrets(values))
    result = render(tmp_path, settings)
    assert result.returncode == 0, result.stderr
    secrets = tomllib.loads((Path(settings.runtime_dir) / "secrets.toml").read_text())
    assert secrets["Password"]["Keystore"] == long_password


def test_rendering_again_replaces_the_files_and_leaves_no_temporary_ones(aws, tmp_path):
    secrets = node_secrets()
    settings = settings_for(tmp_path, secrets)
    assert render(tmp_path, settings).returncode == 0
    client = boto3.client("secretsmanager", region_name=REGION)
    client.put_secret_value(SecretId=secrets.keystore_password,
                            SecretString=json.dumps({"password": "a-rotated-keystore-pw-1"}))
    assert render(tmp_path, settings).returncode == 0
    runtime = Path(settings.runtime_dir)
    assert sorted(path.name for path in runtime.iterdir()) == [".api", "config.toml",
                                                                "secrets.toml"]
    secrets_toml = tomllib.loads((runtime / "secrets.toml").read_text())
    assert secrets_toml["Password"]["Keystore"] == "a-rotated-keystore-pw-1"


def aws_error(code: str, status: int = 400):
    """A before-send hook answering like the service would, so botocore's own retry
    logic sees it."""
    from botocore.awsrequest import AWSResponse

    class Raw:
        def stream(self, **_):
            yield json.dumps({"__type": code, "message": "from the test"}).encode()

    def respond(request, **_):
        return AWSResponse(request.url, status, {"x-amzn-ErrorType": code}, Raw())
    return respond


def test_throttling_is_retried_with_backoff_then_succeeds(aws, tmp_path, monkeypatch):
    settings = settings_for(tmp_path, node_secrets(), aws_max_attempts=3)
    client = agent.aws_client("secretsmanager", settings)
    sleeps: list[float] = []
    monkeypatch.setattr("time.sleep", sleeps.append)
    throttle = aws_error("ThrottlingException")
    calls = {"count": 0}

    def throttle_twice(request, **kwargs):
        calls["count"] += 1
        return throttle(request, **kwargs) if calls["count"] <= 2 else None
    client.meta.events.register("before-send.secrets-manager.GetSecretValue", throttle_twice)
    assert agent.render(settings, client) == 0
    assert len(sleeps) == 2  # two backoffs, then every secret was read
    assert (Path(settings.runtime_dir) / "secrets.toml").exists()


@pytest.mark.parametrize("code, exit_code, advice", [
    ("ThrottlingException", 1, "still throttled (ThrottlingException) after 2 attempts"),
    ("AccessDeniedException", 1, "access denied; the instance role must allow this call"),
    ("DecryptionFailure", 1, "cannot decrypt it"),
])
def test_aws_errors_give_one_line_and_no_file(aws, tmp_path, monkeypatch, capsys, code,
                                              exit_code, advice):
    settings = settings_for(tmp_path, node_secrets())
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    client = agent.aws_client("secretsmanager", settings)
    client.meta.events.register("before-send.secrets-manager.GetSecretValue", aws_error(code))
    with pytest.raises(agent.AgentError) as raised:
        agent.render(settings, client)
    assert raised.value.exit_code == exit_code
    message = str(raised.value)
    assert "\n" not in message and advice in message
    assert message.startswith(f"reading secret {settings.secrets.api_credentials}: ")
    assert not Path(settings.runtime_dir).exists()


def test_settings_written_by_the_program_are_what_the_agent_reads(tmp_path):
    settings = settings_for(tmp_path, agent.SecretArns("a", "b", "c", "d"), p2p_port=6690,
                            p2p_announce_addresses=["203.0.113.1:6690"])
    assert agent.parse_settings(json.loads(settings.to_json()), "x") == settings


@pytest.mark.parametrize("edit, complaint", [
    (lambda doc: doc["secrets"].pop("rpcUrls"), "secrets.rpcUrls is missing"),
    (lambda doc: doc["database"].update(port="5432"), "database.port must be a int"),
    (lambda doc: doc["database"].update(sslMode="disable"), "database.sslMode must be one of"),
    (lambda doc: doc.update(version=1), "version must be 2"),
    (lambda doc: doc.update(chains=[]), "chains must be a non-empty list"),
    (lambda doc: doc["chains"][0]["nodes"][0].pop("sendOnly"), "chains must be"),
    (lambda doc: doc["p2p"].update(port=6690), "p2p.announceAddresses must name"),
    (lambda doc: doc["p2p"].update(announceAddresses=[6690]), "must be host:port strings"),
])
def test_bad_settings_exit_2_with_one_line_naming_the_key(tmp_path, edit, complaint):
    document = json.loads(settings_for(tmp_path, agent.SecretArns("a", "b", "c", "d")).to_json())
    edit(document)
    path = tmp_path / "agent.json"
    path.write_text(json.dumps(document))
    result = run_ops("agent", "render", "--settings", str(path))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {path}: ") and complaint in line


def test_unreadable_settings_exit_2(tmp_path):
    result = run_ops("agent", "watch", "--settings", str(tmp_path / "absent.json"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot read settings ")
    (tmp_path / "broken.json").write_text("{")
    result = run_ops("agent", "watch", "--settings", str(tmp_path / "broken.json"))
    assert result.returncode == 2 and "is not valid JSON" in result.stderr


# --- watch and watchdog: fake systemctl and docker on PATH -------------------------------

@pytest.fixture
def fake_host(tmp_path, monkeypatch):
    """systemctl and docker that log their arguments and answer from files."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "commands.log"
    unit_state = tmp_path / "unit-state"
    container_state = tmp_path / "container-running"
    script = (f"#!{sys.executable}\n"
              "import json, os, sys\n"
              f"open({str(log)!r}, 'a').write(json.dumps(sys.argv) + '\\n')\n"
              "name = os.path.basename(sys.argv[0])\n"
              "if name == 'systemctl' and sys.argv[1] == 'show':\n"
              f"    print(open({str(unit_state)!r}).read())\n"
              "if name == 'docker' and sys.argv[1] == 'inspect':\n"
              f"    state = open({str(container_state)!r}).read().strip()\n"
              "    print(state) if state else sys.exit('Error: No such object')\n")
    for name in ("systemctl", "docker"):
        (bin_dir / name).write_text(script)
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    class Host:
        def set(self, active_state: str, active_for_s: float, running: bool) -> None:
            since = agent.time.monotonic_ns() // 1000 - int(active_for_s * 1e6)
            unit_state.write_text(f"ActiveState={active_state}\n"
                                  f"ActiveEnterTimestampMonotonic={since}\nNRestarts=10\n")
            container_state.write_text("true" if running else "")

        def commands(self) -> list[list[str]]:
            if not log.exists():
                return []
            return [[Path(argv[0]).name, *argv[1:]]
                    for argv in map(json.loads, log.read_text().splitlines())]
    return Host()


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def lease_holder():
    """A node that holds the lease: /readyz answers 200 on a local port."""
    class Ready(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self.send_response(200 if self.path == "/readyz" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Ready)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def rotate_database_password(secrets) -> None:
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=secrets.database_credentials,
        SecretString=json.dumps({"username": "chainlink",
                                 "password": "a-rotated-password-from-rds"}))


def test_watch_restarts_the_node_when_the_database_password_was_rotated(aws, tmp_path,
                                                                        fake_host):
    # No /readyz listener: this host is the standby, which restarts at once.
    secrets = node_secrets()
    settings = settings_for(tmp_path, secrets, http_port=unused_port())
    path = settings_file(tmp_path, settings)
    assert run_ops("agent", "render", "--settings", path).returncode == 0

    assert run_ops("agent", "watch", "--settings", path).returncode == 0
    assert fake_host.commands() == []

    rotate_database_password(secrets)
    result = run_ops("agent", "watch", "--settings", path)
    assert result.returncode == 0, result.stderr
    assert fake_host.commands() == [["systemctl", "try-restart", "chainlink-node.service"]]
    assert secrets.database_credentials in result.stdout
    assert "a-rotated-password-from-rds" not in result.stdout + result.stderr


def test_the_lease_holder_restarts_only_after_the_standby_had_time_to(aws, tmp_path, fake_host,
                                                                       lease_holder):
    secrets = node_secrets()
    settings = settings_for(tmp_path, secrets, http_port=lease_holder)
    path = settings_file(tmp_path, settings)
    assert run_ops("agent", "render", "--settings", path).returncode == 0
    rotate_database_password(secrets)

    result = run_ops("agent", "watch", "--settings", path)
    assert result.returncode == 0, result.stderr
    assert fake_host.commands() == []
    assert "holds the lease, so it restarts in 120 s" in result.stdout
    marker = Path(settings.state_dir) / agent.ROTATION_PENDING_FILE
    noticed = float(marker.read_text())

    assert run_ops("agent", "watch", "--settings", path).returncode == 0
    assert fake_host.commands() == []  # still within the delay
    assert float(marker.read_text()) == noticed  # the first sighting counts

    marker.write_text(f"{noticed - agent.PRIMARY_RESTART_DELAY_SECONDS}\n")
    assert run_ops("agent", "watch", "--settings", path).returncode == 0
    assert fake_host.commands() == [["systemctl", "try-restart", "chainlink-node.service"]]
    assert not marker.exists()


def test_watch_never_restarts_for_a_new_keystore_password(aws, tmp_path, fake_host):
    """The key ring stays encrypted with the old password: a restart would crash-loop."""
    secrets = node_secrets()
    settings = settings_for(tmp_path, secrets, http_port=unused_port())
    path = settings_file(tmp_path, settings)
    assert run_ops("agent", "render", "--settings", path).returncode == 0
    client = boto3.client("secretsmanager", region_name=REGION)
    client.put_secret_value(SecretId=secrets.keystore_password,
                            SecretString=json.dumps({"password": "a-new-keystore-password"}))
    client.put_secret_value(SecretId=secrets.api_credentials, SecretString=json.dumps(
        {"email": "other@example.com", "password": "a-new-api-password-1"}))
    result = run_ops("agent", "watch", "--settings", path)
    assert result.returncode == 0, result.stderr
    assert fake_host.commands() == []
    assert "NOT restarted" in result.stdout and "Keystore password" in result.stdout
    assert "a-new-keystore-password" not in result.stdout + result.stderr


def test_several_chains_and_send_only_nodes_render_as_evm_tables(aws, tmp_path):
    chains = [{"chainId": "1", "nodes": [{"name": "a", "sendOnly": False},
                                         {"name": "b", "sendOnly": False},
                                         {"name": "flashbots", "sendOnly": True}]},
              {"chainId": "137", "nodes": [{"name": "a", "sendOnly": False}]}]
    urls = {"1/a/wsUrl": "wss://a.example/1", "1/a/httpUrl": "https://a.example/1",
            "1/b/wsUrl": "wss://b.example/1", "1/b/httpUrl": "https://b.example/1",
            "1/flashbots/httpUrl": "https://rpc.flashbots.net",
            "137/a/wsUrl": "wss://a.example/137", "137/a/httpUrl": "https://a.example/137"}
    base = node_secrets()
    secrets = agent.SecretArns(base.api_credentials, base.keystore_password,
                               put_secret("rpc-multi", urls), base.database_credentials)
    settings = settings_for(tmp_path, secrets, chains=chains, p2p_port=6690,
                            p2p_announce_addresses=["203.0.113.9:6690"])
    result = render(tmp_path, settings)
    assert result.returncode == 0, result.stderr
    config = tomllib.loads((Path(settings.runtime_dir) / "config.toml").read_text())
    assert [chain["ChainID"] for chain in config["EVM"]] == ["1", "137"]
    assert config["EVM"][0]["Nodes"] == [
        {"Name": "a", "WSURL": "wss://a.example/1", "HTTPURL": "https://a.example/1"},
        {"Name": "b", "WSURL": "wss://b.example/1", "HTTPURL": "https://b.example/1"},
        {"Name": "flashbots", "HTTPURL": "https://rpc.flashbots.net", "SendOnly": True}]
    # P2P listens only when OCR2 is on, and OCR2 needs the log poller.
    assert config["OCR2"] == {"Enabled": True} and config["Feature"] == {"LogPoller": True}
    assert config["P2P"]["V2"]["ListenAddresses"] == ["0.0.0.0:6690"]


def test_a_missing_rpc_url_names_its_chain_and_node(aws, tmp_path):
    base = node_secrets()
    rpc = put_secret("rpc-partial", {"11155111/primary/wsUrl": "wss://a.example/ws"})
    settings = settings_for(tmp_path, agent.SecretArns(base.api_credentials,
                                                       base.keystore_password, rpc,
                                                       base.database_credentials))
    result = render(tmp_path, settings)
    assert result.returncode == 2
    assert "lacks 11155111/primary/httpUrl" in result.stderr


def test_watch_before_any_render_does_nothing(aws, tmp_path, fake_host):
    settings = settings_for(tmp_path, node_secrets())
    result = run_ops("agent", "watch", "--settings", settings_file(tmp_path, settings))
    assert result.returncode == 0 and fake_host.commands() == []


@pytest.mark.parametrize("active_state, active_for_s, running, unhealthy", [
    ("active", 3600, True, False),       # serving, or waiting for the lease
    ("activating", 5, False, False),     # restarting after a crash: systemd's job
    ("inactive", 600, False, False),     # stopped on purpose by an operator
    ("active", 10, False, False),        # just started: within the grace period
    ("active", 120, False, True),        # the unit runs but its container is gone
    ("failed", 600, False, True),        # systemd gave up restarting it
])
def test_unhealthy_only_when_the_node_cannot_run(tmp_path, active_state, active_for_s,
                                                running, unhealthy):
    settings = settings_for(tmp_path, agent.SecretArns("a", "b", "c", "d"))
    now = 10**12
    state = agent.UnitState(active_state, now - int(active_for_s * 1e6), restarts=10)
    reason = agent.unhealthy_reason(state, running, now, settings)
    assert (reason is not None) == unhealthy


def node_group_with_one_instance() -> str:
    ec2 = boto3.client("ec2", region_name=REGION)
    # One of the Amazon images moto starts with, asked for by id: listing all of them
    # (Owners=["amazon"], 1,301 images) cost moto 2 s of CPU a call to serialise.
    (found,) = ec2.describe_images(ImageIds=[MOTO_AMAZON_IMAGE])["Images"]
    image = found["ImageId"]
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    template = ec2.create_launch_template(
        LaunchTemplateName="node", LaunchTemplateData={"ImageId": image,
                                                       "InstanceType": "t3.micro"})
    autoscaling = boto3.client("autoscaling", region_name=REGION)
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="node", MinSize=1, MaxSize=1, DesiredCapacity=1,
        VPCZoneIdentifier=subnet,
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"]})
    (instance,) = autoscaling.describe_auto_scaling_groups(
        AutoScalingGroupNames=["node"])["AutoScalingGroups"][0]["Instances"]
    return instance["InstanceId"]


def health_of(instance: str) -> str:
    (instance_info,) = boto3.client("autoscaling", region_name=REGION).describe_auto_scaling_instances(
        InstanceIds=[instance])["AutoScalingInstances"]
    return instance_info["HealthStatus"].upper()


@pytest.mark.parametrize("active_state, running, expected_exit, expected_health", [
    ("failed", False, 1, "UNHEALTHY"),
    ("active", True, 0, "HEALTHY"),
])
def test_watchdog_reports_its_own_instance_to_the_group(aws, tmp_path, fake_host,
                                                       active_state, running, expected_exit,
                                                       expected_health):
    instance = node_group_with_one_instance()
    settings = settings_for(tmp_path, agent.SecretArns("a", "b", "c", "d"))
    Path(settings.instance_data_file).write_text(json.dumps({"v1": {"instance_id": instance}}))
    fake_host.set(active_state, active_for_s=600, running=running)
    result = run_ops("agent", "watchdog", "--settings", settings_file(tmp_path, settings))
    assert result.returncode == expected_exit, result.stderr
    assert health_of(instance) == expected_health
    if expected_health == "UNHEALTHY":
        assert f"reported {instance} unhealthy" in result.stdout
    assert ["systemctl", "show", "chainlink-node.service", "--property=ActiveState",
            "--property=ActiveEnterTimestampMonotonic",
            "--property=NRestarts"] in fake_host.commands()


def test_agent_source_runs_on_the_hosts_python_3_9():
    """Amazon Linux 2023 runs Python 3.9: no newer syntax, annotations never evaluated."""
    source = Path(agent.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source, feature_version=(3, 9))
    assert any(isinstance(node, ast.ImportFrom) and node.module == "__future__"
               and any(alias.name == "annotations" for alias in node.names)
               for node in tree.body)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    allowed = set(sys.stdlib_module_names) | {"boto3", "botocore", "tomlkit", "__future__"}
    assert imported <= allowed, imported - allowed
