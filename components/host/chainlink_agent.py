#!/usr/bin/env python3
"""chainlink-agent: prepares and watches over the Chainlink node on its host.

  render    before every start of the node: read the node's secrets from Secrets
            Manager and write config.toml, secrets.toml and .api into the runtime
            directory (0600, owned by the container user, each file atomically)
  watchdog  from a timer: mark this instance unhealthy in its Auto Scaling group when
            the node unit gave up restarting or its container is gone
  watch     from a timer: restart the node when a secret it can take at a restart has
            a new current version (RPC URLs, rotated database password); a new keystore
            password is never applied by a restart (see README "Credential rotation")

Runs on the node hosts (Amazon Linux 2023: Python 3.9, stdlib + boto3 + tomlkit, one
file, installed as chainlink_agent.py) and here as `python -m ops agent ...`. Non-secret
settings come from a JSON file written by cloud-init. No secret value is ever printed:
messages name secrets by ARN and their fields by key.

This file is also the one home of two contracts the Pulumi program imports:
the node's own rules for the values it is given (NODE RULES), which the stack config
applies before `pulumi up` and the agent again on the host, and the settings file
(AgentSettings: each field declares its JSON path, so writing and parsing cannot
disagree).
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import fcntl
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence
from urllib.parse import quote

EXIT_OK = 0
EXIT_FAILED = 1      # an AWS call failed, or the node is unhealthy
EXIT_BAD_INPUT = 2   # bad arguments, settings or secret contents

DEFAULT_SETTINGS_PATH = "/etc/chainlink/agent.json"
SETTINGS_VERSION = 2
# The release images run as their own non-root user `chainlink`.
CONTAINER_UID = 14933
CONTAINER_GID = 14933
NODE_UNIT = "chainlink-node.service"
NODE_CONTAINER = "chainlink-node"
RUNTIME_DIR = "/run/chainlink"
CONFIG_FILE, SECRETS_FILE, API_FILE = "config.toml", "secrets.toml", ".api"
VERSIONS_FILE = "secret-versions.json"
# When a secret rotates, the lease holder restarts this long after first noticing, so the
# standby (which restarts at once) is already running with the new secret to take over.
PRIMARY_RESTART_DELAY_SECONDS = 120
ROTATION_PENDING_FILE = "rotation-pending-since"
SSL_MODES = ("require", "verify-full")
COMMAND_TIMEOUT_SECONDS = 60


# --- NODE RULES: what the node (v2.29) accepts, applied by the stack config and here ---

# The node's web server and /metrics port ([WebServer] HTTPPort default).
NODE_HTTP_PORT = 6688
# utils.VerifyPasswordComplexity measures Go's len(): UTF-8 bytes, at least 16, no
# surrounding whitespace. Only the API user's password has an upper limit: bcrypt's 50.
PASSWORD_MIN_BYTES = 16
API_PASSWORD_MAX_BYTES = 50
# Which URL schemes the node dials for each RPC field of an [[EVM.Nodes]] entry.
RPC_URL_SCHEMES = {"wsUrl": ("ws", "wss"), "httpUrl": ("http", "https")}
# A plain addr-spec (RFC 5322 dot-atom local part, DNS domain with a dot): a strict
# subset of what the node's Go net/mail.ParseAddress accepts, so the node never refuses it.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")


def password_rule(max_bytes: Optional[int]) -> str:
    """The rule in words, for messages and the README."""
    length = (f"{PASSWORD_MIN_BYTES} to {max_bytes} bytes" if max_bytes
              else f"at least {PASSWORD_MIN_BYTES} bytes")
    return (f"{length} of UTF-8 (the node counts bytes, not characters), no surrounding "
            "whitespace or control characters")


def password_problem(value: str, max_bytes: Optional[int]) -> Optional[str]:
    """Why the node (or the line-based .api file) would refuse this password, or None.
    The message never contains the value."""
    if value != value.strip():
        return "must not start or end with whitespace"
    if any(unicodedata.category(character).startswith("C") for character in value):
        return "must not contain line breaks, tabs or other control characters"
    length = len(value.encode("utf-8"))
    if length < PASSWORD_MIN_BYTES or (max_bytes is not None and length > max_bytes):
        return f"must be {password_rule(max_bytes)}; it has {length} bytes"
    return None


# The longest address SMTP can carry (RFC 5321: a 256-octet path less its angle brackets).
MAX_EMAIL_LENGTH = 254


def email_problem(value: str) -> Optional[str]:
    if len(value) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(value):
        return "must be a plain e-mail address such as ops@example.com"
    return None


def url_problem(value: str, schemes: Sequence[str]) -> Optional[str]:
    if not re.fullmatch(rf"({'|'.join(schemes)})://[^\s/]+(/\S*)?", value):
        return "must be a URL starting with " + " or ".join(f"{scheme}://" for scheme in schemes)
    return None


class AgentError(Exception):
    """One line naming the problem and the fix; never contains a secret value."""

    def __init__(self, message: str, exit_code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def log(message: str) -> None:
    print(f"chainlink-agent: {message}", flush=True)


# --- settings: each field names its place in the JSON file ------------------------------

def setting(path: str, default: Any = dataclasses.MISSING,
            check: Optional[Callable[[Any], Optional[str]]] = None, **options: Any) -> Any:
    """A settings field at dotted JSON `path`; without a default the file must have it.
    `check(value)` says what a value out of range must be (None: in range); the parser
    applies it, so the rule sits with the field like its path and type."""
    return field(default=default, metadata={"json": path, "check": check}, **options)


def within(low: int, high: int) -> Callable[[Any], Optional[str]]:
    return lambda value: None if low <= value <= high else f"must be from {low} to {high}"


def shaped(pattern: str, what: str) -> Callable[[Any], Optional[str]]:
    compiled = re.compile(pattern)
    return lambda value: None if compiled.fullmatch(value) else f"must be {what}"


def absolute_path(value: str) -> Optional[str]:
    """Relative paths would land in whatever directory the agent was started from."""
    if not value.startswith("/") or "\0" in value or value.rstrip("/") == "":
        return "must be an absolute path below / such as /run/chainlink"
    return None


def host_ports(addresses: list) -> Optional[str]:
    for address in addresses:
        host, _, port = address.rpartition(":") if isinstance(address, str) else ("", "", "")
        if not (host and port.isascii() and port.isdigit() and len(port) <= 5
                and 1 <= int(port) <= 65535):
            return "must be host:port strings with a port from 1 to 65535"
    return None


# Go's time.Duration as the node's TOML reads it: "10s", "1m30s", "500ms".
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, "ms": 1e-3,
                   "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"([0-9]{1,9}(?:\.[0-9]{0,9})?)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")


def duration_seconds(text: str) -> Optional[float]:
    """The seconds of a positive Go duration, or None when it is not one."""
    parts = _DURATION_PART.findall(text) if len(text) <= 40 else []
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    seconds = sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)
    return seconds if seconds > 0 else None


def positive_duration(value: str) -> Optional[str]:
    if duration_seconds(value) is None:
        return "must be a positive duration such as 10s, 1m30s or 500ms"
    return None


PORT = within(1, 65535)
# uid_t and gid_t are 32 bits; 4294967295 is (uid_t) -1, which chown reads as "unchanged".
ID = within(0, 4294967294)
# The shape of an AWS region: the stack config already checked the region against
# botocore's partition data (stack_config.parsers.known_regions); the host only refuses a
# settings file that cannot be one.
REGION = shaped(r"[a-z]{2}(-[a-z]+)+-[0-9]", "an AWS region such as us-east-1")


@dataclass(frozen=True)
class SecretArns:
    api_credentials: str = setting("apiCredentials")        # {"email", "password"}
    keystore_password: str = setting("keystorePassword")    # {"password"}
    rpc_urls: str = setting("rpcUrls")                      # rpc_url_field() -> URL
    database_credentials: str = setting("databaseCredentials")  # RDS: {"username", "password"}

    def all(self) -> list[str]:
        return [self.api_credentials, self.keystore_password, self.rpc_urls,
                self.database_credentials]

    def restartable(self) -> list[str]:
        """The secrets the node takes at a restart. Not the keystore password (the key
        ring stays encrypted with the old one: restarting with a new one crash-loops
        both hosts) and not the API credentials (read only while the users table is
        empty)."""
        return [self.rpc_urls, self.database_credentials]


def rpc_url_field(chain_id: str, node: str, kind: str) -> str:
    """The RPC secret's field for one URL: `<chain id>/<node name>/<wsUrl|httpUrl>`."""
    return f"{chain_id}/{node}/{kind}"


