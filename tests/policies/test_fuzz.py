"""Fuzzing the gate with hypothesis: any document or user data gives a verdict or one clear error.

Never a traceback: `ops audit` either reads a document (then `evaluate` judges it) or
refuses it with an OpsError; every user-data string decodes or says why it cannot.
"""

import base64
import gzip
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ops.commands.audit import resources_from_document
from ops.lib.errors import OpsError
from policies.rules.common.limits import DocumentError, loads
from policies.engine import evaluate
from policy_harness import resource

FAST = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
TYPES = st.sampled_from([
    "aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance", "aws:ssm/parameter:Parameter",
    "aws:rds/cluster:Cluster", "aws:s3/bucket:Bucket", "aws:s3/bucketVersioning:BucketVersioning",
    "aws:ecs/taskDefinition:TaskDefinition", "aws:ebs/volume:Volume", "aws:kms/key:Key",
    "aws:dlm/lifecyclePolicy:LifecyclePolicy", "aws:backup/selection:Selection",
])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30),
                    st.sampled_from(["04da6b54-80e4-46f7-96ec-b56ff0331ba9", "true", "Enabled", "0:0", "[secret]"]))
VALUES = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)), max_leaves=20)
INPUT_KEYS = st.sampled_from(["userData", "type", "value", "name", "kmsKeyId", "versioningConfiguration", "bucket",
                              "containerDefinitions", "storageEncrypted", "blockDeviceMappings", "tags",
                              "policyDetails", "resources", "selectionTags", "enableKeyRotation"])
INPUTS = st.dictionaries(INPUT_KEYS, VALUES, max_size=5)


@st.composite
def state(draw):
    kind = draw(TYPES)
    entry = {"urn": f"urn:pulumi:s::p::{kind}::r{draw(st.integers(0, 3))}", "inputs": draw(INPUTS)}
    for key in draw(st.sets(st.sampled_from(["type", "id", "parent", "propertyDependencies", "inputs"]))):
        entry[key] = draw(VALUES)
    return entry


DOCUMENTS = st.one_of(
    st.builds(lambda rs: {"version": 3, "deployment": {"resources": rs}}, st.lists(state(), max_size=4)),
    st.builds(lambda rs: {"steps": [{"op": "create", "newState": r} for r in rs]}, st.lists(state(), max_size=4)),
    st.builds(lambda rs: {"stack": "dev", "resources": rs}, st.lists(state(), max_size=4)),
    VALUES,
)


@FAST
@given(DOCUMENTS)
def test_any_document_gives_a_verdict_or_one_clear_error(document):
    try:
        _, resources = resources_from_document(loads(json.dumps(document), "fuzz.json"))
        assert isinstance(evaluate(resources), list)
    except (OpsError, DocumentError) as problem:
        assert "\n" not in str(problem)
    except ValueError as problem:  # evaluate's own refusals are one line too
        assert "\n" not in str(problem)


LINES = st.sampled_from([
    "docker run -d img", "docker run --user 0:0 img", "podman run -u root img", "DB_PASSWORD=hunter2hunter2",
    "export TOKEN=$(aws ssm get-parameter)", "#cloud-config", "runcmd:", "  - [docker, run, img]", "write_files:",
    "  - content: !!binary aGVsbG8=", "a: &a [x, y]", "b: [*a, *a]", "-----BEGIN PRIVATE KEY-----", "bash -c 'docker run x'",
    "Content-Type: multipart/mixed; boundary=X", "--X", "ExecStart=/usr/bin/docker run img", "\\", "'", '"', "{{", "[",
])
SCRIPTS = st.lists(st.one_of(LINES, st.text(max_size=20)), max_size=12).map("\n".join)
ENCODED = st.one_of(SCRIPTS, SCRIPTS.map(lambda t: base64.b64encode(t.encode()).decode()),
                    SCRIPTS.map(lambda t: base64.b64encode(gzip.compress(t.encode())).decode()),
                    st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode()))


@FAST
@given(ENCODED, st.sampled_from(["aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"]))
def test_any_user_data_gives_a_verdict(user_data, kind):
    found = evaluate([resource(kind, {"userData": user_data, "metadataOptions": {"httpTokens": "required"}})])
    assert all(isinstance(v["message"], str) and "\n" not in v["message"] for v in found)
