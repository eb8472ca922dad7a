"""Typos in a stack file are named, with a suggestion; nothing is silently ignored."""

from __future__ import annotations

import pytest

from ops.lib.stackfile import read_stack_file
from stack_config import UNCHECKED, ConfigError, parse_full_config
from tests.conftest import run_ops


def problems_of(**changes) -> dict[str, str]:
    stack_file = read_stack_file("dev")
    config = dict(stack_file.config)
    for key, value in changes.items():
        key = key.replace("__", ":")
        if value is None:
            config.pop(key)
        else:
            config[key] = value
    with pytest.raises(ConfigError) as caught:
        parse_full_config(config, "dev", stack_file.secret_keys)
    return dict(caught.value.problems)


def test_a_key_the_aws_provider_does_not_read_is_reported_with_a_suggestion():
    problems = problems_of(aws__regoin="eu-west-1")
    assert problems == {"aws:regoin": "is not a setting the aws provider reads; did you mean "
                                      "aws:region? it would be ignored"}


def test_a_misspelt_namespace_is_named_as_such():
    problems = problems_of(**{"chainlink-node-aw:chain": "ethereum-mainnet"})
    assert problems == {"chainlink-node-aw:chain": "namespace 'chainlink-node-aw' is misspelt: "
                                                   "did you mean chainlink-node-aws:chain?"}


def test_a_misspelt_key_of_ours_gets_did_you_mean():
    problems = problems_of(**{"chainlink-node-aws:bastionEnabeld": "true"})
    assert "did you mean bastionEnabled?" in problems["bastionEnabeld"]


def test_a_misspelt_chain_name_gets_did_you_mean():
    problems = problems_of(**{"chainlink-node-aws:chains":
                              '[{"chain": "polygon-mainet", "wsUrl": "wss://a.example/ws", '
                              '"httpUrl": "https://a.example/h"}]'})
    assert "did you mean polygon-mainnet?" in problems["chains"]


def test_an_undecryptable_secure_value_is_never_called_invalid():
    """Offline, a `secure:` value with no stand-in is not checked: an optional key keeps
    its default, a required one says it was not checked."""
    stack_file = read_stack_file("dev")
    config = dict(stack_file.config)
    config["chainlink-node-aws:alarmEmail"] = UNCHECKED
    secret = set(stack_file.secret_keys) | {"chainlink-node-aws:alarmEmail"}
    assert parse_full_config(config, "dev", secret).alarm_email == ""
    config["chainlink-node-aws:chainlinkVersion"] = UNCHECKED
    with pytest.raises(ConfigError) as caught:
        parse_full_config(config, "dev", secret | {"chainlink-node-aws:chainlinkVersion"})
    (message,) = str(caught.value).splitlines()
    assert "was not checked" in message and "not valid" not in message


def test_yaml_errors_name_file_line_and_column(project_copy):
    (project_copy / "Pulumi.broken.yaml").write_text("config:\n  aws:region: us-east-1\n  x: [\n")
    result = run_ops("preview", "--stack", "broken", cwd=project_copy)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "Pulumi.broken.yaml:4:1: not valid YAML" in line
