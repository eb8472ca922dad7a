import pytest

from policy_harness import UNKNOWN, messages, resource, violations


S3_RULE = "aws-s3-bucket-enable-versioning"
BUCKET = "aws:s3/bucket:Bucket"


def versioning(bucket_reference, status="Enabled", resource_type="aws:s3/bucketVersioning:BucketVersioning", **extra):
    inputs = {"bucket": bucket_reference, "versioningConfiguration": {"status": status}}
    return resource(resource_type, inputs, name="logs-versioning", **extra)


def test_bucket_without_versioning_is_a_violation():
    assert messages([resource(BUCKET, {"bucket": "chainlink-logs"}, name="logs")], S3_RULE) == [
        "versioning is not enabled: no BucketVersioning with status Enabled names this bucket"
    ]


@pytest.mark.parametrize("link", [
    versioning("chainlink-logs"),
    versioning("chainlink-logs", resource_type="aws:s3/bucketVersioningV2:BucketVersioningV2"),
    versioning("logs-id-from-mock"),
    versioning(UNKNOWN, propertyDependencies={"bucket": ["urn:pulumi:test::chainlink-node-aws::aws:s3/bucket:Bucket::logs"]}),
    versioning(UNKNOWN),  # cannot tell which bucket it versions: no verdict
    versioning("chainlink-logs", status=UNKNOWN),
])
def test_bucket_versioning_resources_cover_their_bucket(link):
    bucket = resource(BUCKET, {"bucket": "chainlink-logs"}, name="logs", id="logs-id-from-mock")
    assert messages([bucket, link], S3_RULE) == []


def test_suspended_versioning_or_another_bucket_does_not_cover():
    bucket = resource(BUCKET, {"bucket": "chainlink-logs"}, name="logs")
    assert len(messages([bucket, versioning("chainlink-logs", status="Suspended")], S3_RULE)) == 2
    assert len(messages([bucket, versioning("other-bucket")], S3_RULE)) == 1


@pytest.mark.parametrize("status", ["Suspended", "Disabled"])
@pytest.mark.parametrize("kind", ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"])
def test_versioning_turned_off_is_reported_even_without_its_bucket_in_the_stack(kind, status):
    found = violations([versioning("bucket-made-elsewhere", status=status, resource_type=kind)], policy=S3_RULE)
    assert [(v["urn"].rsplit("::", 1)[-1], v["message"]) for v in found] == [
        ("logs-versioning", f"versioning status is {status!r}: overwritten and deleted objects are not kept")]


@pytest.mark.parametrize("status", ["Enabled", UNKNOWN])
def test_enabled_or_unknown_versioning_alone_passes(status):
    assert messages([versioning("bucket-made-elsewhere", status=status)], S3_RULE) == []


@pytest.mark.parametrize("inputs, violated", [
    ({"versioning": {"enabled": True}}, False),
    ({"versioning": {"enabled": False}}, True),
    ({"versionings": [{"enabled": True}]}, False),
    ({"versioning": UNKNOWN}, False),
])
def test_legacy_inline_versioning(inputs, violated):
    found = messages([resource("aws:s3/bucketV2:BucketV2", inputs)], S3_RULE)
    assert bool(found) is violated


def test_an_autonamed_bucket_is_linked_by_its_pulumi_name_when_the_document_has_no_ids():
    bucket = resource(BUCKET, {}, name="host-files")
    assert messages([bucket, versioning("host-files-d08182b5")], S3_RULE) == []
    assert len(messages([bucket, versioning("other-files-d08182b5")], S3_RULE)) == 1
    named = resource(BUCKET, {"bucket": "explicit"}, name="host-files")
    assert len(messages([named, versioning("host-files-d08182b5")], S3_RULE)) == 1
