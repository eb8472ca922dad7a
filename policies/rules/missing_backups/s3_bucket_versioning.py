"""S3 buckets must have versioning enabled, inline (legacy) or by a BucketVersioning resource.

A stack rule: the versioning resource names its bucket by name or id, or (in exports,
previews and the real engine) through its `bucket` property dependency.
"""

from __future__ import annotations

from typing import Iterator, Mapping, Sequence

from ..common.values import UNKNOWN, dig, flag, is_opaque, items, text
from ..model import Resource, StackRule

BUCKET_TYPES = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
VERSIONING_TYPES = frozenset({
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
})
ENABLED = "Enabled"


def check(resources: Sequence[Resource], config: Mapping) -> Iterator[tuple[str, str]]:
    versionings = [resource for resource in resources if resource.type in VERSIONING_TYPES]
    for versioning in versionings:  # turned off explicitly, whether or not its bucket is in this stack
        status = dig(versioning.props, "versioningConfiguration", "status")
        if isinstance(status, str) and status != ENABLED:
            yield versioning.urn, f"versioning status is {status!r}: overwritten and deleted objects are not kept"
    buckets = [resource for resource in resources if resource.type in BUCKET_TYPES]
    if not buckets:
        return
    versioned, unattributed = _versioned_bucket_references(versionings)
    for bucket in buckets:
        if unattributed or _inline_versioning(bucket.props) is not False:
            continue
        if _references(bucket) & versioned or any(_autonamed(bucket, reference) for reference in versioned):
            continue
        yield bucket.urn, "versioning is not enabled: no BucketVersioning with status Enabled names this bucket"


def _versioned_bucket_references(versionings) -> tuple[set[str], bool]:
    """Names, ids and URNs of buckets with versioning on, and whether some target is unknown."""
    references: set[str] = set()
    unattributed = False
    for versioning in versionings:
        status = dig(versioning.props, "versioningConfiguration", "status")
        if status != ENABLED and not is_opaque(status):
            continue
        targets = set(versioning.property_dependencies.get("bucket", ()))
        bucket = versioning.props.get("bucket")
        if isinstance(bucket, str):
            targets.add(bucket)
        elif bucket is UNKNOWN and not targets:
            unattributed = True
        references |= targets
    return references, unattributed


def _inline_versioning(props: Mapping) -> bool | None:
    """Legacy inline versioning: `versioning.enabled` (Bucket) or `versionings[].enabled` (v6 BucketV2)."""
    settings = props.get("versioning")
    if settings is None:
        settings = next(iter(items(props.get("versionings"))), None)
    return flag(dig(settings, "enabled"))


def _autonamed(bucket: Resource, reference: str) -> bool:
    """Pulumi names a bucket without `bucket`/`bucketPrefix` `<name>-<random hex>`: documents
    without ids (`ops preview --json`) link a BucketVersioning to its bucket by that name."""
    if bucket.props.get("bucket") is not None or bucket.props.get("bucketPrefix") is not None:
        return False
    prefix, _, suffix = reference.rpartition("-")
    return prefix == bucket.name and 7 <= len(suffix) <= 8 and all(c in "0123456789abcdef" for c in suffix)


def _references(bucket: Resource) -> set[str]:
    names = {bucket.urn, bucket.name, bucket.id, text(bucket.props.get("bucket"))}
    return {name for name in names if name}


RULE = StackRule(
    name="aws-s3-bucket-enable-versioning",
    description=(
        "S3 buckets must have versioning enabled, by an `aws.s3.BucketVersioning` (or its V2 alias) "
        "with status Enabled, or the legacy inline `versioning`."
    ),
    remediation="Add `aws.s3.BucketVersioning(bucket=bucket.id, versioning_configuration={\"status\": \"Enabled\"})`.",
    check=check,
)
