from policy_harness import UNKNOWN, messages, resource


def test_dynamodb_tables_need_point_in_time_recovery():
    rule, table = "aws-dynamodb-table-enable-point-in-time-recovery", "aws:dynamodb/table:Table"
    assert messages([resource(table, {"pointInTimeRecovery": {"enabled": True}})], rule) == []
    assert messages([resource(table, {"pointInTimeRecovery": UNKNOWN})], rule) == []
    assert len(messages([resource(table, {"hashKey": "id"})], rule)) == 1
    assert len(messages([resource(table, {"pointInTimeRecovery": {"enabled": False}})], rule)) == 1


def test_global_table_replicas_each_need_point_in_time_recovery():
    rule, table = "aws-dynamodb-table-enable-point-in-time-recovery", "aws:dynamodb/table:Table"
    inputs = {"pointInTimeRecovery": {"enabled": True},
              "replicas": [{"regionName": "eu-west-1", "pointInTimeRecovery": True},
                           {"regionName": "us-east-1", "pointInTimeRecovery": False}]}
    assert messages([resource(table, inputs)], rule) == [
        "the replica in us-east-1 has point-in-time recovery off: set `pointInTimeRecovery: true` on it"]
    inputs["replicas"][1]["pointInTimeRecovery"] = UNKNOWN
    assert messages([resource(table, inputs)], rule) == []
