"""EC2 user data must not carry secrets in plaintext: anyone with ec2:DescribeInstanceAttribute reads it."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common.secrets import SECRET_NAME_SCHEMA, SecretNames, plaintext_secret_findings
from ..common.userdata import EC2_TYPES_WITH_USER_DATA, decode_user_data, inspection_problem, user_data_values
from ..model import Resource, ResourceRule


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    names = SecretNames.from_config(config)
    for value in user_data_values(resource.props):
        decoded = decode_user_data(value)
        problem = inspection_problem(decoded)
        if problem:
            yield problem
        for document in decoded.documents if decoded else ():
            for finding in plaintext_secret_findings(document, names):
                yield f"user data contains {finding}"


RULE = ResourceRule(
    name="aws-ec2-instance-disallow-plaintext-secrets",
    description=(
        "EC2 user data (instances, launch templates, launch configurations) must not contain plaintext secrets: "
        "password/secret/token assignments with literal values, AWS access keys, private keys, passwords in URLs."
    ),
    remediation=(
        "Keep the secret in Secrets Manager or SSM SecureString and read it on the host at start-up "
        "(e.g. `$(aws secretsmanager get-secret-value ...)`); pass only its ARN or name in user data."
    ),
    resource_types=EC2_TYPES_WITH_USER_DATA,
    config_schema=SECRET_NAME_SCHEMA,
    check=check,
)
