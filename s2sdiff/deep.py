"""Python's own parser and compiler on deeply nested code.

``ast.parse``, ``compile`` and ``ast.unparse`` recurse into an expression, so a
sum of 100,000 terms (machine-generated code has such lines) exceeds
Python's recursion limit.  ``deep(work)`` runs ``work()``; when it fails that
way it runs it again in a thread with a large stack and a higher limit.
Deeper still is a ``TooDeep`` error (callers say where).  s2sdiff's own passes
are iterative where inputs nest deeply (``trampoline``); the transforms and
the command also run under ``deep``, so no pass can end in a RecursionError.
"""

from __future__ import annotations

import sys
import threading
from typing import Callable, TypeVar

from .errors import S2SDiffError

T = TypeVar("T")
STACK_BYTES = 512 * 1024 * 1024  # reserved, not used, unless the walk is that deep
LIMIT = 400_000  # nesting levels; well inside the stack (Python's parser takes < 300 bytes a level)
_LOCK = threading.Lock()


class TooDeep(S2SDiffError):
    """Code nested more deeply than Python's parser or compiler can follow."""


def deep(work: Callable[[], T]) -> T:
    """``work()``, given a large stack and recursion limit if it needs them."""
    try:
        return work()
    except (RecursionError, MemoryError):
        pass
    result: list = []

    def target():
        try:
            result.append((True, work()))
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            result.append((False, exc))

    with _LOCK:  # the stack size and the recursion limit are global settings
        old_stack, old_limit = threading.stack_size(), sys.getrecursionlimit()
        try:
            threading.stack_size(STACK_BYTES)
            sys.setrecursionlimit(max(old_limit, LIMIT))
            thread = threading.Thread(target=target, name="s2sdiff-deep")
            thread.start()
            thread.join()
        except (RuntimeError, ValueError, MemoryError) as exc:  # no thread with such a stack
            raise TooDeep(f"nested too deeply for this machine ({exc})") from None
        finally:
            threading.stack_size(old_stack)
            sys.setrecursionlimit(old_limit)
    ok, value = result[0]
    if ok:
        return value
    if isinstance(value, RecursionError):
        raise TooDeep("nested more deeply than Python's parser and compiler can follow") from None
    if isinstance(value, MemoryError):
        raise TooDeep("nested more deeply than Python's parser can follow, or out of memory") from None
    raise value
