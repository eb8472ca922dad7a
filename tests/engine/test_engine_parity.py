"""The real Pulumi engine against the offline path (`ops preview`, `ops audit`).

Each test runs the CLI built by `make pulumi-cli` with the stand-in AWS provider, the
real policy pack and the stack's policy config, and compares what the engine decides
with what the offline path decides for the same stack.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ops.lib.offline import run_program
from ops.commands.preview import resources_document
from ops.lib.stackfile import PROJECT_ROOT, read_stack_file
from policies.engine import evaluate, has_mandatory, load_policy_config
from tests.engine.workspace import (NOT_PLANNED, Violation, Workspace, offline_violations,
                                    policy_config_path, resource_types)

NODE, BOOTSTRAP = ".", "bootstrap"
STACKS = ("dev", "prod")
PROJECT_STACKS = [(project, stack) for project in (NODE, BOOTSTRAP) for stack in STACKS]


class Offline:
    """What the offline path decides for one stack of one project."""

    def __init__(self, exit_code: int, types: Counter, violations: set[Violation]) -> None:
        self.exit_code, self.types, self.violations = exit_code, types, violations


def offline_decision(workspace: Workspace, project: str, stack: str) -> Offline:
    if project == NODE:  # the command users run
        report = workspace.root / f"ops-preview-{stack}.json"
        done = workspace.ops("preview", "--stack", stack, "--json", str(report))
        assert done.returncode in (0, 1), done.stderr
        document = json.loads(report.read_text())
        return Offline(done.returncode, Counter(r["type"] for r in document["resources"]),
                       offline_violations(document))
    # bootstrap/ has no `ops` command: the same runtime and pack, as tests/test_bootstrap.py
    directory = PROJECT_ROOT / project
    run = run_program(read_stack_file(stack, directory), directory)
    resources = resources_document(run)
    violations = evaluate(resources, load_policy_config(policy_config_path(stack)))
    return Offline(1 if has_mandatory(violations) else 0, Counter(r["type"] for r in resources),
                   {(v["policy"], v["urn"], v["enforcementLevel"]) for v in violations})


@pytest.fixture(scope="module")
def offline(stacks: Workspace) -> dict[tuple[str, str], Offline]:
    return {key: offline_decision(stacks, *key) for key in PROJECT_STACKS}


def ids(key: tuple[str, str]) -> str:
    return f"{'node' if key[0] == NODE else key[0]}-{key[1]}"


@pytest.mark.parametrize("key", PROJECT_STACKS, ids=ids)
def test_engine_preview_decides_as_offline(stacks: Workspace, offline, key) -> None:
    """`pulumi preview --policy-pack policies --policy-pack-config ... --json`: exit code,
    resources and violations as the offline path has them."""
    project, stack = key
    # The bootstrap stacks are deployed for the node stacks' StackReference: their preview
    # was taken before that, while everything was still to create.
    engine = stacks.first_previews.get(key) or stacks.preview(stack, project)
    expected = offline[key]
    assert (engine.exit_code == 0) == (expected.exit_code == 0), engine.explain()
    assert resource_types(engine) == expected.types
    assert engine.violations == expected.violations


def _audit(workspace: Workspace, document: Path, stack: str) -> set[Violation]:
    report = document.with_suffix(".audit.json")
    done = workspace.ops("audit", str(document), "--policy-config", str(policy_config_path(stack)),
                         "--json", str(report))
    assert done.returncode in (0, 1), done.stderr
    return offline_violations(json.loads(report.read_text()))


@pytest.mark.parametrize("key", PROJECT_STACKS, ids=ids)
def test_deployed_stack_audits_as_offline(stacks: Workspace, offline, key) -> None:
    """`pulumi up --yes` with the pack, then `ops audit` of `pulumi stack export` and of the
    engine's `preview --json`: the violations `ops preview` reports."""
    project, stack = key
    expected = offline[key]
    preview = stacks.preview(stack, project)
    assert preview.exit_code == 0, preview.explain()
    preview_document = stacks.write(f"preview-{ids(key)}.json", preview.stdout)

    up = stacks.up(stack, project)
    assert up.exit_code == 0, up.explain()
    assert up.violations == expected.violations
    export = stacks.must("stack", "export", project=project, stack=stack)
    export_document = stacks.write(f"export-{ids(key)}.json", export.stdout)
    deployed = [r for r in export.document["deployment"]["resources"]
                if r["type"] not in NOT_PLANNED and not r["type"].startswith("pulumi:providers:")]
    assert Counter(r["type"] for r in deployed) == expected.types
    assert all(r["id"] for r in deployed if r.get("custom")), "a created resource has no id"

    assert _audit(stacks, export_document, stack) == expected.violations
    assert _audit(stacks, preview_document, stack) == expected.violations


