"""Build a cohort's site: execute the chapters, render with Jupyter Book, swap it in.

The steps, and why they are in this order:

1. Plan: resolve each chapter's parameters from the cohort config and compute its
   content hash; chapters whose hash matches their last successful run are reused.
2. Execute the others on warm kernels (``helpers.build.execute``), validating the
   cohort's data meanwhile so that bad data fail once, clearly, before any chapter.
3. Stage the book (``helpers.build.stage``) and stop if it is identical to the one
   the published site was built from.
4. Render with Jupyter Book, execution off, into the persistent staging folder, so
   Sphinx only re-reads what changed.
5. Copy the rendered site next to the published one and swap the two with renames:
   a failure at any step leaves the published site exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import yaml

from helpers.build import cache, provenance, stage
from helpers.config import CohortConfig, read_cohort_config
from helpers.errors import HelpersError
from helpers.paths import project_root

DEFAULT_COHORT = "nct02084238"
STAMP_FILE = ".site-stamp"


class BuildError(HelpersError, RuntimeError):
    """The build failed; the published site was left as it was."""


@dataclass
class ChapterPlan:
    name: str
    source: Path
    parameters: dict
    key: str
    executed: Path
    downloads: Path
    record: Path
    cached: bool


@dataclass
class BuildReport:
    cohort: str
    output: Path
    executed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    rendered: bool = False
    seconds: float = 0.0
    results: dict = field(default_factory=dict)


def _rel(path: Path, root: Path) -> str:
    return os.path.relpath(path, root)


def resolve_cohort(cohort: str | Path, root: Path) -> Path:
    """A cohort name (``data/<name>``) or a folder holding ``cohort.yml``."""
    p = Path(cohort)
    if (p / "cohort.yml").is_file() or p.name == "cohort.yml":
        return (p if p.is_dir() else p.parent).resolve()
    by_name = root / "data" / str(cohort)
    if (by_name / "cohort.yml").is_file():
        return by_name
    known = sorted(d.name for d in (root / "data").iterdir() if (d / "cohort.yml").is_file())
    raise BuildError(f"no cohort {str(cohort)!r}: expected data/{cohort}/cohort.yml (cohorts here: {known})")


def default_output(config: CohortConfig, root: Path) -> Path:
    if config.name == DEFAULT_COHORT:
        return root / "_build" / "html"
    return root / "_build" / "cohorts" / config.name / "html"


def applicable_notebook(source: Path, tables: set[str], n_arms: int) -> bytes:
    """The chapter notebook without the cells that do not apply to this cohort.

    A cell tagged ``needs-<table>`` is dropped when the cohort has no such table;
    ``needs-several-arms`` and ``needs-one-arm`` keep a cell only for cohorts with
    several arms or with one. This lets one chapter serve a lupus cohort and a generic
    ADaM export, or a single-arm and a randomized trial, with no prose that cites a value
    the cohort cannot have. (The notebook is handled as the JSON it is: this runs on
    every build, including those with nothing to do.)
    """
    nb = json.loads(source.read_text(encoding="utf-8"))

    def applies(cell: dict) -> bool:
        for tag in cell.get("metadata", {}).get("tags", []):
            if not tag.startswith("needs-"):
                continue
            need = tag[len("needs-"):]
            if need == "several-arms":
                ok = n_arms > 1
            elif need == "one-arm":
                ok = n_arms == 1
            else:
                ok = need in tables
            if not ok:
                return False
        return True

    nb["cells"] = [c for c in nb["cells"] if applies(c)]
    return (json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def declared_parameters(notebook: Path) -> dict[str, object]:
    """Parameters a notebook declares in its ``parameters`` cell, with their defaults."""
    import papermill as pm

    return {name: p["default"] for name, p in pm.inspect_notebook(str(notebook)).items()}


def _declared(source: Path, work: Path) -> dict[str, object]:
    """:func:`declared_parameters`, remembered by the notebook's content hash (asking
    papermill costs more than the rest of a no-change rebuild)."""
    key = cache.sha256_file(source)
    memo = work / "declared" / f"{key}.json"
    if memo.is_file():
        return json.loads(memo.read_text())
    declared = declared_parameters(source)
    memo.parent.mkdir(parents=True, exist_ok=True)
    memo.write_text(json.dumps(declared, default=str))
    return declared


def chapter_parameters(
    name: str,
    declared: Mapping[str, object],
    config: CohortConfig,
    root: Path,
    data_dir: Path | None,
    downloads: Path,
    overrides: Mapping[str, object],
) -> dict:
    """The parameters a chapter runs with: what the cohort config says, then overrides.

    Only parameters the notebook declares are passed. An override of a parameter the
    notebook does not declare is an error (a misspelt name would otherwise be ignored).
    """
    computed = {
        "cohort_dir": _rel(config.folder, root),
        "data_dir": _rel(data_dir, root) if data_dir else None,
        "primary_week": config.primary_week,
        "alpha": config.alpha,
        "downloads_dir": _rel(downloads, root),
        "downloads_url": f"../downloads/{name}/",
    }
    params = {k: v for k, v in computed.items() if k in declared}
    merged = {**config.parameters.get("all", {}), **config.parameters.get(name, {}), **overrides}
    unknown = sorted(k for k in merged if k not in declared)
    if unknown:
        raise BuildError(
            f"chapter {name}: parameters {unknown} are not declared in chapters/{name}.ipynb "
            f"(it declares {sorted(declared)}); check {config.config_path.name} and --set options"
        )
    params.update(merged)
    return params


class Progress:
    """Prints what the build does, with times, to a stream (thread-safe enough: one line a call)."""

    def __init__(self, log: Callable[[str], None]):
        self.log = log
        self.t0 = time.perf_counter()

    def __call__(self, msg: str) -> None:
        self.log(f"[{time.perf_counter() - self.t0:6.1f}s] {msg}")


def _data_files(config: CohortConfig) -> list[Path]:
    from helpers.contract import find_table_files

    files, _ = find_table_files(config.data_dir)
    return [config.config_path, *sorted(files.values())]


def build_book(
    cohort: str | Path = DEFAULT_COHORT,
    *,
    root: Path | None = None,
    data_dir: str | Path | None = None,
    output: str | Path | None = None,
    workers: int | None = None,
    force: bool = False,
    overrides: Mapping[str, Mapping[str, object]] | None = None,
    work_dir: str | Path | None = None,
    log: Callable[[str], None] = print,
) -> BuildReport:
    """Build one cohort's site.

    Parameters
    ----------
    cohort : str or Path
        A cohort name under ``data/`` or a folder holding ``cohort.yml``.
    root : Path, optional
        The repository (default: where this package is installed from).
    data_dir : str or Path, optional
        Read the cohort's tables from here instead of the folder its config names.
    output : str or Path, optional
        Where the site goes (default ``_build/html`` for the default cohort,
        ``_build/cohorts/<name>/html`` for the others).
    workers : int, optional
        Chapters executed at once (default: one per core).
    force : bool
        Execute every chapter and render even if nothing changed.
    overrides : mapping, optional
        ``{chapter: {parameter: value}}`` applied after the cohort config.
    work_dir : str or Path, optional
        Where executed notebooks, the cache and the Sphinx staging live (default
        ``_build/.work/<cohort>``); the benchmarks give each run its own.

    Returns
    -------
    BuildReport

    Raises
    ------
    BuildError
        Naming what failed: the data (every problem), a chapter (its cell and error;
        the executed notebook is kept), or the render. The published site is untouched.
    """
    progress = Progress(log)
    root = (root or project_root()).resolve()
    folder = resolve_cohort(cohort, root)
    config = read_cohort_config(folder)
    data_override = Path(data_dir).resolve() if data_dir else None
    if data_override:
        config = config.with_data_dir(data_override)
    out_dir = Path(output).resolve() if output else default_output(config, root)
    work = Path(work_dir).resolve() if work_dir else root / "_build" / ".work" / config.name
    staging = work / "book"
    overrides = overrides or {}
    bad = sorted(set(overrides) - set(config.chapters))
    if bad:
        raise BuildError(f"--set names chapters {bad} that cohort {config.name} does not build ({list(config.chapters)})")
    report = BuildReport(config.name, out_dir)
    progress(f"cohort {config.name}: {config.title}" + (" [simulated data]" if config.simulated else ""))

    # 1. plan -----------------------------------------------------------------------
    files = _data_files(config)
    if len(files) == 1:
        raise BuildError(f"no tables found in {config.data_dir} (expected <table>.csv or <table>.xpt files)")
    data_hashes = cache.sha256_files(files)
    helpers_hash = cache.helpers_source_hash()
    versions = cache.package_versions()
    tables = {p.stem.lower() for p in files[1:]}
    n_arms = len(config.arms) or _count_arms(config, files)
    plans: list[ChapterPlan] = []
    for name in config.chapters:
        original = root / "chapters" / f"{name}.ipynb"
        if not original.is_file():
            raise BuildError(f"chapter {name} is listed in {config.config_path} but chapters/{name}.ipynb does not exist")
        source = work / "sources" / f"{name}.ipynb"
        stage.write_if_changed(source, applicable_notebook(original, tables, n_arms))
        downloads = work / "downloads" / name
        params = chapter_parameters(name, _declared(source, work), config, root, data_override, downloads, overrides.get(name, {}))
        key = cache.chapter_key(source, params, data_hashes, helpers_hash, versions)
        record = work / "cache" / f"{name}.json"
        executed = work / "executed" / f"{name}.ipynb"
        cached = (
            not force and record.is_file() and executed.is_file()
            and json.loads(record.read_text()).get("key") == key
        )
        plans.append(ChapterPlan(name, source, params, key, executed, downloads, record, cached))
    to_run = [p for p in plans if not p.cached]
    report.reused = [p.name for p in plans if p.cached]
    if report.reused:
        progress(f"unchanged since their last run, reused: {', '.join(report.reused)}")

    # 2. validate and execute -----------------------------------------------------
    queries_csv = work / "data-queries.csv"
    validated = work / "validated"
    data_key = cache.digest(data_hashes)
    # Validated once per change of the data; chapters then read the typed tables from
    # the validated cache instead of parsing and checking the files again.
    need_validation = (
        not (work / "data.key").is_file() or (work / "data.key").read_text() != data_key
        or not _cache_matches(config, validated)
    )
    pool = None
    if to_run:
        n = min(workers or os.cpu_count() or 1, len(to_run))
        progress(f"starting {n} kernel(s) for {len(to_run)} chapter(s)")
        from helpers.build.execute import ChapterPool, WarmKernel
        from helpers.data import VALIDATED_CACHE_ENV

        pool = ChapterPool(n, kernel_factory=partial(WarmKernel, env={VALIDATED_CACHE_ENV: str(validated)}))
    try:
        if need_validation:
            queries = _validate(config, validated, progress)
            work.mkdir(parents=True, exist_ok=True)
            queries.to_csv(queries_csv, index=False)
            (work / "data.key").write_text(data_key)
    except BaseException:
        if pool:
            pool.close()
        raise
    import pandas as pd

    queries = pd.read_csv(queries_csv) if queries_csv.is_file() and queries_csv.stat().st_size > 1 else pd.DataFrame()
    renderer = None
    if pool:
        # The Sphinx application starts while the chapters run (configuration and table
        # of contents are final already); it builds once the executed notebooks are staged.
        from helpers.build.render import Renderer

        _stage_config(staging, root, config, queries)
        renderer = Renderer(staging, fresh=force)
        results = _execute(pool, to_run, root, work, progress)
        report.executed = [p.name for p in to_run]
        failed = [r for r in results if not r.ok]
        if failed:
            renderer.cancel()
            raise BuildError(_failure_message(failed, root, out_dir))

    # 3. stage ----------------------------------------------------------------------
    from helpers.build.manifest import collect_results

    results = collect_results([p.executed for p in plans])
    report.results = results
    stamp = _stage(staging, root, config, plans, results, queries, data_hashes, files, versions)
    published_stamp = (out_dir / STAMP_FILE).read_text() if (out_dir / STAMP_FILE).is_file() else None
    if stamp == published_stamp and not force and not report.executed:
        report.seconds = time.perf_counter() - progress.t0
        progress(f"nothing changed: {_rel(out_dir, root)} is up to date (total {report.seconds:.1f} s)")
        return report

    # 4. render ---------------------------------------------------------------------
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    prov = staging / "appendix" / "provenance.md"
    prov.write_text(prov.read_text(encoding="utf-8").replace(provenance.DATE_PLACEHOLDER, date), encoding="utf-8")
    html = _render(renderer or _new_renderer(staging, force), progress)
    report.rendered = True

    # 5. publish --------------------------------------------------------------------
    _publish(html, out_dir, stamp)
    report.seconds = time.perf_counter() - progress.t0
    progress(
        f"site ready: {_rel(out_dir, root)}/index.html ({len(report.executed)} chapter(s) executed, "
        f"{len(report.reused)} reused; total {report.seconds:.1f} s)"
    )
    return report


def _count_arms(config: CohortConfig, files: list[Path]) -> int:
    from helpers.contract import TABLES
    from helpers.data import read_table

    adsl = next((f for f in files if f.stem.lower() == "adsl"), None)
    if adsl is None:
        return 1
    return int(read_table(adsl, TABLES["adsl"])[config.arm_var].nunique())


def _cache_matches(config: CohortConfig, validated: Path) -> bool:
    from helpers.contract import find_table_files
    from helpers.data import read_validated_cache

    files, _ = find_table_files(config.data_dir)
    return read_validated_cache(config, files, validated) is not None


def _validate(config: CohortConfig, validated: Path, progress: Progress):
    """Validate the cohort and write the validated cache, in a child process: a large
    cohort takes a gigabyte to check, which the build gives back when the child exits
    instead of holding it while the kernels work."""
    import pandas as pd

    progress(f"validating the data in {config.data_dir}")
    cmd = [sys.executable, "-m", "helpers", "data", "validate", str(config.folder),
           "--data-dir", str(config.data_dir), "--write-cache", str(validated)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        message = proc.stderr.strip().removeprefix("error: ")
        raise BuildError(f"the cohort's data break the data contract; nothing was built.\n{message}")
    queries = pd.read_pickle(validated / "queries.pkl")
    if len(queries):
        progress(f"{len(queries)} data queries listed in the appendix")
    return queries


def _execute(pool, to_run: list[ChapterPlan], root: Path, work: Path, progress: Progress) -> list:
    total = len(to_run)
    done = {"n": 0}

    from helpers.build.execute import ChapterRun

    def on_event(kind: str, run, result) -> None:
        if kind == "start":
            progress(f"chapter {run.name}: started")
        else:
            done["n"] += 1
            status = "done" if result.ok else "FAILED"
            progress(f"chapter {run.name}: {status} in {result.seconds:.1f} s ({done['n']}/{total})")

    runs = []
    for p in to_run:
        if p.downloads.exists():
            shutil.rmtree(p.downloads)
        p.downloads.mkdir(parents=True, exist_ok=True)
        runs.append(ChapterRun(p.name, p.source, work / "running" / f"{p.name}.ipynb", p.parameters, root))
    results = pool.run(runs, on_event)
    for p, r in zip(to_run, results, strict=True):
        if r.ok:
            p.executed.parent.mkdir(parents=True, exist_ok=True)
            _hide_injected_parameters(r.output)
            os.replace(r.output, p.executed)
            p.record.parent.mkdir(parents=True, exist_ok=True)
            p.record.write_text(json.dumps({"key": p.key, "parameters": p.parameters}, indent=1, default=str))
        else:
            failed_dir = work / "failed"
            failed_dir.mkdir(parents=True, exist_ok=True)
            kept = failed_dir / f"{p.name}.ipynb"
            if r.output.exists():
                os.replace(r.output, kept)
            r.output = kept
            p.record.unlink(missing_ok=True)
    return results


def _hide_injected_parameters(path: Path) -> None:
    """Tag papermill's injected-parameters cell ``remove-cell``: the chapter shows its
    parameters itself, in words, and the raw cell would repeat them as code."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    nbformat.write(nb, path)