@dataclass(frozen=True)
class AgentSettings:
    """What the agent needs to know that is not secret; JSON on the host."""

    region: str = setting("region", check=REGION)
    # [{"chainId": "1", "nodes": [{"name": "a", "sendOnly": false}, ...]}, ...]; the URLs
    # are in the RPC secret under rpc_url_field(...).
    chains: list = setting("chains")
    secrets: SecretArns = setting("secrets")
    database_host: str = setting("database.host", check=shaped(
        r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252})", "a DNS name or IPv4 address"))
    database_port: int = setting("database.port", check=PORT)
    database_name: str = setting("database.name")
    database_ssl_mode: str = setting("database.sslMode", "require")
    http_port: int = setting("webServer.httpPort", NODE_HTTP_PORT, check=PORT)
    # False only when the load balancer has no certificate (internal, plain HTTP).
    secure_cookies: bool = setting("webServer.secureCookies", True)
    lease_duration: str = setting("lease.duration", "10s", check=positive_duration)
    lease_refresh_interval: str = setting("lease.refreshInterval", "1s",
                                          check=positive_duration)
    p2p_port: int = setting("p2p.port", 0, check=within(0, 65535))  # 0: P2P networking off
    p2p_announce_addresses: list = setting("p2p.announceAddresses", default_factory=list,
                                           check=host_ports)
    unit: str = setting("node.unit", NODE_UNIT, check=shaped(
        r"[A-Za-z0-9:_.@-]{1,248}\.service", "a systemd service such as chainlink-node.service"))
    container: str = setting("node.container", NODE_CONTAINER, check=shaped(
        r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}", "a Docker container name such as chainlink-node"))
    container_uid: int = setting("node.uid", CONTAINER_UID, check=ID)
    container_gid: int = setting("node.gid", CONTAINER_GID, check=ID)
    runtime_dir: str = setting("node.runtimeDir", RUNTIME_DIR, check=absolute_path)
    state_dir: str = setting("stateDir", "/var/lib/chainlink-agent", check=absolute_path)
    instance_data_file: str = setting("instanceDataFile", "/run/cloud-init/instance-data.json",
                                      check=absolute_path)
    # How long an active unit may be without its container before the host is unhealthy.
    container_grace_seconds: int = setting("containerGraceSeconds", 60, check=within(0, 86400))
    # botocore's total_max_attempts: 1 is a single try; more only stretches a failing run.
    aws_max_attempts: int = setting("awsMaxAttempts", 6, check=within(1, 20))

    def to_json(self) -> str:
        document: dict[str, Any] = {"version": SETTINGS_VERSION}
        for path, value in _flatten(self, ""):
            *parents, leaf = path.split(".")
            target = document
            for parent in parents:
                target = target.setdefault(parent, {})
            target[leaf] = value
        return json.dumps(document, indent=2) + "\n"


_KINDS = {"str": str, "int": int, "bool": bool, "list": list}
_WRITTEN_BY_PULUMI = "the Pulumi program writes this file: fix the stack config, run `pulumi up`"
_NODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


def _is_text(value: str) -> bool:
    """Encodable as UTF-8: a JSON escape such as \\ud800 gives a lone surrogate, which no
    file can hold."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _fields(kind: type) -> list[tuple[dataclasses.Field, type]]:
    """Each field with the type its annotation names (looked up, never evaluated: the
    host's Python 3.9 must not depend on newer annotation syntax)."""
    return [(item, _KINDS.get(item.type) or globals()[item.type])
            for item in dataclasses.fields(kind)]


def _flatten(instance: Any, prefix: str) -> list[tuple[str, Any]]:
    pairs = []
    for item, kind in _fields(type(instance)):
        path, value = prefix + item.metadata["json"], getattr(instance, item.name)
        if dataclasses.is_dataclass(kind):
            pairs += _flatten(value, path + ".")
        else:
            pairs.append((path, list(value) if isinstance(value, list) else value))
    return pairs


class _Reader:
    """Typed access to the settings document; each problem names the key and the file."""

    def __init__(self, document: Any, source: str) -> None:
        self.document, self.source = document, source

    def get(self, dotted: str, kind: type, default: Any = dataclasses.MISSING) -> Any:
        value: Any = self.document
        for part in dotted.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            if default is dataclasses.MISSING:
                raise AgentError(f"{self.source}: {dotted} is missing; the file is written "
                                 "by cloud-init from the Pulumi program (run `pulumi up`)")
            return default
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            raise AgentError(f"{self.source}: {dotted} must be a {kind.__name__}")
        if kind is str and not value:
            raise AgentError(f"{self.source}: {dotted} must not be empty")
        if kind is str and not _is_text(value):
            raise AgentError(f"{self.source}: {dotted} must be UTF-8 text (it holds a lone "
                             f"surrogate); {_WRITTEN_BY_PULUMI}")
        return value

    def out_of_range(self, dotted: str, value: Any, problem: str) -> AgentError:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        return AgentError(f"{self.source}: {dotted} {problem}, got {shown}; "
                          f"{_WRITTEN_BY_PULUMI}")

    def build(self, kind: type, prefix: str = "") -> Any:
        """An instance of the settings dataclass `kind`, read field by field."""
        values = {}
        for item, item_kind in _fields(kind):
            path = prefix + item.metadata["json"]
            if dataclasses.is_dataclass(item_kind):
                values[item.name] = self.build(item_kind, path + ".")
                continue
            if item.default is not dataclasses.MISSING:
                default = item.default
            elif item.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
                default = item.default_factory()  # type: ignore[misc]
            else:
                default = dataclasses.MISSING
            value = self.get(path, item_kind, default)
            problem = item.metadata["check"] and item.metadata["check"](value)
            if problem:
                raise self.out_of_range(path, value, problem)
            values[item.name] = value
        return kind(**values)


def parse_settings(document: Any, source: str) -> AgentSettings:
    read = _Reader(document, source)
    if read.get("version", int) != SETTINGS_VERSION:
        raise AgentError(f"{source}: version must be {SETTINGS_VERSION}; this agent is "
                         "older or newer than the Pulumi program that wrote the file")
    settings = read.build(AgentSettings)
    if settings.database_ssl_mode not in SSL_MODES:
        raise AgentError(f"{source}: database.sslMode must be one of {', '.join(SSL_MODES)}")
    # The node's own rule ([Database.Lock]): refresh at least twice per lease.
    if (duration_seconds(settings.lease_refresh_interval) or 0) > (
            duration_seconds(settings.lease_duration) or 0) / 2:
        raise AgentError(f"{source}: lease.refreshInterval must be at most half of "
                         f"lease.duration ({settings.lease_duration}), got "
                         f"{settings.lease_refresh_interval}; {_WRITTEN_BY_PULUMI}")
    check_chains(settings.chains, source)
    if settings.p2p_port and not settings.p2p_announce_addresses:
        raise AgentError(f"{source}: p2p.announceAddresses must name the addresses peers "
                         "dial when p2p.port is set")
    return settings


def check_chains(chains: list, source: str) -> None:
    problem = f"{source}: chains must be a non-empty list of {{chainId, nodes: [{{name, sendOnly}}]}}"
    if not chains or not all(isinstance(chain, dict) for chain in chains):
        raise AgentError(problem)
    for chain in chains:
        nodes = chain.get("nodes")
        if (not isinstance(chain.get("chainId"), str) or not isinstance(nodes, list) or not nodes
                or not all(isinstance(node, dict) and isinstance(node.get("name"), str)
                           and isinstance(node.get("sendOnly"), bool) for node in nodes)):
            raise AgentError(problem)
        # A positive decimal chain id; node names as the stack config allows them (they
        # are part of the RPC secret's field names, `<chain id>/<node>/<kind>`).
        if not re.fullmatch(r"[1-9][0-9]{0,77}", chain["chainId"]):
            raise AgentError(f"{source}: chains[].chainId must be a positive decimal chain "
                             f"id such as 11155111; {_WRITTEN_BY_PULUMI}")
        if not all(_NODE_NAME.fullmatch(node["name"]) for node in nodes):
            raise AgentError(f"{source}: chains[].nodes[].name must be 1 to 63 letters, "
                             f"digits, '.', '_' or '-'; {_WRITTEN_BY_PULUMI}")


def load_settings(path: str) -> AgentSettings:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise AgentError(f"cannot read settings {path}: {error.strerror}; cloud-init writes "
                         "it at first boot (see /var/log/cloud-init-output.log)") from None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        # JSONDecodeError has a line; a 5,000-digit number or deep nesting has none.
        where = (f"line {error.lineno}" if isinstance(error, json.JSONDecodeError)
                 else "a number too long or nesting too deep")
        raise AgentError(f"settings {path} is not valid JSON ({where}); "
                         "re-create the host so cloud-init writes it again") from None
    return parse_settings(document, path)


# --- AWS ------------------------------------------------------------------------------

def aws_client(service: str, settings: AgentSettings) -> Any:
    """A client that retries throttling and transient errors with backoff (botocore's
    standard retry mode) and honours AWS_ENDPOINT_URL."""
    import boto3
    from botocore.config import Config

    return boto3.client(service, region_name=settings.region, config=Config(
        retries={"mode": "standard", "total_max_attempts": settings.aws_max_attempts},
        connect_timeout=5, read_timeout=15))


_THROTTLING = ("ThrottlingException", "Throttling", "TooManyRequestsException",
               "RequestLimitExceeded")


def describe_aws_failure(error: Exception, action: str, resource: str,
                         settings: AgentSettings) -> AgentError:
    """One line for a failed AWS call: what failed and what to do about it."""
    from botocore.exceptions import ClientError, NoCredentialsError

    if isinstance(error, NoCredentialsError):
        return AgentError(f"{action} {resource}: no AWS credentials; on the host they come "
                          "from the instance profile (is IMDS reachable?)", EXIT_FAILED)
    if not isinstance(error, ClientError):
        return AgentError(f"{action} {resource}: {type(error).__name__}: the AWS API is not "
                          "reachable; check the VPC endpoints or NAT route", EXIT_FAILED)
    code = error.response.get("Error", {}).get("Code", "Unknown")
    if code in _THROTTLING:
        return AgentError(f"{action} {resource}: still throttled ({code}) after "
                          f"{settings.aws_max_attempts} attempts with backoff; the next "
                          "run tries again", EXIT_FAILED)
    if code in ("AccessDeniedException", "AccessDenied"):
        return AgentError(f"{action} {resource}: access denied; the instance role must allow "
                          "this call (secrets also need kms:Decrypt on their key): run "
                          "`pulumi up` to restore the role's policy", EXIT_FAILED)
    if code == "ResourceNotFoundException":
        return AgentError(f"{action} {resource}: it does not exist; it was deleted or the "
                          "settings name a wrong ARN: run `pulumi up`", EXIT_BAD_INPUT)
    if code == "DecryptionFailure":
        return AgentError(f"{action} {resource}: Secrets Manager cannot decrypt it; the "
                          "secret's KMS key must allow this role kms:Decrypt", EXIT_FAILED)
    return AgentError(f"{action} {resource}: {code}", EXIT_FAILED)


@dataclass(frozen=True)
class SecretDocument:
    arn: str
    version_id: str
    fields: dict[str, str]


def fetch_secret(client: Any, arn: str, keys: Sequence[str],
                 settings: AgentSettings) -> SecretDocument:
    """The secret's JSON fields `keys`, all non-empty strings."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = client.get_secret_value(SecretId=arn)
    except (ClientError, BotoCoreError) as error:
        raise describe_aws_failure(error, "reading secret", arn, settings) from None
    expected = f"a JSON object with the string keys {', '.join(keys)}"
    try:
        document = json.loads(response.get("SecretString") or "")
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise AgentError(f"secret {arn} is not {expected}; put a new version of it")
    missing = [key for key in keys
               if not isinstance(document.get(key), str) or not document[key]]
    if missing:
        raise AgentError(f"secret {arn} lacks {', '.join(missing)}: it must be {expected}")
    for key in keys:
        if not _is_text(document[key]):
            raise AgentError(f"secret {arn}: {key} is not UTF-8 text (it holds a lone "
                             "surrogate, such as the JSON escape \\ud800 alone); put a new "
                             "version of the secret")
    return SecretDocument(arn, response["VersionId"], {key: document[key] for key in keys})


def current_version_id(client: Any, arn: str, settings: AgentSettings) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = client.describe_secret(SecretId=arn)
    except (ClientError, BotoCoreError) as error:
        raise describe_aws_failure(error, "describing secret", arn, settings) from None
    for version_id, stages in (response.get("VersionIdsToStages") or {}).items():
        if "AWSCURRENT" in stages:
            return version_id
    raise AgentError(f"secret {arn} has no AWSCURRENT version; put a value in it",
                     EXIT_FAILED)


# --- what the node reads ----------------------------------------------------------------

@dataclass(frozen=True)
class NodeSecrets:
    api_email: str
    api_password: str
    keystore_password: str
    rpc_urls: dict[str, str]   # rpc_url_field(...) -> URL
    database_username: str
    database_password: str
    versions: dict[str, str]   # secret ARN -> the version that was read


def check_secret_field(arn: str, key: str, problem: Optional[str]) -> None:
    if problem is not None:
        raise AgentError(f"secret {arn}: {key} {problem} (the node's rule); put a new "
                         "version of the secret")


def read_node_secrets(client: Any, settings: AgentSettings) -> NodeSecrets:
    arns = settings.secrets
    api = fetch_secret(client, arns.api_credentials, ("email", "password"), settings)
    keystore = fetch_secret(client, arns.keystore_password, ("password",), settings)
    rpc = fetch_secret(client, arns.rpc_urls, rpc_url_fields(settings), settings)
    database = fetch_secret(client, arns.database_credentials, ("username", "password"),
                            settings)
    check_secret_field(api.arn, "email", email_problem(api.fields["email"]))
    check_secret_field(api.arn, "password",
                       password_problem(api.fields["password"], API_PASSWORD_MAX_BYTES))
    check_secret_field(keystore.arn, "password",
                       password_problem(keystore.fields["password"], None))
    check_secret_field(database.arn, "password",
                       password_problem(database.fields["password"], None))
    for key, value in rpc.fields.items():
        schemes = RPC_URL_SCHEMES[key.rsplit("/", 1)[1]]
        check_secret_field(rpc.arn, key, url_problem(value, schemes))
    return NodeSecrets(
        api_email=api.fields["email"], api_password=api.fields["password"],
        keystore_password=keystore.fields["password"],
        rpc_urls=dict(rpc.fields),
        database_username=database.fields["username"],
        database_password=database.fields["password"],
        versions={document.arn: document.version_id
                  for document in (api, keystore, rpc, database)})


def rpc_url_fields(settings: AgentSettings) -> list[str]:
    """Every URL field the RPC secret must hold: HTTP for each node, WebSocket for the
    primary ones."""
    return [rpc_url_field(chain["chainId"], node["name"], kind)
            for chain in settings.chains for node in chain["nodes"]
            for kind in (("httpUrl",) if node["sendOnly"] else ("wsUrl", "httpUrl"))]


def evm_document(settings: AgentSettings, secrets: NodeSecrets) -> list[dict[str, Any]]:
    """[[EVM]] with its [[EVM.Nodes]]; the node's own failover settings (NodePool) stay at
    their defaults."""
    def node_entry(chain_id: str, node: dict) -> dict[str, Any]:
        def url(kind: str) -> str:
            return secrets.rpc_urls[rpc_url_field(chain_id, node["name"], kind)]
        if node["sendOnly"]:
            return {"Name": node["name"], "HTTPURL": url("httpUrl"), "SendOnly": True}
        return {"Name": node["name"], "WSURL": url("wsUrl"), "HTTPURL": url("httpUrl")}
    return [{"ChainID": chain["chainId"],
             "Nodes": [node_entry(chain["chainId"], node) for node in chain["nodes"]]}
            for chain in settings.chains]


def database_url(settings: AgentSettings, username: str, password: str) -> str:
    """postgresql://user:password@host:port/name?sslmode=...; credentials URL-encoded so
    that any character survives (the Quick Start pasted them in raw)."""
    return (f"postgresql://{quote(username, safe='')}:{quote(password, safe='')}"
            f"@{settings.database_host}:{settings.database_port}"
            f"/{quote(settings.database_name, safe='')}?sslmode={settings.database_ssl_mode}")


def config_document(settings: AgentSettings, secrets: NodeSecrets) -> dict[str, Any]:
    p2p_v2: dict[str, Any] = {"Enabled": bool(settings.p2p_port)}
    if settings.p2p_port:
        p2p_v2["ListenAddresses"] = [f"0.0.0.0:{settings.p2p_port}"]
        p2p_v2["AnnounceAddresses"] = list(settings.p2p_announce_addresses)
    document: dict[str, Any] = {
        # JSON on the console for CloudWatch; MaxSize 0 turns off the log file, which
        # would otherwise grow inside the container.
        "Log": {"Level": "info", "JSONConsole": True, "File": {"MaxSize": "0b"}},
        # TLS ends at the load balancer: no HTTPS listener on the node itself.
        "WebServer": {"HTTPPort": settings.http_port,
                      "SecureCookies": settings.secure_cookies,
                      "TLS": {"HTTPSPort": 0}},
        "Database": {"Lock": {"Enabled": True, "LeaseDuration": settings.lease_duration,
                              "LeaseRefreshInterval": settings.lease_refresh_interval}},
        "P2P": {"V2": p2p_v2},
        "EVM": evm_document(settings, secrets),
    }
    if settings.p2p_port:
        # The P2P stack starts only for OCR: without [OCR2] the node logs "P2P stack not
        # needed" and never listens. OCR2 reads chain logs through the log poller.
        document["OCR2"] = {"Enabled": True}
        document["Feature"] = {"LogPoller": True}
    return document


def secrets_document(settings: AgentSettings, secrets: NodeSecrets) -> dict[str, Any]:
    return {
        "Database": {"URL": database_url(settings, secrets.database_username,
                                         secrets.database_password)},
        "Password": {"Keystore": secrets.keystore_password},
    }


def rendered_files(settings: AgentSettings, secrets: NodeSecrets) -> dict[str, str]:
    import tomlkit

    header = "# Rendered by chainlink-agent before every start of the node; do not edit.\n"
    return {
        CONFIG_FILE: header + tomlkit.dumps(config_document(settings, secrets)),
        SECRETS_FILE: header + tomlkit.dumps(secrets_document(settings, secrets)),
        # Line 1 e-mail, line 2 password: creates the admin user on an empty database.
        API_FILE: f"{secrets.api_email}\n{secrets.api_password}\n",
    }


# --- files ----------------------------------------------------------------------------

TEMPORARY_SUFFIX = ".tmp"


def encoded(files: dict[str, str]) -> dict[str, bytes]:
    """Every file as the bytes it will hold, before the first one is written."""
    try:
        return {name: text.encode("utf-8") for name, text in files.items()}
    except UnicodeEncodeError:
        raise AgentError("a secret or setting holds text that is not UTF-8 (a lone "
                         "surrogate); put a new version of the secret, or run `pulumi up` "
                         "for the settings") from None


def temporary_name(name: str) -> re.Pattern:
    """What a temporary file of `name` is called: `.<name>.<8 random characters>.tmp`
    (and without `.tmp`, as agents before this one named them)."""
    return re.compile(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}(?:{re.escape(TEMPORARY_SUFFIX)})?")


def remove_stale_temporaries(directory: Path, names: Sequence[str]) -> None:
    """Temporary files a killed run (kill -9, power loss) left behind: they may hold
    secrets, and nothing else would ever remove them."""
    patterns = [temporary_name(name) for name in names]
    for entry in os.listdir(directory):
        if any(pattern.fullmatch(entry) for pattern in patterns):
            (directory / entry).unlink(missing_ok=True)


def _write_temporary(target: Path, data: bytes, uid: int, gid: int) -> str:
    """A 0600 file owned by uid:gid beside `target`, holding `data`, on disk."""
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMPORARY_SUFFIX,
                                         dir=str(target.parent))
    try:
        os.fchmod(handle, 0o600)
        os.fchown(handle, uid, gid)
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view):]
        os.fsync(handle)
    except BaseException:
        os.close(handle)
        os.unlink(temporary)
        raise
    os.close(handle)
    return temporary


def _sync_directory(directory: Path) -> None:
    handle = os.open(str(directory), os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def write_file_set(files: Sequence[tuple[Path, bytes, int, int]]) -> None:
    """All or none: each (path, bytes, uid, gid) first goes to a temporary file beside its
    path (0600, owned by uid:gid, fsynced); only when every one is on disk are they renamed
    over the old files. On a failure before that the temporary files are removed and the
    earlier files stay as they were. The node never reads half a file or a mixed set."""
    temporaries: list[tuple[str, Path]] = []
    try:
        for path, data, uid, gid in files:
            temporaries.append((_write_temporary(path, data, uid, gid), path))
    except BaseException:
        for temporary, _ in temporaries:
            Path(temporary).unlink(missing_ok=True)
        raise
    for temporary, path in temporaries:
        os.replace(temporary, path)
    for directory in dict.fromkeys(path.parent for _, path in temporaries):
        _sync_directory(directory)


def write_private_file(path: Path, text: str, uid: int, gid: int) -> None:
    """One file of 0600, owned by uid:gid, replaced atomically (see write_file_set)."""
    write_file_set([(path, text.encode("utf-8"), uid, gid)])


def prepare_directory(path: Path, uid: int, gid: int) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chown(path, uid, gid)
    os.chmod(path, 0o700)


class _Locked:
    """An exclusive lock on a directory for the length of a render: two renders at once
    must not remove each other's temporary files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __enter__(self) -> "_Locked":
        self.handle = os.open(str(self.directory), os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: Any) -> None:
        os.close(self.handle)


def versions_path(settings: AgentSettings) -> Path:
    return Path(settings.state_dir) / VERSIONS_FILE


def recorded_versions(settings: AgentSettings) -> dict[str, str]:
    try:
        document = json.loads(versions_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


# --- commands ---------------------------------------------------------------------------

def render(settings: AgentSettings, client: Any = None) -> int:
    """Every secret is read and checked, and every file rendered and encoded, before the
    first byte is written; then all files are replaced together or none is."""
    secrets = read_node_secrets(client or aws_client("secretsmanager", settings), settings)
    files = encoded(rendered_files(settings, secrets))
    versions = encoded({VERSIONS_FILE: json.dumps(secrets.versions, indent=2)})[VERSIONS_FILE]
    runtime_dir, state_dir = Path(settings.runtime_dir), Path(settings.state_dir)
    owner = (settings.container_uid, settings.container_gid)
    try:
        prepare_directory(runtime_dir, *owner)
        prepare_directory(state_dir, os.getuid(), os.getgid())
        with _Locked(runtime_dir):
            remove_stale_temporaries(runtime_dir, list(files))
            remove_stale_temporaries(state_dir, [VERSIONS_FILE, ROTATION_PENDING_FILE])
            write_file_set([(runtime_dir / name, data, *owner) for name, data in files.items()]
                           + [(versions_path(settings), versions, os.getuid(), os.getgid())])
    except OSError as error:
        raise AgentError(f"cannot write into {runtime_dir} and {state_dir}: "
                         f"{error.strerror or error}; nothing was changed (the files of the "
                         f"last render are in place): free space or fix the directories, "
                         f"then restart {settings.unit}", EXIT_FAILED) from None
    chain_ids = ", ".join(chain["chainId"] for chain in settings.chains)
    log(f"wrote {', '.join(files)} into {runtime_dir} for chains {chain_ids} "
        f"(owner {settings.container_uid}:{settings.container_gid}, mode 0600)")
    return EXIT_OK


def watch(settings: AgentSettings, client: Any = None,
          run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
          clock: Callable[[], float] = time.time) -> int:
    """Restart the node when a secret it read has a new AWSCURRENT version: the standby at
    once, the lease holder PRIMARY_RESTART_DELAY_SECONDS later, so one node always serves."""
    recorded = recorded_versions(settings)
    if not recorded:
        log(f"no rendered secrets recorded in {versions_path(settings)} yet; nothing to compare")
        return EXIT_OK
    client = client or aws_client("secretsmanager", settings)
    current = {arn: current_version_id(client, arn, settings) for arn in settings.secrets.all()}
    changed = [arn for arn in settings.secrets.restartable()
               if current[arn] != recorded.get(arn)]
    if current[settings.secrets.keystore_password] != recorded.get(
            settings.secrets.keystore_password):
        log(f"secret {settings.secrets.keystore_password} has a new version; the node is NOT "
            "restarted for it (it cannot unlock its keys with a new keystore password): "
            "follow README \"Keystore password\" to re-encrypt, or put the old value back")
    pending = Path(settings.state_dir) / ROTATION_PENDING_FILE
    if not changed:
        pending.unlink(missing_ok=True)
        return EXIT_OK
    if node_is_ready(settings):
        waited = clock() - noticed_at(pending, clock())
        if waited < PRIMARY_RESTART_DELAY_SECONDS:
            log(f"secret {', '.join(changed)} has a new current version; this node holds the "
                f"lease, so it restarts in {PRIMARY_RESTART_DELAY_SECONDS - waited:.0f} s, "
                "after the standby")
            return EXIT_OK
    log(f"secret {', '.join(changed)} has a new current version; restarting {settings.unit} "
        "so the node reads it (the other host holds the lease meanwhile)")
    run_command(["systemctl", "try-restart", settings.unit], run)
    pending.unlink(missing_ok=True)
    return EXIT_OK


def node_is_ready(settings: AgentSettings) -> bool:
    """Only the lease holder answers /readyz with 200; a waiting standby has no listener."""
    url = f"http://127.0.0.1:{settings.http_port}/readyz"
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return reply.status == 200
    except (OSError, ValueError):  # refused, timed out, or an HTTP error such as 503
        return False


def noticed_at(marker: Path, now: float) -> float:
    """When this host first saw the pending change (recorded now if it had not)."""
    try:
        return float(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        write_private_file(marker, f"{now}\n", os.getuid(), os.getgid())
        return now


@dataclass(frozen=True)
class UnitState:
    active_state: str
    active_since_monotonic_us: int
    restarts: int


def run_command(argv: list[str], run: Callable[..., subprocess.CompletedProcess],
                check: bool = True) -> subprocess.CompletedProcess:
    try:
        result = run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise AgentError(f"`{shlex.join(argv)}` could not run: {error}", EXIT_FAILED) from None
    if check and result.returncode != 0:
        first_line = (result.stderr or result.stdout or "").strip().splitlines()[:1]
        raise AgentError(f"`{shlex.join(argv)}` exited {result.returncode}"
                         + (f": {first_line[0]}" if first_line else ""), EXIT_FAILED)
    return result


def unit_state(unit: str, run: Callable[..., subprocess.CompletedProcess]) -> UnitState:
    output = run_command(["systemctl", "show", unit, "--property=ActiveState",
                          "--property=ActiveEnterTimestampMonotonic",
                          "--property=NRestarts"], run).stdout
    values = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)

    def number(key: str) -> int:
        text = values.get(key, "0").strip()
        return int(text) if text.isdigit() else 0

    return UnitState(values.get("ActiveState", "unknown").strip(),
                     number("ActiveEnterTimestampMonotonic"), number("NRestarts"))


def container_running(container: str, run: Callable[..., subprocess.CompletedProcess]) -> bool:
    result = run_command(["docker", "inspect", "--format", "{{.State.Running}}", container],
                         run, check=False)
    return result.returncode == 0 and result.stdout.strip() == "true"


def unhealthy_reason(state: UnitState, running: bool, now_monotonic_us: int,
                     settings: AgentSettings) -> str | None:
    """Why this host should be replaced, or None. A unit stopped on purpose (inactive)
    or restarting after a crash (activating) is left to systemd."""
    if state.active_state == "failed":
        return (f"{settings.unit} failed: systemd gave up restarting it after "
                f"{state.restarts} restarts")
    active_for = (now_monotonic_us - state.active_since_monotonic_us) / 1e6
    if (state.active_state == "active" and not running
            and active_for >= settings.container_grace_seconds):
        return (f"{settings.unit} has been active for {active_for:.0f} s but container "
                f"{settings.container} is not running")
    return None


def instance_id(settings: AgentSettings) -> str:
    try:
        document = json.loads(Path(settings.instance_data_file).read_text(encoding="utf-8"))
        return document["v1"]["instance_id"]
    except (OSError, ValueError, KeyError, TypeError):
        raise AgentError(f"cannot read this instance's id from {settings.instance_data_file}; "
                         "cloud-init writes it at boot", EXIT_FAILED) from None


def watchdog(settings: AgentSettings, client: Any = None,
             run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> int:
    """Liveness for both hosts: a waiting standby has no HTTP listener, so the load
    balancer cannot judge it; the host reports itself to its Auto Scaling group."""
    state = unit_state(settings.unit, run)
    running = container_running(settings.container, run)
    reason = unhealthy_reason(state, running, time.monotonic_ns() // 1000, settings)
    if reason is None:
        return EXIT_OK
    from botocore.exceptions import BotoCoreError, ClientError

    instance = instance_id(settings)
    client = client or aws_client("autoscaling", settings)
    try:
        client.set_instance_health(InstanceId=instance, HealthStatus="Unhealthy",
                                   ShouldRespectGracePeriod=True)
    except (ClientError, BotoCoreError) as error:
        raise describe_aws_failure(error, "reporting unhealthy", instance, settings) from None
    log(f"{reason}; reported {instance} unhealthy so the Auto Scaling group replaces it")
    return EXIT_FAILED


COMMANDS: dict[str, tuple[Callable[[AgentSettings], int], str]] = {
    "render": (render, "write config.toml, secrets.toml and .api from Secrets Manager"),
    "watchdog": (watchdog, "report this instance unhealthy when the node cannot run"),
    "watch": (watch, "restart the node when a secret it read has a new version"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="agent_command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--settings", default=DEFAULT_SETTINGS_PATH, metavar="FILE",
                             help=f"agent settings JSON (default {DEFAULT_SETTINGS_PATH})")


def run(args: argparse.Namespace) -> int:
    function, _ = COMMANDS[args.agent_command]
    try:
        return function(load_settings(args.settings))
    except AgentError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return error.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="chainlink-agent", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