def test_engine_refuses_unencrypted_database(fresh: Workspace) -> None:
    """An unsafe copy of dev (storage_encrypted=False): the engine and `ops preview` both
    refuse it, naming the same mandatory policy for the same resource."""
    database = fresh.repo / "components" / "database.py"
    source = database.read_text()
    assert source.count("storage_encrypted=True") == 1
    database.write_text(source.replace("storage_encrypted=True", "storage_encrypted=False"))
    fresh.init_stack("dev", BOOTSTRAP)
    fresh.must("up", "--yes", "--skip-preview", project=BOOTSTRAP, stack="dev")
    fresh.init_stack("dev")

    engine = fresh.preview("dev")
    offline = offline_decision(fresh, NODE, "dev")
    mandatory = {v for v in offline.violations if v[2] == "mandatory"}
    assert offline.exit_code == 1 and mandatory
    assert engine.exit_code != 0, engine.explain()
    assert {v for v in engine.violations if v[2] == "mandatory"} == mandatory, engine.explain()
    for policy, urn, _ in mandatory:
        assert policy in engine.messages() and urn.endswith("chainlink-db-cluster")


def _config(workspace: Workspace, stack: str) -> dict[str, Any]:
    shown = workspace.must("config", "--show-secrets", "--json", stack=stack)
    return {key: entry["value"] for key, entry in shown.document.items()}


def test_promote_keeps_every_secret_decryptable(fresh: Workspace) -> None:
    """`pulumi config set --secret`, then `ops promote --from dev --to prod`: both stacks
    still decrypt every secret under the real CLI, and only the promoted key changed."""
    dev_secrets = fresh.init_stack("dev")
    prod_secrets = fresh.init_stack("prod")
    fresh.must("config", "set", "--secret", "chainlink-node-aws:apiPassword",
               "a-new-dev-api-password-0123", stack="dev")
    fresh.must("config", "set", "chainlink-node-aws:chainlinkVersion", "2.30.1", stack="dev")
    dev_before, prod_before = _config(fresh, "dev"), _config(fresh, "prod")

    promoted = fresh.ops("promote", "--from", "dev", "--to", "prod")
    assert promoted.returncode == 0, promoted.stderr

    dev_after, prod_after = _config(fresh, "dev"), _config(fresh, "prod")
    assert dev_after == dev_before
    assert dev_after["chainlink-node-aws:apiPassword"] == "a-new-dev-api-password-0123"
    changed = {key for key in prod_before.keys() | prod_after.keys()
               if prod_before.get(key) != prod_after.get(key)}
    assert changed == {"chainlink-node-aws:chainlinkVersion"}
    assert prod_after["chainlink-node-aws:chainlinkVersion"] == "2.30.1"
    assert {key: prod_after[key] for key in prod_secrets} == prod_secrets
    assert set(dev_secrets) <= set(dev_after)


@pytest.mark.parametrize("pattern, valid", [("(?<!by)(?<!com)pass$", False),
                                            ("(^|[^b]y|[^y])pass$", True)])
def test_policy_config_regexes_are_judged_as_the_engine_does(
        stacks: Workspace, pattern: str, valid: bool) -> None:
    """`format: regex` config: the engine validates with Go's RE2; `ops preview` must accept
    and refuse the same patterns (a look-behind is not RE2)."""
    config = json.loads(policy_config_path("dev").read_text())
    config["aws-ssm-parameter-configure-secure-string"] = {"secretNamePatterns": [pattern]}
    path = stacks.write(f"policy-config-{int(valid)}.json", json.dumps(config))

    engine = stacks.pulumi("preview", "--policy-pack", "policies", "--policy-pack-config", str(path),
                           "--json", stack="dev", log_events=True)
    offline = stacks.ops("preview", "--stack", "dev", "--policy-config", str(path))
    assert (engine.exit_code == 0) == valid, engine.explain()
    assert (offline.returncode != 2) == valid, offline.stderr
    if not valid:
        assert "secretNamePatterns.0: Does not match format 'regex'" in engine.messages()
        assert "secretNamePatterns" in offline.stderr and len(offline.stderr.splitlines()) == 1


SSM_FIXTURE = "tests/engine/fixtures/ssm-string"


def test_ssm_string_parameters_get_the_same_verdict(fresh: Workspace) -> None:
    """A harmless SSM String is not a plaintext secret (the wire's secret wrapper is no
    evidence), a password in a String is: the engine and the offline runtime agree."""
    fresh.init_stack("dev", SSM_FIXTURE)
    engine = fresh.preview("dev", SSM_FIXTURE)
    offline = offline_decision(fresh, SSM_FIXTURE, "dev")
    flagged = {urn.rsplit("::", 1)[1] for _, urn, _ in offline.violations}
    assert flagged == {"db-password"}
    assert engine.violations == offline.violations, engine.explain()
