"""Layering of the UPK app: its modules import each other without cycles, and
the ledger core (`upk/ledger/`) imports nothing of the app above it."""

from __future__ import annotations

import ast
from pathlib import Path

UPK = Path(__file__).resolve().parents[2] / "upk"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    # "from . import x" names modules; "from .m import f" names module m
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def import_graph(root: Path = UPK) -> dict[str, set[str]]:
    """Module → the upk modules it imports (at any depth of the file:
    function-level imports count too, they still tie the modules together).
    Migrations and `if TYPE_CHECKING:` blocks are left out."""
    files = [p for p in root.rglob("*.py") if "migrations" not in p.parts]
    modules = {_module_name(p, root): p for p in files}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        type_only = {
            id(child)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for child in ast.walk(node)
        }
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in type_only:
                continue
            if isinstance(node, ast.ImportFrom):
                candidates = _resolve(name, path.name == "__init__.py", node)
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            targets |= {c for c in candidates if c in modules and c != name}
        graph[name] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path [a, b, …, a], or None (depth-first search)."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_find_cycle_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_import_graph_sees_function_level_imports(tmp_path):
    pkg = tmp_path / "upk"
    (pkg / "ledger").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "ledger" / "__init__.py").write_text("")
    (pkg / "services.py").write_text("from .ledger import books\n")
    (pkg / "ledger" / "books.py").write_text("def f():\n    from ..services import g\n")
    graph = import_graph(pkg)
    assert graph["upk.services"] == {"upk.ledger", "upk.ledger.books"}
    assert graph["upk.ledger.books"] == {"upk.services"}
    assert find_cycle(graph) is not None


def test_upk_modules_import_each_other_without_cycles():
    graph = import_graph()
    assert "upk.ledger.books" in graph and "upk.services" in graph
    # the sub-domain service modules are in the graph (not only the package)
    assert {f"upk.services.{m}" for m in ("loans", "repayments", "savings", "periods", "cash", "settings")} <= set(
        graph
    )
    assert find_cycle(graph) is None, " → ".join(find_cycle(graph) or [])


def test_ledger_core_imports_nothing_of_the_app_above_it():
    graph = import_graph()
    allowed = {"upk.models", "upk.ledger"}
    for module, targets in graph.items():
        if module.startswith("upk.ledger"):
            above = {t for t in targets if not t.startswith("upk.ledger") and t not in allowed}
            assert not above, f"{module} imports {sorted(above)}"


def test_service_modules_do_not_import_their_package():
    """`upk/services/__init__.py` imports every sub-module, so a sub-module
    that imported the package (`from . import x`, `from upk import services`)
    would close a cycle; they import siblings as `from .x import name`."""
    graph = import_graph()
    for module, targets in graph.items():
        if module.startswith("upk.services."):
            assert "upk.services" not in targets, f"{module} imports the upk.services package"
