"""Compute tier: the primary and standby Chainlink node hosts.

Two hosts in private subnets of different Availability Zones run the pinned node image
against one database; the node's database lease decides which one is active. The
hosts are cattle: all state is in the database, so a broken host is replaced, never
repaired, and an upgrade is an instance refresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext, amazon_linux_ami
from components.chains import ChainSpec, agent_chains
from components.host.user_data import (AGENT_SOURCE, HostBootstrap, HostTimings, agent_sha256,
                                       image_reference, user_data)
from components.iam import policy_document, service_trust_policy, tls_only_bucket_policy
from components.interfaces import (DatabaseConnection, HostLogGroups, LoadBalancerTarget,
                                   NodeSecretAccess, PeerTarget, VpcPlacement)
from components.kit import TierComponent
from components.load_balancer import (HEALTH_CHECK_INTERVAL_SECONDS, HEALTHY_THRESHOLD,
                                      NODE_HTTP_PORT, READINESS_PATH, UNHEALTHY_THRESHOLD)
from components.tags import (BACKUP_TAG_KEY, BACKUP_TAG_VALUE, DEVOPS_GURU_TAG_KEY, NODE_ROLE,
                             ROLE_TAG_KEY, STACK_TAG_KEY)
from components.host.chainlink_agent import AgentSettings, SecretArns

PROJECT_ROOT = Path(__file__).resolve().parent.parent
IMAGE_REPOSITORY = "public.ecr.aws/chainlink/chainlink"
HOST_COUNT = 2  # primary and standby
ROOT_DEVICE = "/dev/xvda"
# The node's [Database.Lock] defaults, written into config.toml explicitly.
LEASE_DURATION_SECONDS = 10
LEASE_REFRESH_SECONDS = 1
# Installing Docker, pulling the image and starting the node takes a few minutes; the
# group neither judges nor counts a new host as warm before that.
BOOT_GRACE_SECONDS = 300
TIMINGS = HostTimings(restart_delay=10, start_limit_burst=10, start_limit_interval=900,
                      watchdog_interval=30, secrets_watch_interval=60,
                      boot_grace=BOOT_GRACE_SECONDS)
GROUP_METRICS = ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances",
                 "GroupTerminatingInstances", "GroupTotalInstances"]


@dataclass
class ChainlinkNodeArgs:
    context: AwsContext
    # The hosts go to the private subnets; the rest are what the sibling tiers hand over.
    placement: VpcPlacement
    secrets: NodeSecretAccess
    database: DatabaseConnection
    logs: HostLogGroups
    load_balancer: LoadBalancerTarget
    chainlink_version: str
    chains: tuple[ChainSpec, ...]
    instance_type: str
    volume_size_gb: int
    # JSON for the CloudWatch agent on the host (components.cloudwatch_agent), and the
    # namespace it publishes host metrics in: the only one the host may write to.
    cloudwatch_agent_config: pulumi.Input[str]
    metrics_namespace: str
    peer_load_balancer: PeerTarget | None = None
    # Prometheus scrape config the CloudWatch agent config may point at (prometheus.yaml).
    prometheus_config: pulumi.Input[str] | None = None
    # Further log groups the CloudWatch agent config writes to (for example EMF metrics).
    extra_log_group_arns: list[pulumi.Input[str]] = field(default_factory=list)


class ChainlinkNode(TierComponent):
    """An Auto Scaling group of exactly two node hosts: primary and standby.

    IMDSv2 only, encrypted gp3 root volumes on the data key, no public addresses, EC2
    health checks (a waiting standby has no HTTP listener, so the load balancer cannot
    judge it; the host reports itself unhealthy instead). The instance role reads this
    node's secrets and nothing else.
    """

    TYPE = "chainlink:index:ChainlinkNode"

    image: str
    group_name: pulumi.Output[str]
    group_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]

    def _build(self, name: str, args: ChainlinkNodeArgs) -> None:
        self.image = image_reference(IMAGE_REPOSITORY, args.chainlink_version)

        security_group = self._security_group(args)
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-database-access", security_group_id=args.database.security_group_id,
            referenced_security_group_id=security_group.id, ip_protocol="tcp",
            from_port=args.database.port, to_port=args.database.port,
            description="PostgreSQL from the Chainlink node hosts", opts=self._child())
        agent_url, agent_object_arn = self._agent_download(args)
        role, host_policy = self._role(args, agent_object_arn)
        profile = aws.iam.InstanceProfile(f"{name}-profile", role=role.name, opts=self._child())
        template = self._launch_template(args, security_group, profile, agent_url)
        group = self._group(args, template, host_policy)
        aws.iam.RolePolicy(
            f"{name}-report-health", role=role.id,
            policy=group.arn.apply(report_health_policy), opts=self._child())

        self.group_name = group.name
        self.group_arn = group.arn
        self.security_group_id = security_group.id
        self.role_arn = role.arn
        self.role_name = role.name

    def _security_group(self, args: ChainlinkNodeArgs) -> aws.ec2.SecurityGroup:
        ingress = [{"protocol": "tcp", "from_port": NODE_HTTP_PORT, "to_port": NODE_HTTP_PORT,
                    "security_groups": [args.load_balancer.security_group_id],
                    "description": "operator UI and API through the load balancer"}]
        if args.peer_load_balancer is not None:
            port = args.peer_load_balancer.port
            ingress.append({"protocol": "tcp", "from_port": port, "to_port": port,
                            "security_groups": [args.peer_load_balancer.security_group_id],
                            "description": "OCR peers through the P2P load balancer"})
        return aws.ec2.SecurityGroup(
            f"{self._name}-sg", vpc_id=args.placement.vpc_id,
            description="Chainlink node hosts: only the load balancers may connect",
            ingress=ingress,
            # RPC endpoints and OCR peers are anywhere on the internet, on any port.
            egress=[{"protocol": "-1", "from_port": 0, "to_port": 0,
                     "cidr_blocks": ["0.0.0.0/0"],
                     "description": "RPC endpoints, OCR peers, database, AWS APIs"}],
            tags={"Name": f"{self._name}-hosts"}, opts=self._child())

    def _agent_download(self, args: ChainlinkNodeArgs
                        ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """The node agent in a private, versioned, encrypted bucket; the key carries the
        file's hash, so a changed agent gives new user data and rolls the hosts."""
        key_arn = args.secrets.key_arn
        bucket = aws.s3.Bucket(
            f"{self._name}-host-files",
            # It holds only a copy of the host agent, which the next `pulumi up` restores.
            force_destroy=True, tags={"Name": f"{self._name}-host-files"}, opts=self._child())
        aws.s3.BucketPublicAccessBlock(
            f"{self._name}-host-files-private", bucket=bucket.id, block_public_acls=True,
            block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True,
            opts=self._child())
        aws.s3.BucketOwnershipControls(
            f"{self._name}-host-files-owner", bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"}, opts=self._child())
        aws.s3.BucketVersioning(
            f"{self._name}-host-files-versioning", bucket=bucket.id,
            versioning_configuration={"status": "Enabled"}, opts=self._child())
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{self._name}-host-files-encryption", bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {
                "sse_algorithm": "aws:kms", "kms_master_key_id": key_arn},
                "bucket_key_enabled": True}],
            opts=self._child())
        aws.s3.BucketPolicy(
            f"{self._name}-host-files-tls-only", bucket=bucket.id,
            policy=bucket.arn.apply(tls_only_bucket_policy), opts=self._child())
        agent_object = aws.s3.BucketObjectv2(
            f"{self._name}-agent", bucket=bucket.id,
            key=f"agent/{agent_sha256()}/chainlink_agent.py",
            # Relative to the project (where Pulumi runs the program): the same on
            # every deployer's machine.
            source=pulumi.FileAsset(str(AGENT_SOURCE.relative_to(PROJECT_ROOT))),
            content_type="text/x-python",
            server_side_encryption="aws:kms", kms_key_id=key_arn,
            opts=self._child(depends_on=[encryption]))
        return (pulumi.Output.concat("s3://", agent_object.bucket, "/", agent_object.key),
                pulumi.Output.concat(bucket.arn, "/", agent_object.key))

    def _role(self, args: ChainlinkNodeArgs, agent_object_arn: pulumi.Output[str]
              ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        role = aws.iam.Role(
            f"{self._name}-role", description="Chainlink node hosts",
            assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
            opts=self._child())
        aws.iam.RolePolicyAttachment(
            f"{self._name}-ssm-core", role=role.name,
            policy_arn=pulumi.Output.concat(
                "arn:", args.context.partition, ":iam::aws:policy/AmazonSSMManagedInstanceCore"),
            opts=self._child())
        host_policy = aws.iam.RolePolicy(
            f"{self._name}-host-access", role=role.id,
            policy=host_access_policy(args, agent_object_arn), opts=self._child())
        return role, host_policy

    def _launch_template(self, args: ChainlinkNodeArgs, security_group: aws.ec2.SecurityGroup,
                         profile: aws.iam.InstanceProfile, agent_url: pulumi.Output[str]
                         ) -> aws.ec2.LaunchTemplate:
        # Prometheus discovery finds the hosts by role and stack.
        tags = {"Name": f"{self._name}-host", ROLE_TAG_KEY: NODE_ROLE,
                STACK_TAG_KEY: pulumi.get_stack()}
        return aws.ec2.LaunchTemplate(
            f"{self._name}-lt",
            description=f"Chainlink node host running {self.image}",
            image_id=amazon_linux_ami(args.instance_type, pulumi.InvokeOptions(parent=self)),
            instance_type=args.instance_type,
            iam_instance_profile={"arn": profile.arn},
            # Hop limit 1: containers on the bridge network cannot reach IMDS at all.
            metadata_options={"http_endpoint": "enabled", "http_tokens": "required",
                              "http_put_response_hop_limit": 1},
            block_device_mappings=[{
                "device_name": ROOT_DEVICE,
                "ebs": {"volume_type": "gp3", "volume_size": args.volume_size_gb,
                        "encrypted": "true", "kms_key_id": args.secrets.key_arn,
                        "delete_on_termination": "true"},
            }],
            network_interfaces=[{"associate_public_ip_address": "false",
                                 "security_groups": [security_group.id],
                                 "delete_on_termination": "true"}],
            user_data=self._user_data(args, agent_url),
            tag_specifications=[
                {"resource_type": "instance", "tags": tags},
                {"resource_type": "volume", "tags": {**tags, BACKUP_TAG_KEY: BACKUP_TAG_VALUE}},
            ],
            update_default_version=True,
            opts=self._child())

    def _user_data(self, args: ChainlinkNodeArgs, agent_url: pulumi.Output[str]
                   ) -> pulumi.Output[str]:
        logs = args.logs
        return pulumi.Output.all(
            settings=agent_settings(args), agent_url=agent_url, region=args.context.region,
            node_log_group=logs.node_log_group_name, cloudwatch=args.cloudwatch_agent_config,
            prometheus=args.prometheus_config if args.prometheus_config is not None else "",
        ).apply(lambda values: user_data(HostBootstrap(
            image=self.image, region=values["region"],
            node_log_group=values["node_log_group"], http_port=NODE_HTTP_PORT,
            p2p_port=args.peer_load_balancer.port if args.peer_load_balancer else 0,
            agent_settings_json=values["settings"], agent_url=values["agent_url"],
            cloudwatch_agent_config=values["cloudwatch"], timings=TIMINGS,
            prometheus_config=values["prometheus"])))

    def _group(self, args: ChainlinkNodeArgs, template: aws.ec2.LaunchTemplate,
               host_policy: aws.iam.RolePolicy) -> aws.autoscaling.Group:
        target_groups = [args.load_balancer.target_group_arn]
        if args.peer_load_balancer is not None:
            target_groups.append(args.peer_load_balancer.target_group_arn)
        # Launch before terminate, for failures and upgrades alike: a replacement is warm
        # before the host it replaces goes, so one node keeps serving throughout.
        replacement = {"min_healthy_percentage": 100, "max_healthy_percentage": 200}
        return aws.autoscaling.Group(
            f"{self._name}-asg",
            min_size=HOST_COUNT, max_size=HOST_COUNT, desired_capacity=HOST_COUNT,
            # Spread over the private subnets: two hosts land in two different zones.
            vpc_zone_identifiers=args.placement.private_subnet_ids,
            health_check_type="EC2",
            health_check_grace_period=BOOT_GRACE_SECONDS,
            default_instance_warmup=BOOT_GRACE_SECONDS,
            target_group_arns=target_groups,
            launch_template={"id": template.id,
                             "version": template.latest_version.apply(str)},
            instance_maintenance_policy=replacement,
            # A new launch template version (chainlinkVersion, AMI, agent) rolls the
            # hosts. No automatic rollback: the new release may have migrated the
            # database, which an older release must not run against.
            instance_refresh={"strategy": "Rolling", "preferences": {
                **replacement, "instance_warmup": str(BOOT_GRACE_SECONDS),
                "skip_matching": True}},
            enabled_metrics=GROUP_METRICS, metrics_granularity="1Minute",
            # Launching through this stack's own service-linked role is what lets the group
            # use the data key for the hosts' volumes (see the Secrets tier's key policy).
            service_linked_role_arn=args.secrets.autoscaling_service_role_arn,
            tags=[{"key": key, "value": value, "propagate_at_launch": False}
                  for key, value in {"Name": f"{self._name}-host", ROLE_TAG_KEY: NODE_ROLE,
                                     STACK_TAG_KEY: pulumi.get_stack(),
                                     DEVOPS_GURU_TAG_KEY: pulumi.get_stack()}.items()],
            # The first boot reads secrets: the role must allow it before hosts exist.
            opts=self._child(depends_on=[host_policy]))


def agent_settings(args: ChainlinkNodeArgs) -> pulumi.Output[str]:
    """The agent's settings file: everything it needs that is not secret."""
    secrets, database = args.secrets, args.database
    peers = args.peer_load_balancer
    return pulumi.Output.all(
        region=args.context.region,
        api=secrets.api_credentials_secret_arn, keystore=secrets.keystore_password_secret_arn,
        rpc=secrets.rpc_secret_arn, database=database.credentials_secret_arn,
        host=database.endpoint,
        announce=peers.announce_addresses if peers else [],
    ).apply(lambda values: AgentSettings(
        region=values["region"], chains=agent_chains(args.chains),
        secrets=SecretArns(api_credentials=values["api"],
                           keystore_password=values["keystore"],
                           rpc_urls=values["rpc"], database_credentials=values["database"]),
        database_host=values["host"], database_port=database.port,
        database_name=database.database_name,
        http_port=NODE_HTTP_PORT,
        secure_cookies=args.load_balancer.https,
        lease_duration=f"{LEASE_DURATION_SECONDS}s",
        lease_refresh_interval=f"{LEASE_REFRESH_SECONDS}s",
        p2p_port=peers.port if peers else 0,
        p2p_announce_addresses=list(values["announce"]),
    ).to_json())


def host_access_policy(args: ChainlinkNodeArgs, agent_object_arn: pulumi.Output[str]
                       ) -> pulumi.Output[str]:
    """What a host may do beyond SSM: read exactly its secrets and its agent, decrypt
    them with the data key only through those services, write its logs."""
    logs = args.logs
    return pulumi.Output.all(
        secrets=pulumi.Output.all(*args.secrets.secret_arns,
                                  args.database.credentials_secret_arn),
        logs=pulumi.Output.all(logs.node_log_group_arn, logs.bootstrap_log_group_arn,
                               *args.extra_log_group_arns),
        key=args.secrets.key_arn, agent=agent_object_arn, region=args.context.region,
    ).apply(lambda values: host_policy_document(**values, namespace=args.metrics_namespace))


def host_policy_document(secrets: list[str], logs: list[str], key: str, agent: str,
                         region: str, namespace: str) -> str:
    return policy_document(
        {"Sid": "ReadOwnSecrets", "Effect": "Allow",
         "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
         "Resource": list(secrets)},
        {"Sid": "DownloadAgent", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": agent},
        {"Sid": "DecryptThroughSecretsManagerAndS3", "Effect": "Allow",
         "Action": "kms:Decrypt", "Resource": key,
         "Condition": {"StringEquals": {"kms:ViaService": [
             f"secretsmanager.{region}.amazonaws.com", f"s3.{region}.amazonaws.com"]}}},
        {"Sid": "WriteOwnLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents",
                    "logs:DescribeLogStreams"],
         "Resource": [arn for group in logs for arn in (group, f"{group}:log-stream:*")]},
        # The CloudWatch agent's own needs: host metrics in the stack's namespace, and
        # the instance's tags (it names the Auto Scaling group in its dimensions).
        {"Sid": "CloudWatchAgentMetrics", "Effect": "Allow",
         "Action": "cloudwatch:PutMetricData", "Resource": "*",
         "Condition": {"StringEquals": {"cloudwatch:namespace": namespace}}},
        {"Sid": "CloudWatchAgentTags", "Effect": "Allow",
         "Action": ["ec2:DescribeTags"], "Resource": "*"})


def report_health_policy(group_arn: str) -> str:
    """The watchdog marks its own instance unhealthy, in this group only."""
    return policy_document({"Sid": "ReportOwnHealth", "Effect": "Allow",
                            "Action": "autoscaling:SetInstanceHealth", "Resource": group_arn})


# --- failover figures (README "Failover" is this table) ---------------------------------

@dataclass(frozen=True)
class FailoverCase:
    event: str
    detected_by: str
    time_to_detect: str
    time_to_serve_again: str


def failover_cases() -> list[FailoverCase]:
    lease = LEASE_DURATION_SECONDS
    # The standby notices an expired lease at its next poll: the refresh interval, with
    # the node's jitter on top, so up to about one more interval after the lease lapses.
    detect = lease + LEASE_REFRESH_SECONDS
    routed = HEALTH_CHECK_INTERVAL_SECONDS * HEALTHY_THRESHOLD
    unrouted = HEALTH_CHECK_INTERVAL_SECONDS * UNHEALTHY_THRESHOLD
    checks = f"{HEALTHY_THRESHOLD} × {HEALTH_CHECK_INTERVAL_SECONDS} s `{READINESS_PATH}` checks"
    takeover = (f"≤ {detect + routed} s + node start-up (≤ {detect} s to see the lease "
                f"lapse, then {checks})")
    give_up = TIMINGS.start_limit_burst * TIMINGS.restart_delay
    return [
        FailoverCase(
            "node process crashes on the lease holder",
            "the standby finds the lease expired; the load balancer stops routing to "
            f"the old holder after {unrouted} s",
            f"≤ {detect} s ({lease} s lease + a jittered {LEASE_REFRESH_SECONDS} s poll)",
            f"{takeover}; systemd restarts the crashed node after "
            f"{TIMINGS.restart_delay} s and it waits as the new standby"),
        FailoverCase(
            "node keeps crashing on one host",
            f"systemd gives up after {TIMINGS.start_limit_burst} failed starts in "
            f"{TIMINGS.start_limit_interval} s; the watchdog (every "
            f"{TIMINGS.watchdog_interval} s) marks the instance unhealthy",
            f"≥ {give_up} s of crashes + ≤ {TIMINGS.watchdog_interval} s",
            "no interruption if it is the standby; as in the row above if it held the "
            "lease; the group launches a replacement first and counts it warm after "
            f"{BOOT_GRACE_SECONDS} s"),
        FailoverCase(
            "host lost (instance failure, termination)",
            "the standby finds the lease expired; EC2 status checks tell the group",
            f"≤ {detect} s for the lease",
            f"{takeover}; a replacement standby is warm {BOOT_GRACE_SECONDS} s after "
            "the group launches it"),
        FailoverCase(
            "Availability Zone lost",
            "as a lost host, for the host in that zone",
            f"≤ {detect} s for the lease",
            f"{takeover}; the replacement starts in another zone of the group"),
        FailoverCase(
            "database failover (Aurora promotes the reader, prod)",
            "Aurora; the cluster endpoint moves to the new writer",
            "Aurora's own failover, typically under a minute",
            f"when the node reconnects; if the lease lapsed meanwhile, {takeover}"),
        FailoverCase(
            "planned restart: upgrade, secret rotation, `systemctl restart`",
            "the stopping node releases the lease",
            f"≤ {LEASE_REFRESH_SECONDS} s (the standby's lease poll)",
            f"node start-up + ≤ {routed} s ({checks})"),
    ]


def failover_table() -> str:
    header = ("| event | detected by | time to detect | time to serve again |\n"
              "|---|---|---|---|\n")
    return header + "".join(
        f"| {case.event} | {case.detected_by} | {case.time_to_detect} | "
        f"{case.time_to_serve_again} |\n" for case in failover_cases())
