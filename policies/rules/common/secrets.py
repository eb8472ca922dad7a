"""Recognise secret names and plaintext secrets in text.

Names are judged by two configurable lists of case-insensitive regular expressions:
a name is secret when a secret pattern matches and no non-secret pattern does, so
`DB_PASSWORD` is secret while `DB_PASSWORD_ARN` and `KMS_KEY_ID` are references.
A value is a reference, not a secret, when it is a variable or command substitution,
an ARN, a path, a template or a secret-manager look-up. Values are recognised by Yelp's
detect-secrets (its regex detectors: AWS keys, private keys, GitHub/GitLab/Slack/Stripe/
npm/PyPI/OpenAI/... tokens, JWTs), with our reference veto around it; its keyword and
entropy detectors are left out (names are judged above; entropy flags hashes and ids).
Messages never repeat a value.
"""

from __future__ import annotations

import functools
import re
import shlex
from typing import Iterable, Iterator, Mapping

DEFAULT_SECRET_NAME_PATTERNS = (
    r"passw(or)?d",
    # dbPass, DB_PASS; not bypass, compass. RE2 has no look-behind, so the two letters before
    # `pass` are spelt out: anything but "by" and "com" (the engine validates these as RE2).
    r"(^|^.|[^ym]|[^b]y|[^o]m|^om|[^c]om)pass$",
    r"passphrase",
    r"secret",
    r"token",
    r"credential",
    r"keystore",
    r"(api|private|access|signing|encryption)[-_ ]?key",
    r"(^|[-_./ ])key$",
)
DEFAULT_NON_SECRET_NAME_PATTERNS = (
    r"([-_./ ]|^)(arn|id|ids|name|file|path|dir|url|uri|endpoint|region|ttl|seconds|timeout|length|"
    r"size|count|type|format|enabled|version|rotation\w*)$",
)

SECRET_NAME_SCHEMA = {
    "secretNamePatterns": {
        "type": "array",
        "items": {"type": "string", "format": "regex"},
        "default": list(DEFAULT_SECRET_NAME_PATTERNS),
        "description": "Case-insensitive regular expressions; a name matching one holds a secret.",
    },
    "nonSecretNamePatterns": {
        "type": "array",
        "items": {"type": "string", "format": "regex"},
        "default": list(DEFAULT_NON_SECRET_NAME_PATTERNS),
        "description": "Case-insensitive regular expressions that veto a secret name (e.g. *_ARN, *_ID).",
    },
}

# `{` covers templates and placeholders: {{resolve:...}}, f-string {password}, Go/Jinja {{ .x }}.
_REFERENCE_PREFIXES = ("$", "{", "arn:", "alias/", "/", "./", "~/", "file://", "ssm:", "secretsmanager:", "<", "%", "@")
_NOT_SECRET_WORDS = frozenset({"true", "false", "yes", "no", "null", "none", "on", "off"})
_ASSIGNMENT = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)[\"']?(?P<separator>[ \t]*[:=][ \t]*)"
    r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"',;]+)"
)
# Unquoted values that are program code, not data: calls, subscripts, attribute access.
_EXPRESSION = re.compile(r"[()\[\]]|^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]+:(?P<password>[^\s@/]+)@")
# detect-secrets types not used: a public IP is no secret; URL passwords are judged here, with the reference veto.
_NOT_RECOGNISED = frozenset({"Public IP (ipv4)", "Basic Auth Credentials"})
_FINDING_NAMES = {"AWS Access Key": "an AWS access key", "Private Key": "a private key"}


class SecretNames:
    def __init__(self, secret_patterns: Iterable[str], non_secret_patterns: Iterable[str]) -> None:
        self._secret = _combine(secret_patterns)
        self._non_secret = _combine(non_secret_patterns)

    @classmethod
    def from_config(cls, config: Mapping) -> "SecretNames":
        return cls(
            config.get("secretNamePatterns", DEFAULT_SECRET_NAME_PATTERNS),
            config.get("nonSecretNamePatterns", DEFAULT_NON_SECRET_NAME_PATTERNS),
        )

    def is_secret(self, name: str) -> bool:
        return bool(self._secret.search(name)) and not self.is_reference(name)

    def is_reference(self, name: str) -> bool:
        """A name that says it holds where a secret lives (an ARN, an id, a path), not the secret."""
        return bool(self._non_secret.search(name))

    def mentions_secret(self, text: str) -> bool:
        return bool(self._secret.search(text))


