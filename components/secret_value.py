"""SecretValue: a plain value a tier must keep secret (stack_config hands tiers these)."""

from __future__ import annotations


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
