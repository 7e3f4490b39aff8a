"""Voice: Assist's intents (what a spoken sentence becomes) on the sauna.

Assist turns "turn on the Home Sauna" into the HassTurnOn intent. Its handler
(homeassistant.helpers.intent.DynamicServiceIntentHandler) starts the action as
a task, waits 0.2 s for it and then answers "Turned on" without looking at the
task's result: a refused start is not in the answer. The integration refuses
before anything is awaited, so nothing reaches the sauna and the refusal is
raised at once; HassClimateSetTemperature awaits its action, so its failures
do reach the answer (as an error).
"""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import patch

from homeassistant.components.climate import INTENT_SET_TEMPERATURE, HVACMode
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from harvia_simulator import HarviaCloud, SimDevice

from .conftest import async_refresh

SAUNA = "climate.home_sauna"
COMMAND_ROUTE = "POST /devices/command"


@pytest.fixture
def platforms() -> list[Platform]:
    """The thermostat alone."""
    return [Platform.CLIMATE]


@pytest.fixture
async def assist(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Home Assistant's intents (the `intent` integration, climate's intents)."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "intent", {})
    await hass.async_block_till_done()


async def _say(
    hass: HomeAssistant, intent_type: str, **slots: object
) -> intent.IntentResponse:
    return await intent.async_handle(
        hass,
        "conversation",
        intent_type,
        {name: {"value": value} for name, value in slots.items()},
        language="en",
    )


async def test_turn_on_starts_the_sauna(
    hass: HomeAssistant,
    assist: None,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """'Turn on the Home Sauna' starts a session."""
    response = await _say(hass, intent.INTENT_TURN_ON, name="Home Sauna")
    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    await async_refresh(hass, init_integration)
    assert devices["fenix"].cabin().status == 1
    assert hass.states.get(SAUNA).state == HVACMode.HEAT  # type: ignore[union-attr]


async def test_refused_start_is_raised_at_once(
    hass: HomeAssistant,
    assist: None,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Door open: the start fails before the action's first await, within the
    intent handler's window; Home Assistant's HassTurnOn still answers
    "done" (it never reads the result), and the sauna stays off."""
    devices["fenix"].panel.open_door()
    await async_refresh(hass, init_integration)
    sent = cloud.request_counts[COMMAND_ROUTE]

    # Watch the task the handler starts (and retrieve its result, which
    # Home Assistant itself leaves unread).
    tasks: list[asyncio.Task[Any]] = []
    original = intent.DynamicServiceIntentHandler._run_then_background

    async def watched(
        handler: intent.DynamicServiceIntentHandler, task: asyncio.Task[Any]
    ) -> None:
        tasks.append(task)
        await original(handler, task)

    with patch.object(
        intent.DynamicServiceIntentHandler, "_run_then_background", watched
    ):
        response = await _say(hass, intent.INTENT_TURN_ON, name="Home Sauna")
    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    [task] = tasks
    assert task.done()  # refused within the handler's 0.2 s window...
    with pytest.raises(ServiceValidationError) as err:
        task.result()  # ...but the answer above says done
    assert err.value.translation_key == "remote_start_not_allowed"

    await async_refresh(hass, init_integration)
    assert devices["fenix"].cabin().status == 0
    assert cloud.request_counts[COMMAND_ROUTE] == sent
    assert hass.states.get(SAUNA).state == HVACMode.OFF  # type: ignore[union-attr]


async def test_set_temperature_by_voice(
    hass: HomeAssistant,
    assist: None,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """'Set the Home Sauna to 85 degrees' sets the target (without starting);
    a target outside the panel's range is an error answer."""
    await _say(hass, INTENT_SET_TEMPERATURE, name="Home Sauna", temperature=85)
    await async_refresh(hass, init_integration)
    assert hass.states.get(SAUNA).attributes["temperature"] == 85  # type: ignore[union-attr]
    assert devices["fenix"].cabin().status == 0

    with pytest.raises(intent.IntentUnexpectedError) as err:
        await _say(hass, INTENT_SET_TEMPERATURE, name="Home Sauna", temperature=150)
    assert isinstance(err.value.__cause__, ServiceValidationError)
    assert err.value.__cause__.translation_key == "temp_out_of_range"