def _combine(patterns: Iterable[str]) -> re.Pattern:
    alternatives = [f"(?:{pattern})" for pattern in patterns]
    return re.compile("|".join(alternatives) or r"[^\s\S]", re.IGNORECASE)


def is_literal(value: str) -> bool:
    """A value written out in full, as opposed to a reference to where the secret lives."""
    stripped = value.strip().strip("\"'")
    if not stripped or stripped.lower() in _NOT_SECRET_WORDS:
        return False
    return not stripped.startswith(_REFERENCE_PREFIXES)


def variable_findings(name: str, value: str, names: SecretNames) -> Iterator[str | None]:
    """For one environment variable: None when a secret name holds a literal value, then
    each plaintext secret recognised in the value (the callers word their own messages)."""
    if names.is_secret(name) and is_literal(value):
        yield None
    yield from plaintext_secret_findings(value, names)


def _url_passwords(text: str) -> Iterator[re.Match]:
    # A URL holds no whitespace, so only words with "://" are searched: on a long base64 line
    # the scheme pattern would restart at every letter (quadratic in the line).
    for word in text.split():
        if "://" in word:
            yield from _URL_PASSWORD.finditer(word)


def plaintext_secret_findings(text: str, names: SecretNames) -> Iterator[str]:
    """One message per plaintext secret in `text`, naming where it is, never what it is."""
    text = _without_prose_in_comments(text)
    if names.mentions_secret(text):
        yield from _secret_assignments(text, names)
        yield from _secret_file_writes(text, names)
    if any(is_literal(match.group("password")) for match in _url_passwords(text)):
        yield "a URL with a password written into it"
    yield from recognised_secrets(text)


# Every token format detect-secrets knows has a run of 11+ [A-Za-z0-9_-] characters (or is a
# PEM header): only lines with one are handed to its detectors, which keeps scans cheap.
_WORD = re.compile(r"[^\s\"'=,;()]+")
_CANDIDATE_LINE = re.compile(r"^.*(?:[A-Za-z0-9_-]{11}|PRIVATE KEY).*$", re.MULTILINE)


# An ARN names a secret, it is none: "...:111111111111:chainlink-keystore-password-e9548f47"
# has the shape of a Telegram bot token. ARNs are cut out before the detectors look.
_ARN = re.compile(r"\barn:aws[\w-]*:[^\s\"',]*")


def recognised_secrets(text: str) -> Iterator[str]:
    """What detect-secrets recognises in `text`, one message per kind, references vetoed."""
    found: dict[str, None] = {}
    for line in _CANDIDATE_LINE.findall(text):
        found.update(dict.fromkeys(_recognised_in_line(_ARN.sub("arn", line))))
    yield from found


@functools.lru_cache(maxsize=8192)  # user data of many hosts shares most of its lines
def _recognised_in_line(line: str) -> tuple[str, ...]:
    words = _WORD.findall(line)
    return tuple(
        _FINDING_NAMES.get(secret_type, f"a recognisable {secret_type}")
        for secret_type, detector in _detectors()
        if any(_is_written_out(found, words) for found in detector.analyze_string(line))
    )


def _is_written_out(found: str, words: list[str]) -> bool:
    """The reference veto: a match inside a reference (an ARN, a path, `$VAR`) is not a secret."""
    return is_literal(found) and not any(found in word and not is_literal(word) for word in words)


