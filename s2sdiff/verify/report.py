"""The report of ``check``: one verdict per derivative, and its text table."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PairResult:
    """The verdict on one derivative ∂output/∂input in one mode."""

    mode: str
    output: str
    input: str
    kind: str  # "simplify", "exact", "path", "fd", "error", "skipped"
    points: int = 0
    ok: bool = False
    expected: object = None  # SymPy expression (or value along a path)
    obtained: object = None
    detail: str = ""

    @property
    def method(self) -> str:
        return {
            "simplify": "simplify",
            "exact": f"exact evaluation at {self.points} points",
            "path": f"sampled along the path taken at {self.points} points",
            "fd": f"finite differences at {self.points} points",
        }.get(self.kind, self.kind)

    @property
    def verdict(self) -> str:
        return "skipped" if self.kind == "skipped" else ("ok" if self.ok else "FAILED")


@dataclass
class Report:
    """What ``check`` found: per (output, input) pair, the method and the verdict."""

    function: str
    params: tuple[str, ...]
    filename: str = ""
    pairs: list[PairResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        decided = [p for p in self.pairs if p.kind != "skipped"]
        return bool(decided) and all(p.ok for p in decided)

    def methods(self) -> dict[tuple[str, str], str]:
        """(mode, input) → kind of method, e.g. ``{("reverse", "x"): "simplify"}``."""
        return {(p.mode, p.input): p.kind for p in self.pairs}

    def __str__(self) -> str:
        head = f"check {self.function}({', '.join(self.params)})"
        lines = [head + (f"  [{self.filename}]" if self.filename else "")]
        rows = [("mode", "derivative", "method", "verdict")]
        rows += [(p.mode, f"∂{p.output}/∂{p.input}", p.method, p.verdict) for p in self.pairs]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for r in rows:
            lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[3])
        for p in self.pairs:
            if not p.ok and p.kind != "skipped":
                lines.append(f"  ∂{p.output}/∂{p.input} ({p.mode}): {p.detail}")
                if p.expected is not None:
                    lines.append(f"    expected: {p.expected}")
                    lines.append(f"    obtained: {p.obtained}")
        lines += [f"  note: {n}" for n in self.notes]
        good = sum(p.ok for p in self.pairs)
        lines.append(f"  {'ok' if self.ok else 'NOT OK'}: {good} of {len(self.pairs)} verified")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle):  # IPython
        printer.text(str(self))
