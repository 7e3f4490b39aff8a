"""Static checks of the library: no Home Assistant imports, typed, documents parse."""

from __future__ import annotations

import ast
from pathlib import Path

from graphql import OperationType

from custom_components.harvia import api
from custom_components.harvia.api import DOCUMENTS, document_text
from custom_components.harvia.api.documents import GRAPHQL_DIR

API_DIR = Path(api.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and getattr(node.func, "id", getattr(node.func, "attr", ""))
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value))
    return names


def test_no_homeassistant_imports() -> None:
    """The client library stays free of Home Assistant (and of the integration)."""
    files = sorted(API_DIR.rglob("*.py"))
    assert len(files) >= 8
    for path in files:
        for module in _imported_modules(path):
            root = module.split(".")[0]
            assert root != "homeassistant", f"{path.name} imports {module}"
            assert not module.startswith("custom_components"), (
                f"{path.name} imports {module}"
            )
        # Relative imports never climb out of the package (api/realtime/x.py
        # may reach api/ with two dots).
        allowed = len(path.relative_to(API_DIR).parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= allowed, f"{path.name} imports from outside api/"


def test_py_typed_shipped() -> None:
    """PEP 561 marker present."""
    assert (API_DIR / "py.typed").is_file()


def test_public_names_exported() -> None:
    """Everything in __all__ exists."""
    for name in api.__all__:
        assert hasattr(api, name), name
    for name in ("HarviaClient", "CabinStatus", "merge_payload", "HarviaParseError"):
        assert name in api.__all__


def test_documents_loaded() -> None:
    """Every .graphql file parsed, including the three realtime subscriptions."""
    stems = {path.stem for path in GRAPHQL_DIR.glob("*.graphql")}
    assert set(DOCUMENTS) == stems
    subscriptions = {
        name
        for name, doc in DOCUMENTS.items()
        if doc.definitions[0].operation is OperationType.SUBSCRIPTION  # type: ignore[attr-defined]
    }
    assert subscriptions == {
        "devices_states_update_feed",
        "devices_measurements_update_feed",
        "ota_updates_states_update_feed",
    }
    for doc in DOCUMENTS.values():
        assert document_text(doc).strip()


def test_state_store_free_of_home_assistant() -> None:
    """state.py, poll.py, batch.py (and const.py they read) stay free of Home
    Assistant."""
    package = API_DIR.parent
    allowed = {
        "state.py": {"api", "const"},
        "poll.py": {"api", "batch", "const", "state"},
        "batch.py": {"api"},
    }
    for name in ("state.py", "poll.py", "batch.py", "const.py"):
        path = package / name
        for module in _imported_modules(path):
            assert module.split(".")[0] != "homeassistant", f"{name} imports {module}"
    for name, modules in allowed.items():
        tree = ast.parse((package / name).read_text(encoding="utf-8"))
        relative = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level
        }
        # The client library, the constants and the store: no coordinator, no entities.
        assert relative == modules, name
