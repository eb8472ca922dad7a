"""The chainlink-node-aws policy pack.

`pulumi preview --policy-pack policies` runs `__main__.py` (never import it: it starts
the pack's gRPC server and does not return). `ops` imports `policies.engine`.
"""