def _failure_message(failed: list, root: Path, out_dir: Path) -> str:
    lines = [f"{len(failed)} chapter(s) failed; the site at {_rel(out_dir, root)} was left as it was."]
    for r in failed:
        where = f"cell {r.cell + 1}" if r.cell is not None else "before any cell ran"
        src = f" ({r.details.get('source')})" if r.details.get("source") else ""
        lines.append(f"  - chapter {r.name}, {where}{src}: {r.error}")
        lines.append(f"    executed notebook kept at {_rel(r.output, root)}")
    return "\n".join(lines)


def cited_names(markdown: str) -> set[str]:
    """Glue names a page cites from other documents (``{glue:text}`doc::name:fmt```).

    Examples
    --------
    >>> sorted(cited_names("{glue:text}`chapters/sri.ipynb::primary_rate:.1%` and {glue:text}`a.ipynb::n:d`"))
    ['n', 'primary_rate']
    """
    return set(re.findall(r"::([^`:]+)(?::[^`]*)?`", markdown))


def _appendix(queries) -> list[str]:
    return ["appendix/provenance"] + (["appendix/data-queries"] if len(queries) else [])


def _stage_config(staging: Path, root: Path, config: CohortConfig, queries) -> list[Path]:
    """Stage what Sphinx reads when it starts: ``_config.yml``, ``_toc.yml``, the
    bibliography, the static files and the (possibly still empty) ``_extra`` folder.
    Returns the files written."""
    base_cfg = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    base_toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    staged = [staging / "_config.yml", staging / "_toc.yml"]
    stage.write_if_changed(staged[0], yaml.safe_dump(stage.book_config(base_cfg, config), sort_keys=False, allow_unicode=True))
    stage.write_if_changed(staged[1], yaml.safe_dump(stage.book_toc(base_toc, config.chapters, _appendix(queries)), sort_keys=False))
    for name in stage.BOOK_SOURCES:
        src = root / name
        sources = [f for f in sorted(src.rglob("*")) if f.is_file()] if src.is_dir() else [src] if src.is_file() else []
        for f in sources:
            dst = staging / f.relative_to(root)
            stage.write_if_changed(dst, f.read_bytes())
            staged.append(dst)
    (staging / "_extra").mkdir(parents=True, exist_ok=True)
    return staged


