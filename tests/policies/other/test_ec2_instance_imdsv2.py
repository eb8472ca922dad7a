import pytest

from policy_harness import DEV_CONFIG, PROD_CONFIG, UNKNOWN, messages, resource, violations

IMDS_RULE = "aws-ec2-instance-configure-imdsv2"


@pytest.mark.parametrize("options, violated", [
    ({"httpTokens": "required", "httpEndpoint": "enabled"}, False),
    ({"httpEndpoint": "disabled"}, False),
    ({"httpTokens": UNKNOWN}, False),
    ({"httpTokens": "optional"}, True),
    (None, True),
])
def test_imdsv2_is_required(options, violated):
    inputs = {} if options is None else {"metadataOptions": options}
    for resource_type in ("aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"):
        assert bool(messages([resource(resource_type, inputs)], IMDS_RULE)) is violated


def test_other_rules_are_advisory_in_dev_and_mandatory_in_prod():
    instance = resource("aws:ec2/instance:Instance", {})
    assert [v["enforcementLevel"] for v in violations([instance], DEV_CONFIG, IMDS_RULE)] == ["advisory"]
    assert [v["enforcementLevel"] for v in violations([instance], PROD_CONFIG, IMDS_RULE)] == ["mandatory"]
