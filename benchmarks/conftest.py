"""Benchmarks reuse the integration tests' fixtures (real HA, real simulator)."""

from tests.integration.conftest import (  # noqa: F401
    account,
    auto_enable_custom_integrations,
    cloud,
    config_entry,
    config_entry_data,
    init_integration,
    simulator,
)
