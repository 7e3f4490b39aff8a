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
