"""Release numbers and the ranges that map them to profiles."""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version


class VersionError(ValueError):
    """A release number or range that cannot be understood."""


def parse_release(text: str) -> Version:
    try:
        return Version(text.strip().removeprefix("v"))
    except InvalidVersion:
        raise VersionError(f"{text!r} is not a release number (expected e.g. 0.9.2)") from None


def parse_range(text: str) -> SpecifierSet:
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        raise VersionError(f"{text!r} is not a version range (expected e.g. >=0.9,<0.10)") from None


def contains(spec: SpecifierSet, release: Version) -> bool:
    # Post and dev releases (0.6.4.post1) belong to the range of their base release.
    return spec.contains(release, prereleases=True) or spec.contains(
        Version(release.base_version), prereleases=True
    )
