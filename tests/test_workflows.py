"""The GitHub Actions workflows: schema-valid, policy-gated, least privilege, in order."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from ruamel.yaml import YAML

from ops.lib.stackfile import PROJECT_ROOT, read_stack_file

GITHUB_DIR = PROJECT_ROOT / ".github"
WORKFLOW_FILES = sorted((GITHUB_DIR / "workflows").glob("*.yml"))
STACK_ACTION_FILE = GITHUB_DIR / "actions" / "pulumi-stack" / "action.yml"
STACK_ACTION = "./.github/actions/pulumi-stack"
PULUMI_COMMAND = re.compile(r"\bpulumi\s+(up|update|preview)\b")
PINNED = re.compile(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})")


def load(path: Path) -> dict[str, Any]:
    # YAML 1.2, so the key `on` stays a string.
    return YAML(typ="safe").load(path.read_text())


def workflow(name: str) -> dict[str, Any]:
    return load(GITHUB_DIR / "workflows" / name)


def stack_action() -> dict[str, Any]:
    return load(STACK_ACTION_FILE)


def steps_everywhere() -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, step) for every step of every workflow job and of the composite action."""
    for path in WORKFLOW_FILES:
        for job_id, job in load(path)["jobs"].items():
            for step in job.get("steps", []):
                yield f"{path.name}:{job_id}", step
    for step in stack_action()["runs"]["steps"]:
        yield STACK_ACTION_FILE.name, step


def uses(step: dict[str, Any]) -> str:
    return step.get("uses", "")


def stack_operations(job: dict[str, Any]) -> list[dict[str, str]]:
    return [step["with"] for step in job.get("steps", []) if uses(step) == STACK_ACTION]


def run_scripts(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           schema, str(path)], capture_output=True, text=True, timeout=120)


# --- schemas ---

