"""`python -m ops preview --stack STACK [--json FILE]`: the whole stack, offline.

Runs the Pulumi program under the mock runtime with the stack file's config, prints the
resource tree and the policy report. Exit 0: no mandatory violation; 1: at least one;
2: bad arguments or bad configuration.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pulumi

from stack_config import ConfigError, own_keys, parse_stack_config
from ops.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, OpsError
from ops.offline import ProgramRun, run_program
from ops.report import resource_tree_lines, write_json_atomically
from ops.stackfile import PROJECT_ROOT, StackFile, account_pinning_problem, read_stack_file
from policies.engine import evaluate, format_report, has_mandatory, load_policy_config, mask_secrets

POLICY_CONFIG_DIR = PROJECT_ROOT / "policies" / "config"


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
    raw, secret_keys = own_keys(stack_file.config, stack_file.secret_keys)
    parse_stack_config(raw, stack_file.stack, secret_keys)


def default_policy_config(stack: str) -> Path:
    candidate = POLICY_CONFIG_DIR / f"{stack}.json"
    return candidate if candidate.exists() else POLICY_CONFIG_DIR / "prod.json"


def display_path(path: Path) -> str:
    absolute = path.resolve()
    return str(absolute.relative_to(PROJECT_ROOT)) if absolute.is_relative_to(PROJECT_ROOT) else str(path)


CONTRACT_RESOURCE_KEYS = ("urn", "type", "name", "parent", "inputs")


def resources_document(run: ProgramRun) -> list[dict[str, Any]]:
    """Resources as the policy engine takes them; the id lets stack rules follow references
    (a BucketVersioning names its bucket by id)."""
    return [{"urn": resource.urn, "type": resource.type, "name": resource.name,
             "parent": resource.parent, "inputs": resource.inputs, "id": resource.id}
            for resource in run.resources]


def contract_resource(resource: dict[str, Any]) -> dict[str, Any]:
    """One entry of the --json document: the contract's keys, secrets masked."""
    entry = {key: resource[key] for key in CONTRACT_RESOURCE_KEYS}
    entry["inputs"] = mask_secrets(entry["inputs"])
    return entry


def preview(stack: str, json_path: Path | None = None, policy_config: Path | None = None,
            out=sys.stdout) -> int:
    stack_file = read_stack_file(stack)
    validate_config(stack_file)
    policy_config_path = policy_config or default_policy_config(stack)
    try:
        policy_settings = load_policy_config(policy_config_path)
    except ValueError as error:
        raise OpsError(f"{error} (fix the file or pass another with --policy-config)") from None

    run = run_program(stack_file)
    resources = resources_document(run)
    violations = evaluate(resources, policy_settings)

    print(f"{run.project} / {run.stack}: {len(resources)} resources "
          f"(offline preview, account {stack_file.account_id}, {stack_file.region})", file=out)
    for line in resource_tree_lines(resources):
        print(line, file=out)
    print(f"Policy pack config: {display_path(policy_config_path)}", file=out)
    print(format_report(violations), file=out)

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
