"""Checks for every test: no deprecation that names this integration."""

from __future__ import annotations

from collections.abc import Generator
import logging
import re

import pytest

# How Home Assistant words a deprecation (report_usage, deprecated functions,
# constants and entity members): it names the integration or its module.
_DEPRECATION = re.compile(r"deprecat|stop working|will be removed", re.IGNORECASE)
_OURS = re.compile(r"harvia", re.IGNORECASE)


def names_our_deprecation(record: logging.LogRecord) -> bool:
    """Whether a log record reports a deprecated use by this integration."""
    if record.levelno < logging.WARNING:
        return False
    message = record.getMessage()
    return bool(_DEPRECATION.search(message)) and bool(
        _OURS.search(message) or _OURS.search(record.name)
    )


class _DeprecationRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if names_our_deprecation(record):
            self.found.append(f"{record.name}: {record.getMessage()}")


@pytest.fixture(autouse=True)
def no_deprecation_naming_us() -> Generator[None]:
    """Fail a test during which Home Assistant reports our use of a deprecated API."""
    recorder = _DeprecationRecorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    try:
        yield
    finally:
        root.removeHandler(recorder)
    assert not recorder.found, "deprecated API used:\n" + "\n".join(recorder.found)
