"""The policy pack as the Pulumi engine runs it: `pulumi preview --policy-pack policies`.

PolicyPack starts a gRPC server and never returns: nothing may import this module.
The engine runs it with this directory on sys.path, so the rules are the package `rules`.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from rules.pulumi_adapter import build_policies

PolicyPack(
    name="chainlink-node-aws",
    description="Blocks root containers, unencrypted secrets and data without backups on AWS.",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=build_policies(),
)
