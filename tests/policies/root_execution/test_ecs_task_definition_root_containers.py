import json
import pytest

from policy_harness import UNKNOWN, encrypted_secret, messages, resource

ECS_RULE = "aws-ecs-task-definition-disallow-root-containers"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
IMAGE = "public.ecr.aws/chainlink/chainlink:2.19.0"


def task_definition(*containers):
    return resource(TASK_DEFINITION, {"containerDefinitions": json.dumps(list(containers)), "family": "node"})


def test_ecs_container_with_non_root_user_is_clean():
    container = {"name": "node", "image": IMAGE, "user": "14933:14933"}
    assert messages([task_definition(container)], ECS_RULE) == []


@pytest.mark.parametrize("container, expected", [
    ({"name": "node", "image": IMAGE}, "container 'node' names no `user`"),
    ({"name": "node", "image": IMAGE, "user": "0:0"}, "container 'node' runs as user '0:0', which is root"),
    ({"name": "node", "image": IMAGE, "user": "root"}, "container 'node' runs as user 'root', which is root"),
    ({"name": "node", "image": "img:1.0-root", "user": "1"}, "container 'node' uses an image tag that runs as root"),
    ({"name": "node", "image": IMAGE, "user": "1", "privileged": True}, "container 'node' is privileged"),
])
def test_ecs_root_forms_are_violations(container, expected):
    findings = messages([task_definition(container)], ECS_RULE)
    assert len(findings) == 1 and findings[0].startswith(expected), findings


def test_ecs_every_container_is_judged():
    sidecar = {"name": "log-router", "image": "amazon/aws-for-fluent-bit:2.32.0"}
    node = {"name": "node", "image": IMAGE, "user": "14933"}
    findings = messages([task_definition(node, sidecar)], ECS_RULE)
    assert findings == ["container 'log-router' names no `user`, so it runs as the image's user, taken as root"]


@pytest.mark.parametrize("definitions", [UNKNOWN, encrypted_secret(), "not json ["])
def test_ecs_unreadable_definitions_cannot_be_judged(definitions):
    assert messages([resource(TASK_DEFINITION, {"containerDefinitions": definitions})], ECS_RULE) == []
