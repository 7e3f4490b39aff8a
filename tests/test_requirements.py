"""The manifest's requirements install under Home Assistant's own constraints.

Home Assistant installs a custom integration's requirements with its
package_constraints.txt; a version it forbids stops the integration from
loading. The test plugin's pip install does not apply those constraints, so
this checks them for the release under test (2026.2.3 in .venv, 2026.11 in
.venv-latest) and for the current release (the one requirements_test_latest.txt
pins), whichever environment runs it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import re
import subprocess
import sys
import zipfile

import homeassistant
import pytest

ROOT = Path(__file__).parent.parent
MANIFEST = ROOT / "custom_components" / "harvia" / "manifest.json"
LATEST_REQUIREMENTS = ROOT / "requirements_test_latest.txt"
CURRENT_RELEASE = re.search(  # type: ignore[union-attr]
    r"^homeassistant==(\S+)$", LATEST_REQUIREMENTS.read_text(), re.MULTILINE
).group(1)
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
    """The Home Assistant under test accepts our requirements."""
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
    """The current release (Python 3.14) accepts our requirements."""
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


# Lines of Home Assistant's constraints that forbid what our requirement (gql)
# could pull in, each with a requirement that breaks it.
FORBIDDEN = {"gql<4.0.0": "gql==4.0.0", "graphql-core<3.3": "graphql-core>=3.3.0a1"}


def test_forbidden_version_is_caught() -> None:
    """The check bites: what the release under test forbids is refused.

    The same requirement resolves without the constraints, so the refusal is
    the constraints' doing.
    """
    constraints = Path(homeassistant.__file__).parent / "package_constraints.txt"
    lines = set(constraints.read_text().splitlines())
    probes = [probe for line, probe in FORBIDDEN.items() if line in lines]
    assert probes, "the release forbids none of FORBIDDEN any more: update it"
    for probe in probes:
        options = ("install", "--dry-run", "--ignore-installed", "--quiet", "--pre")
        assert _pip(*options, "-c", str(constraints), probe).returncode != 0, probe
        free = _pip(*options, probe)
        assert free.returncode == 0, free.stderr[-2000:]


def _pins(path: Path) -> dict[str, str]:
    """Package name -> pinned version of a requirements file."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if match := re.match(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)$", line.strip()):
            pins[match.group(1).split("[")[0].lower()] = match.group(2)
    return pins


def test_both_environments_pin_the_same_tools() -> None:
    """Everything but Home Assistant and its test plugin is pinned alike.

    Otherwise a check (the integration's gql, hypothesis, ruff, mypy) could pass
    on one release only because it runs another version there.
    """
    baseline = _pins(ROOT / "requirements_test.txt")
    latest = _pins(LATEST_REQUIREMENTS)
    releases = {"homeassistant", "pytest-homeassistant-custom-component"}
    shared = {
        name: version for name, version in baseline.items() if name not in releases
    }
    assert shared
    assert {name: latest.get(name) for name in shared} == shared
    assert latest.keys() - releases == shared.keys()
