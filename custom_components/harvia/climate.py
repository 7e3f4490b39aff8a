"""Climate entity: the sauna heater of one cabin."""

from __future__ import annotations

from typing import Any

from homeassistant.components.climate import ClimateEntity
from homeassistant.components.climate.const import (
    ATTR_HVAC_MODE,
    ClimateEntityFeature,
    HVACAction,
    HVACMode,
)
from homeassistant.const import ATTR_TEMPERATURE, UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import MAX_HUMIDITY, MIN_HUMIDITY, CommandType, optimistic
from .compat import ClimateTemperatures
from .const import DOMAIN
from .data import HarviaConfigEntry
from .entity import HarviaEntity, HarviaEntityDescription, async_add_cabin_entities
from .errors import cloud_action
from .history import start_refusals
from .session import SessionRequest, async_start_session
from .validation import check_remote_start, check_targets

# Commands are serialized by the cloud; never send two at once.
PARALLEL_UPDATES = 1


CLIMATE = HarviaEntityDescription(key="climate", name=None)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HarviaConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a climate entity per heater cabin."""
    async_add_cabin_entities(entry, async_add_entities, [CLIMATE], HarviaClimate)


class HarviaClimate(HarviaEntity, ClimateTemperatures, ClimateEntity):
    """Start and stop a sauna session, set its targets and profile."""

    _attr_hvac_modes = [HVACMode.OFF, HVACMode.HEAT]
    _attr_target_temperature_step = 1
    _attr_min_humidity = MIN_HUMIDITY
    _attr_max_humidity = MAX_HUMIDITY

    # Temperatures under 2026.11's native_* names; ClimateTemperatures adds the
    # classic names where Home Assistant is older.
    @property
    def native_temperature_unit(self) -> str:
        """Celsius, as the panel reports."""
        return UnitOfTemperature.CELSIUS

    @property
    def native_current_temperature(self) -> float | None:
        """The cabin temperature from telemetry."""
        return self.status.current_temperature

    @property
    def native_target_temperature(self) -> float | None:
        """The real target (live session target or active profile)."""
        return self.status.target_temperature

    @property
    def min_temp(self) -> float:
        """The panel's lowest target temperature."""
        return float(self.status.min_temperature)

    @property
    def max_temp(self) -> float:
        """The panel's highest target temperature (settings.maxTemp)."""
        return float(self.status.max_temperature)

    @property
    def supported_features(self) -> ClimateEntityFeature:
        """Humidity only on heaters with a steamer."""
        features = (
            ClimateEntityFeature.TARGET_TEMPERATURE
            | ClimateEntityFeature.TURN_ON
            | ClimateEntityFeature.TURN_OFF
        )
        if self.status.profiles:
            features |= ClimateEntityFeature.PRESET_MODE
        if self.status.has_steamer:
            features |= ClimateEntityFeature.TARGET_HUMIDITY
        return features

    @property
    def current_humidity(self) -> float | None:
        """The cabin humidity from telemetry."""
        return self.status.current_humidity

    @property
    def target_humidity(self) -> float | None:
        """The real target humidity (combi heaters)."""
        return self.status.target_humidity

    @property
    def hvac_mode(self) -> HVACMode | None:
        """HEAT while a session runs or is scheduled to start."""
        if (is_on := self.status.is_on) is None:
            return None
        return HVACMode.HEAT if is_on else HVACMode.OFF

    @property
    def hvac_action(self) -> HVACAction | None:
        """Heating only in a running session; a scheduled wait is idle."""
        if self.status.is_on is None:
            return None
        if self.status.is_heating:
            return HVACAction.HEATING
        if self.status.is_waiting:
            return HVACAction.IDLE
        return HVACAction.OFF

    @property
    def preset_modes(self) -> list[str] | None:
        """The panel's profiles by name."""
        return [profile.label for _, profile in sorted(self.status.profiles.items())]

    @property
    def preset_mode(self) -> str | None:
        """The active profile, or the one being applied."""
        index = self.coordinator.state.shown_profile((self.device_id, self.cabin_id))
        if index is None:
            index = self.status.active_profile
        profile = self.status.profiles.get(index) if index is not None else None
        return profile.label if profile else None

    async def async_set_hvac_mode(self, hvac_mode: HVACMode) -> None:
        """Start or stop the session."""
        await self._async_power(hvac_mode == HVACMode.HEAT)

    async def async_turn_on(self) -> None:
        """Start a session."""
        await self._async_power(True)

    async def async_turn_off(self) -> None:
        """Stop the session (or cancel a scheduled start)."""
        await self._async_power(False)

    async def _async_power(self, on: bool) -> None:
        with start_refusals(
            self.coordinator.config_entry, self.device_id, self.cabin_id, on
        ):
            if on:
                self._check_remote_start()
            async with cloud_action(self.coordinator.config_entry):
                await self.coordinator.client.send_command(
                    self.device_id, self.shadow_id, CommandType.SAUNA, on
                )
        self.coordinator.commands.async_commanded(
            self.device_id, self.cabin_id, **optimistic.power(on)
        )

    async def async_set_temperature(self, **kwargs: Any) -> None:
        """Set the target temperature (and optionally start or stop)."""
        hvac_mode = kwargs.get(ATTR_HVAC_MODE)
        if hvac_mode == HVACMode.HEAT:
            # A start that will be refused must not leave a changed target behind.
            with start_refusals(
                self.coordinator.config_entry, self.device_id, self.cabin_id
            ):
                self._check_remote_start()
        if (temperature := kwargs.get(ATTR_TEMPERATURE)) is not None:
            self._validate(temperature=float(temperature))
            async with cloud_action(self.coordinator.config_entry):
                await self.coordinator.client.set_target(
                    self.device_id, self.shadow_id, temperature=float(temperature)
                )
            self.coordinator.commands.async_commanded(
                self.device_id,
                self.cabin_id,
                **optimistic.target(self.status, temperature=float(temperature)),
            )
        if hvac_mode is not None:
            await self.async_set_hvac_mode(hvac_mode)

    async def async_set_humidity(self, humidity: int) -> None:
        """Set the target humidity (combi heaters)."""
        self._validate(humidity=float(humidity))
        async with cloud_action(self.coordinator.config_entry):
            await self.coordinator.client.set_target(
                self.device_id, self.shadow_id, humidity=float(humidity)
            )
        self.coordinator.commands.async_commanded(
            self.device_id,
            self.cabin_id,
            **optimistic.target(self.status, humidity=float(humidity)),
        )

    async def async_set_preset_mode(self, preset_mode: str) -> None:
        """Activate a panel profile by name."""
        index = next(
            (i for i, p in self.status.profiles.items() if p.label == preset_mode),
            None,
        )
        if index is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_preset",
                translation_placeholders={
                    "preset": preset_mode,
                    "presets": ", ".join(self.preset_modes or []),
                },
            )
        if self.coordinator.commands.async_queue_profile(
            self.device_id, self.cabin_id, index
        ):
            return
        async with cloud_action(self.coordinator.config_entry):
            await self.coordinator.commands.async_set_profile(
                self.device_id, self.cabin_id, index
            )

    def _check_remote_start(self) -> None:
        """Refuse a remote start before anything is sent: the door may be open."""
        check_remote_start(self.status)

    def _validate(
        self, *, temperature: float | None = None, humidity: float | None = None
    ) -> None:
        """Respect the panel's limits before anything is sent."""
        check_targets(self.status, temperature=temperature, humidity=humidity)

    async def async_start_session(self, **kwargs: Any) -> None:
        """The harvia.start_session action (see session.py)."""
        await async_start_session(self, SessionRequest.from_call(kwargs))
