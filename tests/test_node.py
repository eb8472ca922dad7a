"""Compute tier properties per stack, read from the inputs the engine would receive."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from components.node import failover_table
from components.host import chainlink_agent as agent
from ops.lib.stackfile import PROJECT_ROOT
from tests.conftest import inputs_of, run_ops

STACKS = ["dev", "prod"]
EXPECTED = {"dev": {"instance_type": "t3.medium", "subnets": 2},
            "prod": {"instance_type": "m6i.large", "subnets": 3}}


def named(run, resource_type: str, name: str) -> dict:
    (resource,) = [r for r in run.of_type(resource_type) if r.name == name]
    return inputs_of(resource)


def node_group(run) -> dict:
    return named(run, "aws:autoscaling/group:Group", "chainlink-node-asg")


def launch_template(run) -> dict:
    return named(run, "aws:ec2/launchTemplate:LaunchTemplate", "chainlink-node-lt")


def user_data_text(run) -> str:
    return base64.b64decode(launch_template(run)["userData"]).decode("utf-8")


def host_settings(run) -> agent.AgentSettings:
    """The agent settings file as cloud-init writes it on the hosts."""
    marker = "- path: /etc/chainlink/agent.json\n"
    section = user_data_text(run).split(marker, 1)[1].split("\n- path: ", 1)[0]
    body = section.split("content: |\n", 1)[1]
    document = json.loads("\n".join(line[4:] for line in body.splitlines()))
    return agent.parse_settings(document, "user data")


def data_key_arn(run) -> str:
    """The Secrets tier's key, as its secrets name it."""
    return named(run, "aws:secretsmanager/secret:Secret", "chainlink-api-credentials")["kmsKeyId"]


def security_group_ids(run) -> dict[str, str]:
    """Security group ids by role, as the resources that use them name them."""
    (load_balancer_group,) = named(run, "aws:lb/loadBalancer:LoadBalancer",
                                   "chainlink-web-alb")["securityGroups"]
    (host_group,) = launch_template(run)["networkInterfaces"][0]["securityGroups"]
    (database_group,) = named(run, "aws:rds/cluster:Cluster",
                              "chainlink-db-cluster")["vpcSecurityGroupIds"]
    return {"load balancer": load_balancer_group, "hosts": host_group,
            "database": database_group}


@pytest.mark.parametrize("stack", STACKS)
def test_exactly_two_hosts_over_the_private_subnets_with_ec2_health_checks(stack_run, stack):
    run = stack_run(stack)
    (_,) = run.of_type("chainlink:index:ChainlinkNode")
    group = node_group(run)
    assert group["minSize"] == group["maxSize"] == group["desiredCapacity"] == 2
    zones = group["vpcZoneIdentifiers"]
    assert len(zones) == EXPECTED[stack]["subnets"] >= 2
    assert zones == run.outputs["privateSubnetIds"]
    assert not set(zones) & set(run.outputs["publicSubnetIds"])
    # A waiting standby has no listener: load-balancer health checks would kill it.
    assert group["healthCheckType"] == "EC2"
    assert group["healthCheckGracePeriod"] == 300


@pytest.mark.parametrize("stack", STACKS)
def test_hosts_require_imdsv2_encrypt_their_volume_and_have_no_public_address(stack_run,
                                                                             stack):
    run = stack_run(stack)
    template = launch_template(run)
    assert template["metadataOptions"] == {"httpEndpoint": "enabled", "httpTokens": "required",
                                           "httpPutResponseHopLimit": 1}
    (device,) = template["blockDeviceMappings"]
    assert device["deviceName"] == "/dev/xvda"
    assert device["ebs"] == {"volumeType": "gp3", "volumeSize": 30, "encrypted": "true",
                             "kmsKeyId": data_key_arn(run), "deleteOnTermination": "true"}
    (interface,) = template["networkInterfaces"]
    assert interface["associatePublicIpAddress"] == "false"
    assert template["instanceType"] == EXPECTED[stack]["instance_type"]
    assert template["imageId"].startswith("ami-")
    assert template["iamInstanceProfile"]["arn"].startswith("arn:aws:iam::")


