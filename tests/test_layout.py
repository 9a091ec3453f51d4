"""The domain's apps depend on each other one way: knowledge ← assessment ← history ← api."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LEGS = Path(__file__).resolve().parents[1] / "legs"
# What each app may not import: the apps that build on it.
FORBIDDEN = {
    "knowledge": ("legs.assessment", "legs.history", "legs.api"),
    "assessment": ("legs.history", "legs.api"),
    "history": ("legs.api",),
}
# Plain Python: the engine and what it reads run without Django.
PURE = ("assessment/engine.py", "knowledge/snapshot.py", "knowledge/triage.py")


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved against its package."""
    package = ".".join(path.relative_to(LEGS.parent).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def modules_of(app: str) -> list[Path]:
    return sorted((LEGS / app).rglob("*.py"))


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_an_app_never_imports_the_apps_built_on_it(app: str) -> None:
    offending = {
        str(path.relative_to(LEGS)): sorted(
            name for name in imported_modules(path) if name.startswith(FORBIDDEN[app])
        )
        for path in modules_of(app)
    }
    assert {path: names for path, names in offending.items() if names} == {}


@pytest.mark.parametrize("module", PURE)
def test_the_engine_and_its_snapshot_are_plain_python(module: str) -> None:
    django = sorted(n for n in imported_modules(LEGS / module) if n.split(".")[0] == "django")
    assert django == []


def test_the_import_check_sees_relative_imports() -> None:
    """The check above would pass vacuously if relative imports were not resolved."""
    names = imported_modules(LEGS / "history" / "views.py")
    assert "legs.history.models" in names
    assert "legs.assessment.wizard" in names
