"""Fresh names."""

from __future__ import annotations


class Namer:
    """Fresh names that collide with nothing the function uses."""

    def __init__(self, taken: set[str]):
        self.taken = set(taken)
        self.counters: dict[str, int] = {}

    def fresh(self, base: str) -> str:
        n = self.counters.get(base, 0)
        while True:
            n += 1
            name = f"{base}{n}"
            if name not in self.taken:
                self.counters[base] = n
                self.taken.add(name)
                return name

    def first(self, base: str) -> str:
        """``base`` itself when it is free, else a fresh numbered name."""
        if base not in self.taken:
            self.taken.add(base)
            return base
        return self.fresh(base)
