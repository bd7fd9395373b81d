"""Staged folder writes: build a folder beside its target, then put it in place in one step.

A writer fills a hidden staging folder next to `target` (same filesystem, so a rename moves it);
only a complete folder ever takes `target`'s name. Replacing an existing `target` uses Linux's
renameat2(RENAME_EXCHANGE), which swaps the two names in one step: a reader, or a writer killed
at any moment, finds the old folder or the new one at `target`, never none. The swapped-out old
content is deleted afterwards.

Where renameat2 is unavailable (not Linux, a libc without it, a kernel or filesystem that refuses
RENAME_EXCHANGE) the replacement falls back to two renames: `target` -> `<staging>-old`, then
staging -> `target`. Between them `target` does not exist; a writer killed there leaves the old
folder at `<staging>-old` and nothing at `target`. Readers are not taught to look there (they
would silently read a folder the writer had already retired); the next save puts a whole folder
back, and :func:`remove_staging` deletes the leftover, since it carries the staging prefix.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

#: renameat2's "relative to the current directory" descriptor and its swap flag (linux/fcntl.h,
#: linux/fs.h); absolute or cwd-relative paths are passed, so AT_FDCWD serves both.
AT_FDCWD = -100
RENAME_EXCHANGE = 2
#: errnos that mean "this kernel or filesystem cannot exchange", not "this exchange failed".
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP}


@contextmanager
def staged_folder(target: Path, prefix: str) -> Iterator[Path]:
    """Yield an empty staging folder beside `target`; on normal exit it replaces `target`.

    The staging folder is made 0755 (mkdtemp's 0700 would hide run files from other readers).
    If the block raises, the staging folder is removed and `target` is left as it was.

    Args:
        target: The folder to create or replace; its parent must exist.
        prefix: Name prefix of the staging folder (hidden, e.g. ".tmp-"), so that
            :func:`remove_staging` can find one a killed writer left behind.

    Yields:
        The staging folder to fill.
    """
    target = Path(target)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=prefix))
    staging.chmod(0o755)  # mkdtemp makes 0700
    try:
        yield staging
        replace_folder(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def replace_folder(source: Path, target: Path) -> None:
    """Move folder `source` to `target`, replacing an existing `target` in one step if possible.

    Args:
        source: A complete folder on the same filesystem as `target`; gone on return.
        target: The folder to create or replace.

    Raises:
        OSError: A rename failed; `target` is then unchanged, except in the fallback's window
            (see the module docstring).
    """
    source, target = Path(source), Path(target)
    if not os.path.lexists(target):
        os.rename(source, target)
        return
    if _exchange(source, target):
        # `source` now holds the old content; a kill before this rmtree leaves it as a stale
        # staging folder (still carrying the prefix), which remove_staging deletes later.
        shutil.rmtree(source, ignore_errors=True)
        return
    # Fallback without an atomic exchange: two renames, with no `target` between them.
    old = source.with_name(source.name + "-old")
    shutil.rmtree(old, ignore_errors=True)
    os.rename(target, old)
    try:
        os.rename(source, target)
    except BaseException:
        os.rename(old, target)  # put the old folder back rather than leave no `target`
        raise
    shutil.rmtree(old, ignore_errors=True)


def remove_staging(parent: Path, prefix: str) -> None:
    """Delete staging folders named `prefix`* in `parent` that killed writers left behind.

    Only safe where a single writer uses `parent`: another writer's folder in progress would go.

    Args:
        parent: The folder holding the targets and their staging folders.
        prefix: The prefix given to :func:`staged_folder`.
    """
    for stale in Path(parent).glob(prefix + "*"):
        shutil.rmtree(stale, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap the names `a` and `b` atomically; False where the system cannot (nothing changed).

    Raises:
        OSError: The exchange is supported but failed (e.g. a path is missing).
    """
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    result = renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


@functools.cache
def _renameat2() -> Callable[[int, bytes, int, bytes, int], int] | None:
    """libc's renameat2, or None off Linux or with a libc that lacks it (glibc < 2.28)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]
