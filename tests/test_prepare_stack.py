"""`python -m ops prepare-stack`: the committed templates become stack files `pulumi stack
init` takes as they are, with no hand edits."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from ops.__main__ import main
from ops.lib import source_facts
from ops.lib.stackfile import PLACEHOLDER_MARK, PROJECT_ROOT, read_stack_file

ACCOUNT = "123456789012"
STACKS = ("dev", "prod")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        shutil.copy2(PROJECT_ROOT / name, tmp_path / name)
    (tmp_path / "bootstrap").mkdir()
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        shutil.copy2(PROJECT_ROOT / "bootstrap" / name, tmp_path / "bootstrap" / name)
    return tmp_path


def prepare(project: Path, capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["prepare-stack", "--project-dir", str(project), *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def load(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text())


@pytest.mark.parametrize("stack", STACKS)
def test_every_committed_ciphertext_is_a_marked_placeholder(stack):
    # prepare-stack removes what carries the mark; anything else would stay undecryptable.
    text = (PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text()
    secure = re.findall(r"^ +secure: (\S+)", text, re.M)
    assert secure and all(PLACEHOLDER_MARK in value for value in secure)
    assert PLACEHOLDER_MARK in load(PROJECT_ROOT / f"Pulumi.{stack}.yaml")["encryptedkey"]


@pytest.mark.parametrize("stack", STACKS)
def test_a_prepared_stack_file_is_ready_for_stack_init(project, capsys, stack):
    template = read_stack_file(stack, project)
    old_account = template.account_id

    code, out, err = prepare(project, capsys, "--stack", stack, "--account-id", ACCOUNT,
                             "--repository", "acme/chainlink-nodes")

    assert (code, err) == (0, "")
    text = (project / f"Pulumi.{stack}.yaml").read_text()
    document = load(project / f"Pulumi.{stack}.yaml")
    config = document["config"]
    assert "encryptedkey" not in document
    assert "secure" not in json.dumps(config)
    assert old_account not in text and PLACEHOLDER_MARK not in text
    assert config["aws:allowedAccountIds"] == [ACCOUNT]
    deploy_role = source_facts.constant(PROJECT_ROOT / "bootstrap" / "account_bootstrap.py",
                                        "DEPLOY_ROLE_NAME")
    assert config["aws:assumeRoles"][0]["roleArn"] == f"arn:aws:iam::{ACCOUNT}:role/{deploy_role}"
    template_config = load(PROJECT_ROOT / f"Pulumi.{stack}.yaml")["config"]
    whole = {key for key, value in template_config.items()
             if isinstance(value, dict) and set(value) == {"secure"}}
    assert whole  # the passwords
    assert set(config) == set(template.config) - whole
    assert text.startswith("# ")  # comments kept
    for key in whole:
        assert f"  pulumi config set --secret {key}\n" in out
    # Secrets inside structured keys (the chains' RPC URLs) are set by path.
    chains = config["chainlink-node-aws:chains"]
    assert chains and all("wsUrl" not in chain and "httpUrl" not in chain for chain in chains)
    assert ("  pulumi config set --secret --path 'chainlink-node-aws:chains[0].wsUrl'\n"
            in out)
    assert "pulumi stack init " + stack in out

    bootstrap = load(project / "bootstrap" / f"Pulumi.{stack}.yaml")["config"]
    assert bootstrap["aws:allowedAccountIds"] == [ACCOUNT]
    assert bootstrap["chainlink-node-aws-bootstrap:githubRepository"] == "acme/chainlink-nodes"

    again = prepare(project, capsys, "--stack", stack, "--account-id", ACCOUNT)
    assert again[0] == 0 and again[1].startswith("nothing to prepare")


def test_a_dry_run_writes_nothing(project, capsys):
    before = {path: path.read_bytes() for path in project.rglob("Pulumi.*.yaml")}
    code, out, _ = prepare(project, capsys, "--stack", "prod", "--account-id", ACCOUNT,
                           "--dry-run")
    assert code == 0 and "+    - \"123456789012\"" in out and "dry run" in out
    assert {path: path.read_bytes() for path in project.rglob("Pulumi.*.yaml")} == before


@pytest.mark.parametrize("argv,message", [
    (["--stack", "dev", "--account-id", "12345"], "is not a 12-digit AWS account id"),
    (["--stack", "../dev", "--account-id", ACCOUNT], "is not a stack name"),
    (["--stack", "staging", "--account-id", ACCOUNT], "no stack file Pulumi.staging.yaml"),
    (["--stack", "dev", "--account-id", ACCOUNT, "--repository", "nope"], "is not ORG/REPO"),
])
def test_bad_arguments_exit_2_with_one_line(project, capsys, argv, message):
    before = {path: path.read_bytes() for path in project.rglob("Pulumi.*.yaml")}
    code, out, err = prepare(project, capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1
    assert {path: path.read_bytes() for path in project.rglob("Pulumi.*.yaml")} == before


def test_a_file_laid_out_unlike_the_template_is_left_alone(project, capsys):
    stack_file = project / "Pulumi.dev.yaml"
    # A secret in flow style is not the template's two-line form: refuse rather than leave
    # an undecryptable placeholder behind.
    stack_file.write_text(stack_file.read_text().replace(
        "  chainlink-node-aws:apiUserEmail: node-admin@example.com\n",
        "  chainlink-node-aws:apiUserEmail: node-admin@example.com\n"
        "  chainlink-node-aws:extra: {secure: v1:Placeholder0}\n"))
    before = {path: path.read_bytes() for path in project.rglob("Pulumi.*.yaml")}
    code, out, err = prepare(project, capsys, "--stack", "dev", "--account-id", ACCOUNT)
    assert (code, out) == (2, "")
    assert err == ("error: Pulumi.dev.yaml is laid out differently from the template "
                   "(chainlink-node-aws:extra); prepare it by hand\n")
    assert {path: path.read_bytes() for path in project.rglob("Pulumi.*.yaml")} == before
