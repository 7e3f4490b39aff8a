"""Run the demo: harvia_simulator and a real Home Assistant with the integration.

Started by `scripts/demo` inside the demo's own environment (`.demo/venv`).
The first start onboards Home Assistant (user `demo`, a generated password,
location, units) and adds the integration through its real config flow with the
simulator's demo account; later starts reuse the configuration. Prints one
`Ready: ...` line on stdout when the sauna's entities are loaded, progress on
stderr, and stops Home Assistant and the simulator on Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
from collections.abc import Iterator
import contextlib
import json
import os
from pathlib import Path
import re
import secrets
import signal
import socket
import sys
import time
from types import ModuleType
from typing import Any

import aiohttp

from harvia_simulator.__main__ import DEMO_EMAIL, DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / ".demo"
USERNAME = "demo"
DASHBOARD = "dashboard-saunas"  # the dashboard the demo opens on
SPEED = 10.0  # virtual seconds per real second: a cabin warms ~15 °C a minute
START_TIMEOUT = 600.0  # s: Home Assistant's first start on a slow machine
STOP_TIMEOUT = 60.0
# What a dashboard, Assist by text and blueprints need; not default_config,
# whose discovery, Bluetooth, cloud and media parts need more packages and
# hardware and reach out to the network. `frontend` pulls in api, auth,
# config, lovelace, onboarding, search, websocket_api, ...
INTEGRATIONS = (
    "frontend",
    "automation",
    "blueprint",
    "conversation",
    "history",
    "logbook",
    "person",
    "repairs",
    "script",
    "sun",
    "system_health",
    "zone",
)
# What finishing onboarding's core_config step sets up on its own.
ONBOARDING_EXTRAS = frozenset(
    {"google_translate", "met", "radio_browser", "shopping_list"}
)
LOCATION = {  # Tampere, Finland: sauna country
    "latitude": 61.4981,
    "longitude": 23.7610,
    "elevation": 110,
    "unit_system": "metric",
    "time_zone": "Europe/Helsinki",
    "currency": "EUR",
    "country": "FI",
    "language": "en",
}


class DemoError(Exception):
    """Why the demo could not start."""


class ApiError(DemoError):
    """Home Assistant refused a request."""


def log(message: str) -> None:
    """Progress for the person at the terminal."""
    print(f"[demo] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_free(port: int) -> bool:
    """Whether a server can listen on `port` of 127.0.0.1 now (connections
    of a stopped one, in TIME_WAIT, do not count: servers reuse the address)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def requirements() -> list[str]:
    """The packages INTEGRATIONS and their dependencies need, from their
    manifests (installed before the first start, so Home Assistant installs
    nothing while it starts)."""
    import homeassistant.components
    import homeassistant.helpers.service

    components = Path(homeassistant.components.__file__).parent
    needed: set[str] = set()
    seen: set[str] = set()
    todo = [*INTEGRATIONS, *_imported_by_action_list(homeassistant.helpers.service)]
    while todo:
        if (domain := todo.pop()) in seen:
            continue
        seen.add(domain)
        manifest = json.loads((components / domain / "manifest.json").read_text())
        needed.update(manifest.get("requirements", []))
        todo.extend(manifest.get("dependencies", []))
        todo.extend(_imports(components / domain))
    return sorted(needed)


def _imports(package: Path) -> set[str]:
    """The components a component's modules import when they load (camera
    imports stream without declaring it a dependency)."""
    found: set[str] = set()
    for module in package.glob("*.py"):
        for node in ast.parse(module.read_text()).body:
            if isinstance(node, ast.ImportFrom) and node.module:
                parts = node.module.split(".")
                if parts[:2] == ["homeassistant", "components"]:
                    found.update(
                        [parts[2]] if len(parts) > 2 else [a.name for a in node.names]
                    )
    return found


