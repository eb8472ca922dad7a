"""Chainlink version pins and their order: semver releases and image digests.

A pin is what `chainlink-node-aws:chainlinkVersion` accepts (see stack_config/keys.py):
a semantic version such as 2.29.0 or 2.30.0-beta.1, or an image digest sha256:<64 hex>.
Releases are ordered by semver precedence; digests carry no order at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from stack_config import parse_chainlink_version

DIGEST_PREFIX = "sha256:"


@dataclass(frozen=True)
class VersionPin:
    text: str

    @classmethod
    def parse(cls, text: str) -> "VersionPin":
        """Raises ValueError naming what is allowed when `text` is not a pin."""
        return cls(parse_chainlink_version(text))

    @property
    def is_digest(self) -> bool:
        return self.text.startswith(DIGEST_PREFIX)

    def precedence(self) -> tuple:
        """Sort key by semver precedence (semver.org, rule 11); undefined for digests."""
        if self.is_digest:
            raise ValueError(f"an image digest has no order: {self.text}")
        release, _, prerelease = self.text.partition("-")
        major, minor, patch = (int(part) for part in release.split("."))
        if not prerelease:
            # A release ranks above every pre-release of the same version.
            return (major, minor, patch, 1, ())
        return (major, minor, patch, 0, tuple(_identifier_key(part)
                                              for part in prerelease.split(".")))


def _identifier_key(identifier: str) -> tuple[int, int, str]:
    """Numeric identifiers compare as numbers and rank below alphanumeric ones."""
    if identifier.isdigit():
        return (0, int(identifier), "")
    return (1, 0, identifier)
