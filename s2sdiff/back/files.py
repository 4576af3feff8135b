"""Real files for generated code, so that every tool can read it.

A compiled derivative's code names the file it was compiled from: tracebacks
(Python's default hook reads source lines from disk, not from ``linecache``),
pdb, ``inspect``, coverage and profilers then show the generated lines.  The
files live in a private per-user folder (``$S2SDIFF_CACHE_DIR``, else
``$XDG_CACHE_HOME/s2sdiff``, else ``~/.cache/s2sdiff``), named by their
content's hash, so the same code is one file.  The folder keeps at most
``KEEP`` files (past that, the oldest tenth goes); ``forget()`` removes those
this process wrote.  Where no such folder can be had (read-only home, a folder
that is not the user's own, a symbolic link), the code is compiled under a name
in angle brackets and shown through ``linecache`` only.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

KEEP = 500  # generated files kept in the folder
_WRITTEN: set[str] = set()  # the files this process wrote
_LOCK = threading.Lock()


def folder() -> Path | None:
    """The private folder generated files go to, made if needed; None if there is none."""
    base = os.environ.get("S2SDIFF_CACHE_DIR")
    if base:
        path = Path(base)
    else:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        path = Path(cache) / "s2sdiff"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return None
    private = hasattr(os, "getuid") and info.st_uid == os.getuid()
    if not os.path.isdir(path) or os.path.islink(path) or (hasattr(os, "getuid") and not private):
        return None
    return path


def store(label: str, source: str) -> str:
    """The file name to compile ``source`` under: a real file holding it, or
    ``<s2sdiff label digest>`` when it cannot be written."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:16]
    where = folder()
    if where is None:
        return f"<s2sdiff {label} {digest}>"
    path = where / f"{label}_{digest}.py"
    try:
        if not (path.is_file() and not path.is_symlink() and path.read_text() == source):
            _write(where, path, source)
            _trim(where)  # (only a new file can make too many)
    except (OSError, UnicodeDecodeError):
        return f"<s2sdiff {label} {digest}>"
    with _LOCK:
        _WRITTEN.add(str(path))
    return str(path)


def _write(where: Path, path: Path, source: str) -> None:
    import tempfile  # (here: slow to import, and most processes write no file)

    fd, temp = tempfile.mkstemp(dir=where, prefix=".s2sdiff-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(source)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _trim(where: Path) -> None:
    """When the folder holds more than ``KEEP`` generated files, remove the oldest
    tenth of them (files are counted without reading their dates; trimming a tenth
    at a time reads them once per ``KEEP // 10`` new files, not at each)."""
    try:
        files = [entry.path for entry in os.scandir(where) if entry.name.endswith(".py")]
        if len(files) > KEEP:
            files.sort(key=os.path.getmtime)
            for old in files[:len(files) - KEEP + KEEP // 10]:
                os.unlink(old)
    except OSError:
        pass


def forget() -> None:
    """Remove the generated files this process wrote."""
    with _LOCK:
        written = list(_WRITTEN)
        _WRITTEN.clear()
    for name in written:
        try:
            os.unlink(name)
        except OSError:
            pass
