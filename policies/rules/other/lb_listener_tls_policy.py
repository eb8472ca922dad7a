"""HTTPS and TLS listeners must use a current TLS policy (TLS 1.2 or newer only)."""

from __future__ import annotations

import re
from typing import Iterator, Mapping

from ..common.values import is_opaque, text
from ..model import Resource, ResourceRule

ENCRYPTED_PROTOCOLS = frozenset({"HTTPS", "TLS"})
DEFAULT_ALLOWED_POLICY_PATTERN = r"^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-|FS-1-2-)"


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    protocol, policy = resource.props.get("protocol"), resource.props.get("sslPolicy")
    if is_opaque(protocol) or is_opaque(policy) or str(protocol or "").upper() not in ENCRYPTED_PROTOCOLS:
        return
    if policy is None:
        yield "no `sslPolicy`: AWS falls back to ELBSecurityPolicy-2016-08, which allows TLS 1.0"
    elif not re.search(config["allowedPolicyPattern"], text(policy) or ""):
        yield f"`sslPolicy` {policy!r} allows TLS versions older than 1.2"


RULE = ResourceRule(
    name="aws-lb-listener-configure-current-tls-policy",
    enforcement="advisory",
    description="HTTPS/TLS load balancer listeners must use a TLS policy that allows only TLS 1.2 and 1.3.",
    remediation="Set `sslPolicy` to ELBSecurityPolicy-TLS13-1-2-2021-06 (or a newer TLS13 policy).",
    resource_types=frozenset({"aws:lb/listener:Listener", "aws:alb/listener:Listener"}),
    config_schema={
        "allowedPolicyPattern": {
            "type": "string",
            "format": "regex",
            "default": DEFAULT_ALLOWED_POLICY_PATTERN,
            "description": "Regular expression a listener's `sslPolicy` must match.",
        },
    },
    check=check,
)
