from policy_harness import messages, resource

PUBLIC_DB_RULE = "aws-rds-database-disallow-public-access"


def test_public_databases():
    for resource_type in ("aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance"):
        assert len(messages([resource(resource_type, {"publiclyAccessible": True})], PUBLIC_DB_RULE)) == 1
        assert messages([resource(resource_type, {"publiclyAccessible": False})], PUBLIC_DB_RULE) == []
