"""The bootstrap project (bootstrap/) under Pulumi's mocks: state bucket, keys, CI roles."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pulumi
import pytest

from ops.lib.offline import ProgramRun, unwrap_secrets
from ops.commands.preview import resources_document
from ops.lib.stackfile import PROJECT_ROOT, read_stack_file
from policies.engine import evaluate, load_policy_config
from tests.conftest import cached_run

BOOTSTRAP_DIR = PROJECT_ROOT / "bootstrap"
NAMESPACE = "chainlink-node-aws-bootstrap"
REPOSITORY = "example-org/chainlink-node-aws"
ACCOUNTS = {"dev": "111111111111", "prod": "222222222222"}
STACKS = sorted(ACCOUNTS)
OIDC = "token.actions.githubusercontent.com"


def bootstrap_run(stack: str, **overrides: str) -> ProgramRun:
    """The recorded run of bootstrap/__main__.py (cached_run)."""
    stack_file = read_stack_file(stack, BOOTSTRAP_DIR)
    if overrides:
        config = dict(stack_file.config)
        config.update({f"{NAMESPACE}:{key}": value for key, value in overrides.items()})
        stack_file = dataclasses.replace(stack_file, config=config)
    return cached_run(stack_file, BOOTSTRAP_DIR)


def only(run: ProgramRun, resource_type: str):
    found = run.of_type(resource_type)
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def inputs(resource) -> dict:
    return unwrap_secrets(resource.inputs)


def document(resource, field: str) -> dict:
    return json.loads(inputs(resource)[field])


def role(run: ProgramRun, role_name: str):
    return next(r for r in run.of_type("aws:iam/role:Role") if inputs(r)["name"] == role_name)


def role_policy(run: ProgramRun, role_name: str) -> dict:
    policy = next(r for r in run.of_type("aws:iam/rolePolicy:RolePolicy")
                  if inputs(r)["role"] == role_name)
    return document(policy, "policy")


def statement(policy: dict, sid: str) -> dict:
    return next(s for s in policy["Statement"] if s.get("Sid") == sid)


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def bucket_name(stack: str) -> str:
    return f"chainlink-pulumi-state-{ACCOUNTS[stack]}-us-east-1"


# --- the project ---

def test_project_and_stack_files_pin_each_stack_to_its_account():
    for stack, account in ACCOUNTS.items():
        stack_file = read_stack_file(stack, BOOTSTRAP_DIR)
        assert stack_file.project == NAMESPACE
        assert json.loads(stack_file.config["aws:allowedAccountIds"]) == [account]
        assert stack_file.config[f"{NAMESPACE}:githubRepository"] == REPOSITORY


@pytest.mark.parametrize("stack", STACKS)
def test_one_component_parents_every_resource(stack):
    run = bootstrap_run(stack)
    component = only(run, "chainlink:index:AccountBootstrap")
    children = [r for r in run.resources if r is not component]
    assert children and all(r.parent == component.urn for r in children)


@pytest.mark.parametrize("stack", STACKS)
def test_outputs_name_the_backend_the_secrets_provider_and_the_roles(stack):
    outputs = bootstrap_run(stack).outputs
    account = ACCOUNTS[stack]
    assert outputs["backendUrl"] == f"s3://{bucket_name(stack)}?region=us-east-1"
    # The node stack files name exactly this secrets provider.
    main_stack = (PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text()
    assert f"secretsprovider: {outputs['secretsProvider']}\n" in main_stack
    assert outputs["deployRoleArn"] == f"arn:aws:iam::{account}:role/chainlink-node-deployer"
    assert outputs["previewRoleArn"] == f"arn:aws:iam::{account}:role/chainlink-node-previewer"
    # ...and assume exactly this deployment role.
    assert f"roleArn: {outputs['deployRoleArn']}\n" in main_stack


# --- the state bucket ---

def bucket_children(run: ProgramRun, resource_type: str) -> list:
    return [r for r in run.of_type(resource_type) if inputs(r)["bucket"] == bucket_name(run.stack)]


@pytest.mark.parametrize("stack", STACKS)
def test_state_bucket_is_protected_versioned_and_kms_encrypted(stack):
    run = bootstrap_run(stack)
    bucket = only(run, "aws:s3/bucket:Bucket")
    assert inputs(bucket)["bucket"] == bucket_name(stack)
    assert bucket.protect
    assert not inputs(bucket).get("forceDestroy")

    [versioning] = bucket_children(run, "aws:s3/bucketVersioning:BucketVersioning")
    assert inputs(versioning)["versioningConfiguration"]["status"] == "Enabled"

    [encryption] = bucket_children(
        run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    [rule] = inputs(encryption)["rules"]
    default = rule["applyServerSideEncryptionByDefault"]
    assert default["sseAlgorithm"] == "aws:kms"
    state_key = next(r for r in run.of_type("aws:kms/key:Key") if r.name.endswith("state-key"))
    assert default["kmsMasterKeyId"].startswith(f"arn:aws:kms:us-east-1:{ACCOUNTS[stack]}:key/")
    assert state_key.protect


@pytest.mark.parametrize("stack", STACKS)
def test_state_bucket_blocks_all_public_access_and_acls(stack):
    run = bootstrap_run(stack)
    [block] = bucket_children(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert {key: inputs(block)[key] for key in ("blockPublicAcls", "blockPublicPolicy",
                                               "ignorePublicAcls", "restrictPublicBuckets")} \
        == dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                          "restrictPublicBuckets"), True)
    [ownership] = bucket_children(run, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert inputs(ownership)["rule"]["objectOwnership"] == "BucketOwnerEnforced"


@pytest.mark.parametrize("stack", STACKS)
def test_state_bucket_refuses_requests_without_tls(stack):
    run = bootstrap_run(stack)
    [policy] = bucket_children(run, "aws:s3/bucketPolicy:BucketPolicy")
    [deny] = document(policy, "policy")["Statement"]
    arn = f"arn:aws:s3:::{bucket_name(stack)}"
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert sorted(deny["Resource"]) == [arn, f"{arn}/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


# --- the keys ---

@pytest.mark.parametrize("stack", STACKS)
def test_keys_rotate_are_protected_and_the_secrets_key_has_the_stacks_alias(stack):
    run = bootstrap_run(stack)
    keys = run.of_type("aws:kms/key:Key")
    assert len(keys) == 2
    for key in keys:
        assert inputs(key)["enableKeyRotation"] is True
        assert key.protect
        statements = document(key, "policy")["Statement"]
        principals = {s["Principal"]["AWS"] for s in statements}
        assert principals == {f"arn:aws:iam::{ACCOUNTS[stack]}:root"}
    aliases = {inputs(a)["name"] for a in run.of_type("aws:kms/alias:Alias")}
    assert aliases == {"alias/chainlink-pulumi-secrets", "alias/chainlink-pulumi-state"}


# --- the CI roles ---

def web_identity_statement(trust: dict) -> dict:
    [federated] = [s for s in trust["Statement"] if "Federated" in s["Principal"]]
    return federated


@pytest.mark.parametrize("stack, environment", [("dev", "dev"), ("prod", "production")])
def test_deploy_role_trusts_only_its_github_environment(stack, environment):
    run = bootstrap_run(stack)
    trust = document(role(run, "chainlink-node-deployer"), "assumeRolePolicy")
    federated = web_identity_statement(trust)
    assert federated["Principal"]["Federated"] == run.outputs["githubOidcProviderArn"]
    assert federated["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert federated["Condition"] == {"StringEquals": {
        f"{OIDC}:aud": "sts.amazonaws.com",
        f"{OIDC}:sub": [f"repo:{REPOSITORY}:environment:{environment}"]}}
    others = [s for s in trust["Statement"] if s is not federated]
    assert [s["Principal"] for s in others] == [{"AWS": f"arn:aws:iam::{ACCOUNTS[stack]}:root"}]


@pytest.mark.parametrize("stack", STACKS)
def test_preview_role_trusts_pull_requests_and_main_and_is_read_only(stack):
    run = bootstrap_run(stack)
    trust = document(role(run, "chainlink-node-previewer"), "assumeRolePolicy")
    condition = web_identity_statement(trust)["Condition"]["StringEquals"]
    assert condition[f"{OIDC}:aud"] == "sts.amazonaws.com"
    assert sorted(condition[f"{OIDC}:sub"]) == [f"repo:{REPOSITORY}:pull_request",
                                                f"repo:{REPOSITORY}:ref:refs/heads/main"]
    [attachment] = run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert inputs(attachment) == {"role": "chainlink-node-previewer",
                                  "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    writes = [action for s in role_policy(run, "chainlink-node-previewer")["Statement"]
              for action in as_list(s["Action"])
              if s["Effect"] == "Allow" and action.split(":")[1].startswith(
                  ("Put", "Delete", "Create", "Encrypt", "Generate"))]
    assert writes == []


@pytest.mark.parametrize("stack", STACKS)
def test_no_role_gets_administrator_access_or_unscoped_actions(stack):
    run = bootstrap_run(stack)
    attached = {inputs(a)["policyArn"]
                for a in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert not any(arn.endswith(("/AdministratorAccess", "/PowerUserAccess", "/IAMFullAccess"))
                   for arn in attached)
    for r in run.of_type("aws:iam/role:Role"):
        assert not inputs(r).get("managedPolicyArns")
    for name in ("chainlink-node-deployer", "chainlink-node-previewer"):
        for s in role_policy(run, name)["Statement"]:
            if s["Effect"] == "Allow":
                assert not {"*", "iam:*", "s3:*", "sts:*"} & set(as_list(s["Action"])), s


@pytest.mark.parametrize("stack", STACKS)
def test_deploy_policy_is_scoped_to_the_node_stacks_services_and_region(stack):
    policy = role_policy(bootstrap_run(stack), "chainlink-node-deployer")
    services = statement(policy, "NodeStackServicesInItsRegion")
    assert {action.split(":")[0] for action in services["Action"]} == {
        "ec2", "autoscaling", "elasticloadbalancing", "rds", "kms", "secretsmanager", "logs",
        "cloudwatch", "sns", "dlm", "devops-guru"}
    assert services["Condition"] == {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}

    account = ACCOUNTS[stack]
    iam_resources = [resource for s in policy["Statement"]
                     if s["Effect"] == "Allow" and any(a.startswith("iam:") for a in as_list(s["Action"]))
                     for resource in as_list(s["Resource"])]
    allowed_prefixes = tuple(f"arn:aws:iam::{account}:{kind}/chainlink-"
                             for kind in ("role", "instance-profile", "policy")) \
        + (f"arn:aws:iam::{account}:role/aws-service-role/",
           f"arn:aws:iam::{account}:role/AWSCloudFormationStackSet")
    assert iam_resources and all(r.startswith(allowed_prefixes) for r in iam_resources)

    pass_role = statement(policy, "PassWorkloadRolesToTheirServices")
    assert "ec2.amazonaws.com" in pass_role["Condition"]["StringEquals"]["iam:PassedToService"]
    group_role = statement(policy, "PassTheNodeGroupsAutoScalingRole")
    assert group_role["Resource"] == (
        f"arn:aws:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/"
        "AWSServiceRoleForAutoScaling_chainlink-*")
    assert group_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "autoscaling.amazonaws.com"}}

    s3_resources = {r for s in policy["Statement"] if s["Effect"] == "Allow"
                    and any(a.startswith("s3:") for a in as_list(s["Action"]))
                    for r in as_list(s["Resource"])}
    # The state bucket, and the node stack's host-files bucket: nothing else in S3.
    assert s3_resources == {f"arn:aws:s3:::{bucket_name(stack)}",
                            f"arn:aws:s3:::{bucket_name(stack)}/*",
                            "arn:aws:s3:::chainlink-node-host-files-*",
                            "arn:aws:s3:::chainlink-node-host-files-*/*"}
    state = {f"arn:aws:s3:::{bucket_name(stack)}", f"arn:aws:s3:::{bucket_name(stack)}/*"}
    state_actions = {a for s in policy["Statement"] if s["Effect"] == "Allow"
                     and state & set(as_list(s["Resource"])) for a in as_list(s["Action"])}
    assert state_actions == {"s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketVersioning",
                             "s3:GetObject", "s3:PutObject", "s3:DeleteObject"}


@pytest.mark.parametrize("stack", STACKS)
def test_deployments_can_never_touch_the_bootstrap_roles_or_keys(stack):
    policy = role_policy(bootstrap_run(stack), "chainlink-node-deployer")
    account = ACCOUNTS[stack]
    roles = statement(policy, "NeverChangeTheBootstrapRoles")
    assert roles["Effect"] == "Deny"
    assert sorted(roles["Resource"]) == [f"arn:aws:iam::{account}:role/chainlink-node-deployer",
                                         f"arn:aws:iam::{account}:role/chainlink-node-previewer"]
    assert {"iam:Attach*", "iam:Put*", "iam:PassRole"} <= set(roles["Action"])
    keys = statement(policy, "NeverDisableTheStateOrSecretsKeys")
    assert keys["Effect"] == "Deny" and "kms:ScheduleKeyDeletion" in keys["Action"]
    assert len(keys["Resource"]) == 2


def test_immutable_subject_claims_are_accepted_as_the_repository():
    repository = "example-org@1234/chainlink-node-aws@5678"
    run = bootstrap_run("prod", githubRepository=repository)
    trust = document(role(run, "chainlink-node-deployer"), "assumeRolePolicy")
    assert web_identity_statement(trust)["Condition"]["StringEquals"][f"{OIDC}:sub"] == [
        f"repo:{repository}:environment:production"]


def test_an_existing_github_oidc_provider_is_reused():
    existing = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
    run = bootstrap_run("dev", githubOidcProviderArn=existing)
    assert run.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    trust = document(role(run, "chainlink-node-deployer"), "assumeRolePolicy")
    assert web_identity_statement(trust)["Principal"]["Federated"] == existing


def test_created_github_oidc_provider_accepts_sts_audience():
    provider = only(bootstrap_run("dev"), "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert inputs(provider)["url"] == f"https://{OIDC}"
    assert inputs(provider)["clientIdLists"] == ["sts.amazonaws.com"]


@pytest.mark.parametrize("key, value", [("githubRepository", "example-org"),
                                        ("deployEnvironment", "")])
def test_bad_bootstrap_config_fails_naming_the_key(key, value):
    with pytest.raises(pulumi.RunError, match=f"{NAMESPACE}:{key}"):
        bootstrap_run("dev", **{key: value})


# --- the policy pack ---

@pytest.mark.parametrize("stack", STACKS)
def test_bootstrap_passes_the_policy_pack_with_the_prod_config(stack):
    run = bootstrap_run(stack)
    config = load_policy_config(PROJECT_ROOT / "policies" / "config" / "prod.json")
    violations = evaluate(resources_document(run), config)
    mandatory = [v for v in violations if v["enforcementLevel"] == "mandatory"]
    assert mandatory == []


@pytest.mark.parametrize("stack", STACKS)
def test_deployments_give_roles_permissions_only_inside_the_workload_boundary(stack):
    run = bootstrap_run(stack)
    account = ACCOUNTS[stack]
    boundary_arn = f"arn:aws:iam::{account}:policy/ChainlinkWorkloadBoundary"
    assert run.outputs["permissionsBoundaryArn"] == boundary_arn
    (boundary,) = run.of_type("aws:iam/policy:Policy")
    assert inputs(boundary)["name"] == "ChainlinkWorkloadBoundary"
    allowed = {a for s in document(boundary, "policy")["Statement"] for a in as_list(s["Action"])}
    assert not {"*", "iam:*", "iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy",
                "organizations:*", "s3:*"} & allowed

    policy = role_policy(run, "chainlink-node-deployer")
    granting = {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"}
    unconditioned = [s for s in policy["Statement"] if s["Effect"] == "Allow"
                     and granting & set(as_list(s["Action"])) and "Condition" not in s]
    assert unconditioned == []
    bounded = statement(policy, "GiveWorkloadRolesPermissionsOnlyInsideTheBoundary")
    assert granting <= set(bounded["Action"])
    assert bounded["Condition"] == {"ArnEquals": {"iam:PermissionsBoundary": boundary_arn}}
    guard = statement(policy, "NeverLiftOrWidenTheBoundary")
    assert guard["Effect"] == "Deny" and boundary_arn in guard["Resource"]
    assert {"iam:DeleteRolePermissionsBoundary", "iam:CreatePolicyVersion"} <= set(guard["Action"])


def test_the_node_stacks_read_the_boundary_the_bootstrap_creates(stack_run):
    # Nothing copied by hand: the stack files leave the boundary to the bootstrap stack's
    # output, and the offline preview's StackReference answers what the bootstrap exports.
    for stack in STACKS:
        config = read_stack_file(stack).config
        assert "chainlink-node-aws:iamPermissionsBoundaryArn" not in config
        boundaries = {role.inputs.get("permissionsBoundary")
                      for role in stack_run(stack).of_type("aws:iam/role:Role")}
        assert boundaries == {bootstrap_run(stack).outputs["permissionsBoundaryArn"]}


def test_the_default_bootstrap_stack_is_this_projects_bootstrap():
    from ruamel.yaml import YAML
    from stack_config import SETTINGS_BY_KEY
    from stack_config.profile import BOOTSTRAP_PROJECT
    assert YAML(typ="safe").load(BOOTSTRAP_DIR / "Pulumi.yaml")["name"] == BOOTSTRAP_PROJECT
    setting = SETTINGS_BY_KEY["bootstrapStack"]
    assert [setting.default_for(stack) for stack in STACKS] == [
        f"organization/{BOOTSTRAP_PROJECT}/{stack}" for stack in STACKS]