@functools.lru_cache(maxsize=1)
def _detectors() -> tuple:
    """detect-secrets' regex detectors, imported on first use (the library pulls in requests)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    return tuple(
        (secret_type, detector())
        for secret_type, detector in sorted(get_mapping_from_secret_type_to_class().items())
        if issubclass(detector, RegexBasedDetector) and secret_type not in _NOT_RECOGNISED
    )


# `echo x > f`, `printf '%s' x >> f`, `echo x | tee -a f`: a literal written into a file.
_ECHO_INTO_FILE = re.compile(
    r"(?:^|[;&|]\s*|\bsudo\s+)(?P<command>echo|printf)\s+(?P<arguments>[^\n;&|>]*?)\s*"
    r"(?:>>?|\|\s*(?:sudo\s+)?tee(?:\s+-a)?)\s*(?P<path>[^\s;&|<>]+)",
    re.MULTILINE,
)
# `cat > f <<EOF`, `cat <<'EOF' > f`, `tee f <<EOF` ... up to the closing tag.
_HEREDOC_INTO_FILE = re.compile(  # the opening line; the body runs to the line holding only the tag
    r"^[^\n]*?\b(?:cat|tee(?:\s+-a)?)\s*(?:>>?\s*(?P<before>[^\s<>;&|]+)\s*)?(?P<path>[^\s<>;&|-][^\s<>;&|]*)?"
    r"\s*<<-?\s*['\"]?(?P<tag>\w+)['\"]?(?:\s*>>?\s*(?P<after>[^\s;&|]+))?[^\n]*\n",
    re.MULTILINE,
)


def _secret_file_writes(text: str, names: SecretNames) -> Iterator[str]:
    """Literals written by echo/printf/tee/heredoc into a file whose name says it holds a secret."""
    for match in _ECHO_INTO_FILE.finditer(text):
        path = match.group("path")
        if _secret_path(path, names) and _echoed_literal(match.group("command"), match.group("arguments")):
            yield f"a literal value written to {path}"
    for match in _HEREDOC_INTO_FILE.finditer(text):
        path = match.group("before") or match.group("after") or match.group("path")
        body = _heredoc_body(text[match.end():], match.group("tag"))
        lines = [line.strip() for line in body.splitlines() if line.strip()]
        if (path and lines and _secret_path(path, names) and is_literal(lines[0]) and "=" not in lines[0]
                and not any(recognised_secrets(body))):  # a recognised key is reported as such
            yield f"a literal value written to {path}"


def _heredoc_body(rest: str, tag: str) -> str:
    body = []
    for line in rest.splitlines():
        if line.strip() == tag:
            break
        body.append(line)
    return "\n".join(body)


def _secret_path(path: str, names: SecretNames) -> bool:
    return not path.startswith(("$", "/dev/")) and names.is_secret(path.rstrip("/").rsplit("/", 1)[-1])


def _echoed_literal(command: str, arguments: str) -> bool:
    try:
        words = shlex.split(arguments)
    except ValueError:
        words = arguments.split()
    words = [word for word in words if not (command == "echo" and word in ("-n", "-e", "-ne", "-en"))]
    if command == "printf" and len(words) > 1 and "%" in words[0]:
        words = words[1:]
    return bool(words) and all(is_literal(word) for word in words)


def _without_prose_in_comments(text: str) -> str:
    """Comment lines keep only their `name=value` assignments.

    "# sees a secret: the agent reads it" is prose, but "# PASSWORD=hunter2", commented out,
    still puts a password into the user data.
    """
    return "\n".join(_comment_assignments(line) if line.lstrip().startswith("#") else line
                     for line in text.splitlines())


def _comment_assignments(line: str) -> str:
    return " ".join(match.group(0) for match in _ASSIGNMENT.finditer(line)
                    if "=" in match.group("separator"))


def _secret_assignments(text: str, names: SecretNames) -> Iterator[str]:
    for match in _ASSIGNMENT.finditer(text):
        name, raw_value = match.group("name"), match.group("value")
        if names.is_secret(name) and _assigns_literal(name, match.group("separator"), raw_value):
            yield f"a literal value for {name}"
        if "=" in raw_value:  # e.g. Environment="DB_PASSWORD=..." nests an assignment in a value
            yield from _secret_assignments(raw_value.strip("\"'"), names)


def _assigns_literal(name: str, separator: str, raw_value: str) -> bool:
    """A written-out value; in code (`password = secret["x"]`, `password=password`) a variable is not one."""
    value = raw_value.strip("\"'")
    if not is_literal(value):
        return False
    if raw_value[0] in "\"'":
        return True
    if _EXPRESSION.search(value) or value.lower() == name.lower():
        return False
    # `name = word` with spaces is code or TOML/INI; TOML quotes its strings, code names a variable.
    return not (separator.strip() == "=" and separator != "=" and _IDENTIFIER.fullmatch(value))
