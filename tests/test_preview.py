"""`python -m ops preview`: exit codes, the printed tree and the --json contract."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys

import pytest

from ops.lib import display
from ops.lib.paths import PROJECT_ROOT
from tests.conftest import run_ops


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_preview_of_the_checked_in_stacks_passes(stack, tmp_path):
    report = tmp_path / "preview.json"
    result = run_ops("preview", "--stack", stack, "--json", str(report))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress line off a terminal
    document = json.loads(report.read_text())
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Previewing update ({stack}), offline: account ")
    assert lines[2].split() == ["Type", "Name", "Plan"]
    assert lines[3].split() == ["+", "pulumi:pulumi:Stack", f"chainlink-node-aws-{stack}",
                                "create"]
    assert re.search(r"^ \+   [├└]─ chainlink:index:Network +chainlink +create$",
                     result.stdout, re.M)
    assert re.search(r"^ \+   │  [├└]─ aws:ec2:Vpc +chainlink-vpc +create$", result.stdout, re.M)
    assert "\x1b[" not in result.stdout  # no colour off a terminal
    total = len(document["resources"]) + 1  # the CLI counts the stack resource too
    assert f"Resources:\n    + {total} to create\n" in result.stdout
    assert "Policies:\n    ✅ chainlink-node-aws@v0.1.0 (local: policies, config: " \
        f"policies/config/{stack}.json)" in result.stdout
    assert "\nOutputs:\n" in result.stdout and "    vpcId" in result.stdout

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


def test_two_previews_write_the_same_bytes_in_the_tables_order(tmp_path):
    """The SDK registers from executor threads, so registration order varies between runs;
    the plan is listed parent first, siblings by type and name, as the table shows it."""
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    runs = [run_ops("preview", "--stack", "prod", "--json", str(path)) for path in (first, second)]
    assert [run.returncode for run in runs] == [0, 0]
    assert first.read_bytes() == second.read_bytes()
    resources = json.loads(first.read_text())["resources"]
    table_names = [line.split()[-2] for line in runs[0].stdout.split("\n\n")[1].splitlines()[2:]]
    assert table_names == [resource["name"] for resource in resources]
    seen = set()
    for resource in resources:
        assert resource["parent"] in seen or resource["parent"].endswith(
            "::pulumi:pulumi:Stack::chainlink-node-aws-prod")
        seen.add(resource["urn"])


def test_tree_order_does_not_depend_on_the_order_given():
    def resource(name, parent=None, kind="aws:ec2/subnet:Subnet"):
        return {"urn": f"urn:{kind}::{name}", "type": kind, "name": name,
                "parent": parent and f"urn:chainlink:index:Network::{parent}"}
    network = resource("net", kind="chainlink:index:Network")
    children = [resource(name, "net") for name in ("b", "a", "c")]
    listed = [network, *children, resource("vpc", kind="aws:ec2/vpc:Vpc")]
    expected = ["vpc", "net", "a", "b", "c"]  # aws:ec2/vpc:Vpc sorts before chainlink:
    assert [r["name"] for r in display.tree_order(listed)] == expected
    assert [r["name"] for r in display.tree_order(list(reversed(listed)))] == expected


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


# --- the display: pulumi preview's shapes ---

@pytest.mark.parametrize("token,short", [
    ("aws:s3/bucketV2:BucketV2", "aws:s3:BucketV2"),
    ("aws:ec2/vpc:Vpc", "aws:ec2:Vpc"),
    ("aws:rds/clusterInstance:ClusterInstance", "aws:rds:ClusterInstance"),
    ("aws:ec2/vpc:VpcEndpoint", "aws:ec2/vpc:VpcEndpoint"),  # file is not the name: kept
    ("chainlink:index:Network", "chainlink:index:Network"),
    ("pulumi:providers:aws", "pulumi:providers:aws"),
])
def test_types_are_shortened_as_the_cli_shortens_them(token, short):
    assert display.short_type(token) == short


def test_the_summary_counts_every_type_and_the_stack():
    resources = [{"type": "aws:ec2/subnet:Subnet"}] * 3 + [{"type": "aws:ec2/vpc:Vpc"}]
    lines = display.resources_summary(resources, display.Style(colour=False, unicode=True))
    assert lines == ["Resources:", "    + 5 to create",
                     "      3 aws:ec2:Subnet, 1 aws:ec2:Vpc, 1 pulumi:pulumi:Stack"]


def test_outputs_show_secrets_as_secret_and_align_keys():
    outputs = {"url": "https://node", "apiPassword": "[secret]", "subnets": ["a", "b"]}
    lines = display.outputs_section(outputs, display.Style(colour=False, unicode=True))
    assert lines == ["Outputs:",
                     "    apiPassword: [secret]",
                     "    subnets    : [",
                     '        [0]: "a"',
                     '        [1]: "b"',
                     "    ]",
                     '    url        : "https://node"']


def test_policies_are_listed_under_their_pack_as_the_cli_does():
    violations = [{"policy": "no-public-bucket", "enforcementLevel": "mandatory",
                   "urn": "urn:pulumi:dev::p::chainlink:index:Node$aws:s3/bucketV2:BucketV2::b",
                   "message": "public\nfix it", "category": "x"}]
    lines = display.policies_section("pack", "0.1.0", "local: policies", violations,
                                     display.Style(colour=False, unicode=True))
    assert lines == ["Policies:", "    ❌ pack@v0.1.0 (local: policies)",
                     "        - [mandatory]  no-public-bucket  (aws:s3/bucketV2:BucketV2: b)",
                     "          public", "          fix it"]


class _Terminal(io.StringIO):
    def __init__(self, encoding: str = "utf-8"):
        super().__init__()
        self._encoding = encoding

    @property
    def encoding(self):
        return self._encoding

    def isatty(self):
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert display.Style.for_stream(_Terminal()).colour is True
    assert display.Style.for_stream(io.StringIO()).colour is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert display.Style.for_stream(_Terminal()).colour is False
    monkeypatch.delenv("NO_COLOR")
    table = display.resource_table("p", "dev", [], display.Style.for_stream(_Terminal()))
    assert "\x1b[32m+\x1b[0m" in table[1] and "\x1b[32mcreate\x1b[0m" in table[1]


def test_an_ascii_terminal_gets_ascii_glyphs():
    style = display.Style.for_stream(_Terminal(encoding="ascii"))
    resources = [{"urn": "u1", "type": "chainlink:index:Network", "name": "n", "parent": None},
                 {"urn": "u2", "type": "aws:ec2/vpc:Vpc", "name": "v", "parent": "u1"}]
    text = "\n".join(display.resource_table("p", "dev", resources, style))
    text.encode("ascii")
    assert "`- chainlink:index:Network" in text and "   `- aws:ec2:Vpc" in text


def test_the_progress_line_runs_on_a_terminal_and_is_erased():
    terminal = _Terminal()
    with display.Progress("Previewing update (dev)", terminal, interval=0.01):
        pass
    assert terminal.getvalue().startswith("\rPreviewing update (dev)... 0s")
    assert terminal.getvalue().endswith("\r\x1b[2K")
    quiet = io.StringIO()
    with display.Progress("Previewing update (dev)", quiet):
        pass
    assert quiet.getvalue() == ""


def test_an_ascii_only_output_previews_without_a_traceback():
    result = subprocess.run([sys.executable, "-m", "ops", "preview", "--stack", "dev"],
                            cwd=PROJECT_ROOT, capture_output=True, timeout=120,
                            env={**os.environ, "PYTHONIOENCODING": "ascii"})
    # The verdict (0 or 1) is the pack's business; the encoding must never make it 2 or
    # end in a traceback.
    assert result.returncode in (0, 1) and result.stderr == b"", result.stderr
    result.stdout.decode("ascii")
    verdict = b"[passed]" if result.returncode == 0 else b"[failed]"
    assert verdict + b" chainlink-node-aws@v0.1.0" in result.stdout


@pytest.mark.parametrize("where,message", [
    ("missing/report.json", "does not exist; create it or write elsewhere"),
    (".", "is a directory; give a file name"),
])
def test_a_bad_json_path_is_reported_before_the_program_runs(tmp_path, where, message):
    result = run_ops("preview", "--stack", "dev", "--json", str(tmp_path / where))
    assert result.returncode == 2
    assert result.stdout == ""  # refused before the program ran: nothing previewed
    assert result.stderr.startswith("error: --json ") and message in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("stack,hint", [("../dev", "dev"), ("Pulumi.dev.yaml", "dev"),
                                        ("dev/../prod", "prod")])
def test_a_path_given_as_stack_name_says_so(stack, hint):
    result = run_ops("preview", "--stack", stack)
    assert result.returncode == 2
    assert result.stderr == (f"error: --stack {stack!r} is not a stack name (letters, "
                             f"digits, . _ -); give the name only, such as {hint!r}; "
                             "stacks here: dev, prod\n")
