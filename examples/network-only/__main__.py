"""network-only: a project of its own that uses the chainlink-node-aws Network tier.

Config (optional): network-only:cidr (default 10.40.0.0/16), network-only:zones (default 2).

Depends on the `chainlink-node-aws-components` package only (requirements.txt), not on
this repository's stack config, ops CLI or policy pack.
"""

import pulumi

from components.aws_context import AwsContext
from components.encryption import Encryption, EncryptionArgs
from components.network import Network, NetworkArgs, NatGatewayStrategy

NAME = "network-only"
config = pulumi.Config()
context = AwsContext.lookup()

# The flow logs need a KMS key CloudWatch Logs may use: the Encryption tier makes one.
encryption = Encryption(NAME, EncryptionArgs(context=context))
network = Network(NAME, NetworkArgs(
    context=context,
    cidr_block=config.get("cidr") or "10.40.0.0/16",
    availability_zone_count=config.get_int("zones") or 2,
    nat_gateway_strategy=NatGatewayStrategy.SINGLE,
    interface_endpoints=False,
    flow_log_retention_days=30,
    flow_log_kms_key_arn=encryption.telemetry_key_arn))

pulumi.export("vpc_id", network.vpc_id)
pulumi.export("private_subnet_ids", network.private_subnet_ids)
pulumi.export("public_subnet_ids", network.public_subnet_ids)
