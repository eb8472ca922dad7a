"""SSM parameters that hold secrets must be SecureString; other parameters may stay String.

Judged by name, description and the value's content, never by whether the value is
wrapped as a Pulumi secret: pulumi-aws marks every parameter value secret on the wire,
and under the real engine the rules get values unwrapped, so a wrapper says nothing.
"""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common.secrets import SECRET_NAME_SCHEMA, SecretNames, plaintext_secret_findings
from ..common.values import is_opaque, text
from ..model import Resource, ResourceRule

SECURE_STRING = "SecureString"


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    parameter_type = resource.props.get("type")
    if is_opaque(parameter_type) or parameter_type == SECURE_STRING:
        return
    name = text(resource.props.get("name")) or resource.name
    stored_as = parameter_type or "String"
    if _holds_secret(name, text(resource.props.get("description")) or "", SecretNames.from_config(config)):
        yield f"parameter {name!r} holds a secret by its name or description but is stored as {stored_as}"
    else:
        value = text(resource.props.get("value"))
        for finding in dict.fromkeys(plaintext_secret_findings(value or "", SecretNames.from_config(config))):
            yield f"parameter {name!r} holds {finding} but is stored as {stored_as}"


def _holds_secret(name: str, description: str, names: SecretNames) -> bool:
    own_name = name.rstrip("/").rsplit("/", 1)[-1]
    if names.is_secret(own_name):
        return True
    return not names.is_reference(own_name) and names.mentions_secret(description)


RULE = ResourceRule(
    name="aws-ssm-parameter-configure-secure-string",
    description=(
        "SSM parameters whose name or description says they hold a secret (password, secret, token, key ...), "
        "or whose value is recognisably one (a token, key or password), must be SecureString."
    ),
    remediation="Set `type: SecureString` (with `keyId` for a customer-managed key) or move the value to Secrets Manager.",
    resource_types=frozenset({"aws:ssm/parameter:Parameter"}),
    config_schema=SECRET_NAME_SCHEMA,
    check=check,
)
