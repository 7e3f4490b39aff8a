"""Options: the rated power of each controller's heater and steam generator.

Energy can only be estimated from the rated power (the cloud reports none);
a controller without a rating gets no power or energy sensors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
import voluptuous as vol

from .api import CommandType
from .const import DOMAIN
from .device_info import controller_device_info, controller_identifier
from .energy import (
    CONF_HEATER_POWER,
    CONF_RATINGS,
    CONF_STEAMER_POWER,
    HEATER_RATINGS,
    STEAMER_RATINGS,
    Ratings,
    parse_rating,
)
from .state import DeviceData

CONF_CONTROLLER: Final = "controller"


def _kw(value: float) -> str:
    return f"{value:g}"


def _ratings_selector(ratings: Sequence[float]) -> SelectSelector:
    """A list of common ratings that also takes a typed value."""
    return SelectSelector(
        SelectSelectorConfig(
            options=[
                SelectOptionDict(value=_kw(rating), label=f"{_kw(rating)} kW")
                for rating in ratings
            ],
            custom_value=True,
            mode=SelectSelectorMode.DROPDOWN,
        )
    )


def has_steamer(data: DeviceData) -> bool:
    """Whether a controller drives a steam generator (combi heater or steamer)."""
    return bool(
        data.device.has_steamer
        or data.device.capabilities.supports(CommandType.STEAMER)
        or any(cabin.status.has_steamer for cabin in data.cabins.values())
    )


class HarviaOptionsFlow(OptionsFlowWithReload):
    """Pick a controller (when there are several), then set its ratings.

    The entry reloads with the new options: sensors of a rated output appear,
    those of an unset one go.
    """

    _device_id: str

    def _controllers(self) -> dict[str, DeviceData]:
        """The account's controllers with a heater."""
        coordinator = self.config_entry.runtime_data.coordinator
        return {
            device_id: data
            for device_id, data in coordinator.data.items()
            if not data.device.capabilities.telemetry_only
        }

    def _name(self, data: DeviceData) -> str:
        """The controller's name as the owner sees it in Home Assistant."""
        identifier = (DOMAIN, controller_identifier(data.device.device_id))
        names = {
            device_identifier: device.name_by_user or device.name
            for device in dr.async_entries_for_config_entry(
                dr.async_get(self.hass), self.config_entry.entry_id
            )
            for device_identifier in device.identifiers
        }
        # The coordinator registers every controller; its own name otherwise.
        return names.get(identifier) or str(controller_device_info(data).get("name"))

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the controller to set ratings for."""
        if self.config_entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        controllers = self._controllers()
        if not controllers:
            return self.async_abort(reason="no_heaters")
        if len(controllers) == 1:
            self._device_id = next(iter(controllers))
            return await self.async_step_ratings()
        if user_input is not None:
            self._device_id = user_input[CONF_CONTROLLER]
            return await self.async_step_ratings()
        return self.async_show_form(
            step_id="init",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_CONTROLLER): SelectSelector(
                        SelectSelectorConfig(
                            options=[
                                SelectOptionDict(
                                    value=device_id, label=self._name(data)
                                )
                                for device_id, data in controllers.items()
                            ],
                            mode=SelectSelectorMode.LIST,
                        )
                    )
                }
            ),
        )

    async def async_step_ratings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Set (or clear) the rated powers of the chosen controller."""
        data = self._controllers().get(self._device_id)
        if data is None:
            return self.async_abort(reason="controller_gone")
        steamer = has_steamer(data)
        errors: dict[str, str] = {}
        if user_input is not None:
            ratings: dict[str, float] = {}
            fields = (
                (CONF_HEATER_POWER, CONF_STEAMER_POWER)
                if steamer
                else (CONF_HEATER_POWER,)
            )
            for field in fields:
                try:
                    rating = parse_rating(user_input.get(field))
                except ValueError:
                    errors[field] = "invalid_rating"
                    continue
                if rating is not None:
                    ratings[field] = rating
            if not errors:
                return self.async_create_entry(data=self._with(ratings))
        current = Ratings.from_options(self.config_entry.options, self._device_id)
        schema: dict[vol.Marker, Any] = {
            vol.Optional(CONF_HEATER_POWER): _ratings_selector(HEATER_RATINGS)
        }
        suggested: dict[str, str] = {}
        if current.heater is not None:
            suggested[CONF_HEATER_POWER] = _kw(current.heater)
        if steamer:
            schema[vol.Optional(CONF_STEAMER_POWER)] = _ratings_selector(
                STEAMER_RATINGS
            )
            if current.steamer is not None:
                suggested[CONF_STEAMER_POWER] = _kw(current.steamer)
        return self.async_show_form(
            step_id="ratings",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(schema), user_input or suggested
            ),
            description_placeholders={"controller": self._name(data)},
            errors=errors,
        )

    def _with(self, ratings: Mapping[str, float]) -> dict[str, Any]:
        """The entry's options with this controller's ratings replaced."""
        options = dict(self.config_entry.options)
        stored = {
            device_id: dict(values)
            for device_id, values in options.get(CONF_RATINGS, {}).items()
        }
        if ratings:
            stored[self._device_id] = dict(ratings)
        else:
            stored.pop(self._device_id, None)
        options[CONF_RATINGS] = stored
        return options