def _imported_by_action_list(module: ModuleType) -> list[str]:
    """The entity components Home Assistant's action list (the frontend loads
    it) imports, set up or not: its `_base_components()`. Importing them needs
    their packages (camera imports stream and numpy, assist_satellite tts...)."""
    tree = ast.parse(Path(str(module.__file__)).read_text())
    return [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "_base_components"
        for statement in ast.walk(node)
        if isinstance(statement, ast.ImportFrom)
        and statement.module == "homeassistant.components"
        for alias in statement.names
    ]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__)
    parser.add_argument("--requirements", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant's port")
    parser.add_argument(
        "--config",
        type=Path,
        default=DEMO_DIR / "config",
        help="Home Assistant's configuration folder (default .demo/config)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=SPEED,
        help=f"the simulator's virtual seconds per real second (default {SPEED:g})",
    )
    return parser.parse_args(argv)


class DemoState:
    """What later starts reuse: the generated password, the simulator's port."""

    def __init__(self, config: Path) -> None:
        self.path = config / "harvia_demo.json"
        self.data: dict[str, Any] = (
            json.loads(self.path.read_text()) if self.path.exists() else {}
        )

    def save(self) -> None:
        """Write it readable by the owner only (it holds the demo password)."""
        self.path.touch(mode=0o600, exist_ok=True)
        self.path.write_text(json.dumps(self.data, indent=2) + "\n")


def write_configuration(config: Path, port: int) -> None:
    """configuration.yaml: the chosen integrations on 127.0.0.1:port."""
    lines = [
        "# Written by scripts/demo on every start; edits are overwritten.",
        "homeassistant:",
        "  name: Harvia demo",
        "http:",
        "  server_host: 127.0.0.1",
        f"  server_port: {port}",
        "logger:",
        "  default: warning",
        "  logs:",
        "    custom_components.harvia: info",
        *(f"{name}:" for name in INTEGRATIONS),
        "",
    ]
    (config / "configuration.yaml").write_text("\n".join(lines))
    for name in ("automations.yaml", "scripts.yaml"):
        if not (path := config / name).exists():
            path.write_text("[]\n" if name == "automations.yaml" else "{}\n")
    # The integration and its blueprints as they are in this checkout.
    for link, target in (
        (config / "custom_components" / "harvia", ROOT / "custom_components/harvia"),
        (
            config / "blueprints" / "automation" / "harvia",
            ROOT / "blueprints/automation/harvia",
        ),
    ):
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.is_symlink():
            link.symlink_to(target, target_is_directory=True)


def repoint_entry(config: Path, endpoints_url: str) -> None:
    """Give the stored config entry the simulator's current URL (Home Assistant
    is not running yet; the port changes only when the old one is taken)."""
    path = config / ".storage" / "core.config_entries"
    if not path.exists():
        return
    stored = json.loads(path.read_text())
    for entry in stored["data"]["entries"]:
        if entry["domain"] == "harvia":
            entry["data"]["endpoints_url"] = endpoints_url
    path.write_text(json.dumps(stored, indent=2))


class Processes:
    """The simulator and Home Assistant as child processes, stopped in order."""

    def __init__(self) -> None:
        self.children: list[tuple[str, asyncio.subprocess.Process]] = []

    async def start(self, name: str, *args: str, **kwargs: Any) -> Any:
        """Start a child in its own session (Ctrl-C reaches only this script)."""
        process = await asyncio.create_subprocess_exec(
            *args, start_new_session=True, **kwargs
        )
        self.children.append((name, process))
        return process

    def dead(self) -> str | None:
        """The name of a child that has exited, if any."""
        return next(
            (name for name, proc in self.children if proc.returncode is not None),
            None,
        )

    async def stop(self) -> None:
        """SIGTERM each (Home Assistant first), then wait; kill what hangs."""
        for name, process in reversed(self.children):
            if process.returncode is not None:
                continue
            log(f"stopping {name}")
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                log(f"{name} did not stop in {STOP_TIMEOUT:g} s; killing it")
                process.kill()
                await process.wait()


async def start_simulator(
    procs: Processes, state: DemoState, speed: float, logfile: Path
) -> str:
    """Start the simulator; return its endpoints URL."""
    port = state.data.get("simulator_port")
    if not isinstance(port, int) or not port_free(port):
        port = free_port()
    state.data["simulator_port"] = port
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    process = await procs.start(
        "the simulator",
        sys.executable,
        "-m",
        "harvia_simulator",
        "--port",
        str(port),
        "--speed",
        f"{speed:g}",
        stdout=asyncio.subprocess.PIPE,
        stderr=logfile.open("ab"),
        env=env,
        cwd=ROOT,
    )
    assert process.stdout is not None
    while line := (await process.stdout.readline()).decode():
        if match := re.match(r"\s*endpoints:\s*(\S+)", line):
            endpoints_url = match.group(1)
            log(f"simulator on 127.0.0.1:{port} at x{speed:g} speed")
            # Keep draining its output so it never blocks on a full pipe.
            asyncio.get_running_loop().create_task(_drain(process.stdout))
            return endpoints_url
    raise DemoError(f"the simulator did not start; see {logfile}")


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


class HomeAssistantApi:
    """The HTTP and websocket API of the demo's Home Assistant."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url
        self.client_id = f"{base_url}/"
        self.token: str | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._id = 0

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """A REST call; raise on an HTTP error."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with self.session.request(
            method, f"{self.base_url}{path}", headers=headers, **kwargs
        ) as response:
            body = await response.text()
            if response.status >= 400:
                raise ApiError(f"{method} {path}: {response.status} {body[:300]}")
            return json.loads(body) if body else None

    async def wait_up(self, procs: Processes) -> list[str]:
        """Until Home Assistant answers HTTP; the onboarding steps still to do
        (its view is there only until onboarding is done)."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if (name := procs.dead()) is not None:
                raise DemoError(f"{name} exited during start-up")
            with contextlib.suppress(aiohttp.ClientError):
                async with self.session.get(f"{self.base_url}/api/onboarding") as reply:
                    if reply.status == 404:
                        return []
                    if reply.status == 200:
                        steps = await reply.json()
                        return [step["step"] for step in steps if not step["done"]]
            await asyncio.sleep(1)
        raise DemoError("Home Assistant did not start in time")

    async def login(self, password: str) -> None:
        """Sign in as the demo user (the login flow the frontend uses)."""
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.client_id}?auth_callback=1",
            },
        )
        result = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            json={
                "client_id": self.client_id,
                "username": USERNAME,
                "password": password,
            },
        )
        if result.get("type") != "create_entry":
            raise DemoError(f"could not sign in as {USERNAME}: {result.get('errors')}")
        await self._token(result["result"])

    async def _token(self, code: str) -> None:
        tokens = await self.request(
            "POST",
            "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        )
        self.token = tokens["access_token"]

    async def ws(self, message_type: str, **data: Any) -> Any:
        """One websocket command; its result."""
        if self._ws is None:
            self._ws = await self.session.ws_connect(f"{self.base_url}/api/websocket")
            await self._ws.receive_json()  # auth_required
            await self._ws.send_json({"type": "auth", "access_token": self.token})
            if (await self._ws.receive_json())["type"] != "auth_ok":
                raise DemoError("websocket authentication failed")
        self._id += 1
        await self._ws.send_json({"id": self._id, "type": message_type, **data})
        while True:
            reply = await self._ws.receive_json()
            if reply.get("id") == self._id and reply.get("type") == "result":
                if not reply["success"]:
                    raise ApiError(f"{message_type}: {reply['error']}")
                return reply["result"]

    async def close(self) -> None:
        """Close the websocket."""
        if self._ws is not None:
            await self._ws.close()

    async def onboard(self, password: str, todo: list[str]) -> None:
        """The onboarding steps the frontend would walk through."""
        if "user" in todo:
            log("onboarding: user demo")
            created = await self.request(
                "POST",
                "/api/onboarding/users",
                json={
                    "client_id": self.client_id,
                    "name": "Demo",
                    "username": USERNAME,
                    "password": password,
                    "language": "en",
                },
            )
            await self._token(created["auth_code"])
        else:
            await self.login(password)
        if "core_config" in todo:
            log("onboarding: location Tampere, metric units")
            await self.ws("config/core/update", **LOCATION)
            await self.request("POST", "/api/onboarding/core_config")
        if "analytics" in todo:
            await self.request("POST", "/api/onboarding/analytics")
        if "integration" in todo:
            await self.request(
                "POST",
                "/api/onboarding/integration",
                json={"client_id": self.client_id, "redirect_uri": self.client_id},
            )

    async def remove_onboarding_extras(self) -> None:
        """Finishing onboarding adds weather, text-to-speech, radio and a
        shopping list (in the background); the demo keeps to the sauna and
        stays offline, so it removes them once they are there."""
        for entry in await self.request("GET", "/api/config/config_entries/entry"):
            if entry["domain"] in ONBOARDING_EXTRAS:
                await self.request(
                    "DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}"
                )

    async def add_integration(self, email: str, password: str, url: str) -> None:
        """Add the Harvia integration through its real config flow."""
        entries = await self.request(
            "GET", "/api/config/config_entries/entry?domain=harvia"
        )
        if entries:
            return
        log("adding the Harvia integration through its config flow")
        form = await self.request(
            "POST",
            "/api/config/config_entries/flow",
            json={"handler": "harvia", "show_advanced_options": True},
        )
        user_input = fill_form(
            form["data_schema"],
            {"username": email, "password": password, "endpoints_url": url},
        )
        result = await self.request(
            "POST",
            f"/api/config/config_entries/flow/{form['flow_id']}",
            json=user_input,
        )
        if result.get("type") != "create_entry":
            raise DemoError(f"the config flow did not create an entry: {result}")

    async def wait_loaded(self, procs: Processes) -> list[str]:
        """Until the entry is loaded and its thermostats have a state; their ids."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if (name := procs.dead()) is not None:
                raise DemoError(f"{name} exited")
            entries = await self.request(
                "GET", "/api/config/config_entries/entry?domain=harvia"
            )
            if entries and entries[0]["state"] == "loaded":
                registry = await self.ws("config/entity_registry/list")
                climates = sorted(
                    e["entity_id"]
                    for e in registry
                    if e["platform"] == "harvia"
                    and e["entity_id"].startswith("climate.")
                )
                states = {
                    s["entity_id"]: s["state"]
                    for s in await self.request("GET", "/api/states")
                }
                if climates and all(
                    states.get(c) not in (None, "unavailable", "unknown")
                    for c in climates
                ):
                    return climates
            elif entries and entries[0]["state"] not in (
                "not_loaded",
                "setup_in_progress",
            ):
                raise DemoError(f"the integration did not load: {entries[0]['state']}")
            await asyncio.sleep(1)
        raise DemoError("the sauna's entities did not load in time")

    async def ensure_dashboard(self, climates: list[str]) -> None:
        """A dashboard with a thermostat card per sauna, unless one is saved."""
        dashboards = await self.ws("lovelace/dashboards/list")
        if not any(d["url_path"] == DASHBOARD for d in dashboards):
            await self.ws(
                "lovelace/dashboards/create",
                url_path=DASHBOARD,
                title="Saunas",
                icon="mdi:thermometer",
                show_in_sidebar=True,
                require_admin=False,
                mode="storage",
            )
        with contextlib.suppress(ApiError):  # "config_not_found" until saved
            if await self.ws("lovelace/config", url_path=DASHBOARD):
                return
        harvia = [
            e
            for e in await self.ws("config/entity_registry/list")
            if e["platform"] == "harvia"
        ]

        devices = {d["id"]: d for d in await self.ws("config/device_registry/list")}
        names = {
            st["entity_id"]: st["attributes"].get("friendly_name", "")
            for st in await self.request("GET", "/api/states")
        }

        def row(entity: dict[str, Any]) -> dict[str, str]:
            # The card sits under the sauna's name: the rows need not repeat it.
            device = devices[entity["device_id"]]
            prefix = f"{device['name_by_user'] or device['name']} "
            name = names.get(entity["entity_id"], "").removeprefix(prefix)
            return {"entity": entity["entity_id"], "name": name}

        def shown(device: str, but: str = "") -> list[dict[str, str]]:
            return [
                row(e)
                for e in harvia
                if e["device_id"] == device
                and e["entity_id"] != but
                and e["disabled_by"] is None
                and e["entity_category"] is None
            ]

        saunas = {e["entity_id"]: e["device_id"] for e in harvia}
        cards: list[dict[str, Any]] = [
            {
                "type": "vertical-stack",
                "cards": [
                    {
                        "type": "thermostat",
                        "entity": climate,
                        "features": [
                            {
                                "type": "climate-hvac-modes",
                                "hvac_modes": ["off", "heat"],
                            }
                        ],
                    },
                    {"type": "entities", "entities": shown(saunas[climate], climate)},
                ],
            }
            for climate in climates
        ]
        others = {e["device_id"] for e in harvia} - {saunas[c] for c in climates}
        cards.extend(
            {
                "type": "entities",
                "title": devices[device]["name_by_user"] or devices[device]["name"],
                "entities": shown(device),
            }
            for device in sorted(others)
        )
        view = {"title": "Saunas", "path": "saunas", "cards": cards}
        await self.ws(
            "lovelace/config/save",
            url_path=DASHBOARD,
            config={"title": "Saunas", "views": [view]},
        )
        # New installations open on the "home" overview; open on this one.
        await self.ws(
            "frontend/set_system_data", key="core", value={"default_panel": DASHBOARD}
        )


