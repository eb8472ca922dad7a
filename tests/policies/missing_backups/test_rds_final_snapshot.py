from policy_harness import messages, resource

CLUSTER = "aws:rds/cluster:Cluster"


SNAPSHOT_RULE = "aws-rds-database-disallow-skip-final-snapshot"


def test_skipping_the_final_snapshot_is_a_violation():
    assert messages([resource(CLUSTER, {"skipFinalSnapshot": True})], SNAPSHOT_RULE) == [
        "`skipFinalSnapshot` is true: deleting the cluster destroys its data without a snapshot"
    ]
    assert messages([resource(CLUSTER, {"skipFinalSnapshot": False})], SNAPSHOT_RULE) == []
    assert messages([resource(CLUSTER, {})], SNAPSHOT_RULE) == []