@pytest.mark.parametrize("instance_type, architecture", [("m6i.large", "x86_64"),
                                                         ("m7g.large", "arm64")])
def test_hosts_boot_the_amazon_linux_parameter_of_their_architecture(stack_run, instance_type,
                                                                     architecture):
    from ops.lib.offline import OfflineMocks

    run = stack_run("prod", nodeInstanceType=instance_type)
    parameter = f"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{architecture}"
    answer = OfflineMocks("222222222222", "us-east-1")._ssm_parameter({"name": parameter})
    assert launch_template(run)["imageId"] == answer["value"]


def test_the_ami_invoke_names_the_provider_version_the_sdks_own_invokes_send():
    """components/aws_context.py invokes aws:ssm/getParameter by token, with the version
    from the package metadata; pulumi_aws sends its own semver form of the same."""
    from importlib import metadata

    from pulumi_aws import _utilities

    assert metadata.version("pulumi_aws") == _utilities.get_version()


@pytest.mark.parametrize("stack", STACKS)
def test_volumes_carry_the_backup_tag_and_instances_the_role_tag(stack_run, stack):
    specifications = {spec["resourceType"]: spec["tags"]
                      for spec in launch_template(stack_run(stack))["tagSpecifications"]}
    assert specifications["volume"]["chainlink:backup"] == "daily"
    assert specifications["instance"]["chainlink:role"] == "node"