def fill_form(schema: list[dict[str, Any]], values: dict[str, str]) -> dict[str, Any]:
    """User input for a flow form: each value under its field, also inside a
    (collapsed) section, wherever the form's schema has it."""
    data: dict[str, Any] = {}
    for field in schema:
        if field.get("type") == "expandable":
            if section := fill_form(field["schema"], values):
                data[field["name"]] = section
        elif field["name"] in values:
            data[field["name"]] = values[field["name"]]
    return data


async def run(args: argparse.Namespace) -> int:
    """Start everything, print the Ready line, run until a signal."""
    started = time.monotonic()
    config: Path = args.config.resolve()
    config.mkdir(parents=True, exist_ok=True)
    state = DemoState(config)
    first = "password" not in state.data
    state.data.setdefault("password", secrets.token_urlsafe(12))
    if not port_free(args.port):
        raise DemoError(f"port {args.port} is in use; choose another with --port")

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    procs = Processes()
    logs = config / "logs"
    logs.mkdir(exist_ok=True)
    try:
        endpoints_url = await start_simulator(
            procs, state, args.speed, logs / "simulator.log"
        )
        state.save()
        write_configuration(config, args.port)
        repoint_entry(config, endpoints_url)
        log(
            "starting Home Assistant"
            + (" (first start: it creates its configuration)" if first else "")
            + f"; its log: {config / 'home-assistant.log'}"
        )
        await procs.start(
            "Home Assistant",
            sys.executable,
            "-m",
            "homeassistant",
            "--config",
            str(config),
            stdout=(logs / "homeassistant.out").open("ab"),
            stderr=asyncio.subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{args.port}"
        async with aiohttp.ClientSession() as session:
            api = HomeAssistantApi(session, base_url)
            ready = asyncio.ensure_future(
                _ready(api, procs, state.data["password"], endpoints_url)
            )
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait({ready, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if ready.done():
                ready.result()
                log(f"ready in {time.monotonic() - started:.0f} s")
                print(
                    f"Ready: {base_url}  user: {USERNAME}  "
                    f"password: {state.data['password']}",
                    flush=True,
                )
                exited = [
                    asyncio.ensure_future(process.wait())
                    for _, process in procs.children
                ]
                await asyncio.wait(
                    {stopped, *exited}, return_when=asyncio.FIRST_COMPLETED
                )
            else:
                ready.cancel()
            await api.close()
    finally:
        await procs.stop()
    if (name := procs.dead()) is not None and not stop.is_set():
        log(f"{name} exited unexpectedly; see {logs}")
        return 1
    return 0


async def _ready(
    api: HomeAssistantApi, procs: Processes, password: str, endpoints_url: str
) -> None:
    await api.onboard(password, await api.wait_up(procs))
    await api.add_integration(DEMO_EMAIL, DEMO_PASSWORD, endpoints_url)
    climates = await api.wait_loaded(procs)
    await api.remove_onboarding_extras()
    await api.ensure_dashboard(climates)


@contextlib.contextmanager
def _quiet_interrupt() -> Iterator[None]:
    with contextlib.suppress(KeyboardInterrupt):
        yield


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    if args.requirements:
        print(" ".join(requirements()))
        return 0
    try:
        with _quiet_interrupt():
            return asyncio.run(run(args))
    except DemoError as err:
        log(f"failed: {err}")
        return 1
    return 130


if __name__ == "__main__":
    sys.exit(main())
