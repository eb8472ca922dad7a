"""`python -m ops audit FILE`: run the policy pack over existing state, without a deployment.

FILE is the output of `pulumi stack export` (version 3), of `pulumi preview --json` or
of `ops preview --json`.
Exit 0 when no mandatory violation, 1 when there is one, 2 on bad input (one line
on stderr, no report file written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ops.lib.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, OpsError
from ops.lib.paths import PROJECT_ROOT
from ops.lib.report import write_json_atomically
from policies.rules.common.limits import MAX_DOCUMENT_BYTES, DocumentError, loads
from policies.engine import SECRET_PLACEHOLDER, evaluate, format_report, has_mandatory, load_policy_config, parse_urn
from policies.rules.common.values import SECRET_SIGNATURE, SIGNATURE_KEY

DEFAULT_POLICY_CONFIG = PROJECT_ROOT / "policies" / "config" / "prod.json"
STACK_EXPORT, PREVIEW, OPS_PREVIEW = "stack-export", "preview", "ops-preview"
# What `ops preview --json` writes for a secret: unreadable content, as ciphertext is.
_MASKED_SECRET = {SIGNATURE_KEY: SECRET_SIGNATURE, "ciphertext": SECRET_PLACEHOLDER}
SUPPORTED_EXPORT_VERSION = 3
MAX_READ = MAX_DOCUMENT_BYTES + 1  # one byte past the reader's limit, so it can say the file is too big


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "audit",
        help="run the policy pack over a `pulumi stack export`, `pulumi preview --json` or `ops preview --json` document",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("file", help="a `pulumi stack export` (v3), `pulumi preview --json` or `ops preview --json` document")
    parser.add_argument(
        "--policy-config",
        default=str(DEFAULT_POLICY_CONFIG),
        metavar="FILE",
        help="policy pack config (default: policies/config/prod.json, the strictest)",
    )
    parser.add_argument("--json", dest="json_report", metavar="REPORT", help="also write the report as JSON here")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    try:
        config = _policy_config(args.policy_config)
        kind, resources = resources_from_document(_read_document(args.file))
        try:
            violations = evaluate(resources, config)
        except ValueError as problem:
            raise OpsError(f"{args.file}: {problem}") from None
        if args.json_report:
            report = {"document": args.file, "kind": kind, "resources": len(resources), "violations": violations}
            write_json_atomically(Path(args.json_report), report)
    except OpsError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"Audited {len(resources)} resources from {args.file} ({kind}) with {config.source}.")
    print(format_report(violations))
    return EXIT_FAILED if has_mandatory(violations) else EXIT_OK


def _policy_config(path: str):
    try:
        return load_policy_config(path)
    except ValueError as problem:
        raise OpsError(f"{problem} (fix the file or pass another with --policy-config)") from None


def _read_document(path: str) -> Any:
    try:
        with open(path, "rb") as stream:
            raw = stream.read(MAX_READ)
    except OSError as error:
        raise OpsError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        return loads(raw, path)
    except DocumentError as error:
        raise OpsError(f"{error}; produce it with `pulumi stack export` or `pulumi preview --json`") from None


def resources_from_document(document: Any) -> tuple[str, list[dict]]:
    """(kind, resources for `evaluate`) from a stack export or a preview document."""
    if isinstance(document, dict) and "deployment" in document:
        return STACK_EXPORT, _export_resources(document)
    if isinstance(document, dict) and isinstance(document.get("steps"), list):
        return PREVIEW, _preview_resources(document["steps"])
    if isinstance(document, dict) and isinstance(document.get("resources"), list) and "stack" in document:
        return OPS_PREVIEW, _ops_preview_resources(document["resources"])
    raise OpsError(
        "the document is neither a `pulumi stack export` (version 3) nor a `pulumi preview --json` "
        "nor an `ops preview --json` output; produce one of those and audit it"
    )


def _ops_preview_resources(entries: list) -> list[dict]:
    """`ops preview --json` resources: the contract's keys, secrets masked as "[secret]"."""
    resources = []
    for index, entry in enumerate(entries):
        resource = _resource(entry, f"resources[{index}]")
        resource["inputs"] = _unmask(resource["inputs"])
        resources.append(resource)
    return resources


def _unmask(value: Any) -> Any:
    if value == SECRET_PLACEHOLDER:
        return _MASKED_SECRET
    if isinstance(value, dict):
        return {key: _unmask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unmask(item) for item in value]
    return value


def _export_resources(document: dict) -> list[dict]:
    version = document.get("version")
    if version != SUPPORTED_EXPORT_VERSION:
        raise OpsError(
            f"stack export version {version!r} is not supported; export with a current Pulumi CLI (version 3)"
        )
    deployment = document["deployment"]
    if not isinstance(deployment, dict):
        raise OpsError("the stack export's `deployment` is not an object; re-run `pulumi stack export`")
    states = deployment.get("resources")
    if states is None:  # a stack without resources exports none, or null
        states = []
    if not isinstance(states, list):
        raise OpsError("the stack export has no `deployment.resources` list; re-run `pulumi stack export`")
    return [
        _resource(state, f"deployment.resources[{index}]")
        for index, state in enumerate(states)
        if not _is_managed_elsewhere(state)
    ]


def _is_managed_elsewhere(state: Any) -> bool:
    """Read-only look-ups and resources pending deletion are not this stack's to fix."""
    return isinstance(state, dict) and bool(state.get("external") or state.get("delete"))


def _preview_resources(steps: list) -> list[dict]:
    """The planned state of each resource; deletes (no newState) are skipped, replacements counted once."""
    resources: dict[str, dict] = {}
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            raise OpsError(f"steps[{index}] is not an object; re-run `pulumi preview --json`")
        state = step.get("newState")
        if state is None or (isinstance(state, dict) and state.get("external")):
            continue
        resource = _resource(state, f"steps[{index}].newState", fallback_urn=step.get("urn"))
        resources.setdefault(resource["urn"], resource)
    return list(resources.values())


def _resource(state: Any, where: str, fallback_urn: Any = None) -> dict:
    if not isinstance(state, dict):
        raise OpsError(f"{where} is not an object; the document is damaged")
    urn = state.get("urn") or fallback_urn
    try:
        resource_type, name = parse_urn(urn)
    except ValueError:
        raise OpsError(f"{where}.urn is not a valid URN ({_short(urn)}); the document is damaged") from None
    for key, allowed in _SHAPES.items():
        value = state.get(key)
        if value is not None and not isinstance(value, allowed):
            raise OpsError(f"{where}.{key} is a {type(value).__name__}, not a {allowed[0].__name__}; "
                           "the document is damaged")
    dependencies = state.get("propertyDependencies") or {}
    for key, urns in dependencies.items():
        if not isinstance(urns, list) or not all(isinstance(item, str) for item in urns):
            raise OpsError(f"{where}.propertyDependencies.{key} is not a list of URNs; the document is damaged")
    return {
        "urn": urn,
        "type": state.get("type") or resource_type,
        "name": name,
        "parent": state.get("parent") or None,
        "inputs": state.get("inputs") or {},
        "id": state.get("id"),
        "propertyDependencies": dependencies,
    }


_SHAPES: dict[str, tuple[type, ...]] = {
    "type": (str,), "parent": (str,), "inputs": (dict,), "id": (str,), "propertyDependencies": (dict,),
}


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else f"{shown[:77]}..."
