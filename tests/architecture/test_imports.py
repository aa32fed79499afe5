"""Who may import whom (docs/architecture.md). Each rule reads the import statements of the application code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("clinical", "clinics", "patients", "audit", "challenges", "config")
SLICES = ("library", "run", "home", "reports", "exports", "outcomes")  # each may build on the ones before it
TOP_OF_SLICE = {"views", "urls"}  # a slice's pages may use any slice below the views
ENTRY_POINTS = {"admin", "demo", "management", "templatetags", "views", "urls", "apps"}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _application_modules() -> dict[str, set[str]]:
    graph = {}
    for package in PROJECT:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                graph[_module_name(path)] = _imports(path)
    return graph


GRAPH = _application_modules()


def _violations(importer: str, allowed: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module.split(".")[0] == importer
        for target in targets
        if target.split(".")[0] in PROJECT and target.split(".")[0] not in allowed
    )


@pytest.mark.parametrize(
    ("package", "allowed"),
    [
        ("clinical", ("clinical",)),
        ("clinics", ("clinical", "clinics")),
        ("patients", ("clinical", "clinics", "patients")),
        ("audit", ("clinical", "clinics", "patients", "audit")),
        ("challenges", ("clinical", "clinics", "patients", "audit", "challenges")),
    ],
)
def test_each_app_imports_only_the_layers_below_it(package: str, allowed: tuple[str, ...]) -> None:
    assert _violations(package, allowed) == []


def test_the_clinical_rules_use_no_django() -> None:
    offending = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module.startswith("clinical")
        for target in targets
        if target.split(".")[0] == "django"
    )
    assert offending == []


def _role(module: str) -> str:
    """The file's role in its slice: models, services, selectors, facts, forms, views, urls, ..."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] in SLICES else (parts[1] if len(parts) > 1 else "")


def _slice(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "challenges" and parts[1] in SLICES else None


def test_reads_never_import_writes() -> None:
    """Selectors and facts compute from rows; they never call a service, a form or a view."""
    offending = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if _slice(module) and _role(module) in {"selectors", "facts"}
        for target in targets
        if _slice(target) and _role(target) in {"services", "forms", "views", "urls"}
    )
    assert offending == []


def test_models_and_services_never_import_pages() -> None:
    offending = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if _slice(module) and _role(module) in {"models", "services", "selectors", "facts"}
        for target in targets
        if _slice(target) and _role(target) in {"forms", "views", "urls"}
    )
    assert offending == []


def test_models_never_import_services_or_reads() -> None:
    offending = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if _slice(module) and _role(module) == "models"
        for target in targets
        if _slice(target) and _role(target) in {"services", "selectors", "facts"}
    )
    assert offending == []


def test_a_slice_builds_only_on_the_slices_before_it() -> None:
    """library < run < home < reports < exports, except in a slice's pages (views and urls)."""
    offending = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if _slice(module) and _role(module) not in TOP_OF_SLICE
        for target in targets
        if _slice(target) and SLICES.index(_slice(target)) > SLICES.index(_slice(module))
    )
    assert offending == []


def test_the_rules_see_the_imports() -> None:
    """Positive control: the graph holds the edges the rules judge, so an empty violation list means something."""
    assert "challenges.run.models" in GRAPH
    assert "challenges.library.models.Protocol" in GRAPH["challenges.run.models.challenge"]
    assert _role("challenges.run.models.findings") == "models"  # a models package's modules are judged as models
    assert any(t.startswith("clinical.") for m, ts in GRAPH.items() if m.startswith("challenges.") for t in ts)
    assert _violations("clinics", ("clinical",)) != []  # clinics imports itself, which that rule would forbid
