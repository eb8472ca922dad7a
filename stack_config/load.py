"""Validating a stack's raw config into a StackConfig: one line per bad key."""

from __future__ import annotations

import difflib
import ipaddress
from typing import Any, Iterable, Mapping, TypeVar

from stack_config.keys import (NAMESPACE, OPTIONAL, RETIRED_KEYS, SETTINGS, SETTINGS_BY_KEY,
                               Setting, StackConfig)
from stack_config.parsers import SecretValue, parse_region
from stack_config.profile import PROFILES

V = TypeVar("V")
# What an offline preview hands over for a `secure:` value it cannot decrypt and has no
# stand-in for (ops/lib/stackfile.py).
UNCHECKED = "offline-preview-secret-value"
# Namespaces of the providers this project uses, with the keys each one reads.
PULUMI_NAMESPACE = "pulumi"


def provider_keys() -> dict[str, set[str]]:
    """aws: the keys pulumi-aws reads (its config module, camelCase as in stack files)."""
    import pathlib
    import re as _re
    import importlib.util

    spec = importlib.util.find_spec("pulumi_aws")
    keys: set[str] = set()
    if spec and spec.origin:
        text = (pathlib.Path(spec.origin).parent / "config" / "vars.py").read_text()
        keys = {_re.sub(r"_(\w)", lambda m: m.group(1).upper(), name)
                for name in _re.findall(r"def (\w+)\(self\)", text)}
    return {"aws": keys}


def foreign_key_problems(full_keys: Iterable[str]) -> list[tuple[str, str]]:
    """Keys outside our namespace that nothing reads: a misspelt namespace, or a key its
    provider does not know (aws:regoin would silently leave the region at its default)."""
    problems = []
    known = None
    for full_key in sorted(full_keys):
        namespace, key = split_namespace(full_key)
        if namespace in (NAMESPACE, PULUMI_NAMESPACE):
            continue
        known = known if known is not None else provider_keys()
        if namespace in known:
            if known[namespace] and key not in known[namespace]:
                close = difflib.get_close_matches(key, sorted(known[namespace]), n=1)
                hint = f"did you mean {namespace}:{close[0]}? " if close else ""
                problems.append((full_key, f"is not a setting the {namespace} provider reads; "
                                 f"{hint}it would be ignored"))
            continue
        close = difflib.get_close_matches(namespace, [NAMESPACE, *known], n=1)
        if close:
            problems.append((full_key, f"namespace {namespace!r} is misspelt: did you mean "
                             f"{close[0]}:{key}?"))
        else:
            problems.append((full_key, f"namespace {namespace!r} is read by no provider of "
                             f"this project (keys are {NAMESPACE}:..., aws:..., pulumi:...)"))
    return problems


def region_problems(config: Mapping[str, str]) -> list[tuple[str, str]]:
    """aws:region is the provider's key, not ours, but a region AWS does not have would
    preview cleanly and fail only at `pulumi up`."""
    if "aws:region" not in config:
        return []
    try:
        parse_region(config["aws:region"])
    except ValueError as error:
        return [("aws:region", str(error))]
    return []


def parse_full_config(config: Mapping[str, str], stack: str,
                      secret_keys: Iterable[str] = ()) -> "StackConfig":
    """The whole config as Pulumi hands it over (namespaced keys): ours validated, the
    others checked for namespaces and keys nothing reads."""
    raw, secret_local = own_keys(config, secret_keys)
    try:
        result = parse_stack_config(raw, stack, secret_local)
        problems: list[tuple[str, str]] = []
    except ConfigError as error:
        result, problems = None, list(error.problems)
    problems += foreign_key_problems(config)
    problems += region_problems(config)
    if problems:
        raise ConfigError(problems)
    return result


