"""The demo in a real browser: scripts/demo's Home Assistant, driven by Chromium.

Runs in the demo's environment (`scripts/demo --prepare --browser`), not in
.venv: `scripts/test` runs it as its own stage. Needs Debian's `chromium`
(Playwright cannot download browsers here); in CI a missing chromium fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
import json
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import time
from typing import Any
import urllib.request

from playwright.sync_api import (
    Browser,
    Error as PlaywrightError,
    Locator,
    Page,
    expect,
    sync_playwright,
)
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / ".demo" / "screenshots"
SAUNA = "Home Sauna"
READY = re.compile(r"^Ready: (\S+)  user: demo  password: (\S+)$")
# Generous: the machine may be busy; nothing here waits on a fixed sleep.
UI_TIMEOUT = 60_000  # ms


@dataclass
class Demo:
    """A running scripts/demo."""

    url: str
    password: str
    simulator: str

    def cabin(self) -> dict[str, Any]:
        """The simulated Home Sauna's cabin, from the simulator's admin API."""
        with urllib.request.urlopen(f"{self.simulator}/_admin/state") as reply:  # noqa: S310 - loopback
            state = json.load(reply)
        [device] = [d for d in state["devices"] if d["name"] == SAUNA]
        return dict(device["cabins"]["C1"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's chromium; missing fails in CI and skips elsewhere."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is missing: .ci/run installs it with apt-get")
    pytest.skip("chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def demo(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """scripts/demo on a free port with a fresh configuration."""
    config = tmp_path_factory.mktemp("demo-config")
    process = subprocess.Popen(  # noqa: S603 - our own script
        [
            str(ROOT / "scripts" / "demo"),
            "--port",
            str(_free_port()),
            "--config",
            str(config),
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    match = None
    for line in process.stdout:  # progress goes to stderr; stdout is this line
        if match := READY.match(line.strip()):
            break
    assert match is not None, f"scripts/demo exited with {process.wait()}"
    port = json.loads((config / "harvia_demo.json").read_text())["simulator_port"]
    yield Demo(match[1], match[2], f"http://127.0.0.1:{port}")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=120) == 0


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    """Headless Chromium."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(browser: Browser, demo: Demo) -> Iterator[Page]:
    """Signed in as the demo user, on the dashboard."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.set_default_timeout(UI_TIMEOUT)
    page.goto(demo.url)
    page.fill("input[name=username]", "demo")
    page.fill("input[name=password]", demo.password)
    page.keyboard.press("Enter")
    try:
        thermostat(page).wait_for()
    except PlaywrightError:
        page.screenshot(path=SCREENSHOTS / "failed-login.png")
        raise
    yield page
    page.close()


def thermostat(page: Page) -> Locator:
    """The Home Sauna's thermostat card."""
    return page.locator("hui-thermostat-card", has_text=SAUNA)


def shown_temperature(card: Locator) -> float:
    """The current temperature the card shows (e.g. "21 °C" or "35.5 °C")."""
    text = card.locator("p.label.secondary").inner_text()
    match = re.search(r"(-?\d+(?:[.,]\d+)?)\s*°C", text)
    assert match is not None, text
    return float(match[1].replace(",", "."))


def wait_until(check: Any, what: str, timeout: float = UI_TIMEOUT / 1000) -> None:
    """Poll `check` (the simulator or the page) until it holds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def test_thermostat_card_shows_and_starts_the_sauna(page: Page, demo: Demo) -> None:
    """The card shows the simulated cabin's temperature; switching it to heat
    in the page starts the simulated sauna, whose warming then shows."""
    card = thermostat(page)
    cabin = demo.cabin()
    assert cabin["saunaStatus"] == 0
    expect(card.locator("p.label").first).to_have_text("Off")
    assert shown_temperature(card) == round(cabin["temp"])
    page.screenshot(path=SCREENSHOTS / "dashboard-off.png")

    card.get_by_role("radio", name="Heat").click()
    wait_until(lambda: demo.cabin()["saunaStatus"] == 1, "the simulated sauna to start")
    expect(card.locator("p.label").first).to_have_text("Heating")
    # The simulator warms about 15 °C a minute at the demo's speed; its pushes
    # reach the card within seconds.
    start = shown_temperature(card)
    wait_until(lambda: shown_temperature(card) >= start + 5, "the card to warm up")
    live = demo.cabin()["temp"]
    assert abs(shown_temperature(card) - live) < 5
    page.screenshot(path=SCREENSHOTS / "dashboard-heating.png")


def test_device_page(page: Page, demo: Demo) -> None:
    """The sauna's device page lists its controls, sensors and diagnostics."""
    device_id = page.evaluate(
        """(name) => Object.values(document.querySelector("home-assistant").hass.devices)
            .find((d) => d.name === name).id""",
        SAUNA,
    )
    page.goto(f"{demo.url}/config/devices/device/{device_id}")
    body = page.locator("ha-device-entities-card").first
    body.wait_for()
    for name in ("Light", "Remote start allowed", "Time to target temperature"):
        expect(page.get_by_text(name, exact=True).first).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "device.png", full_page=True)
