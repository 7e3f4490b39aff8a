"""Every translation has exactly the keys and placeholders of en.json.

en.json is the source: a key added there fails `test_every_language_has_every_key`
with the missing keys listed per language, until each language has it too.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import string
from typing import Any

from homeassistant.generated.languages import LANGUAGES
import pytest

TRANSLATIONS = (
    Path(__file__).parent.parent / "custom_components" / "harvia" / "translations"
)
SOURCE = "en"
# The languages the integration promises (issue 10).
REQUIRED = frozenset(
    {
        "cs",
        "da",
        "de",
        "es",
        "et",
        "fi",
        "fr",
        "hu",
        "it",
        "ja",
        "ko",
        "lt",
        "lv",
        "nb",
        "nl",
        "pl",
        "pt-BR",
        "ru",
        "sv",
        "zh-Hans",
    }
)
LANGUAGE_FILES = sorted(path.stem for path in TRANSLATIONS.glob("*.json"))
TRANSLATED = [language for language in LANGUAGE_FILES if language != SOURCE]
# The frontend formats strings as ICU messages: an apostrophe right before a
# brace starts a quoted literal, so the placeholder would show as "{name}".
ICU_QUOTED_PLACEHOLDER = re.compile(r"'\{")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Reject a key given twice in one object: json keeps only the last one."""
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"duplicate keys: {', '.join(duplicates)}")
    return dict(pairs)


def load(language: str) -> dict[str, Any]:
    """One translation file, parsed strictly."""
    text = (TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8")
    tree = json.loads(text, object_pairs_hook=_no_duplicates)
    assert isinstance(tree, dict), f"{language}.json is not a JSON object"
    return tree


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Leaves by dotted path, e.g. "entity.sensor.time_to_target.name"."""
    leaves: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            leaves.update(flatten(value, f"{prefix}{key}."))
        else:
            leaves[f"{prefix}{key}"] = value
    return leaves


def placeholders(text: str) -> set[str]:
    """The {names} in a string; unbalanced braces raise ValueError."""
    return {
        field for _, field, _, _ in string.Formatter().parse(text) if field is not None
    }


def _string_problems(language: str) -> list[str]:
    problems = []
    for key, value in flatten(load(language)).items():
        if not isinstance(value, str):
            problems.append(f"{key}: not a string ({type(value).__name__})")
        elif not value.strip():
            problems.append(f"{key}: empty")
        elif value != value.strip():
            problems.append(f"{key}: leading or trailing whitespace")
        elif ICU_QUOTED_PLACEHOLDER.search(value):
            problems.append(f"{key}: apostrophe right before a placeholder")
        elif "[%key:" in value:
            problems.append(
                f"{key}: references are not resolved for custom integrations"
            )
        else:
            try:
                placeholders(value)
            except ValueError as err:
                problems.append(f"{key}: bad braces ({err})")
    return problems


def test_required_languages_present() -> None:
    """The promised languages all have a file."""
    missing = sorted(REQUIRED - set(LANGUAGE_FILES))
    assert not missing, f"no translation file for: {', '.join(missing)}"


def test_only_language_files() -> None:
    """Nothing but <language>.json, named as Home Assistant names languages."""
    names = sorted(path.name for path in TRANSLATIONS.iterdir())
    assert names == [f"{language}.json" for language in LANGUAGE_FILES]
    unknown = sorted(set(LANGUAGE_FILES) - LANGUAGES)
    assert not unknown, f"not a Home Assistant language code: {', '.join(unknown)}"


@pytest.mark.parametrize("language", LANGUAGE_FILES)
def test_strings_are_well_formed(language: str) -> None:
    """Valid JSON; every leaf a non-empty string with balanced placeholders."""
    problems = _string_problems(language)
    assert not problems, f"{language}.json:\n  " + "\n  ".join(problems)


def test_every_language_has_every_key() -> None:
    """Each file has exactly the keys of en.json, all languages listed at once."""
    source = flatten(load(SOURCE)).keys()
    report = []
    for language in TRANSLATED:
        keys = flatten(load(language)).keys()
        if missing := sorted(source - keys):
            report.append(f"{language}: missing {', '.join(missing)}")
        if extra := sorted(keys - source):
            report.append(f"{language}: not in en.json {', '.join(extra)}")
    assert not report, "translations differ from en.json:\n  " + "\n  ".join(report)


@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_match_english(language: str) -> None:
    """Each string uses the same placeholders as its English original."""
    source = flatten(load(SOURCE))
    translated = flatten(load(language))
    mismatched = [
        f"{key}: {sorted(placeholders(translated[key]))}"
        f" instead of {sorted(placeholders(text))}"
        for key, text in source.items()
        if key in translated and placeholders(translated[key]) != placeholders(text)
    ]
    assert not mismatched, f"{language}.json:\n  " + "\n  ".join(mismatched)


def test_checks_catch_mistakes() -> None:
    """The helpers see what the tests rely on them to see."""
    assert placeholders("{device} to {version}, {device}") == {"device", "version"}
    with pytest.raises(ValueError, match="Single '}'"):
        placeholders("broken} brace")
    with pytest.raises(ValueError, match="duplicate keys: a"):
        json.loads('{"a": 1, "a": 2}', object_pairs_hook=_no_duplicates)
    assert flatten({"a": {"b": "x", "c": {"d": "y"}}}) == {"a.b": "x", "a.c.d": "y"}
    assert ICU_QUOTED_PLACEHOLDER.search("l'{device}")
