from policy_harness import DEV_CONFIG, PROD_CONFIG, messages, resource, violations

CLUSTER = "aws:rds/cluster:Cluster"


PROTECTION_RULE = "aws-rds-database-enable-deletion-protection"


def test_deletion_protection_is_mandatory_in_prod_and_advisory_in_dev():
    unprotected = resource(CLUSTER, {"deletionProtection": False})
    prod = violations([unprotected], PROD_CONFIG, PROTECTION_RULE)
    dev = violations([unprotected], DEV_CONFIG, PROTECTION_RULE)
    assert [v["enforcementLevel"] for v in prod] == ["mandatory"]
    assert [v["enforcementLevel"] for v in dev] == ["advisory"]
    assert messages([resource(CLUSTER, {"deletionProtection": True})], PROTECTION_RULE) == []
