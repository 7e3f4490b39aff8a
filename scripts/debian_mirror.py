#!/usr/bin/env python3
"""Print the Debian archive mirror this machine's apt already uses.

scripts/setup fetches Debian packages (Python sources and binaries) through a
private apt configuration; the mirror comes from the machine's own apt sources
so the repository names no registry host. Reads one-line `.list` files and
deb822 `.sources` files and picks the main Debian archive: a Debian release
suite (not -security) with the `main` component; third-party repositories
(their suites are not Debian releases) are skipped.

Runs on the system's python3 (stdlib only), before any project Python exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
import sys

APT_ETC = Path("/etc/apt")

# Debian's release codenames and aliases. Third-party repositories name their
# own suites (nodistro, cloud-sdk-bookworm); one that reuses a Debian name is
# ruled out by the URI, whose path must end in /debian like Debian's mirrors.
RELEASES = frozenset(
    {
        "buster",
        "bullseye",
        "bookworm",
        "trixie",
        "forky",
        "duke",
        "sid",
        "oldoldstable",
        "oldstable",
        "stable",
        "testing",
        "unstable",
        "experimental",
    }
)
SUITE_SUFFIXES = ("-updates", "-backports", "-proposed-updates")


@dataclass(frozen=True)
class Source:
    """One `deb` or `deb-src` source: a URI with its suites and components."""

    types: tuple[str, ...]
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]
    enabled: bool = True


def _strip_options(words: list[str]) -> list[str]:
    """Drop a one-line entry's `[arch=amd64 signed-by=...]` options."""
    if words and words[0].startswith("["):
        while words and not words[0].endswith("]"):
            words = words[1:]
        words = words[1:]
    return words


def parse_list(text: str) -> Iterator[Source]:
    """Sources of a one-line-style `sources.list` file."""
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        kind, rest = words[0], _strip_options(words[1:])
        if kind not in ("deb", "deb-src") or len(rest) < 2:
            continue
        yield Source((kind,), rest[0], (rest[1],), tuple(rest[2:]))


def parse_deb822(text: str) -> Iterator[Source]:
    """Sources of a deb822-style `.sources` file (stanzas split by blank lines)."""
    stanzas: list[dict[str, str]] = []
    fields: dict[str, str] = {}
    key = ""
    for raw in [*text.splitlines(), ""]:
        if raw.startswith("#"):
            continue
        if not raw.strip():
            if fields:
                stanzas.append(fields)
            fields, key = {}, ""
            continue
        if raw[0] in " \t" and key:
            fields[key] += " " + raw.strip()
            continue
        name, _, value = raw.partition(":")
        key = name.strip().lower()
        fields[key] = value.strip()
    for stanza in stanzas:
        uris = stanza.get("uris", "").split()
        for uri in uris:
            yield Source(
                tuple(stanza.get("types", "").split()),
                uri,
                tuple(stanza.get("suites", "").split()),
                tuple(stanza.get("components", "").split()),
                stanza.get("enabled", "yes").lower() not in ("no", "false", "0"),
            )


def is_debian_archive(source: Source) -> bool:
    """True for the main Debian archive (not security, not a third party)."""
    if not source.enabled or "main" not in source.components:
        return False
    uri = source.uri.rstrip("/")
    if not uri.startswith(("http://", "https://")) or not uri.endswith("/debian"):
        return False
    return any(_release(suite) in RELEASES for suite in source.suites)


def _release(suite: str) -> str:
    """`bookworm-updates` -> `bookworm`; `bookworm-security` stays as it is."""
    for suffix in SUITE_SUFFIXES:
        if suite.endswith(suffix):
            return suite.removesuffix(suffix)
    return suite


def apt_sources(etc: Path = APT_ETC) -> Iterable[Source]:
    """Every source of the apt configuration under `etc`, in apt's order."""
    main = etc / "sources.list"
    if main.is_file():
        yield from parse_list(main.read_text(errors="replace"))
    parts = etc / "sources.list.d"
    if parts.is_dir():
        for path in sorted(parts.iterdir()):
            if path.suffix == ".list":
                yield from parse_list(path.read_text(errors="replace"))
            elif path.suffix == ".sources":
                yield from parse_deb822(path.read_text(errors="replace"))


def debian_mirror(etc: Path = APT_ETC) -> str | None:
    """The URI of the machine's main Debian archive, without a trailing slash."""
    for source in apt_sources(etc):
        if is_debian_archive(source):
            return source.uri.rstrip("/")
    return None


def main(argv: list[str]) -> int:
    """Print the mirror, or explain on stderr why there is none."""
    etc = Path(argv[1]) if len(argv) > 1 else APT_ETC
    mirror = debian_mirror(etc)
    if mirror is None:
        print(
            f"no Debian archive (a 'deb' source for a Debian release with 'main') in "
            f"{etc}/sources.list or {etc}/sources.list.d/*.list|*.sources; "
            "add one or set HARVIA_DEBIAN_MIRROR",
            file=sys.stderr,
        )
        return 1
    print(mirror)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
