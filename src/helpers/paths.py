"""Where the repository is, and how paths given to chapters are resolved."""

from __future__ import annotations

from pathlib import Path


def project_root() -> Path:
    """The repository this package runs from: the nearest folder above it with a
    ``_config.yml`` and a ``chapters/`` folder (an editable install), else the working
    directory."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "_config.yml").is_file() and (parent / "chapters").is_dir():
            return parent
    return Path.cwd()


def resolve_path(path: str | Path) -> Path:
    """A path as given if it exists from the working directory, else relative to the
    repository root, so that a notebook opened from ``chapters/`` and papermill run
    from the root accept the same parameters."""
    p = Path(path)
    if p.is_absolute() or p.exists():
        return p.resolve()
    alt = project_root() / p
    return alt.resolve() if alt.exists() else p.resolve()
