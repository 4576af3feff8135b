r"""Source lines as Python counts them, and the linecache entries of generated code.

Python's tokenizer ends a line at ``\n``, ``\r\n`` or ``\r`` only;
``str.splitlines`` also splits at ``\x0c``, ``\x1c``, ``\u2028`` and others,
which would shift every line number after one of them:

>>> split("a = 1\x0c\nb = 2  # \u2028 c\r\nd")
['a = 1\x0c\n', 'b = 2  # \u2028 c\r\n', 'd']

Generated code is registered with ``linecache`` (tracebacks, ``inspect``,
pdb show it) for as long as one of its functions lives.
"""

from __future__ import annotations

import linecache
import re
import threading
import weakref

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split(text: str) -> list[str]:
    """The lines of ``text``, ends kept, split exactly where Python's tokenizer ends lines."""
    return _LINE.findall(text)


def longest(lines: list[str]) -> int:
    """The index of the longest of ``lines`` (where code too deeply nested for
    Python's parser most likely is), 0 if there are none."""
    return max(range(len(lines)), key=lambda k: len(lines[k])) if lines else 0


_LIVE: dict[str, int] = {}  # registered file name → functions alive that use it
_LOCK = threading.RLock()  # a finalizer may run inside ``register`` (a collection)


def register(filename: str, source: str, functions: list) -> None:
    """Show ``source`` as the file ``filename`` while one of ``functions`` lives."""
    with _LOCK:
        linecache.cache[filename] = (len(source), None, split(source), filename)
        _LIVE[filename] = _LIVE.get(filename, 0) + len(functions)
    for fn in functions:
        weakref.finalize(fn, _release, filename).atexit = False


def _release(filename: str) -> None:
    with _LOCK:
        left = _LIVE.get(filename, 0) - 1
        if left > 0:
            _LIVE[filename] = left
        else:
            _LIVE.pop(filename, None)
            linecache.cache.pop(filename, None)


def registered() -> int:
    """How many generated sources linecache holds now."""
    return len(_LIVE)