class ConfigError(Exception):
    """One or more bad keys; str() gives one line per key."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{key if ':' in key else f'{NAMESPACE}:{key}'}: {text}"
                                   for key, text in problems))


def unknown_key_problem(key: str) -> str:
    if key in RETIRED_KEYS:
        return RETIRED_KEYS[key]
    close = difflib.get_close_matches(key, list(SETTINGS_BY_KEY), n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return f"is not a known setting; {hint}see the configuration table in README.md"


def _parse_setting(setting: Setting, raw: str | None, is_secret: bool,
                   environment: str) -> Any:
    if raw == UNCHECKED:
        # A `secure:` value an offline preview cannot decrypt, for a key without a
        # stand-in: it is not checked, and never called invalid.
        if setting.required:
            raise ValueError("is encrypted (secure:) and an offline preview cannot decrypt "
                             "it, so it was not checked; `pulumi preview` checks it")
        return setting.default_for(environment)
    if raw is None or (raw == OPTIONAL and setting.default is OPTIONAL):
        if setting.required:
            raise ValueError(f"is required: {setting.allowed}; set it with "
                             f"`pulumi config set {'--secret ' if setting.secret == 'required' else ''}"
                             f"{setting.key} <value>`")
        return setting.default_for(environment)
    if setting.secret == "required" and not is_secret:
        raise ValueError(f"must be stored encrypted: run `pulumi config set --secret {setting.key}`")
    try:
        value = setting.parse(raw)
    except ValueError as error:
        if is_secret and raw in str(error):
            # A message that quotes a secret (or that a short secret happens to occur in)
            # is replaced whole: cutting the value out of it garbles it and hints at it.
            raise ValueError(f"is not valid: {setting.allowed}; the value is secret, so "
                             "it is not shown") from None
        raise
    return SecretValue(value) if is_secret and isinstance(value, str) else value


def _cross_key_problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    return _api_credential_problems(values) + _profile_problems(values)


def _api_credential_problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    email, password = values.get("api_user_email"), values.get("api_password")
    if not isinstance(email, str) or not isinstance(password, (str, SecretValue)):
        return []
    plain = password.reveal() if isinstance(password, SecretValue) else password
    if email.lower() in plain.lower():
        # The node refuses such a password whenever it is changed; refuse it from the start.
        return [("apiPassword", "must not contain apiUserEmail; choose another password")]
    return []


def _profile_problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    """The rules the environment's profile adds (prod's, today)."""
    profile = PROFILES.get(values.get("environment"))
    if profile is None:
        return []
    problems = []
    cidr = values.get("remote_access_cidr")
    if (profile.forbids_open_remote_access and isinstance(cidr, str)
            and ipaddress.IPv4Network(cidr).prefixlen == 0):
        problems.append(("remoteAccessCidr", f"must not be 0.0.0.0/0 in {profile.name}: "
                         "name the operators' network, for example 203.0.113.0/24"))
    retention = values.get("backup_retention_days")
    if isinstance(retention, int) and retention < profile.min_backup_retention_days:
        problems.append(("backupRetentionDays", f"must be at least "
                         f"{profile.min_backup_retention_days} in {profile.name}, "
                         f"got {retention}"))
    if (profile.requires_alarm_email and values.get("alarm_email") == OPTIONAL
            and "alarm_email" in values):
        problems.append(("alarmEmail", f"is required in {profile.name}: alarms must reach "
                         "someone; set it with `pulumi config set alarmEmail <address>`"))
    return problems


def parse_stack_config(raw: Mapping[str, str], stack: str,
                       secret_keys: set[str] | frozenset[str] = frozenset()) -> StackConfig:
    """Validate raw config values (keys without the namespace) into a StackConfig.

    Raises ConfigError listing one problem per bad key; unknown keys are problems too,
    because a misspelt key would otherwise be ignored silently.
    """
    problems: list[tuple[str, str]] = [
        (key, unknown_key_problem(key)) for key in sorted(set(raw) - set(SETTINGS_BY_KEY))]
    environment = raw.get("environment", "dev")
    # A bad environment is reported by its own key; the defaults then come from dev.
    environment = environment if environment in PROFILES else "dev"
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        try:
            values[setting.attribute] = _parse_setting(
                setting, raw.get(setting.key), setting.key in secret_keys, environment)
        except ValueError as error:
            problems.append((setting.key, str(error)))
    problems.extend(_cross_key_problems(values))
    if problems:
        raise ConfigError(problems)
    return StackConfig(stack=stack, **values)


def namespaced(key: str) -> str:
    return f"{NAMESPACE}:{key}"


def split_namespace(full_key: str) -> tuple[str, str]:
    namespace, _, key = full_key.partition(":")
    return namespace, key


def own_keys(config: Mapping[str, V], secret_keys: Iterable[str] = ()
             ) -> tuple[dict[str, V], set[str]]:
    """This project's keys without the namespace, and which of them are secret; the one
    place the namespace is stripped."""
    secret = set(secret_keys)
    raw: dict[str, V] = {}
    secret_local: set[str] = set()
    for full_key, value in config.items():
        namespace, key = split_namespace(full_key)
        if namespace != NAMESPACE:
            continue
        raw[key] = value
        if full_key in secret:
            secret_local.add(key)
    return raw, secret_local


def offline_placeholder(full_key: str) -> str | None:
    """What an offline preview puts in place of this key's `secure:` value (it cannot
    decrypt it): a value that passes the key's validation, or None when the key has none."""
    namespace, key = split_namespace(full_key)
    setting = SETTINGS_BY_KEY.get(key) if namespace == NAMESPACE else None
    return setting.placeholder if setting and setting.placeholder else None


def load_from_pulumi() -> StackConfig:
    """Read this project's config the way the Pulumi language host hands it over."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    everything = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = set(runtime_config.get_config_secret_keys_env())
    secret_keys |= {full_key for full_key in everything
                    if runtime_config.is_config_secret(full_key)}
    return parse_full_config(everything, pulumi.get_stack(), secret_keys)
