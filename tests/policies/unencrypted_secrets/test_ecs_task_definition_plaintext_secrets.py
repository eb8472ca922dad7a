import json

from policy_harness import messages, resource, secret

LEAKED = "correct-horse-battery-staple"


ECS_RULE = "aws-ecs-task-definition-disallow-plaintext-secrets"


def task_with_environment(*environment, secrets=()):
    container = {"name": "node", "image": "img:1", "user": "1", "environment": list(environment), "secrets": list(secrets)}
    return resource("aws:ecs/taskDefinition:TaskDefinition", {"containerDefinitions": json.dumps([container])})


def test_environment_literal_secret_is_a_violation():
    task = task_with_environment({"name": "DATABASE_PASSWORD", "value": LEAKED}, {"name": "LOG_LEVEL", "value": "info"})
    assert messages([task], ECS_RULE) == ["container 'node' sets DATABASE_PASSWORD to a literal value in `environment`"]


def test_environment_with_embedded_credentials_is_a_violation():
    task = task_with_environment({"name": "DATABASE_URL", "value": f"postgresql://cl:{LEAKED}@db/cl"})
    assert messages([task], ECS_RULE) == [
        "container 'node' has a URL with a password written into it in environment variable DATABASE_URL"
    ]


def test_arns_in_environment_and_value_from_secrets_are_clean():
    task = task_with_environment(
        {"name": "DB_SECRET_ARN", "value": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbC"},
        {"name": "API_TOKEN", "value": "arn:aws:ssm:eu-west-1:111122223333:parameter/chainlink/api-token"},
        secrets=[{"name": "DATABASE_PASSWORD", "valueFrom": "arn:aws:secretsmanager:eu-west-1:1:secret:db"}],
    )
    assert messages([task], ECS_RULE) == []
