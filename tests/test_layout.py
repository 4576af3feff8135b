"""The package's shape: importing it is light (NumPy, SciPy and SymPy are loaded
when the code being differentiated, or ``check``, needs them)."""

import subprocess
import sys


def test_import_loads_no_numeric_library():
    code = ("import sys, s2sdiff\n"
            "print(sorted(m for m in ('numpy', 'scipy', 'sympy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "[]"


def test_numpy_rules_are_registered_once_numpy_is_imported():
    code = ("import s2sdiff\n"
            "from s2sdiff.rules import lookup_array\n"
            "import numpy as np\n"
            "print(lookup_array(np.sum) is not None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "True"


# --- the stages: no import cycles, no lower stage importing a higher one ----------------

_STAGES = {"errors": 0, "safe": 0, "deep": 0, "version": 0, "front": 1, "rules": 1, "ir": 2,
           "emit": 3, "back": 4, "pipeline": 5, "dispatch": 5, "trees": 5, "api": 6}  # the rest (verify, graph, cli…): 7


def _imports() -> dict[str, set[str]]:
    """Module → the s2sdiff modules it imports (at any depth of its code)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    files = {".".join(p.relative_to(root).with_suffix("").parts): p
             for p in (root / "s2sdiff").rglob("*.py")}
    files = {(m[:-9] if m.endswith(".__init__") else m): p for m, p in files.items()}
    edges = {}
    for module, path in files.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("s2sdiff")):
                base = package.split(".")[: len(package.split(".")) - max(node.level - 1, 0)]
                target = ".".join(base + [node.module]) if node.level and node.module else \
                    ".".join(base) if node.level else node.module
                found |= {f"{target}.{a.name}" if f"{target}.{a.name}" in files else target
                          for a in node.names}
        edges[module] = {m for m in found if m in files and m != module}
    return edges


def _stage(module: str) -> int:
    parts = module.split(".")
    return _STAGES.get(parts[1], 7) if len(parts) > 1 else 7


def test_no_import_cycles():
    edges = _imports()
    done, path = set(), []

    def visit(module):
        if module in path:
            raise AssertionError("import cycle: " + " -> ".join(path[path.index(module):] + [module]))
        if module in done:
            return
        path.append(module)
        for other in sorted(edges[module]):
            visit(other)
        path.pop()
        done.add(module)

    for module in sorted(edges):
        visit(module)


def test_no_stage_imports_a_later_one():
    bad = [(m, d) for m, deps in _imports().items() for d in deps
           if _stage(d) > _stage(m)
           or (_stage(d) == _stage(m) == 1 and d.split(".")[1] != m.split(".")[1])]
    assert bad == []
