"""scripts/demo.py fills the config flow's form wherever the schema puts a field.

The endpoints URL may be a top-level field or sit in a collapsed section; the
demo reads the form's serialized `data_schema` (as the frontend does), so both
shapes must give the flow what it asks for.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from homeassistant.data_entry_flow import section
from homeassistant.helpers import config_validation as cv
import voluptuous as vol
import voluptuous_serialize

DEMO = Path(__file__).parents[1] / "scripts" / "demo.py"
VALUES = {
    "username": "demo@example.com",
    "password": "harvia-demo-sauna",
    "endpoints_url": "http://127.0.0.1:1234/endpoints",
}


def _demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_script", DEMO)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _serialized(schema: vol.Schema) -> list[dict[str, Any]]:
    """The form's schema as the flow API sends it."""
    return list(
        voluptuous_serialize.convert(schema, custom_serializer=cv.custom_serializer)
    )


def test_flat_form() -> None:
    """Every field at the top level."""
    schema = vol.Schema(
        {
            vol.Required("username"): str,
            vol.Required("password"): str,
            vol.Required("endpoints_url"): str,
        }
    )
    assert _demo().fill_form(_serialized(schema), VALUES) == VALUES


def test_sectioned_form() -> None:
    """The endpoints URL in a collapsed section: nested under its name."""
    schema = vol.Schema(
        {
            vol.Required("username"): str,
            vol.Required("password"): str,
            vol.Required("advanced"): section(
                vol.Schema({vol.Required("endpoints_url"): str}),
                {"collapsed": True},
            ),
        }
    )
    data = _demo().fill_form(_serialized(schema), VALUES)
    assert data == {
        "username": VALUES["username"],
        "password": VALUES["password"],
        "advanced": {"endpoints_url": VALUES["endpoints_url"]},
    }
    assert schema(data) == data


def test_field_not_asked_is_left_out() -> None:
    """A form without the URL field gets no URL."""
    schema = vol.Schema({vol.Required("username"): str, vol.Required("password"): str})
    assert _demo().fill_form(_serialized(schema), VALUES) == {
        "username": VALUES["username"],
        "password": VALUES["password"],
    }
