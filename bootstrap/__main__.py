"""chainlink-node-aws-bootstrap: prepare one AWS account for the node stacks, once.

Run with the account's administrator credentials before the first `pulumi up` of the
node stack; see "Accounts and the bootstrap project" in ../README.md.
"""

import re
import sys
from pathlib import Path

import pulumi

# The IAM helpers (components/iam.py) are the node stack's, shared so that a document
# such as the TLS-only bucket policy is written once.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from account_bootstrap import AccountBootstrap, AccountBootstrapArgs  # noqa: E402

# ORG/REPO, or ORG@ORG_ID/REPO@REPO_ID where GitHub issues immutable subject claims.
_REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*(@\d+)?/[A-Za-z0-9._-]+(@\d+)?")
_ENVIRONMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ -]*")


def _matching(config: pulumi.Config, key: str, pattern: re.Pattern, allowed: str) -> str:
    value = config.require(key)
    if not pattern.fullmatch(value):
        raise pulumi.RunError(f"{config.name}:{key}: expected {allowed}, got {value!r}")
    return value


config = pulumi.Config()
bootstrap = AccountBootstrap("chainlink", AccountBootstrapArgs(
    github_repository=_matching(config, "githubRepository", _REPOSITORY,
                                "ORG/REPO or ORG@ORG_ID/REPO@REPO_ID"),
    deploy_environment=_matching(config, "deployEnvironment", _ENVIRONMENT,
                                 "a GitHub environment name such as production"),
    github_oidc_provider_arn=config.get("githubOidcProviderArn") or ""))

pulumi.export("stateBucketName", bootstrap.state_bucket_name)
pulumi.export("backendUrl", bootstrap.backend_url)
pulumi.export("secretsProvider", bootstrap.secrets_provider)
pulumi.export("deployRoleArn", bootstrap.deploy_role_arn)
pulumi.export("previewRoleArn", bootstrap.preview_role_arn)
pulumi.export("githubOidcProviderArn", bootstrap.oidc_provider_arn)
pulumi.export("permissionsBoundaryArn", bootstrap.permissions_boundary_arn)
