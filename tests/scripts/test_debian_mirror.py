"""scripts/debian_mirror.py finds the machine's Debian archive in apt's sources."""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

import pytest

from scripts import debian_mirror

SCRIPT = Path(debian_mirror.__file__)
MIRROR = "http://mirror.example.test/debian"
OTHER = "http://other-mirror.example.test/debian"


SECURITY_DEB822 = f"""\
Types: deb
URIs: {OTHER}-security
Suites: bookworm-security
Components: main
"""

DEBIAN_DEB822 = f"""\
Types: deb
# http://snapshot.example.test/archive/debian/20250520T000000Z
URIs: {MIRROR}
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""

NODESOURCE_DEB822 = """\
Types: deb
URIs: https://node.example.test/node_20.x
Suites: nodistro
Components: main
Architectures: amd64
"""


def _etc(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_deb822_picks_the_archive_not_security_or_third_party(tmp_path: Path) -> None:
    """Security first in the file, a third party before it: the archive wins."""
    etc = _etc(
        tmp_path,
        {
            "sources.list.d/aaa-nodesource.sources": NODESOURCE_DEB822,
            "sources.list.d/debian.sources": f"{SECURITY_DEB822}\n{DEBIAN_DEB822}",
            "sources.list.d/google.list": (
                "deb https://packages.example.test/apt cloud-sdk-bookworm main\n"
            ),
        },
    )
    assert debian_mirror.debian_mirror(etc) == MIRROR


def test_one_line_list_with_options(tmp_path: Path) -> None:
    """`.list` lines with [options], comments and a trailing slash."""
    etc = _etc(
        tmp_path,
        {
            "sources.list": (
                "# deb http://old.example.test/debian buster main\n"
                f"deb [signed-by=/usr/share/keyrings/x.gpg arch=amd64] {OTHER}-security"
                " trixie-security main\n"
                f"deb-src {MIRROR}/ trixie main contrib  # sources too\n"
            ),
        },
    )
    assert debian_mirror.debian_mirror(etc) == MIRROR


def test_sources_list_comes_before_parts(tmp_path: Path) -> None:
    etc = _etc(
        tmp_path,
        {
            "sources.list": f"deb {OTHER} sid main\n",
            "sources.list.d/debian.sources": DEBIAN_DEB822,
        },
    )
    assert debian_mirror.debian_mirror(etc) == OTHER


@pytest.mark.parametrize(
    "stanza",
    [
        pytest.param(DEBIAN_DEB822 + "Enabled: no\n", id="disabled"),
        pytest.param(DEBIAN_DEB822.replace("main", "contrib"), id="no-main"),
        pytest.param(
            DEBIAN_DEB822.replace("bookworm bookworm-updates", "bookworm-security"),
            id="security-suite",
        ),
        pytest.param(
            DEBIAN_DEB822.replace(MIRROR, "http://repo.example.test/ubuntu"),
            id="not-a-debian-path",
        ),
        pytest.param(DEBIAN_DEB822.replace(MIRROR, "cdrom:/debian"), id="cdrom"),
    ],
)
def test_entries_that_are_not_the_archive(tmp_path: Path, stanza: str) -> None:
    etc = _etc(
        tmp_path,
        {
            "sources.list.d/debian.sources": stanza,
            "sources.list.d/debian.sources.disabled": DEBIAN_DEB822,
            "sources.list.d/nodesource.sources": NODESOURCE_DEB822,
        },
    )
    assert debian_mirror.debian_mirror(etc) is None


def test_continuation_lines_and_backports(tmp_path: Path) -> None:
    """deb822 fields may continue on indented lines."""
    etc = _etc(
        tmp_path,
        {
            "sources.list.d/debian.sources": (
                f"Types: deb deb-src\nURIs:\n {MIRROR}\nSuites:\n"
                " trixie-backports\nComponents: main\n"
            )
        },
    )
    assert debian_mirror.debian_mirror(etc) == MIRROR


def test_command_line(tmp_path: Path) -> None:
    """The script prints the mirror, or fails with a clear message."""
    etc = _etc(tmp_path / "etc", {"sources.list.d/debian.sources": DEBIAN_DEB822})
    found = subprocess.run(  # noqa: S603
        [sys.executable, str(SCRIPT), str(etc)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (found.returncode, found.stdout) == (0, f"{MIRROR}\n")
    missing = subprocess.run(  # noqa: S603
        [sys.executable, str(SCRIPT), str(tmp_path / "empty")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 1
    assert missing.stdout == ""
    assert "no Debian archive" in missing.stderr
    assert "HARVIA_DEBIAN_MIRROR" in missing.stderr
