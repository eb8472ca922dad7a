"""Shared fixtures: run the program offline for a stack, with config overrides."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any, Callable

import pytest

from stack_config import namespaced
from ops.lib import offline
from ops.lib.offline import ProgramRun, run_program, unwrap_secrets
from ops.lib.stackfile import PROJECT_ROOT, StackFile, read_stack_file

PROJECT_FILES = ("__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml")
PROJECT_DIRS = ("components", "ops", "policies", "stack_config",
                "bootstrap")  # bootstrap: the StackReference mock reads its source


def with_overrides(stack_file: StackFile, overrides: dict[str, Any]) -> StackFile:
    """A copy of the stack's config; keys without a namespace are ours; None removes a key."""
    config = dict(stack_file.config)
    secret_keys = set(stack_file.secret_keys)
    for key, value in overrides.items():
        full_key = key if ":" in key else namespaced(key)
        if value is None:
            config.pop(full_key, None)
            secret_keys.discard(full_key)
        else:
            config[full_key] = value
    return dataclasses.replace(stack_file, config=config, secret_keys=frozenset(secret_keys))


_RUNS: dict[str, ProgramRun] = {}


@pytest.fixture
def stack_run() -> Callable[..., ProgramRun]:
    """stack_run("prod", bastionEnabled="true") -> the recorded program run.

    Runs without overrides are cached for the session: the program is deterministic.
    """
    def run(stack: str, **overrides: Any) -> ProgramRun:
        if not overrides and stack in _RUNS:
            return _RUNS[stack]
        result = run_program(with_overrides(read_stack_file(stack), overrides))
        if not overrides:
            _RUNS[stack] = result
        return result
    return run


def run_under_mocks(build: Callable[[], Any], stack: str = "test",
                    account_id: str = "123456789012", region: str = "us-east-1") -> ProgramRun:
    """Run `build` under the offline preview's mock runtime and return what it registered.

    For testing one tier on its own, with inputs another tier will provide later:
    `run_under_mocks(lambda: Observability("x", ObservabilityArgs(...)))`.
    """
    return offline.run_under_mocks(build, "chainlink-node-aws", stack, account_id, region)


def inputs_of(resource) -> dict[str, Any]:
    return unwrap_secrets(resource.inputs)


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A throw-away copy of the project, for CLI runs against edited stack files."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in PROJECT_FILES:
        shutil.copy2(PROJECT_ROOT / name, tmp_path / name)
    for name in PROJECT_DIRS:
        shutil.copytree(PROJECT_ROOT / name, tmp_path / name, ignore=ignore)
    return tmp_path


def run_ops(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ops", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="session")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is missing: install the Debian package `prometheus` "
                    "(.ci/run does)")
    return path


def promtool_check(promtool: str, document: str, directory: Path) -> subprocess.CompletedProcess:
    """`promtool check config` on the document, written as prometheus.yml in directory."""
    config = directory / "prometheus.yml"
    config.write_text(document)
    return subprocess.run([promtool, "check", "config", str(config)],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="session")
def moto_url():
    """One moto server on 127.0.0.1 for the whole session; `point_boto3_at` resets it."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def point_boto3_at(endpoint: str, moto: str, monkeypatch, region: str | None = None) -> None:
    """A fresh moto behind `endpoint`, with dummy credentials, for boto3 in this process and
    in `python -m ops` children; no profile or config file of the machine can leak in."""
    urllib.request.urlopen(urllib.request.Request(f"{moto}/moto-api/reset", method="POST"),
                           timeout=10).close()
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                "AWS_EC2_METADATA_DISABLED": "true"}
    if region:
        settings["AWS_DEFAULT_REGION"] = region
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
