"""The README table and Pulumi.yaml's `config:` block are exactly what the declarations
generate, and what Pulumi would do with the project file matches what the program does."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from stack_config import ENVIRONMENTS, SETTINGS, SETTINGS_BY_KEY, parse_stack_config
from stack_config.docs import (PROJECT_FILE, README, project_file_with_config, readme_table,
                               readme_table_in)
from stack_config.keys import StackConfig

SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "pulumi-project.schema.json")
                    .read_text())


def project_config() -> dict:
    return YAML(typ="safe").load(PROJECT_FILE.read_text())["config"]


def test_the_readme_holds_exactly_the_generated_table():
    assert readme_table_in(README.read_text(encoding="utf-8")) == readme_table(), \
        "run `venv/bin/python -m stack_config` to regenerate it"


def test_the_readme_table_has_one_row_per_key_in_declaration_order():
    rows = [line for line in readme_table().splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == [s.key for s in SETTINGS]


def test_pulumi_yaml_holds_exactly_the_generated_config_block():
    text = PROJECT_FILE.read_text(encoding="utf-8")
    assert project_file_with_config(text) == text, \
        "run `venv/bin/python -m stack_config` to regenerate it"


def test_each_declaration_follows_pulumis_project_file_schema():
    validator = jsonschema.Draft202012Validator(
        {**SCHEMA["$defs"]["configTypeDeclaration"], "$defs": SCHEMA["$defs"]})
    ours = {key: value for key, value in project_config().items() if ":" not in key}
    assert ours
    for key, declaration in ours.items():
        errors = [error.message for error in validator.iter_errors(declaration)]
        assert errors == [], key


def test_pulumi_defaults_are_the_programs_defaults_in_every_environment():
    """Pulumi fills a missing key with the project default; the program must then behave
    as if the key were unset."""
    for key, declaration in project_config().items():
        if ":" in key:
            continue
        setting = SETTINGS_BY_KEY[key]
        assert not setting.per_environment and setting.key != "chains", key
        if "default" not in declaration:
            assert setting.required, f"{key}: Pulumi would require it"
            continue
        for environment in ENVIRONMENTS:
            raw = str(declaration["default"]).lower() if isinstance(
                declaration["default"], bool) else str(declaration["default"])
            parsed = setting.default_for(environment) if raw == "" else setting.parse(raw)
            assert parsed == setting.default_for(environment), (key, environment)


def test_keys_pulumi_cannot_default_are_named_in_the_readme():
    per_environment = [s.key for s in SETTINGS if s.per_environment]
    assert per_environment == ["natGatewayStrategy", "nodeInstanceType", "dbInstanceClass",
                               "logRetentionDays", "minGasBalance", "bootstrapStack"]
    assert not set(per_environment + ["chains"]) & set(project_config())
    readme = README.read_text(encoding="utf-8")
    assert all(f"`{key}`" in readme.split("are not declared there")[0][-600:]
               for key in per_environment)


@pytest.mark.parametrize("declaration_type, kind", [("integer", int), ("boolean", bool)])
def test_typed_keys_are_written_unquoted_in_the_stack_files(declaration_type, kind):
    """Pulumi checks stack values against the declared type; a quoted "2" is a string."""
    typed = {key for key, value in project_config().items()
             if isinstance(value, dict) and value.get("type") == declaration_type}
    for stack in ENVIRONMENTS:
        document = YAML(typ="safe").load((PROJECT_FILE.parent / f"Pulumi.{stack}.yaml").read_text())
        for full_key, value in document["config"].items():
            if full_key.split(":", 1)[1] in typed and full_key.startswith("chainlink-node-aws:"):
                assert isinstance(value, kind), (stack, full_key)


def test_every_stack_config_field_is_a_declared_key():
    import dataclasses
    fields = [item.name for item in dataclasses.fields(StackConfig) if item.name != "stack"]
    assert fields == [s.attribute for s in SETTINGS]


def test_an_empty_optional_key_means_unset():
    from tests.test_config import SECRET_KEYS, base_config
    raw = base_config("dev")
    raw["bastionKeyName"] = ""
    assert parse_stack_config(raw, "dev", SECRET_KEYS).bastion_key_name == ""
