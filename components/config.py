"""The typed stack configuration: every key, its default, and its validation.

All keys live under the `chainlink-node-aws:` namespace. The whole configuration is
validated before any resource is created; each bad key yields one line naming the key
and what is allowed. Values arrive as strings (that is how Pulumi hands config to a
program); secret values are wrapped in `SecretValue` so they never appear in a repr,
an error message or a log line.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from components.chains import Chain, resolve_chain

NAMESPACE = "chainlink-node-aws"
ENVIRONMENTS = ("dev", "prod")
PROD_MIN_BACKUP_RETENTION_DAYS = 7
# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                      1096, 1827, 2192, 2557, 2922, 3288, 3653)
SUPPORTED_POSTGRES_MAJORS = (14, 15, 16, 17)


class SecretValue:
    """A configuration value that must stay secret: it hides itself from repr and str."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretValue([secret])"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretValue) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class ConfigError(Exception):
    """One or more bad keys; str() gives one line per key."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{NAMESPACE}:{key}: {text}" for key, text in problems))


# --- value parsers: each takes the raw string and raises ValueError(what is allowed) ---

def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise ValueError(f"expected true or false, got {text!r}")


def int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        stripped = text.strip()
        if not re.fullmatch(r"-?\d+", stripped):
            raise ValueError(f"expected a whole number from {low} to {high}, got {text!r}")
        value = int(stripped)
        if not low <= value <= high:
            raise ValueError(f"must be from {low} to {high}, got {value}")
        return value
    return parse


def one_of(*allowed: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}, got {text!r}")
        return text
    return parse


def parse_log_retention(text: str) -> int:
    value = int_between(1, 3653)(text)
    if value not in LOG_RETENTION_DAYS:
        raise ValueError("must be a CloudWatch Logs retention period: "
                         + ", ".join(str(days) for days in LOG_RETENTION_DAYS))
    return value


def ipv4_cidr(min_prefix: int, max_prefix: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        try:
            network = ipaddress.IPv4Network(text.strip(), strict=True)
        except ValueError as error:
            raise ValueError(f"expected an IPv4 CIDR such as 10.0.0.0/16 ({error}), "
                             f"got {text!r}") from None
        if not min_prefix <= network.prefixlen <= max_prefix:
            raise ValueError(f"prefix length must be /{min_prefix} to /{max_prefix}, "
                             f"got /{network.prefixlen}")
        return str(network)
    return parse


def parse_vpc_cidr(text: str) -> str:
    cidr = ipv4_cidr(16, 24)(text)
    if not ipaddress.IPv4Network(cidr).is_private:
        raise ValueError(f"must be a private (RFC 1918) range, got {cidr}")
    return cidr


_INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9-]*\.[a-z0-9]+")


def parse_instance_type(text: str) -> str:
    if not _INSTANCE_TYPE.fullmatch(text):
        raise ValueError(f"expected an EC2 instance type such as m6i.large, got {text!r}")
    return text


_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def parse_chainlink_version(text: str) -> str:
    """A pinned release (semver, no `v`) or an image digest; never a moving tag."""
    if text.endswith("-root"):
        raise ValueError("-root images run the node as root; use the plain release tag")
    if _SEMVER.fullmatch(text) or _DIGEST.fullmatch(text):
        return text
    raise ValueError("must be a pinned release such as 2.29.0 (no 'v', not 'latest') "
                     f"or an image digest sha256:<64 hex>, got {text!r}")


# A plain addr-spec (RFC 5322 dot-atom local part, DNS domain with a dot): a strict subset
# of what the node's Go net/mail.ParseAddress accepts, so the node never refuses it.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")


def parse_email(text: str) -> str:
    if not _EMAIL.fullmatch(text.strip()):
        raise ValueError(f"expected an e-mail address such as ops@example.com, got {text!r}")
    return text.strip()


def url_with_scheme(*schemes: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not re.fullmatch(rf"({'|'.join(schemes)})://[^\s/]+(/\S*)?", text.strip()):
            raise ValueError("expected a URL starting with "
                             + " or ".join(f"{scheme}://" for scheme in schemes))
        return text.strip()
    return parse


NODE_PASSWORD_MIN_BYTES, NODE_PASSWORD_MAX_BYTES = 16, 50


def parse_node_password(text: str) -> str:
    """The node's own rules for API, keystore and database passwords.

    The node measures length in UTF-8 bytes (Go's len) and caps it at bcrypt's 50; the host
    writes the passwords into line-based files (.api), so line breaks cannot work either.
    """
    if text != text.strip():
        raise ValueError("must not start or end with whitespace")
    if any(unicodedata.category(character).startswith("C") for character in text):
        raise ValueError("must not contain line breaks, tabs or other control characters")
    length = len(text.encode("utf-8"))
    if not NODE_PASSWORD_MIN_BYTES <= length <= NODE_PASSWORD_MAX_BYTES:
        raise ValueError(f"must be {NODE_PASSWORD_MIN_BYTES} to {NODE_PASSWORD_MAX_BYTES} "
                         f"characters long (the node counts UTF-8 bytes), got {length}")
    return text


def parse_certificate_arn(text: str) -> str:
    if not re.fullmatch(r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+", text):
        raise ValueError("expected an ACM certificate ARN "
                         "arn:aws:acm:<region>:<account>:certificate/<id>, or leave it unset")
    return text


def parse_db_instance_class(text: str) -> str:
    if not re.fullmatch(r"db\.[a-z0-9-]+\.[a-z0-9]+", text):
        raise ValueError(f"expected a database instance class such as db.r6g.large, got {text!r}")
    return text


def parse_postgres_version(text: str) -> str:
    match = re.fullmatch(r"(\d+)(\.\d+)?", text.strip())
    if not match or int(match.group(1)) not in SUPPORTED_POSTGRES_MAJORS:
        raise ValueError("must be an Aurora PostgreSQL version the node supports "
                         f"(major 14 to 17, such as 16.6), got {text!r}")
    return text.strip()


def parse_positive_amount(text: str) -> float:
    if not re.fullmatch(r"\d+(\.\d+)?", text.strip()) or float(text) <= 0:
        raise ValueError(f"expected a positive decimal number such as 0.5, got {text!r}")
    return float(text)


def parse_policy_arn(text: str) -> str:
    if not re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:policy/[\w+=,.@/-]+", text):
        raise ValueError("expected an IAM policy ARN arn:aws:iam::<account>:policy/<name>, "
                         f"or leave it unset, got {text!r}")
    return text


BOOTSTRAP_PROJECT = "chainlink-node-aws-bootstrap"  # bootstrap/Pulumi.yaml's name


def parse_stack_reference(text: str) -> str:
    if text and not re.fullmatch(r"(\w[\w.-]*/){0,2}\w[\w.-]*", text):
        raise ValueError("expected a stack name such as organization/"
                         f"{BOOTSTRAP_PROJECT}/prod, or an empty value for none, got {text!r}")
    return text


def parse_account_id(text: str) -> str:
    if not re.fullmatch(r"\d{12}", text):
        raise ValueError(f"expected a 12-digit AWS account id, got {text!r}")
    return text


def parse_region(text: str) -> str:
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", text):
        raise ValueError(f"expected an AWS region such as eu-west-1, got {text!r}")
    return text


def parse_key_pair_name(text: str) -> str:
    if not 1 <= len(text) <= 255 or not text.isprintable():
        raise ValueError("expected the name of an existing EC2 key pair")
    return text


# --- the schema ---

Default = Any  # a value, or a function of the environment ("dev"/"prod")


@dataclass(frozen=True)
class Setting:
    key: str
    attribute: str
    kind: str
    description: str
    allowed: str
    parse: Callable[[str], Any]
    default: Default = None          # None: required
    secret: str = "no"               # "no", "allowed" or "required"
    # Offline previews cannot decrypt `secure:` values; this stands in for them.
    placeholder: str = ""

    def default_for(self, environment: str) -> Any:
        return self.default(environment) if callable(self.default) else self.default

    @property
    def required(self) -> bool:
        return self.default is None


def _per_environment(dev: Any, prod: Any) -> Callable[[str], Any]:
    return lambda environment: prod if environment == "prod" else dev


OPTIONAL = ""  # default of optional string settings: empty means "not used"

SETTINGS: tuple[Setting, ...] = (
    Setting("environment", "environment", "string",
            "Which profile of defaults and checks applies.", "dev, prod",
            one_of(*ENVIRONMENTS), default="dev"),
    # network
    Setting("vpcCidr", "vpc_cidr", "IPv4 CIDR",
            "Address range of the VPC; split into a public and a private subnet per AZ.",
            "private range, /16 to /24", parse_vpc_cidr, default="10.0.0.0/16"),
    Setting("availabilityZoneCount", "availability_zone_count", "integer",
            "Availability Zones used by the VPC (the two node hosts run in two of them).",
            "2 or 3",
            int_between(2, 3), default=2),
    Setting("natGatewayStrategy", "nat_gateway_strategy", "string",
            "One NAT gateway for the VPC, or one per AZ so an AZ loss keeps egress.",
            "single, perAz", one_of("single", "perAz"),
            default=_per_environment("single", "perAz")),
    Setting("interfaceEndpoints", "interface_endpoints", "boolean",
            "Interface endpoints for SSM, Secrets Manager, CloudWatch and KMS so host API "
            "calls never leave the VPC.", "true, false", parse_bool, default=True),
    Setting("remoteAccessCidr", "remote_access_cidr", "IPv4 CIDR",
            "Who may reach the operator UI (load balancer) and the bastion's SSH.",
            "IPv4 CIDR; not 0.0.0.0/0 in prod", ipv4_cidr(0, 32)),
    # bastion
    Setting("bastionEnabled", "bastion_enabled", "boolean",
            "Run SSH bastion hosts; SSM Session Manager works without them.", "true, false",
            parse_bool, default=False),
    Setting("bastionCount", "bastion_count", "integer", "Bastion hosts in the group.",
            "1 or 2", int_between(1, 2), default=1),
    Setting("bastionInstanceType", "bastion_instance_type", "string",
            "EC2 instance type of the bastion hosts.", "EC2 instance type",
            parse_instance_type, default="t3.micro"),
    Setting("bastionKeyName", "bastion_key_name", "string",
            "EC2 key pair for SSH to the bastion; unset means EC2 Instance Connect or SSM only.",
            "existing key pair name", parse_key_pair_name, default=OPTIONAL),
    # node
    Setting("chainlinkVersion", "chainlink_version", "string",
            "Pinned Chainlink release run on both hosts (image "
            "public.ecr.aws/chainlink/chainlink).",
            "semver such as 2.29.0, or sha256:<digest>; not latest, no v, no -root",
            parse_chainlink_version),
    Setting("nodeInstanceType", "node_instance_type", "string",
            "EC2 instance type of the two node hosts (the docs advise against burstable types "
            "in production).", "EC2 instance type", parse_instance_type,
            default=_per_environment("t3.medium", "m6i.large")),
    Setting("nodeVolumeSizeGb", "node_volume_size_gb", "integer",
            "Size of each node host's encrypted gp3 root volume.", "20 to 1000",
            int_between(20, 1000), default=30),
    Setting("chain", "chain", "string",
            "The EVM chain the node serves: a network name from the chain table or a chain id.",
            "network name (see Chains) or positive integer", resolve_chain),
    Setting("rpcWsUrl", "rpc_ws_url", "URL",
            "WebSocket RPC endpoint of the chain's client; may carry an API key, so may be "
            "a secret.", "ws:// or wss:// URL", url_with_scheme("ws", "wss"),
            secret="allowed", placeholder="wss://rpc.offline-preview.invalid/ws"),
    Setting("rpcHttpUrl", "rpc_http_url", "URL",
            "HTTP RPC endpoint of the chain's client; providers embed API keys in it, so set "
            "it as a secret.", "http:// or https:// URL", url_with_scheme("http", "https"),
            secret="allowed", placeholder="https://rpc.offline-preview.invalid/http"),
    Setting("apiUserEmail", "api_user_email", "string",
            "E-mail of the node's admin user (created on first start).", "e-mail address",
            parse_email),
    Setting("apiPassword", "api_password", "secret",
            "Password of the node's admin user (used when the node first starts).",
            "16 to 50 characters (UTF-8 bytes), no surrounding whitespace or control "
            "characters, not containing apiUserEmail; set with --secret",
            parse_node_password, secret="required",
            placeholder="offline-preview-api-password"),
    Setting("keystorePassword", "keystore_password", "secret",
            "Password that encrypts the node's keystore in the database; never change it "
            "once the node has keys (see Restore from backup).",
            "16 to 50 characters (UTF-8 bytes), no surrounding whitespace or control "
            "characters; set with --secret",
            parse_node_password, secret="required",
            placeholder="offline-preview-keystore-password"),
    Setting("p2pEnabled", "p2p_enabled", "boolean",
            "Open the node's P2P (OCR) port behind a network load balancer with a stable "
            "announce address.", "true, false", parse_bool, default=False),
    Setting("p2pPort", "p2p_port", "integer", "The node's P2P v2 listen port.",
            "1024 to 65535", int_between(1024, 65535), default=6690),
    # load balancer
    Setting("certificateArn", "certificate_arn", "string",
            "ACM certificate for an internet-facing HTTPS load balancer; unset keeps the load "
            "balancer internal.", "ACM certificate ARN", parse_certificate_arn,
            default=OPTIONAL),
    # database
    Setting("backupRetentionDays", "backup_retention_days", "integer",
            "Days of Aurora automated backups (point-in-time restore window).",
            "1 to 35; at least 7 in prod", int_between(1, 35), default=7),
    Setting("dbInstanceClass", "db_instance_class", "string",
            "Instance class of the Aurora writer (and reader in prod).", "db.<family>.<size>",
            parse_db_instance_class,
            default=_per_environment("db.t4g.medium", "db.r6g.large")),
    Setting("dbEngineVersion", "db_engine_version", "string",
            "Aurora PostgreSQL engine version.", "major 14 to 17, such as 16.6",
            parse_postgres_version, default="16.6"),
    Setting("dbPort", "db_port", "integer", "Port the database listens on.",
            "1150 to 65535", int_between(1150, 65535), default=5432),
    Setting("hostSnapshotRetentionDays", "host_snapshot_retention_days", "integer",
            "Days the daily snapshots of the node hosts' volumes are kept (Data Lifecycle "
            "Manager).", "1 to 35", int_between(1, 35), default=7),
    Setting("backupCopyRegion", "backup_copy_region", "string",
            "Region the host-volume snapshots are also copied to (disaster recovery).",
            "AWS region", parse_region, default=OPTIONAL),
    # observability
    Setting("alarmEmail", "alarm_email", "string",
            "Where alarms are e-mailed (SNS subscription).", "e-mail address; required in prod",
            parse_email, default=OPTIONAL),
    Setting("logRetentionDays", "log_retention_days", "integer",
            "Retention of every log group (node, bootstrap, flow logs).",
            "a CloudWatch retention period (1, 3, 5, 7, 14, 30, 60, 90, ...)",
            parse_log_retention, default=_per_environment(7, 90)),
    Setting("minGasBalance", "min_gas_balance", "decimal",
            "Native-token balance (in the chain's own unit, such as ETH) below which a node "
            "account raises the low-gas alarm.", "positive decimal number",
            parse_positive_amount, default=_per_environment(0.1, 1.0)),
    Setting("devOpsGuruEnabled", "devops_guru_enabled", "boolean",
            "Amazon DevOps Guru over this stack's resources, with its own SNS topic and key.",
            "true, false", parse_bool, default=False),
    Setting("iamPermissionsBoundaryArn", "iam_permissions_boundary_arn", "string",
            "Permissions boundary set on every IAM role the stack creates; the bootstrap "
            "project's deployment role may create roles only inside it.", "IAM policy ARN",
            parse_policy_arn, default=OPTIONAL),
    Setting("bootstrapStack", "bootstrap_stack", "string",
            "The account's bootstrap stack, read with a StackReference for what the node "
            "stack needs of it (the permissions boundary, unless iamPermissionsBoundaryArn "
            "is set); empty: none.", "stack name (organization/project/stack on a "
            "self-managed backend)", parse_stack_reference,
            default=_per_environment(f"organization/{BOOTSTRAP_PROJECT}/dev",
                                     f"organization/{BOOTSTRAP_PROJECT}/prod")),
    Setting("devOpsGuruAdministratorAccountId", "devops_guru_administrator_account_id",
            "string", "Account allowed to manage DevOps Guru through StackSets; unset means "
            "this account.", "12-digit account id", parse_account_id, default=OPTIONAL),
)

SETTINGS_BY_KEY = {setting.key: setting for setting in SETTINGS}


@dataclass(frozen=True)
class StackConfig:
    """Validated configuration of one stack. Attribute names mirror the keys in snake_case."""

    stack: str
    environment: str
    vpc_cidr: str
    availability_zone_count: int
    nat_gateway_strategy: str
    interface_endpoints: bool
    remote_access_cidr: str
    bastion_enabled: bool
    bastion_count: int
    bastion_instance_type: str
    bastion_key_name: str
    chainlink_version: str
    node_instance_type: str
    node_volume_size_gb: int
    chain: Chain
    rpc_ws_url: str | SecretValue
    rpc_http_url: str | SecretValue
    api_user_email: str
    api_password: SecretValue
    keystore_password: SecretValue
    p2p_enabled: bool
    p2p_port: int
    certificate_arn: str
    backup_retention_days: int
    db_instance_class: str
    db_engine_version: str
    db_port: int
    host_snapshot_retention_days: int
    backup_copy_region: str
    alarm_email: str
    log_retention_days: int
    min_gas_balance: float
    devops_guru_enabled: bool
    iam_permissions_boundary_arn: str
    bootstrap_stack: str
    devops_guru_administrator_account_id: str

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def recovery_window_days(self) -> int:
        """Days a deleted secret or a key scheduled for deletion can still be recovered:
        the longest AWS allows in prod, the shortest in dev so a torn-down stack goes."""
        return 30 if self.is_prod else 7


def _parse_setting(setting: Setting, raw: str | None, is_secret: bool,
                   environment: str) -> Any:
    if raw is None:
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
    return _api_credential_problems(values) + _prod_problems(values)


def _api_credential_problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    email, password = values.get("api_user_email"), values.get("api_password")
    if not isinstance(email, str) or not isinstance(password, (str, SecretValue)):
        return []
    plain = password.reveal() if isinstance(password, SecretValue) else password
    if email.lower() in plain.lower():
        # The node refuses such a password whenever it is changed; refuse it from the start.
        return [("apiPassword", "must not contain apiUserEmail; choose another password")]
    return []


def _prod_problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    problems = []
    if values.get("environment") != "prod":
        return problems
    cidr = values.get("remote_access_cidr")
    if isinstance(cidr, str) and ipaddress.IPv4Network(cidr).prefixlen == 0:
        problems.append(("remoteAccessCidr", "must not be 0.0.0.0/0 in prod: name the "
                         "operators' network, for example 203.0.113.0/24"))
    retention = values.get("backup_retention_days")
    if isinstance(retention, int) and retention < PROD_MIN_BACKUP_RETENTION_DAYS:
        problems.append(("backupRetentionDays", f"must be at least "
                         f"{PROD_MIN_BACKUP_RETENTION_DAYS} in prod, got {retention}"))
    if values.get("alarm_email") == OPTIONAL and "alarm_email" in values:
        problems.append(("alarmEmail", "is required in prod: alarms must reach someone; "
                         "set it with `pulumi config set alarmEmail <address>`"))
    return problems


def parse_stack_config(raw: Mapping[str, str], stack: str,
                       secret_keys: set[str] | frozenset[str] = frozenset()) -> StackConfig:
    """Validate raw config values (keys without the namespace) into a StackConfig.

    Raises ConfigError listing one problem per bad key; unknown keys are problems too,
    because a misspelt key would otherwise be ignored silently.
    """
    problems: list[tuple[str, str]] = [
        (key, "is not a known setting; see the configuration table in README.md")
        for key in sorted(set(raw) - set(SETTINGS_BY_KEY))
    ]
    environment = raw.get("environment", "dev")
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


def load_from_pulumi() -> StackConfig:
    """Read this project's config the way the Pulumi language host hands it over."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    everything = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = set(runtime_config.get_config_secret_keys_env())
    raw: dict[str, str] = {}
    secret_local_keys: set[str] = set()
    for full_key, value in everything.items():
        namespace, key = split_namespace(full_key)
        if namespace != NAMESPACE:
            continue
        raw[key] = value
        if full_key in secret_keys or runtime_config.is_config_secret(full_key):
            secret_local_keys.add(key)
    return parse_stack_config(raw, pulumi.get_stack(), secret_local_keys)
