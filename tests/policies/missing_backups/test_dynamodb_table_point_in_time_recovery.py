from policy_harness import UNKNOWN, messages, resource


def test_dynamodb_tables_need_point_in_time_recovery():
    rule, table = "aws-dynamodb-table-enable-point-in-time-recovery", "aws:dynamodb/table:Table"
    assert messages([resource(table, {"pointInTimeRecovery": {"enabled": True}})], rule) == []
    assert messages([resource(table, {"pointInTimeRecovery": UNKNOWN})], rule) == []
    assert len(messages([resource(table, {"hashKey": "id"})], rule)) == 1
    assert len(messages([resource(table, {"pointInTimeRecovery": {"enabled": False}})], rule)) == 1
