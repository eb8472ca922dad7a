"""Lambda environment variables must not carry secrets: anyone with lambda:GetFunctionConfiguration reads them."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common.secrets import SECRET_NAME_SCHEMA, SecretNames, variable_findings
from ..common.values import dig, text
from ..model import Resource, ResourceRule

LAMBDA_FUNCTION = "aws:lambda/function:Function"


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    names = SecretNames.from_config(config)
    variables = dig(resource.props, "environment", "variables")
    for name, raw in (variables.items() if isinstance(variables, dict) else ()):
        value = text(raw)
        if value is None:
            continue
        for finding in variable_findings(name, value, names):
            yield f"environment variable {name} holds {finding or 'a literal value'}"


RULE = ResourceRule(
    name="aws-lambda-function-disallow-plaintext-secrets",
    description="Lambda `environment.variables` must not hold plaintext secrets (CKV_AWS_45); ARNs and names are fine.",
    remediation="Keep the secret in Secrets Manager or SSM SecureString, pass its ARN, and read it in the function.",
    resource_types=frozenset({LAMBDA_FUNCTION}),
    config_schema=SECRET_NAME_SCHEMA,
    check=check,
)
