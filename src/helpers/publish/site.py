"""Where a site is published, and how it is swapped in without ever losing anything.

Two guarantees, both checked before anything is written:

- **Outputs never overwrite what the build did not make.** An output folder is accepted
  when it does not exist, is empty, or is a site this tool published (it carries the
  stamp file :data:`STAMP_FILE`). Anything else is refused, and so are, always, the
  repository, the folders the build reads (cohort, data, chapters, package) and any of
  their ancestors or descendants.
- **Publishing is atomic.** The output path is a symbolic link to a versioned folder
  beside it (``.<name>.versions/<id>``); a new site is copied into a new version folder
  and the link is switched with a single ``os.replace``, so at every instant either the
  old or the new site is there. Versions no link points to (left by an interrupted
  publish) are removed at the next publish.

Copy a published site with ``cp -rL`` (follow the link).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

from helpers.errors import HelpersError

STAMP_FILE = ".site-stamp"


class OutputError(HelpersError, ValueError):
    """The output folder is not one the build may write to."""


def versions_folder(out: Path) -> Path:
    """The folder holding the published versions of the site at ``out``."""
    return out.parent / f".{out.name}.versions"


def is_our_site(path: Path) -> bool:
    """Whether ``path`` (a folder or a link to one) is a site this tool published."""
    return path.is_dir() and (path / STAMP_FILE).is_file()


def _overlaps(a: Path, b: Path) -> bool:
    return a == b or a.is_relative_to(b) or b.is_relative_to(a)


def check_output(out: Path, *, read_only: Iterable[tuple[str, Path]] = (),
                 roots: Iterable[tuple[str, Path]] = ()) -> None:
    """Refuse an output folder the build must not replace.

    Parameters
    ----------
    out : Path
        The output path as given (a link to a published version, or a folder).
    read_only : iterable of (what, Path)
        Folders the build reads, e.g. ``("the data folder", data_dir)``: the output may
        not be one of them, hold one, or lie inside one.
    roots : iterable of (what, Path)
        Folders the output may lie inside but may not be or hold (the repository).

    Raises
    ------
    OutputError
        Naming the folder and why it is refused.
    """
    candidates = {Path(os.path.abspath(out)), out.resolve()}
    for what, folder, inside_ok in [*((w, f, False) for w, f in read_only), *((w, f, True) for w, f in roots)]:
        folder = folder.resolve()
        for candidate in candidates:
            if candidate == folder or folder.is_relative_to(candidate):
                raise OutputError(
                    f"--output {out}: refused, it is or holds {what} ({folder}); "
                    "a build only ever replaces a site it published itself"
                )
            if not inside_ok and candidate.is_relative_to(folder):
                raise OutputError(
                    f"--output {out}: refused, it is inside {what} ({folder}), which the build only reads"
                )
    if out.is_symlink():
        if not is_our_site(out):
            raise OutputError(f"--output {out}: refused, it is a link to something other than a site this tool published")
        return
    if not out.exists():
        return
    if not out.is_dir():
        raise OutputError(f"--output {out}: refused, it is a file, not a folder")
    if is_our_site(out) or not any(out.iterdir()):
        return
    raise OutputError(
        f"--output {out}: refused, the folder is not empty and holds no site this tool published "
        f"(no {STAMP_FILE}); give a new or empty folder"
    )


def clean_leftovers(out: Path) -> list[Path]:
    """Remove what an interrupted publish left beside ``out``: version folders the link
    does not point to, and temporary links or folders of the old two-rename publish."""
    removed: list[Path] = []
    versions = versions_folder(out)
    current = out.resolve() if out.is_symlink() else None
    if versions.is_dir():
        for entry in versions.iterdir():
            if entry.resolve() != current:
                _remove(entry)
                removed.append(entry)
    for pattern in (f".{out.name}.new-*", f".{out.name}.old-*", f".{out.name}.link-*"):
        for entry in out.parent.glob(pattern):
            _remove(entry)
            removed.append(entry)
    return removed


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def publish(html: Path, out: Path, stamp: str) -> Path:
    """Copy the rendered site into a new version folder and switch ``out`` to it.

    ``out`` is checked with :func:`check_output` first by the caller. A real folder left
    by an earlier layout (a site this tool published, or an empty folder) is first moved
    into the versions folder with one rename. Returns the new version folder.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    versions = versions_folder(out)
    versions.mkdir(exist_ok=True)
    new = versions / f"{stamp[:12]}-{os.getpid()}-{time.time_ns()}"
    shutil.copytree(html, new, ignore=shutil.ignore_patterns(".buildinfo", ".doctrees"))
    (new / STAMP_FILE).write_text(stamp)
    if out.exists() and not out.is_symlink():
        if any(out.iterdir()) and not is_our_site(out):  # checked before; never delete a stranger
            raise OutputError(f"{out} changed during the build and is no longer a site of ours; left as it was")
        os.replace(out, versions / f"{new.name}-previous")
    link = out.with_name(f".{out.name}.link-{os.getpid()}")
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(os.path.relpath(new, out.parent), target_is_directory=True)
    os.replace(link, out)
    clean_leftovers(out)
    return new