def _stage(staging: Path, root: Path, config: CohortConfig, plans: list[ChapterPlan], results: dict,
           queries, data_hashes: dict, files: list[Path], versions: dict) -> str:
    staged: list[Path] = _stage_config(staging, root, config, queries)

    def put(rel: str, content: bytes | str) -> bool:
        staged.append(staging / rel)
        return stage.write_if_changed(staging / rel, content)

    for p in plans:
        put(f"chapters/{p.name}.ipynb", p.executed.read_bytes())
        for csv in sorted(p.downloads.glob("*")) if p.downloads.is_dir() else []:
            put(f"_extra/downloads/{p.name}/{csv.name}", csv.read_bytes())
    landing = config.landing or root / "intro.md"
    put("intro.md", landing.read_bytes())
    previous = staging / "_extra" / "results.json"
    before = json.loads(previous.read_text()) if previous.is_file() else {}
    cited = cited_names(landing.read_text(encoding="utf-8"))
    if any(before.get(name, object()) != results.get(name) for name in cited):
        # The landing page pastes values glued in the chapters, which Sphinx does not
        # track as dependencies: make it read the page again when one of them changed.
        os.utime(staging / "intro.md")
    from helpers.build.manifest import results_json

    put("_extra/results.json", results_json(results))
    sizes = {}
    names = {}
    for f in files:
        label = _rel(f, root)
        names[str(f)] = label
        sizes[label] = f.stat().st_size
    file_hashes = {names[k]: v for k, v in data_hashes.items()}
    page = provenance.provenance_page(
        config, root, file_hashes, sizes, {p.name: p.parameters for p in plans},
        {p.name: p.key for p in plans}, versions, provenance.git_commit(root),
    )
    put("appendix/provenance.md", page)
    if len(queries):
        put("appendix/data-queries.md", provenance.data_queries_page(queries))
    stage.remove_stale(staging, staged + [staging / "_build"])  # keep Sphinx's own output
    return cache.digest({str(p.relative_to(staging)): cache.sha256_file(p) for p in staged})


