"""One build per cohort at a time.

A build holds an exclusive ``flock`` on a lock file in its work folder and one beside
its output for as long as it writes anything. The kernel releases such a lock when the
process ends, however it ends, so a lock file left by a killed build is stale by
construction and the next build simply takes it. The file holds the holder's PID and
command line, for the message a second build prints.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from helpers.errors import HelpersError

#: Exit status of a build that found another one running (``EX_TEMPFAIL`` of sysexits.h).
BUSY_EXIT_STATUS = 75


class BuildBusyError(HelpersError, RuntimeError):
    """Another build of the same cohort (or into the same output) is running."""

    exit_status = BUSY_EXIT_STATUS

    def __init__(self, path: Path, holder: str):
        self.path = path
        self.holder = holder
        super().__init__(
            f"another build is running ({holder}; lock {path}); nothing was changed. "
            "Wait for it to finish, or pass --wait to wait for it"
        )


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text.splitlines()[0] if text else "PID unknown"


class BuildLock:
    """An exclusive lock on ``path``, taken with ``with``.

    Parameters
    ----------
    path : Path
        The lock file (created when missing; never deleted, so that two builds always
        lock the same inode).
    wait : bool
        Wait for the holder to finish instead of raising :class:`BuildBusyError`.
    log : callable, optional
        Told once when the build starts waiting.
    """

    def __init__(self, path: Path, wait: bool = False, log: Callable[[str], None] | None = None):
        self.path = Path(path)
        self.wait = wait
        self.log = log
        self._fd: int | None = None

    def __enter__(self) -> BuildLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                if not self.wait:
                    raise BuildBusyError(self.path, holder) from None
                if self.log:
                    self.log(f"waiting for another build to finish ({holder})")
                fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, 0)
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            os.pwrite(fd, f"PID {os.getpid()}, started {stamp}: {' '.join(sys.argv)}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing releases the flock
            self._fd = None
