"""Layering of the reports app (issue 11): reports reads the UPK books only through `upk.selectors`
(and the other public modules of upk: permissions, packages), never `upk.models`, so the ledger keeps
one door. The check reads every module of reports/ with `ast`, function-level imports included."""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps

REPORTS = Path(__file__).resolve().parents[2] / "reports"

# The registry (bkm), the forum and the users (core) are what the reports print, and reports reads
# their models directly by design; only these may appear as `<app>.models` imports. Any other app's
# models module (upk's ledger, public, an app added later) is read through that app's selectors.
READ_DIRECTLY = {"bkm", "forum", "core"}


def imported_modules(source: str) -> set[str]:
    """Every module a source imports, as absolute dotted names, at any depth of the file (a function-level
    import still ties the modules together); `from a import b` yields both `a` and `a.b` (b may be a
    module). Relative imports are reports' own and are left out, as are `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(source)
    type_only = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def models_imports(source: str, *, apps_labels: set[str]) -> set[str]:
    """The `<app>.models` modules of `apps_labels` that a source imports (itself, a sub-module or a name in it)."""
    return {
        f"{parts[0]}.models"
        for m in imported_modules(source)
        if (parts := m.split(".")) and len(parts) >= 2 and parts[0] in apps_labels and parts[1] == "models"
    }


def _project_apps() -> set[str]:
    root = REPORTS.parent
    return {c.name for c in apps.get_app_configs() if (root / c.name.replace(".", "/")).is_dir()}


def test_models_imports_finds_every_form_of_import():
    source = (
        "from upk.models import KSM\n"
        "import public.models\n"
        "from forum import models\n"
        "def f():\n"
        "    import upk.models.ledger\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from bkm.models import Unit\n"
        "from upk.selectors import monthly_package\n"
        "from .models import ReportRun\n"
    )
    assert models_imports(source, apps_labels={"upk", "public", "forum", "bkm"}) == {
        "upk.models",
        "public.models",
        "forum.models",
    }


def test_project_apps_include_the_ledger():
    assert {"upk", "bkm", "reports"} <= _project_apps()


def test_reports_imports_no_models_of_other_apps_but_the_registrys():
    forbidden = _project_apps() - READ_DIRECTLY - {"reports"}
    files = [p for p in REPORTS.rglob("*.py") if "migrations" not in p.parts]
    assert len(files) > 10
    offenders = {
        str(path.relative_to(REPORTS.parent)): sorted(found)
        for path in files
        if (found := models_imports(path.read_text(), apps_labels=forbidden))
    }
    assert not offenders, f"read these through the app's selectors: {offenders}"
