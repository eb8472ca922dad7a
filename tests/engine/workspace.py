"""A throw-away Pulumi workspace driving the real CLI built by `make pulumi-cli`.

Local file backend and passphrase secrets in a temporary folder, the stand-in AWS
provider on PATH, and a copy of the repository as the project (the CLI rewrites stack
files; the checkout's own must stay as they are).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from ops.commands.preview import default_policy_config
from ops.lib.stackfile import GENERIC_SECRET_PLACEHOLDER, PROJECT_ROOT, read_stack_file
from stack_config.chains import OFFLINE_URLS

TOOLS_BIN = PROJECT_ROOT / ".tools" / "pulumi" / "bin"
PULUMI = TOOLS_BIN / "pulumi"
PYTHON = sys.executable
PASSPHRASE = "engine-test-only-passphrase"
STACK_TYPE = "pulumi:pulumi:Stack"
COPY_IGNORE = shutil.ignore_patterns(".git", "venv", ".tools", "__pycache__", ".pytest_cache",
                                     "preview-*.json")

Violation = tuple[str, str, str]  # (policy, URN, enforcement level)


def missing_cli_message() -> str | None:
    for binary in ("pulumi", "pulumi-language-python", "pulumi-language-python-exec",
                   "pulumi-resource-aws", "pulumi-resource-random"):
        if not (TOOLS_BIN / binary).exists():
            return f"{TOOLS_BIN / binary} is missing: run `make pulumi-cli` first"
    return None


@dataclass
class EngineRun:
    """One CLI command: its exit code, output, and the engine's events when logged."""
    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    events: list[dict[str, Any]]

    @property
    def violations(self) -> set[Violation]:
        return {(event["policyName"], event["resourceUrn"], event["enforcementLevel"])
                for event in (e.get("policyEvent") for e in self.events) if event}

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.stdout)

    def messages(self) -> str:
        """Everything the engine said: diagnostics, policy events and plain output."""
        said = [self.stdout, self.stderr]
        for event in self.events:
            for kind in ("diagnosticEvent", "policyEvent"):
                if kind in event:
                    said.append(json.dumps(event[kind]))
        return "\n".join(said)

    def explain(self) -> str:
        errors = [event["diagnosticEvent"]["message"].strip() for event in self.events
                  if event.get("diagnosticEvent", {}).get("severity") == "error"]
        return (f"pulumi {' '.join(self.args)} exited {self.exit_code}:\n"
                + "\n".join(errors) + "\n" + self.stderr[-4000:])


# The stack itself, and reads of another stack's outputs (the node stack's StackReference to
# its bootstrap stack): the engine lists both, `ops preview` lists neither as planned.
NOT_PLANNED = frozenset({STACK_TYPE, "pulumi:pulumi:StackReference"})


def resource_types(run: EngineRun) -> Counter:
    """Types of the planned resources of a `preview --json` document, the stack left out."""
    return Counter(step["newState"]["type"] for step in run.document["steps"]
                   if step.get("newState") and step["newState"]["type"] not in NOT_PLANNED)


