"""Controller rules of the device model: the steamer's session rule, a reboot on
RESTART, and the outputs only the spec-generic controller has."""

from __future__ import annotations

from typing import Any

import pytest

from harvia_simulator import Account, HarviaCloud, SimDevice
from harvia_simulator.devices import EXTRA_OUTPUTS, RESTART_DURATION
from harvia_simulator.errors import SimError
from harvia_simulator.events import StatePush


async def test_generic_steamer_needs_a_session(
    cloud: HarviaCloud, account: Account, generic: SimDevice
) -> None:
    """STEAMER on is refused (400) while no session runs; off always works."""
    cabin = generic.cabins["C1"]
    cloud.advance(1.0)  # past the burst rule
    with pytest.raises(SimError) as err:
        await cloud.send_command(
            account, "generic-1", "STEAMER", params={"on": 1}, cabin_id="C1"
        )
    assert err.value.status == 400
    assert "heater is on" in str(err.value)
    assert cabin.steamer is False
    # A scheduled start is not a session either.
    generic.panel.schedule(30, cabin="C1")
    cloud.advance(1.0)  # past the burst rule
    with pytest.raises(SimError):
        await cloud.send_command(
            account, "generic-1", "STEAMER", state="on", cabin_id="C1"
        )
    cloud.advance(1.0)  # past the burst rule
    await cloud.send_command(
        account, "generic-1", "STEAMER", state="off", cabin_id="C1"
    )

    cloud.advance(1.0)  # past the burst rule
    await cloud.send_command(account, "generic-1", "SAUNA", state="on", cabin_id="C1")
    cloud.advance(1.0)  # past the burst rule
    await cloud.send_command(account, "generic-1", "STEAMER", state="on", cabin_id="C1")
    assert cabin.steaming
    # The session's end takes the steamer with it.
    cloud.advance(1.0)  # past the burst rule
    await cloud.send_command(account, "generic-1", "SAUNA", state="off", cabin_id="C1")
    assert cabin.steamer is False


async def test_fenix_has_no_session_rule_to_meet(
    cloud: HarviaCloud, account: Account, combi: SimDevice
) -> None:
    """A Fenix combi refuses STEAMER outright, session or not."""
    combi.panel.power(True)
    cloud.advance(1.0)  # past the burst rule
    with pytest.raises(SimError) as err:
        await cloud.send_command(account, "combi-1", "STEAMER", state="on")
    assert err.value.status == 400
    assert "not supported" in str(err.value)


async def test_restart_reboots_the_controller(
    cloud: HarviaCloud, account: Account, generic: SimDevice
) -> None:
    """Acknowledged, then offline for RESTART_DURATION, then a full report."""
    pushes: list[Any] = []
    cloud.subscribe(pushes.append)
    cloud.advance(1.0)  # past the burst rule
    await cloud.send_command(account, "generic-1", "RESTART")
    assert generic.connected is False
    offline = [p for p in pushes if isinstance(p, StatePush)]
    assert {p.shadow_name for p in offline} == {"C1", "C2"}
    assert all(p.connected is False for p in offline)
    # Commands meanwhile are not acknowledged.
    cloud.advance(1.0)  # past the burst rule
    with pytest.raises(SimError) as err:
        await cloud.send_command(account, "generic-1", "LIGHTS", state="on")
    assert err.value.status == 504

    pushes.clear()
    cloud.advance(RESTART_DURATION - 2)  # 1 s went by before the LIGHTS above
    assert generic.connected is False
    assert not [p for p in pushes if isinstance(p, StatePush)]
    cloud.advance(1)
    assert generic.connected is True
    back = [p for p in pushes if isinstance(p, StatePush)]
    assert any(p.connected and "deviceFwVersion" in p.reported for p in back)
    cloud.advance(1.0)  # past the burst rule
    await cloud.send_command(account, "generic-1", "LIGHTS", state="on")
    assert generic.cabins["C1"].light


async def test_extra_outputs_reported_by_generic_only(
    cloud: HarviaCloud, account: Account, generic: SimDevice, fenix: SimDevice
) -> None:
    """Vaporizer, IR heater, after-heater and external switch: `<key>.on` in the
    shadow, `<key>On` in telemetry, on the generic controller alone."""
    for command, key in EXTRA_OUTPUTS.items():
        assert generic.shadows["C2"].reported[key] == {"on": 0}
        assert generic.latest_telemetry["C2"].data[f"{key}On"] == 0
        assert key not in fenix.shadows["C1"].reported
        assert f"{key}On" not in fenix.latest_telemetry["C1"].data
        cloud.advance(1.0)  # past the burst rule
        await cloud.send_command(
            account, "generic-1", command, params={"on": 1}, cabin_id="C2"
        )
        assert generic.shadows["C2"].reported[key] == {"on": 1}
        assert generic.latest_telemetry["C2"].data[f"{key}On"] == 1
        assert generic.shadows["C1"].reported[key] == {"on": 0}
