"""`ops agent render` under injected faults and out-of-range settings (issue 17, item 3).

All or none: a secret that cannot be encoded fails before anything is written, a full disk
after the first file leaves the earlier set byte for byte, and temporary files a killed
run left behind are removed. Settings out of range are one line, exit 2.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import boto3
import pytest

from components.host import chainlink_agent as agent
from ops.lib.paths import PROJECT_ROOT
from tests.conftest import run_ops
from tests.test_agent import (REGION, TRICKY, aws, node_secrets, put_secret,  # noqa: F401
                              render, settings_for)

RENDERED = [".api", "config.toml", "secrets.toml"]


def file_set(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def with_secret(secrets: agent.SecretArns, **changes: str) -> agent.SecretArns:
    values = dict(api_credentials=secrets.api_credentials,
                  keystore_password=secrets.keystore_password, rpc_urls=secrets.rpc_urls,
                  database_credentials=secrets.database_credentials)
    values.update(changes)
    return agent.SecretArns(**values)


@pytest.mark.parametrize("field, replacement, key", [
    # JSON's \ud800 alone: valid JSON, a lone surrogate in Python, no UTF-8 for it.
    ("rpc_urls", {"11155111/primary/wsUrl": "wss://rpc.example.com/\ud800k3y",
                  "11155111/primary/httpUrl": TRICKY["http_url"]}, "11155111/primary/wsUrl"),
    ("database_credentials", {"username": "chain\ud800link",
                              "password": TRICKY["db_password"]}, "username"),
])
def test_a_secret_with_a_lone_surrogate_fails_before_anything_is_written(aws, tmp_path, field,
                                                                        replacement, key):
    bad = put_secret("surrogate", replacement)
    settings = settings_for(tmp_path, with_secret(node_secrets(), **{field: bad}))
    result = render(tmp_path, settings)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: secret {bad}: {key} is not UTF-8 text (it holds a lone surrogate, such as "
        "the JSON escape \\ud800 alone); put a new version of the secret\n")
    assert not Path(settings.runtime_dir).exists()
    assert not Path(settings.state_dir).exists()


def test_a_full_disk_after_the_first_file_leaves_the_earlier_set(aws, tmp_path, monkeypatch):
    secrets = node_secrets()
    settings = settings_for(tmp_path, secrets)
    assert render(tmp_path, settings).returncode == 0
    runtime, state = Path(settings.runtime_dir), Path(settings.state_dir)
    before, versions_before = file_set(runtime), file_set(state)
    # New values for every file: a partial set would show.
    client = boto3.client("secretsmanager", region_name=REGION)
    client.put_secret_value(SecretId=secrets.keystore_password,
                            SecretString=json.dumps({"password": "a-rotated-keystore-pw-1"}))
    client.put_secret_value(SecretId=secrets.rpc_urls, SecretString=json.dumps(
        {"11155111/primary/wsUrl": "wss://new.example.com/ws",
         "11155111/primary/httpUrl": "https://new.example.com/http"}))

    real_fsync, calls = os.fsync, []

    def full_after_the_first_file(handle: int) -> None:
        calls.append(handle)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(handle)
    monkeypatch.setattr(os, "fsync", full_after_the_first_file)
    with pytest.raises(agent.AgentError) as raised:
        agent.render(settings, agent.aws_client("secretsmanager", settings))
    monkeypatch.undo()

    assert len(calls) == 2
    assert file_set(runtime) == before  # the same names (no temporary file), the same bytes
    assert file_set(state) == versions_before
    assert raised.value.exit_code == 1
    assert str(raised.value) == (
        f"cannot write into {runtime} and {state}: No space left on device; nothing was "
        "changed (the files of the last render are in place): free space or fix the "
        "directories, then restart chainlink-node.service")


def test_temporary_files_a_killed_render_left_are_removed(aws, tmp_path):
    settings = settings_for(tmp_path, node_secrets())
    assert render(tmp_path, settings).returncode == 0
    runtime, state = Path(settings.runtime_dir), Path(settings.state_dir)
    # What kill -9 during a write leaves: this agent's names, and the previous agent's
    # (mkstemp without a suffix). A file of another name is not the agent's to remove.
    stale = [runtime / ".secrets.toml.k9x2ab7q", runtime / ".config.toml.abcdefgh.tmp",
             runtime / "..api.z_0a9b8c.tmp", state / ".secret-versions.json.q1w2e3r4"]
    for path in stale:
        path.write_text("[Password]\nKeystore = 'from a run killed mid-write'\n")
        path.chmod(0o600)
    (runtime / "operator-notes").write_text("keep me")
    result = render(tmp_path, settings)
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in runtime.iterdir()) == sorted(RENDERED + ["operator-notes"])
    assert sorted(path.name for path in state.iterdir()) == [agent.VERSIONS_FILE]


def settings_document(tmp_path: Path) -> dict:
    return json.loads(settings_for(tmp_path, agent.SecretArns("a", "b", "c", "d")).to_json())


@pytest.mark.parametrize("edit, complaint", [
    (lambda doc: doc.update(awsMaxAttempts=0), "awsMaxAttempts must be from 1 to 20, got 0"),
    (lambda doc: doc.update(awsMaxAttempts=-3), "awsMaxAttempts must be from 1 to 20, got -3"),
    (lambda doc: doc.update(region="mars-north-9"),
     "region must be an AWS region such as us-east-1, got 'mars-north-9'"),
    (lambda doc: doc.update(region="us-east-1\n"),
     "region must be an AWS region such as us-east-1, got 'us-east-1\\n'"),
    (lambda doc: doc["node"].update(gid=-1), "node.gid must be from 0 to 4294967294, got -1"),
    (lambda doc: doc["node"].update(uid=-1), "node.uid must be from 0 to 4294967294, got -1"),
    (lambda doc: doc["node"].update(runtimeDir="run/chainlink"),
     "node.runtimeDir must be an absolute path below / such as /run/chainlink, got "
     "'run/chainlink'"),
    (lambda doc: doc.update(stateDir="."), "stateDir must be an absolute path"),
    (lambda doc: doc.update(stateDir="/"), "stateDir must be an absolute path"),
    (lambda doc: doc.update(instanceDataFile="/run/\u0000x"),
     "instanceDataFile must be an absolute path"),
    (lambda doc: doc["database"].update(port=0), "database.port must be from 1 to 65535"),
    (lambda doc: doc["database"].update(host="db@evil.example/x?"),
     "database.host must be a DNS name or IPv4 address"),
    (lambda doc: doc["database"].update(name="chain\ud800link"),
     "database.name must be UTF-8 text (it holds a lone surrogate)"),
    (lambda doc: doc["webServer"].update(httpPort=70000),
     "webServer.httpPort must be from 1 to 65535, got 70000"),
    (lambda doc: doc["p2p"].update(port=-1), "p2p.port must be from 0 to 65535, got -1"),
    (lambda doc: doc["p2p"].update(port=6690, announceAddresses=["203.0.113.1:0"]),
     "p2p.announceAddresses must be host:port strings with a port from 1 to 65535"),
    (lambda doc: doc["lease"].update(duration="soon"),
     "lease.duration must be a positive duration such as 10s, 1m30s or 500ms, got 'soon'"),
    (lambda doc: doc["lease"].update(refreshInterval="0s"),
     "lease.refreshInterval must be a positive duration"),
    (lambda doc: doc["lease"].update(refreshInterval="6s"),
     "lease.refreshInterval must be at most half of lease.duration (10s), got 6s"),
    (lambda doc: doc.update(containerGraceSeconds=-5),
     "containerGraceSeconds must be from 0 to 86400, got -5"),
    (lambda doc: doc["node"].update(unit="chainlink-node; reboot"),
     "node.unit must be a systemd service such as chainlink-node.service"),
    (lambda doc: doc["chains"][0].update(chainId="0x1"),
     "chains[].chainId must be a positive decimal chain id"),
    (lambda doc: doc["chains"][0]["nodes"][0].update(name="a/b"),
     "chains[].nodes[].name must be 1 to 63 letters"),
])
def test_settings_out_of_range_are_one_line_exit_2(tmp_path, edit, complaint):
    document = settings_document(tmp_path)
    edit(document)
    with pytest.raises(agent.AgentError) as raised:
        agent.parse_settings(document, "agent.json")
    message = str(raised.value)
    assert raised.value.exit_code == 2 and "\n" not in message
    assert message.startswith(f"agent.json: {complaint}")
    assert message.endswith("; the Pulumi program writes this file: fix the stack config, "
                            "run `pulumi up`")


@pytest.mark.parametrize("text, detail", [
    ('{"version": 2, "awsMaxAttempts": ' + "1" * 5000 + "}",
     "a number too long or nesting too deep"),
    ("[" * 100_000, "a number too long or nesting too deep"),
])
def test_a_settings_file_that_json_cannot_hold_is_one_line(tmp_path, text, detail):
    path = tmp_path / "agent.json"
    path.write_text(text)
    result = run_ops("agent", "render", "--settings", str(path))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"error: settings {path} is not valid JSON ({detail}); re-create "
                             "the host so cloud-init writes it again\n")


def test_out_of_range_settings_write_nothing_under_the_working_directory(aws, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))  # `-m ops` from another directory
    document = json.loads(settings_for(tmp_path, node_secrets()).to_json())
    document["node"]["runtimeDir"] = "run"
    document["awsMaxAttempts"] = 0
    path = tmp_path / "agent.json"
    path.write_text(json.dumps(document))
    result = run_ops("agent", "render", "--settings", str(path), cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    assert result.stderr.startswith(f"error: {path}: node.runtimeDir must be an absolute path")
    assert len(result.stderr.splitlines()) == 1
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["agent.json"]


def test_the_agent_and_the_ops_writers_name_temporary_files_by_one_rule(tmp_path):
    """Two runtimes (the host agent is one file on the host; ops runs on a workstation),
    one naming rule: each one's leftovers are what the other would clean up."""
    import tempfile

    from ops.lib import report

    target = tmp_path / "config.toml"
    agent_leftover = Path(agent._write_temporary(target, b"x", os.getuid(), os.getgid()))
    assert report.remove_stale_temporaries(target) == [agent_leftover]

    handle, ops_leftover = tempfile.mkstemp(  # as ops/lib/report.py names its own
        dir=tmp_path, prefix=f"{report.TEMPORARY_PREFIX}{target.name}.",
        suffix=report.TEMPORARY_SUFFIX)
    os.close(handle)
    agent.remove_stale_temporaries(tmp_path, [target.name])
    assert not Path(ops_leftover).exists()
    assert report.TEMPORARY_SUFFIX == agent.TEMPORARY_SUFFIX
