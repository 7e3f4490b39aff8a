"""The manifest's requirements install under Home Assistant's own constraints.

Home Assistant installs a custom integration's requirements with its
package_constraints.txt; a version it forbids stops the integration from
loading. The test plugin's pip install does not apply those constraints, so
this checks them for the release we test (2026.2.3) and the current one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import subprocess
import sys
import zipfile

import homeassistant
import pytest

ROOT = Path(__file__).parent.parent
MANIFEST = ROOT / "custom_components" / "harvia" / "manifest.json"
CURRENT_RELEASE = "2026.11.0"
CURRENT_PYTHON = "3.14.2"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "harvia-python"


def _requirements() -> list[str]:
    return list(json.loads(MANIFEST.read_text())["requirements"])


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def _current_release_constraints(tmp_path: Path) -> Path:
    """package_constraints.txt from the current release's wheel (cached)."""
    cached = CACHE / f"package_constraints-{CURRENT_RELEASE}.txt"
    if cached.exists():
        return cached
    result = _pip(
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--python-version",
        CURRENT_PYTHON,
        "--dest",
        str(tmp_path),
        f"homeassistant=={CURRENT_RELEASE}",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    wheel = next(tmp_path.glob("homeassistant-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read("homeassistant/package_constraints.txt").decode()
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(text)
    return cached


def test_requirements_fit_tested_release(tmp_path: Path) -> None:
    """Home Assistant 2026.2.3 (the one under test) accepts our requirements."""
    constraints = Path(homeassistant.__file__).parent / "package_constraints.txt"
    result = _pip(
        "install",
        "--dry-run",
        "--ignore-installed",
        "--quiet",
        "-c",
        str(constraints),
        *_requirements(),
    )
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.timeout(900)
def test_requirements_fit_current_release(tmp_path: Path) -> None:
    """The current release (2026.11, Python 3.14) accepts our requirements."""
    constraints = _current_release_constraints(tmp_path)
    result = _pip(
        "install",
        "--dry-run",
        "--ignore-installed",
        "--quiet",
        "--only-binary=:all:",
        "--python-version",
        CURRENT_PYTHON,
        "--target",
        str(tmp_path / "target"),
        "-c",
        str(constraints),
        *_requirements(),
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_forbidden_version_is_caught(tmp_path: Path) -> None:
    """The check bites: gql 4 is refused by 2026.2.3's constraints."""
    constraints = Path(homeassistant.__file__).parent / "package_constraints.txt"
    result = _pip(
        "install",
        "--dry-run",
        "--ignore-installed",
        "--quiet",
        "-c",
        str(constraints),
        "gql==4.0.0",
    )
    assert result.returncode != 0
