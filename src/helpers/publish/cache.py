"""Content hashes that decide whether a chapter must run again.

A chapter is executed again only when one of its inputs changed: the notebook source,
its resolved parameters, the cohort's config and data files, the ``helpers`` source, or
the versions of the packages that run it. File times are never used: a file touched but
unchanged does not invalidate anything, and a file changed in place always does.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path

import helpers

#: Packages whose version changes what a chapter computes or shows.
TRACKED_PACKAGES: tuple[str, ...] = (
    "numpy", "pandas", "scipy", "statsmodels", "pingouin", "matplotlib", "seaborn",
    "pandera", "great-tables", "itables", "papermill", "myst-nb", "jupyter-book",
    "sphinx", "sphinx-book-theme",
)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, read in chunks so large files cost no memory."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_files(paths: Iterable[Path], root: Path | None = None) -> dict[str, str]:
    """SHA-256 of each file, keyed by its path (relative to ``root`` when given)."""
    out = {}
    for p in sorted(Path(x) for x in paths):
        name = str(p.relative_to(root)) if root and p.is_relative_to(root) else str(p)
        out[name] = sha256_file(p)
    return out


def helpers_source_files() -> list[Path]:
    """Every file of the installed ``helpers`` package source (not caches)."""
    pkg = Path(helpers.__file__).parent
    return sorted(
        p for p in pkg.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
    )


def helpers_source_hash() -> str:
    """One hash over the whole ``helpers`` source tree (paths and contents)."""
    pkg = Path(helpers.__file__).parent
    h = hashlib.sha256()
    for name, digest in sha256_files(helpers_source_files(), pkg).items():
        h.update(f"{name}\0{digest}\n".encode())
    return h.hexdigest()


def package_versions(names: Iterable[str] = TRACKED_PACKAGES) -> dict[str, str]:
    """Installed versions of the given distributions (``"not installed"`` if absent)."""
    out = {"python": sys.version.split()[0]}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def digest(obj: object) -> str:
    """SHA-256 of a JSON-serialisable object, independent of key order."""
    text = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def chapter_key(
    notebook: Path,
    parameters: Mapping[str, object],
    data_hashes: Mapping[str, str],
    helpers_hash: str,
    versions: Mapping[str, str],
) -> str:
    """The content hash of everything a chapter's execution depends on."""
    return digest(
        {
            "notebook": sha256_file(notebook),
            "parameters": dict(parameters),
            "data": dict(data_hashes),
            "helpers": helpers_hash,
            "versions": dict(versions),
        }
    )


def read_json(path: Path) -> dict:
    """A cache record written by :func:`write_json`.

    Raises
    ------
    ValueError
        When the file is not a JSON object (truncated or damaged), naming the file.
    """
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} cannot be read: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{path} does not hold a record")
    return value


def write_json(path: Path, value: Mapping) -> None:
    """Write a cache record atomically (a reader sees the old record or the new one)."""
    import os

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(dict(value), indent=1, default=str), encoding="utf-8")
    os.replace(tmp, path)
