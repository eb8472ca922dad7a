"""Every regular expression the pack ships or accepts is valid RE2, as the Pulumi CLI demands.

The CLI validates the pack's config (defaults included) against each policy's JSON schema
with Go's regexp before any rule runs; a look-behind in a default refuses the whole pack.
"""

import importlib
import itertools
import pkgutil
import re

import pytest
import re2

import policies.rules
from policies.policy_config import parse_policy_config, regex_problem
from policies.rules import ALL_RULES
from policies.rules.common.secrets import DEFAULT_SECRET_NAME_PATTERNS, SecretNames

RE2_OPTIONS = re2.Options()
RE2_OPTIONS.log_errors = False


def regex_defaults():
    for rule in ALL_RULES:
        for key, spec in rule.config_schema.items():
            if spec.get("items", {}).get("format") == "regex" or spec.get("format") == "regex":
                values = spec["default"] if isinstance(spec["default"], list) else [spec["default"]]
                for value in values:
                    yield pytest.param(value, id=f"{rule.name}.{key}:{value[:20]}")


@pytest.mark.parametrize("pattern", list(regex_defaults()))
def test_every_regex_default_compiles_as_re2(pattern):
    re2.compile(pattern, options=RE2_OPTIONS)


def test_there_are_regex_defaults_to_check():
    assert len(list(regex_defaults())) >= 10


def module_patterns():
    for module in pkgutil.walk_packages(policies.rules.__path__, "policies.rules."):
        if module.name.endswith("pulumi_adapter"):
            continue
        for name, value in vars(importlib.import_module(module.name)).items():
            if isinstance(value, re.Pattern):
                yield pytest.param(value.pattern, id=f"{module.name}.{name}")


@pytest.mark.parametrize("pattern", list(module_patterns()))
def test_every_compiled_pattern_in_the_rules_is_re2_too(pattern):
    re2.compile(pattern, options=RE2_OPTIONS)


@pytest.mark.parametrize("pattern, refused", [
    (r"(?<!by)pass$", "invalid perl operator"),
    (r"(?=x)y", "invalid perl operator"),
    (r"(a)\1", "invalid escape sequence"),
    (r"(unclosed", "missing )"),
    (r"passw(or)?d", None),
])
def test_regex_problem_judges_like_re2(pattern, refused):
    problem = regex_problem(pattern)
    assert (problem is None) if refused is None else (refused in problem)


def test_a_look_behind_in_the_config_is_refused_with_one_line():
    data = {"aws-ssm-parameter-configure-secure-string": {"secretNamePatterns": [r"(?<!by)pass$"]}}
    with pytest.raises(ValueError) as problem:
        parse_policy_config(data, source="p.json")
    message = str(problem.value)
    assert "secretNamePatterns[0]" in message and "RE2" in message and "\n" not in message


def test_the_defaults_pass_the_offline_check():
    parse_policy_config({}, source="built-in defaults")  # raises on any invalid default


# The old, look-behind form of the `pass` pattern, kept here as the oracle for the RE2 form.
LOOK_BEHIND_PASS = re.compile(r"(?<!by)(?<!com)pass$", re.IGNORECASE)


def test_re2_pass_pattern_matches_exactly_what_the_look_behind_did():
    [re2_form] = [p for p in DEFAULT_SECRET_NAME_PATTERNS if p.endswith("pass$")]
    ours = re.compile(re2_form, re.IGNORECASE)
    engine = re2.compile("(?i)" + re2_form, options=RE2_OPTIONS)
    for letters in itertools.chain.from_iterable(itertools.product("bycomX_", repeat=n) for n in range(5)):
        for suffix in ("pass", "PASS", "passX"):
            name = "".join(letters) + suffix
            expected = bool(LOOK_BEHIND_PASS.search(name))
            assert bool(ours.search(name)) is expected and bool(engine.search(name)) is expected, name


@pytest.mark.parametrize("name, secret", [
    ("dbPass", True), ("DB_PASS", True), ("pass", True), ("xpass", True), ("ompass", True), ("mypass", True),
    ("bypass", False), ("proxy-bypass", False), ("compass", False), ("COMPASS", False), ("password_arn", False),
])
def test_pass_names(name, secret):
    names = SecretNames.from_config({})
    assert names.is_secret(name) is secret
