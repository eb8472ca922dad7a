"""`python -m ops preview`: exit codes, the printed tree and the --json contract."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import run_ops


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_preview_of_the_checked_in_stacks_passes(stack, tmp_path):
    report = tmp_path / "preview.json"
    result = run_ops("preview", "--stack", stack, "--json", str(report))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert re.search(rf"chainlink-node-aws / {stack}: \d+ resources", result.stdout)
    assert "└─ chainlink:index:Network  chainlink" in result.stdout \
        or "├─ chainlink:index:Network  chainlink" in result.stdout
    assert "Policies passed: 0 mandatory" in result.stdout

    document = json.loads(report.read_text())
    assert list(document) == ["project", "stack", "resources", "outputs", "violations"]
    assert (document["project"], document["stack"]) == ("chainlink-node-aws", stack)
    for resource in document["resources"]:
        assert set(resource) == {"urn", "type", "name", "parent", "inputs"}
        assert resource["urn"].startswith(f"urn:pulumi:{stack}::chainlink-node-aws::")
        assert resource["urn"].endswith("::" + resource["name"])
        assert "pulumi:pulumi:Stack$" not in resource["urn"]
    vpc = next(r for r in document["resources"] if r["type"] == "aws:ec2/vpc:Vpc")
    assert vpc["inputs"]["enableDnsHostnames"] is True  # camelCase wire names
    assert vpc["parent"].endswith("chainlink:index:Network::chainlink")
    assert document["violations"] == [] or all(
        v["enforcementLevel"] != "mandatory" for v in document["violations"])


def test_secret_values_never_reach_the_json(tmp_path):
    report = tmp_path / "preview.json"
    assert run_ops("preview", "--stack", "prod", "--json", str(report)).returncode == 0
    text = report.read_text()
    assert "offline-preview" not in text


def test_broken_vpc_cidr_exits_2_with_one_line_naming_the_key(project_copy, tmp_path):
    stack_file = project_copy / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace(
        "vpcCidr: 10.20.0.0/16", "vpcCidr: 10.0.0.0/33"))
    report = tmp_path / "never.json"
    result = run_ops("preview", "--stack", "dev", "--json", str(report), cwd=project_copy)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "chainlink-node-aws:vpcCidr" in lines[0]
    assert "Traceback" not in result.stderr
    assert not report.exists()


def test_unknown_stack_exits_2_and_lists_the_known_ones():
    result = run_ops("preview", "--stack", "staging")
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: no stack file Pulumi.staging.yaml for stack "
                                     "'staging'; known stacks: dev, prod")


def test_missing_argument_exits_2():
    result = run_ops("preview")
    assert result.returncode == 2
    assert "--stack" in result.stderr


def test_unparsable_stack_file_exits_2(project_copy):
    (project_copy / "Pulumi.dev.yaml").write_text("config: [unclosed\n")
    result = run_ops("preview", "--stack", "dev", cwd=project_copy)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "not valid YAML" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("old,new,fragment", [
    ('    - "111111111111"\n', "", "exactly one account id"),
    ("arn:aws:iam::111111111111:role/chainlink-node-deployer",
     "arn:aws:iam::222222222222:role/chainlink-node-deployer", "is not in account 111111111111"),
    ("  aws:assumeRoles:\n    - roleArn: arn:aws:iam::111111111111:role/chainlink-node-deployer\n"
     "      sessionName: chainlink-node-aws-dev\n", "", "set aws:assumeRoles"),
    ("roleArn: arn:aws:iam::111111111111:role/chainlink-node-deployer", "roleArn:",
     "roleArn (missing) is not in account"),
    ("roleArn: arn:aws:iam::111111111111:role/chainlink-node-deployer", "roleArn: 5",
     "roleArn (missing) is not in account"),
    ('    - "111111111111"\n', '    - "abc"\n', "not a 12-digit AWS account id"),
])
def test_a_stack_not_pinned_to_its_own_account_is_refused(project_copy, old, new, fragment):
    stack_file = project_copy / "Pulumi.dev.yaml"
    text = stack_file.read_text()
    assert old in text
    stack_file.write_text(text.replace(old, new))
    result = run_ops("preview", "--stack", "dev", cwd=project_copy)
    assert result.returncode == 2
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