def test_the_expected_workflows_exist():
    assert [path.name for path in WORKFLOW_FILES] == ["ci.yml", "deploy.yml"]


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_workflow_passes_the_github_workflow_schema(path):
    result = check_jsonschema("vendor.github-workflows", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_composite_action_passes_the_github_action_schema():
    result = check_jsonschema("vendor.github-actions", STACK_ACTION_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    text = (GITHUB_DIR / "workflows" / "ci.yml").read_text()
    broken.write_text(text.replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest", 1))
    assert check_jsonschema("vendor.github-workflows", broken).returncode != 0


# --- every pulumi operation is policy-gated ---

def test_every_pulumi_operation_runs_the_policy_pack_with_its_stacks_config():
    pulumi_steps = [(where, step) for where, step in steps_everywhere()
                    if uses(step).startswith("pulumi/actions@") and "command" in step.get("with", {})]
    assert pulumi_steps, "no pulumi/actions step found"
    for where, step in pulumi_steps:
        assert step["with"]["policyPacks"] == "policies", where
        assert step["with"]["policyPackConfigs"] == "policies/config/${{ inputs.stack }}.json"
        assert step["with"]["stack-name"] == "${{ inputs.stack }}"
    for where, step in steps_everywhere():
        for match in PULUMI_COMMAND.finditer(step.get("run", "")):
            assert "--policy-pack" in step["run"], f"{where}: {match.group(0)} without the pack"


def test_pack_configs_exist_for_every_stack_the_workflows_operate_on():
    stacks = {operation["stack"] for path in WORKFLOW_FILES
              for job in load(path)["jobs"].values() for operation in stack_operations(job)}
    assert stacks == {"dev", "prod"}
    for stack in stacks:
        assert (PROJECT_ROOT / "policies" / "config" / f"{stack}.json").is_file()


# --- ci.yml ---

def test_ci_runs_on_pull_requests_and_pushes_to_main():
    triggers = workflow("ci.yml")["on"]
    assert "pull_request" in triggers
    assert triggers["push"]["branches"] == ["main"]


def test_ci_runs_make_test_and_the_offline_previews_without_credentials():
    job = workflow("ci.yml")["jobs"]["test"]
    scripts = run_scripts(job)
    assert ".ci/run" in scripts and "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "make preview STACK=dev" in scripts and "make preview STACK=prod" in scripts
    assert "id-token" not in job.get("permissions", {})


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_ci_previews_each_account_only_when_its_preview_role_is_configured(stack):
    job = workflow("ci.yml")["jobs"][f"preview-{stack}"]
    assert f"vars.AWS_{stack.upper()}_PREVIEW_ROLE_ARN != ''" in job["if"]
    assert job["needs"] == "test"
    assert job["permissions"]["id-token"] == "write"
    [operation] = stack_operations(job)
    assert operation["command"] == "preview" and operation["stack"] == stack
    assert operation["role-to-assume"] == f"${{{{ vars.AWS_{stack.upper()}_PREVIEW_ROLE_ARN }}}}"
    assert operation["provider-role-name"] == "chainlink-node-previewer"
    assert operation["comment-on-pr"] == "${{ github.event_name == 'pull_request' }}"


# --- deploy.yml ---

def deploy_jobs() -> dict[str, Any]:
    return workflow("deploy.yml")["jobs"]


def test_deploy_runs_on_pushes_to_main_one_at_a_time_never_cancelled():
    document = workflow("deploy.yml")
    assert document["on"]["push"]["branches"] == ["main"]
    assert document["concurrency"]["cancel-in-progress"] is False


def test_dev_is_deployed_then_health_gated_then_promoted_by_pull_request():
    jobs = deploy_jobs()
    [dev_up] = stack_operations(jobs["deploy-dev"])
    assert (dev_up["command"], dev_up["stack"]) == ("up", "dev")

    health = jobs["health-dev"]
    assert health["needs"] == "deploy-dev"
    assert "python -m ops health \"$NODE_URL\"" in run_scripts(health)
    assert health["steps"][-1]["env"]["NODE_URL"] == "${{ vars.DEV_NODE_URL }}"

    promotion = jobs["promotion-pr"]
    assert promotion["needs"] == "health-dev"
    assert "python -m ops promote --from dev --to prod" in run_scripts(promotion)
    [create_pr] = [step for step in promotion["steps"]
                   if uses(step).startswith("peter-evans/create-pull-request@")]
    assert create_pr["with"]["add-paths"] == "Pulumi.prod.yaml"
    assert promotion["permissions"] == {"contents": "write", "pull-requests": "write"}


def test_prod_deploys_only_in_the_production_environment_after_dev_is_healthy():
    jobs = deploy_jobs()
    prod_jobs = [job_id for job_id, job in jobs.items()
                 if any(op["stack"] == "prod" for op in stack_operations(job))]
    assert prod_jobs == ["deploy-prod"]
    job = jobs["deploy-prod"]
    assert job["environment"] == "production"
    assert set(job["needs"]) == {"changes", "health-dev"}
    assert "needs.changes.outputs.prod == 'true'" in job["if"]
    [prod_up] = stack_operations(job)
    assert (prod_up["command"], prod_up["stack"]) == ("up", "prod")
    assert prod_up["role-to-assume"] == "${{ vars.AWS_PROD_DEPLOY_ROLE_ARN }}"


def test_a_change_to_the_prod_stack_file_is_what_triggers_prod():
    diff_step = next(step for step in deploy_jobs()["changes"]["steps"] if step.get("id") == "diff")
    assert "Pulumi.prod.yaml" in diff_step["run"]
    assert 'echo "prod=true" >> "$GITHUB_OUTPUT"' in diff_step["run"]


def test_github_environments_are_the_ones_the_bootstrap_deploy_roles_trust():
    jobs = deploy_jobs()
    bootstrap = PROJECT_ROOT / "bootstrap"
    for stack in ("dev", "prod"):
        trusted = read_stack_file(stack, bootstrap).config[
            "chainlink-node-aws-bootstrap:deployEnvironment"]
        assert jobs[f"deploy-{stack}"]["environment"] == trusted


# --- least privilege and hygiene ---

def takes_aws_credentials(job: dict[str, Any]) -> bool:
    return any(uses(step) == STACK_ACTION or uses(step).startswith(
        "aws-actions/configure-aws-credentials@") for step in job.get("steps", []))


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_id_token_permission_only_in_jobs_that_take_aws_credentials(path):
    document = load(path)
    assert document["permissions"] == {"contents": "read"}
    for job_id, job in document["jobs"].items():
        wants_token = job.get("permissions", {}).get("id-token") == "write"
        assert wants_token == takes_aws_credentials(job), job_id


def test_the_composite_action_exchanges_the_oidc_token_for_the_given_role():
    [credentials] = [step for _, step in steps_everywhere()
                     if uses(step).startswith("aws-actions/configure-aws-credentials@")]
    assert credentials["with"]["role-to-assume"] == "${{ inputs.role-to-assume }}"
    assert "aws-access-key-id" not in credentials["with"]


def test_every_action_is_pinned_to_a_major_version_or_a_commit():
    external = [(where, uses(step)) for where, step in steps_everywhere()
                if uses(step) and not uses(step).startswith("./")]
    assert external
    for where, action in external:
        assert PINNED.fullmatch(action), f"{where}: {action}"


def test_run_scripts_take_no_expressions_and_pass_shellcheck():
    scripts = [(where, step["run"]) for where, step in steps_everywhere() if "run" in step]
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is installed by .ci/run"
    for where, script in scripts:
        # Values reach scripts through env:, never spliced into the code (script injection).
        assert "${{" not in script, where
        result = subprocess.run([shellcheck, "--shell=bash", "-"], input=script,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"{where}:\n{result.stdout}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_preview_role_rewrite_changes_only_the_providers_role(tmp_path, stack):
    [rewrite] = [step for step in stack_action()["runs"]["steps"]
                 if "provider-role-name" in step.get("if", "")]
    stack_file = tmp_path / f"Pulumi.{stack}.yaml"
    shutil.copy2(PROJECT_ROOT / stack_file.name, stack_file)
    original = stack_file.read_text()

    result = subprocess.run(["bash", "-e", "-c", rewrite["run"]], capture_output=True,
                            text=True, timeout=60,
                            env={"STACK_FILE": str(stack_file),
                                 "ROLE_NAME": "chainlink-node-previewer", "PATH": "/usr/bin:/bin"})

    assert result.returncode == 0, result.stderr
    assert stack_file.read_text() == original.replace(":role/chainlink-node-deployer\n",
                                                      ":role/chainlink-node-previewer\n")
    assert stack_file.read_text() != original
