"""Early pytest plugin: lets the Home Assistant test plugin start on 2026.11.

Loaded with `-p tests.ha_compat` (scripts/test does) before pytest loads the
plugin of pytest-homeassistant-custom-component, whose release for 2026.10
does not start on 2026.11 by itself; on older releases it changes nothing.
"""

from __future__ import annotations

# 2026.11 aliases httpx to httpx2 on import and refuses to when httpx is already
# imported; the test plugin imports respx (and so httpx) before Home Assistant.
import homeassistant  # noqa: F401  # isort:skip
from homeassistant.components import logger

if not hasattr(logger, "_clear_logger_overwrites"):
    # 2026.11 moved it; the test plugin's common.py imports it from the old place.
    from homeassistant.components.logger import helpers

    logger._clear_logger_overwrites = helpers._clear_logger_overwrites  # type: ignore[attr-defined]


def _fix_restore_cache_mock() -> None:
    """2026.11 indexes restored states by registry id; the plugin's restore-cache
    mocks still assign the old `last_states`, so restored entities would find
    nothing. Here that assignment loads the states the 2026.11 way."""
    import inspect

    from homeassistant.helpers import entity_registry as er, restore_state as rs

    if "last_states_by_entity_id" not in inspect.getsource(rs.RestoreStateData):
        return

    def _set_last_states(
        data: rs.RestoreStateData, states: dict[str, rs.StoredState]
    ) -> None:
        # Before setup nothing is registered: by entity id, re-indexed by the
        # registry listener once the entity is created.
        data.last_states_by_entity_id = dict(states)
        data.hass.bus.async_listen(
            er.EVENT_ENTITY_REGISTRY_UPDATED,
            data._async_entity_registry_entry_created,
            event_filter=rs._entity_registry_entry_created_filter,  # type: ignore[attr-defined]
        )

    rs.RestoreStateData.last_states = property(  # type: ignore[attr-defined]
        lambda data: {**data.last_states_by_entity_id}, _set_last_states
    )


_fix_restore_cache_mock()
