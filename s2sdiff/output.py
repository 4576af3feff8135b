"""How the command writes a file: the same policy for every output.

- Never through a symbolic link, and never to anything but a regular file (a
  folder, FIFO, socket or device is refused, with or without ``--force``).
- Never over a file s2sdiff did not write (``recognise`` tells), unless
  ``--force``; never over the source it read.
- Atomically: the data goes to a temporary file in the same folder, named
  ``.s2sdiff-XXXXXXXX.tmp`` (short, whatever the output's name), which then
  replaces the output.  A temporary left by a run that was killed is removed
  by the next run writing into that folder, once it is ``STALE`` seconds old.
- An output that already holds the data is left untouched.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time
from typing import Callable

from .errors import S2SDiffError

TEMP_PREFIX, TEMP_SUFFIX = ".s2sdiff-", ".tmp"
_TEMP_NAME = re.compile(r"\.s2sdiff-[a-z0-9_]{8}\.tmp")
STALE = 600.0  # seconds: a write takes well under a second


class OutputError(S2SDiffError):
    """An output the command refuses to write, or cannot (exit code 2)."""


def check(path: str, force: bool, recognise: Callable[[str], bool],
          sources: tuple[str, ...] = ()) -> None:
    """Refuse ``path`` unless the command may write it (see the module's policy)."""
    shown = _shown(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OutputError(f"{shown}: the folder {_shown(folder)} does not exist")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"{shown}: cannot write: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise OutputError(f"{shown}: is a symbolic link; s2sdiff does not write through links "
                          "(remove it or give another name)")
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{shown}: is a folder; give a file name")
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(f"{shown}: is not a regular file (a FIFO, socket or device); "
                          "s2sdiff writes only regular files")
    if any(os.path.exists(s) and os.path.samefile(path, s) for s in sources):
        raise OutputError(f"{shown}: refusing to overwrite the source module")
    if not force and not recognise(path):
        raise OutputError(f"{shown}: refusing to overwrite a file s2sdiff did not write "
                          "(it carries no s2sdiff marker); use --force")


def read_head(path: str, size: int = 4096) -> bytes:
    """The first ``size`` bytes of a regular file (b"" for anything else): never
    through a link, never blocking on a FIFO."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return b""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b""
        return os.read(fd, size)
    finally:
        os.close(fd)


def write_atomically(path: str, data: bytes) -> bool:
    """Write ``data`` to ``path`` (already ``check``-ed); False when it holds ``data``."""
    folder = os.path.dirname(os.path.abspath(path))
    remove_stale_temporaries(folder)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputError(f"{_shown(path)}: cannot read: {exc.strerror or exc}") from None
    if info is not None and info.st_size == len(data) and read_head(path, len(data) + 1) == data:
        return False
    mode = stat.S_IMODE(info.st_mode) if info is not None else _default_mode()
    try:
        fd, temp = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
    except OSError as exc:
        raise OutputError(f"{_shown(path)}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)  # replaces a link or file that appeared meanwhile, never follows
    except BaseException as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"{_shown(path)}: cannot write: {exc.strerror or exc}") from None
        raise
    return True


def remove_stale_temporaries(folder: str) -> None:
    """Remove the temporaries of our naming pattern older than ``STALE`` seconds."""
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if not _TEMP_NAME.fullmatch(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE:
                os.unlink(entry.path)
        except OSError:
            pass


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _shown(path: str) -> str:
    rel = os.path.relpath(path)
    return rel if not rel.startswith(".." + os.sep) else os.path.abspath(path)
