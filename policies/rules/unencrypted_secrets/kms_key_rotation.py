"""Symmetric KMS keys must rotate; HMAC, asymmetric and custom-key-store keys cannot and are exempt."""

from __future__ import annotations

from typing import Iterator, Mapping

from ..common.values import flag, is_opaque, is_set
from ..model import Resource, ResourceRule

SYMMETRIC_SPEC = "SYMMETRIC_DEFAULT"
ENCRYPTION_USAGE = "ENCRYPT_DECRYPT"


def check(resource: Resource, config: Mapping) -> Iterator[str]:
    if not _can_rotate(resource.props):
        return
    if flag(resource.props.get("enableKeyRotation")) is False:
        yield "`enableKeyRotation` is not true: the key material never changes"


def _can_rotate(props: Mapping) -> bool:
    spec, usage = props.get("customerMasterKeySpec"), props.get("keyUsage")
    if is_opaque(spec) or is_opaque(usage):
        return False
    if (spec or SYMMETRIC_SPEC) != SYMMETRIC_SPEC or (usage or ENCRYPTION_USAGE) != ENCRYPTION_USAGE:
        return False
    # Keys in a CloudHSM or external key store have no automatic rotation.
    return is_set(props.get("customKeyStoreId")) is False and is_set(props.get("xksKeyId")) is False


RULE = ResourceRule(
    name="aws-kms-key-enable-rotation",
    description="Symmetric encryption KMS keys must have automatic key rotation enabled.",
    remediation="Set `enableKeyRotation: true` (optionally `rotationPeriodInDays`). HMAC and asymmetric keys are exempt.",
    resource_types=frozenset({"aws:kms/key:Key"}),
    check=check,
)