def test_volume_size_and_instance_type_follow_the_config(stack_run):
    run = stack_run("prod", nodeVolumeSizeGb="120", nodeInstanceType="m7g.large")
    template = launch_template(run)
    assert template["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 120
    assert template["instanceType"] == "m7g.large"


@pytest.mark.parametrize("stack", STACKS)
def test_a_new_version_rolls_the_hosts_one_at_a_time_launching_first(stack_run, stack):
    group = node_group(stack_run(stack))
    refresh = group["instanceRefresh"]
    assert refresh["strategy"] == "Rolling"
    assert refresh["preferences"]["minHealthyPercentage"] == 100
    assert refresh["preferences"]["maxHealthyPercentage"] == 200
    assert "autoRollback" not in refresh["preferences"]
    assert group["instanceMaintenancePolicy"] == {"minHealthyPercentage": 100,
                                                  "maxHealthyPercentage": 200}
    assert group["launchTemplate"]["version"] == "1"


def test_the_pinned_version_or_digest_is_what_the_hosts_run(stack_run):
    assert "chainlink:2.30.1 node -config" in user_data_text(
        stack_run("dev", chainlinkVersion="2.30.1"))
    digest = "sha256:" + "ab" * 32
    assert f"chainlink@{digest} node -config" in user_data_text(
        stack_run("dev", chainlinkVersion=digest))


@pytest.mark.parametrize("version", ["latest", "v2.29.0", "2.29.0-root"])
def test_moving_or_root_tags_are_refused_before_any_resource(project_copy, version):
    stack_file = project_copy / "Pulumi.prod.yaml"
    stack_file.write_text(stack_file.read_text().replace(
        "chainlinkVersion: 2.29.0", f"chainlinkVersion: {version}"))
    result = run_ops("preview", "--stack", "prod", cwd=project_copy)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "chainlink-node-aws:chainlinkVersion" in line


@pytest.mark.parametrize("stack", STACKS)
def test_only_the_load_balancer_reaches_the_hosts_and_only_the_hosts_the_database(stack_run,
                                                                                  stack):
    run = stack_run(stack)
    groups = security_group_ids(run)
    hosts = named(run, "aws:ec2/securityGroup:SecurityGroup", "chainlink-node-sg")
    (rule,) = hosts["ingress"]
    assert (rule["fromPort"], rule["toPort"], rule["protocol"]) == (6688, 6688, "tcp")
    assert rule["securityGroups"] == [groups["load balancer"]]
    assert "cidrBlocks" not in rule

    database = named(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                     "chainlink-node-database-access")
    assert database["securityGroupId"] == groups["database"]
    assert database["referencedSecurityGroupId"] == groups["hosts"]
    assert (database["fromPort"], database["toPort"], database["ipProtocol"]) == (
        5432, 5432, "tcp")


def test_database_access_follows_the_configured_port(stack_run):
    rule = named(stack_run("dev", dbPort="6543"),
                 "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                 "chainlink-node-database-access")
    assert (rule["fromPort"], rule["toPort"]) == (6543, 6543)


def host_policy(run) -> dict:
    return json.loads(named(run, "aws:iam/rolePolicy:RolePolicy",
                            "chainlink-node-host-access")["policy"])


@pytest.mark.parametrize("stack", STACKS)
def test_the_host_role_reads_exactly_its_own_secrets_and_decrypts_only_through_them(
        stack_run, stack):
    run = stack_run(stack)
    statements = {s["Sid"]: s for s in host_policy(run)["Statement"]}
    settings = host_settings(run)
    assert sorted(statements["ReadOwnSecrets"]["Resource"]) == sorted(settings.secrets.all())
    assert settings.secrets.database_credentials.split(":secret:")[1].startswith("rds!cluster-")
    decrypt = statements["DecryptThroughSecretsManagerAndS3"]
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Resource"] == data_key_arn(run)
    assert sorted(decrypt["Condition"]["StringEquals"]["kms:ViaService"]) == [
        "s3.us-east-1.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com"]
    for statement in statements.values():
        actions = statement["Action"] if isinstance(statement["Action"], list) \
            else [statement["Action"]]
        assert not any(action.endswith("*") for action in actions), statement
    resources = statements["WriteOwnLogs"]["Resource"]
    groups, streams = resources[0::2], resources[1::2]
    assert streams == [f"{group}:log-stream:*" for group in groups]
    node_group_arn, bootstrap_arn, metrics_arn = groups
    assert node_group_arn.endswith(f":log-group:{run.outputs['nodeLogGroup']}")
    assert bootstrap_arn.split(":log-group:")[1].startswith("/chainlink/chainlink-bootstrap-")
    assert metrics_arn.split(":log-group:")[1].startswith("/chainlink/chainlink-node-metrics-")
    metrics = statements["CloudWatchAgentMetrics"]
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": f"Chainlink/{stack}"}}


@pytest.mark.parametrize("stack", STACKS)
def test_hosts_may_report_only_their_own_groups_health(stack_run, stack):
    run = stack_run(stack)
    policy = json.loads(named(run, "aws:iam/rolePolicy:RolePolicy",
                              "chainlink-node-report-health")["policy"])
    (statement,) = policy["Statement"]
    assert statement["Action"] == "autoscaling:SetInstanceHealth"
    assert statement["Resource"].endswith(f":autoScalingGroupName/{run.outputs['nodeGroupName']}")
    attachment = named(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                       "chainlink-node-ssm-core")
    assert attachment["policyArn"] == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


@pytest.mark.parametrize("stack", STACKS)
def test_the_agent_download_is_private_versioned_encrypted_and_pinned_by_hash(stack_run, stack):
    run = stack_run(stack)
    assert named(run, "aws:s3/bucketVersioning:BucketVersioning",
                 "chainlink-node-host-files-versioning")["versioningConfiguration"] == {
        "status": "Enabled"}
    (rule,) = named(run, "aws:s3/bucketServerSideEncryptionConfiguration:"
                    "BucketServerSideEncryptionConfiguration",
                    "chainlink-node-host-files-encryption")["rules"]
    default = rule["applyServerSideEncryptionByDefault"]
    assert default["sseAlgorithm"] == "aws:kms"
    assert default["kmsMasterKeyId"] == data_key_arn(run)
    blocks = named(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                   "chainlink-node-host-files-private")
    assert all(blocks[key] is True for key in ("blockPublicAcls", "blockPublicPolicy",
                                               "ignorePublicAcls", "restrictPublicBuckets"))
    digest = hashlib.sha256((PROJECT_ROOT / "components" / "host" / "chainlink_agent.py").read_bytes()).hexdigest()
    agent_object = named(run, "aws:s3/bucketObjectv2:BucketObjectv2", "chainlink-node-agent")
    assert agent_object["key"] == f"agent/{digest}/chainlink_agent.py"
    text = user_data_text(run)
    assert f"{digest}  /opt/chainlink-agent/chainlink_agent.py" in text
    assert f"s3://{agent_object['bucket']}/{agent_object['key']}" in text


@pytest.mark.parametrize("stack", STACKS)
def test_the_host_settings_describe_this_stacks_database_and_chain(stack_run, stack):
    run = stack_run(stack)
    settings = host_settings(run)
    assert settings.database_host == run.outputs["databaseEndpoint"]
    assert (settings.database_port, settings.database_name) == (5432, "chainlink")
    assert [chain["chainId"] for chain in settings.chains] == [
        str(chain_id) for chain_id in run.outputs["chainIds"]]
    assert settings.chains[0]["nodes"] == [{"name": "primary", "sendOnly": False}]
    assert (settings.lease_duration, settings.lease_refresh_interval) == ("10s", "1s")
    assert settings.secure_cookies is True
    assert settings.p2p_port == 0


@pytest.mark.parametrize("stack", STACKS)
def test_outputs_name_what_operators_and_alarms_need(stack_run, stack):
    outputs = stack_run(stack).outputs
    assert outputs["nodeGroupName"].startswith("chainlink-node-asg")
    assert outputs["loadBalancerArnSuffix"].startswith("app/chainlink-web-alb")
    assert outputs["targetGroupArnSuffix"].startswith("targetgroup/chainlink-web-tg")
    assert outputs["nodeUrl"] == "https://" + outputs["loadBalancerDnsName"]
    assert outputs["nodeImage"] == "public.ecr.aws/chainlink/chainlink:2.29.0"


def test_the_readme_failover_table_is_the_one_the_code_derives():
    readme = Path(PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert failover_table() in readme


@pytest.mark.parametrize("stack", STACKS)
def test_the_group_launches_through_the_stacks_own_service_linked_role(stack_run, stack):
    run = stack_run(stack)
    (role,) = [inputs_of(r) for r in run.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")]
    assert role["awsServiceName"] == "autoscaling.amazonaws.com"
    assert role["customSuffix"] == f"chainlink-{stack}"
    # The data key's policy names exactly this role: any other would fail to launch.
    assert node_group(run)["serviceLinkedRoleArn"].endswith(
        f":role/aws-service-role/autoscaling.amazonaws.com/"
        f"AWSServiceRoleForAutoScaling_chainlink-{stack}")


@pytest.mark.parametrize("stack", STACKS)
def test_hosts_and_group_carry_the_tags_discovery_and_devops_guru_select_by(stack_run, stack):
    run = stack_run(stack)
    (instance_tags,) = [spec["tags"] for spec in launch_template(run)["tagSpecifications"]
                        if spec["resourceType"] == "instance"]
    assert (instance_tags["chainlink:role"], instance_tags["chainlink:stack"]) == ("node", stack)
    group_tags = {tag["key"]: tag["value"] for tag in node_group(run)["tags"]}
    assert group_tags["DevOps-Guru-chainlink-node-aws"] == stack
    assert group_tags["chainlink:stack"] == stack
    assert "GroupInServiceInstances" in node_group(run)["enabledMetrics"]
