"""Facts about the target account that several tiers need: account, region, partition."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

AMAZON_LINUX_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"


@dataclass(frozen=True)
class AwsContext:
    account_id: pulumi.Output[str]
    region: pulumi.Output[str]
    partition: pulumi.Output[str]
    dns_suffix: pulumi.Output[str]

    @classmethod
    def lookup(cls, opts: pulumi.InvokeOptions | None = None) -> "AwsContext":
        identity = aws.get_caller_identity_output(opts=opts)
        partition = aws.get_partition_output(opts=opts)
        return cls(
            account_id=identity.account_id,
            region=aws.get_region_output(opts=opts).region,
            partition=partition.partition,
            dns_suffix=partition.dns_suffix,
        )

    def arn(self, service: str, resource: str, region: bool = True) -> pulumi.Output[str]:
        """arn:<partition>:<service>:<region>:<account>:<resource>"""
        return pulumi.Output.concat(
            "arn:", self.partition, ":", service, ":", self.region if region else "", ":",
            self.account_id, ":", resource)


def cpu_architecture(instance_type: str) -> str:
    """Graviton families carry a `g` after the generation digit (m7g, t4g, c7gn, r8g)."""
    family = instance_type.split(".", 1)[0]
    generation_suffix = family.lstrip("abcdefghijklmnopqrstuvwxyz-").lstrip("0123456789")
    return "arm64" if generation_suffix.startswith("g") else "x86_64"


def amazon_linux_ami(instance_type: str, opts: pulumi.InvokeOptions | None = None
                     ) -> pulumi.Output[str]:
    """The current Amazon Linux 2023 AMI, from AWS's public SSM parameter.

    Read at deployment time, so a `pulumi up` after a new AMI rolls the hosts onto it.
    """
    name = AMAZON_LINUX_PARAMETER.format(arch=cpu_architecture(instance_type))
    return aws.ssm.get_parameter_output(name=name, opts=opts).value
