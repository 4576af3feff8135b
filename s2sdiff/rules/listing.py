"""The NumPy and SciPy functions s2sdiff differentiates, listed from the rule registry.

``python -m s2sdiff.rules.listing`` prints the Markdown block the README holds
between its two ``supported functions`` markers; ``--write README.md``
replaces that block in place (``tests/test_listing.py`` checks that the
README's block is this output, so the list cannot drift from the rules).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import registry

BEGIN = "<!-- begin: supported functions (python -m s2sdiff.rules.listing --write README.md) -->"
END = "<!-- end: supported functions -->"

_NAMESPACES = [("np", "numpy"), ("np.linalg", "numpy.linalg"), ("scipy.special", "scipy.special"),
               ("scipy.linalg", "scipy.linalg")]


def _public_names() -> dict[int, list[str]]:
    """id of a public NumPy/SciPy callable → the names it is reached by (aliases too)."""
    names: dict[int, list[str]] = {}
    for prefix, module in _NAMESPACES:
        for name, value in sorted(vars(importlib.import_module(module)).items()):
            if not name.startswith("_") and callable(value) and not isinstance(value, type):
                names.setdefault(id(value), []).append(f"{prefix}.{name}")
    return names


def _named(fns, names: dict[int, list[str]]) -> list[str]:
    """The public names of ``fns`` (each as ``a``/``b`` for aliases), sorted; others left out."""
    out = set()
    for fn in fns:
        listed = getattr(fn, "__s2sdiff_name__", None)
        found = [listed] if listed else names.get(id(fn), [])
        if found:
            out.add(" / ".join(f"`{n}`" for n in found))
    return sorted(out, key=lambda text: text.replace("`", "").lower())


def _splitting() -> tuple:
    """``np.split`` and its siblings: the SSA builder writes one value per piece."""
    from .shaping import SPLITTING

    return SPLITTING


def markdown() -> str:
    """The README block (without its markers)."""
    for module in ("numpy", "scipy.special", "scipy.stats", "scipy.linalg"):
        importlib.import_module(module)  # their rules register once they are imported
    names = _public_names()
    found = registry.registered()
    groups = [
        ("Elementwise, edge partials (checked against SymPy)",
         found["partials"] + found["stand_ins"]),
        ("Other operations, VJP and JVP rules", found["array"]),
        ("Returning a tuple, unpacked (`w, v = np.linalg.eigh(a)`: one call per item, an "
         "item nothing reads costs nothing)", found["splits"]),
        ("Written as a chain of `@`", found["chains"]),
        ("Split into pieces, one value each (sections written as constants)",
         _splitting()),
        ("Constant (no derivative)", found["constant"]),
    ]
    lines = []
    for title, fns in groups:
        listed = _named(fns, names)
        if listed:
            lines += [f"**{title}** ({len(listed)}): " + ", ".join(listed) + ".", ""]
    lines += ["**Where the derivative is not defined**, the rules give:", ""]
    for fns, text in sorted(found["conventions"], key=lambda c: _named(c[0], names)):
        lines.append(f"- {', '.join(_named(fns, names))}: {text}.")
    return "\n".join(lines) + "\n"


def replaced(text: str, block: str) -> str:
    """``text`` with what lies between the markers replaced by ``block``."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + block + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m s2sdiff.rules.listing",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--write", metavar="README", help="replace the block in this file")
    args = parser.parse_args(argv)
    block = markdown()
    if args.write is None:
        sys.stdout.write(block)
        return 0
    with open(args.write, encoding="utf-8") as f:
        text = f.read()
    with open(args.write, "w", encoding="utf-8") as f:
        f.write(replaced(text, block))
    return 0


if __name__ == "__main__":
    sys.exit(main())
