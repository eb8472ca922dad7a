"""Pulumi wire-form values, as rules see them.

Resource inputs arrive in Pulumi's wire form: secrets are objects tagged with a
signature, values not yet known at preview are sentinel strings. `normalise` gives
rules what the real engine gives them: a secret whose plaintext is on hand (mocks'
`value`, `stack export --show-secrets`' `plaintext`) is unwrapped, because the
engine's policy SDK unwraps secrets before any rule runs, and a wrapper is no
evidence that the data is secret (pulumi-aws marks every SSM parameter value secret).
Only ciphertext becomes the `SECRET` marker, and unknowns `UNKNOWN`: content the
rules cannot read. The readers below answer `None` when a value cannot be judged;
rules report nothing in that case.
"""

from __future__ import annotations

import json
from typing import Any

SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"
SECRET_PLACEHOLDER = "[secret]"

# One sentinel per kind of unknown (bool, number, string, array, asset, archive, object).
UNKNOWN_SENTINELS = frozenset({
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
})


class _Marker:
    __slots__ = ("_label",)

    def __init__(self, label: str) -> None:
        self._label = label

    def __repr__(self) -> str:
        return self._label


SECRET = _Marker("SECRET")
UNKNOWN = _Marker("UNKNOWN")


def is_secret_wire_value(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIGNATURE_KEY) == SECRET_SIGNATURE


def normalise(value: Any) -> Any:
    """Wire form to plain data as the engine's rules see it; unreadable content as markers."""
    if isinstance(value, dict):
        if is_secret_wire_value(value):
            return _revealed(value)
        return {key: normalise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalise(item) for item in value]
    if isinstance(value, str) and value in UNKNOWN_SENTINELS:
        return UNKNOWN
    return value


def _revealed(wrapped: dict) -> Any:
    if "value" in wrapped:
        return normalise(wrapped["value"])
    plaintext = wrapped.get("plaintext")
    if isinstance(plaintext, str):
        try:
            return normalise(json.loads(plaintext))
        except ValueError:
            return SECRET
    return SECRET


def mask_secrets(value: Any) -> Any:
    """Wire form with every secret replaced by "[secret]"; everything else unchanged."""
    if isinstance(value, dict):
        if is_secret_wire_value(value):
            return SECRET_PLACEHOLDER
        return {key: mask_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    return value


def is_opaque(value: Any) -> bool:
    return value is SECRET or value is UNKNOWN


def flag(value: Any, default: bool = False) -> bool | None:
    """A boolean input, also in the string form some providers use ("true")."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered == "":
            return default
    return None


def number(value: Any, default: float | None = None) -> float | None:
    if value is None:
        return default
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def is_set(value: Any) -> bool | None:
    """Whether an input is given; a secret counts as given, an unknown can't be judged."""
    if value is UNKNOWN:
        return None
    return value is not None and value != ""


def text(value: Any) -> str | None:
    """A plain string, or None for anything else (missing, secret, unknown, non-string)."""
    return value if isinstance(value, str) else None


def dig(value: Any, *path: str) -> Any:
    """Walk nested objects; a missing step gives None, an opaque step gives the marker."""
    for key in path:
        if is_opaque(value):
            return value
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def items(value: Any) -> list:
    """A list input as a list of its entries; a single object counts as one entry."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value]
    return []


def shown(value: Any) -> str:
    """A non-secret input value as a message shows it."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)
