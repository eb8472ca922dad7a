"""Facts about the target account that several tiers need: account, region, partition."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata

import pulumi
import pulumi_aws as aws

AMAZON_LINUX_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"
# aws.ssm.get_parameter_output, called by its token: importing pulumi_aws.ssm (some 200
# classes) for this one invoke was a tenth of a second of every preview.
SSM_GET_PARAMETER = "aws:ssm/getParameter:getParameter"


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
    # The provider version, as the SDK's own invokes send it: the engine answers with the
    # same default provider the program's resources use.
    defaults = pulumi.InvokeOutputOptions(version=metadata.version("pulumi_aws"))
    parameter = pulumi.runtime.invoke_output(SSM_GET_PARAMETER, {"name": name},
                                             opts=pulumi.InvokeOutputOptions.merge(defaults, opts))
    return parameter.apply(lambda result: result["value"])
