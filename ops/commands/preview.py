"""`python -m ops preview --stack STACK [--json FILE]`: the whole stack, offline.

Runs the Pulumi program under the mock runtime with the stack file's config and prints what
`pulumi preview` would: the resources to create as a tree, the policy pack's verdict, the
stack outputs (secrets as [secret]) and a summary. Exit 0: no mandatory violation; 1: at
least one; 2: bad arguments or bad configuration.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

import pulumi

from stack_config import ConfigError, parse_full_config
from ops.lib.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, OpsError
from ops.lib.offline import ProgramRun, run_program
from ops.lib import display, source_facts
from ops.lib.report import require_writable, write_json_atomically
from ops.lib.stackfile import PROJECT_ROOT, StackFile, account_pinning_problem, read_stack_file
from policies.engine import evaluate, has_mandatory, load_policy_config, mask_secrets
from ruamel.yaml import YAML

POLICY_PACK_DIR = PROJECT_ROOT / "policies"
POLICY_CONFIG_DIR = POLICY_PACK_DIR / "config"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "preview", help="run the program and the policy pack offline",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", required=True, help="stack name: reads Pulumi.<STACK>.yaml")
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help="also write the resources, outputs and violations as JSON")
    parser.add_argument("--policy-config", type=Path, metavar="FILE",
                        help="policy pack config (default: policies/config/<STACK>.json, "
                             "or prod.json when there is none)")
    parser.set_defaults(func=run)


def validate_config(stack_file: StackFile) -> None:
    """Fail on bad config before the program runs, one line per bad key."""
    pinning_problem = account_pinning_problem(stack_file)
    if pinning_problem:
        raise OpsError(pinning_problem)
    parse_full_config(stack_file.config, stack_file.stack, stack_file.secret_keys)


def default_policy_config(stack: str) -> Path:
    candidate = POLICY_CONFIG_DIR / f"{stack}.json"
    return candidate if candidate.exists() else POLICY_CONFIG_DIR / "prod.json"


def display_path(path: Path) -> str:
    absolute = path.resolve()
    return str(absolute.relative_to(PROJECT_ROOT)) if absolute.is_relative_to(PROJECT_ROOT) else str(path)


CONTRACT_RESOURCE_KEYS = ("urn", "type", "name", "parent", "inputs")


def resources_document(run: ProgramRun) -> list[dict[str, Any]]:
    """Resources as the policy engine takes them, in the table's order (so two previews of
    the same code give the same bytes); the id lets stack rules follow references (a
    BucketVersioning names its bucket by id)."""
    return display.tree_order([
        {"urn": resource.urn, "type": resource.type, "name": resource.name,
         "parent": resource.parent, "inputs": resource.inputs, "id": resource.id}
        for resource in run.resources])


def contract_resource(resource: dict[str, Any]) -> dict[str, Any]:
    """One entry of the --json document: the contract's keys, secrets masked."""
    entry = {key: resource[key] for key in CONTRACT_RESOURCE_KEYS}
    entry["inputs"] = mask_secrets(entry["inputs"])
    return entry


def policy_pack_identity() -> tuple[str, str]:
    """(name, version) of the pack as `pulumi preview --policy-pack` reports it: the name
    given to PolicyPack(...) in policies/__main__.py, the version in PulumiPolicy.yaml."""
    name = source_facts.call_keyword(POLICY_PACK_DIR / "__main__.py", "PolicyPack", "name")
    version = YAML(typ="safe").load(POLICY_PACK_DIR / "PulumiPolicy.yaml")["version"]
    return name, str(version)


def print_preview(run: ProgramRun, resources: list[dict[str, Any]], violations: list[dict],
                  policy_config_path: Path, stack_file: StackFile, out: TextIO) -> None:
    style = display.Style.for_stream(out)
    pack, version = policy_pack_identity()
    sections = [
        [f"Previewing update ({run.stack}), offline: account {stack_file.account_id}, "
         f"{stack_file.region}", ""] + display.resource_table(run.project, run.stack, resources, style),
        display.policies_section(pack, version, f"local: {display_path(POLICY_PACK_DIR)}, "
                                 f"config: {display_path(policy_config_path)}",
                                 violations, style),
        display.outputs_section(mask_secrets(run.outputs), style),
        display.resources_summary(resources, style),
    ]
    print("\n\n".join("\n".join(lines) for lines in sections if lines), file=out)


def preview(stack: str, json_path: Path | None = None, policy_config: Path | None = None,
            out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if json_path is not None:
        require_writable(json_path, "--json")
    stack_file = read_stack_file(stack)
    validate_config(stack_file)
    policy_config_path = policy_config or default_policy_config(stack)
    try:
        policy_settings = load_policy_config(policy_config_path)
    except ValueError as error:
        raise OpsError(f"{error} (fix the file or pass another with --policy-config)") from None

    with display.Progress(f"Previewing update ({stack})"):
        run = run_program(stack_file)
        resources = resources_document(run)
        violations = evaluate(resources, policy_settings)

    print_preview(run, resources, violations, policy_config_path, stack_file, out)

    if json_path is not None:
        write_json_atomically(json_path, {
            "project": run.project,
            "stack": run.stack,
            "resources": [contract_resource(item) for item in resources],
            "outputs": mask_secrets(run.outputs),
            "violations": violations,
        })
    return EXIT_FAILED if has_mandatory(violations) else EXIT_OK


def run(args: argparse.Namespace) -> int:
    try:
        return preview(args.stack, args.json, args.policy_config)
    except ConfigError as error:
        for line in str(error).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except pulumi.RunError as error:
        print(f"error: the program failed: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