def _new_renderer(staging: Path, force: bool):
    from helpers.build.render import Renderer

    return Renderer(staging, fresh=force)


def _render(renderer, progress: Progress) -> Path:
    """Render the staged book (see :mod:`helpers.build.render`); a failure leaves the
    published site as it was."""
    progress("rendering the site with Jupyter Book")
    t0 = time.perf_counter()
    try:
        html = renderer.build()
    except RuntimeError as exc:
        raise BuildError(f"Jupyter Book failed to render the site; the published site was left as it was.\n{exc}") from exc
    progress(f"rendered in {time.perf_counter() - t0:.1f} s")
    return html


def _publish(html: Path, out_dir: Path, stamp: str) -> None:
    """Copy the rendered site beside ``out_dir`` and swap it in with two renames."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    new = out_dir.with_name(f".{out_dir.name}.new-{os.getpid()}")
    old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    if new.exists():
        shutil.rmtree(new)
    shutil.copytree(html, new, ignore=shutil.ignore_patterns(".buildinfo", ".doctrees"))
    (new / STAMP_FILE).write_text(stamp)
    if out_dir.exists():
        os.replace(out_dir, old)
    try:
        os.replace(new, out_dir)
    except OSError:
        if old.exists():
            os.replace(old, out_dir)
        raise
    if old.exists():
        shutil.rmtree(old)