class Workspace:
    def __init__(self, root: Path) -> None:
        self.root = root
        # (project, stack) -> a preview taken before anything was deployed (see conftest).
        self.first_previews: dict = {}
        self.repo = root / "project"
        shutil.copytree(PROJECT_ROOT, self.repo, ignore=COPY_IGNORE, symlinks=True)
        (self.repo / "venv").symlink_to(PROJECT_ROOT / "venv")
        (root / "state").mkdir()
        (root / "home").mkdir()
        self.env = dict(os.environ,
                        PATH=f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                        PULUMI_HOME=str(root / "home"),
                        PULUMI_BACKEND_URL=f"file://{root / 'state'}",
                        PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
                        PULUMI_SKIP_UPDATE_CHECK="true",
                        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
                        # enables --event-log, where the policy violations are
                        PULUMI_DEBUG_COMMANDS="true")
        self.env.pop("PULUMI_ACCESS_TOKEN", None)
        self._events = 0

    def project_dir(self, project: str = ".") -> Path:
        return (self.repo / project).resolve()

    def pulumi(self, *args: str, project: str = ".", stack: str | None = None,
               log_events: bool = False) -> EngineRun:
        argv = list(args) + (["--stack", stack] if stack else [])
        event_log = None
        if log_events:
            self._events += 1
            event_log = self.root / f"events-{self._events}.jsonl"
            argv += ["--event-log", str(event_log)]
        done = subprocess.run([str(PULUMI), *argv], cwd=self.project_dir(project), env=self.env,
                              capture_output=True, text=True, timeout=900, check=False)
        events = []
        if event_log and event_log.exists():
            events = [json.loads(line) for line in event_log.read_text().splitlines() if line]
        return EngineRun(tuple(argv), done.returncode, done.stdout, done.stderr, events)

    def must(self, *args: str, **kwargs: Any) -> EngineRun:
        run = self.pulumi(*args, **kwargs)
        assert run.exit_code == 0, run.explain()
        return run

    def ops(self, *args: str) -> subprocess.CompletedProcess:
        """`python -m ops ...` on this workspace's copy of the repository."""
        return subprocess.run([PYTHON, "-m", "ops", *args], cwd=self.repo, capture_output=True,
                              text=True, timeout=600, check=False)

    def init_stack(self, stack: str, project: str = ".") -> dict[str, str]:
        """The stack as its Pulumi.<stack>.yaml says, with passphrase secrets: the plain
        values copied, every `secure:` value set with `pulumi config set --secret` to the
        placeholder `ops preview` uses. Returns the secret values set."""
        directory = self.project_dir(project)
        stack_path = directory / f"Pulumi.{stack}.yaml"
        yaml = YAML()
        original = yaml.load(stack_path.read_text())
        stack_path.unlink()
        self.must("stack", "init", stack, "--secrets-provider", "passphrase", project=project)
        created = yaml.load(stack_path.read_text())
        nested: dict[str, str] = {}
        created["config"] = {key: _without_secure(value, key, nested)
                             for key, value in original["config"].items() if not _is_secure(value)}
        with stack_path.open("w") as stream:
            yaml.dump(created, stream)
        offline = read_stack_file(stack, PROJECT_ROOT / project)
        secrets = {key: offline.config[key] for key in sorted(offline.secret_keys)}
        for key, value in secrets.items():
            self.must("config", "set", "--secret", key, value, project=project, stack=stack)
        for path, value in nested.items():  # e.g. chains[0].wsUrl
            self.must("config", "set", "--path", "--secret", path, value, project=project,
                      stack=stack)
        return secrets

    def policy_flags(self, stack: str, project: str = ".") -> list[str]:
        """`--policy-pack policies --policy-pack-config policies/config/<stack>.json` as
        seen from the project (the bootstrap project reaches them as ../policies)."""
        pack = os.path.relpath(self.repo / "policies", self.project_dir(project))
        config = policy_config_path(stack).relative_to(PROJECT_ROOT / "policies")
        return ["--policy-pack", pack, "--policy-pack-config", os.path.join(pack, config)]

    def preview(self, stack: str, project: str = ".") -> EngineRun:
        return self.pulumi("preview", *self.policy_flags(stack, project), "--json",
                           project=project, stack=stack, log_events=True)

    def up(self, stack: str, project: str = ".") -> EngineRun:
        return self.pulumi("up", "--yes", "--skip-preview", *self.policy_flags(stack, project),
                           project=project, stack=stack, log_events=True)

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.write_text(text)
        return path


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _without_secure(value: Any, path: str, found: dict[str, str]) -> Any:
    """`value` with its nested `secure:` leaves removed; each leaf's --path and the
    placeholder the offline runtime gives it go into `found`."""
    if isinstance(value, dict):
        kept = {}
        for name, item in value.items():
            if _is_secure(item):
                found[f"{path}.{name}"] = OFFLINE_URLS.get(name, GENERIC_SECRET_PLACEHOLDER)
            else:
                kept[name] = _without_secure(item, f"{path}.{name}", found)
        return kept
    if isinstance(value, list):
        return [_without_secure(item, f"{path}[{index}]", found) for index, item in enumerate(value)]
    return value


def policy_config_path(stack: str) -> Path:
    """The policy config `ops preview` picks for a stack."""
    return default_policy_config(stack)


def offline_violations(document: dict[str, Any]) -> set[Violation]:
    return {(v["policy"], v["urn"], v["enforcementLevel"]) for v in document["violations"]}
