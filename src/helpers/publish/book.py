"""Build a cohort's site: execute the chapters, render with Jupyter Book, swap it in.

The steps, and why they are in this order:

1. Plan: resolve each chapter's parameters from the cohort config and compute its
   content hash; chapters whose hash matches their last successful run are reused.
2. Execute the others on warm kernels (``helpers.publish.execute``), validating the
   cohort's data meanwhile so that bad data fail once, clearly, before any chapter.
3. Stage the book (``helpers.publish.stage``) and stop if it is identical to the one
   the published site was built from.
4. Render with Jupyter Book, execution off, into the persistent staging folder, so
   Sphinx only re-reads what changed.
5. Publish (``helpers.publish.site``): copy the rendered site into a new version folder
   and switch the output link to it in one atomic step; a failure at any step leaves
   the published site exactly as it was.

Before any of it, the output is checked (only a site this tool published is ever
replaced; never a folder the build reads) and the cohort's lock is taken, so that two
builds of one cohort never interleave (``helpers.publish.lock``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import yaml

import helpers
from helpers.data.config import CohortConfig, read_cohort_config, resolve_cohort
from helpers.errors import HelpersError
from helpers.paths import project_root
from helpers.publish import cache, provenance, site, stage
from helpers.publish.lock import BuildLock
from helpers.publish.site import STAMP_FILE
from helpers.publish.tags import applicable_notebook, content_facts, count_arms

DEFAULT_COHORT = "nct02084238"


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


def cohort_key(config: CohortConfig, root: Path) -> str:
    """The name a cohort's site and work folder go by: the folder's name for a cohort
    under ``data/``, else the name and a short hash of the folder's path, so that a
    folder elsewhere that happens to share a name never shares a site or a cache."""
    if config.folder == (root / "data" / config.name).resolve():
        return config.name
    return f"{config.name}-{cache.digest(str(config.folder))[:8]}"


def default_output(config: CohortConfig, root: Path) -> Path:
    key = cohort_key(config, root)
    if key == DEFAULT_COHORT:
        return root / "_build" / "html"
    return root / "_build" / "cohorts" / key / "html"


def landing_page(config: CohortConfig, root: Path) -> Path | None:
    """The cohort's landing page: its ``landing:`` file, which must lie inside the cohort
    folder (a config may not publish files from elsewhere); ``None`` when the cohort names
    none (the build then writes a default one, :func:`helpers.publish.stage.default_landing`)."""
    if config.landing is None:
        return None
    landing = config.landing.resolve()
    if not landing.is_relative_to(config.folder):
        raise BuildError(f"{config.config_path}: landing {config.landing} is outside the cohort folder {config.folder}; "
                         "a cohort may only publish pages from its own folder")
    if not landing.is_file():
        raise BuildError(f"{config.config_path}: landing page {landing} not found")
    return landing


def declared_parameters(notebook: Path) -> dict[str, object]:
    """Parameters a notebook declares in its ``parameters`` cell, with their defaults."""
    import papermill as pm

    return {name: p["default"] for name, p in pm.inspect_notebook(str(notebook)).items()}


def _declared(source: Path, work: Path, progress: Callable[[str], None] = print) -> dict[str, object]:
    """:func:`declared_parameters`, remembered by the notebook's content hash (asking
    papermill costs more than the rest of a no-change rebuild). A memo that cannot be
    read is discarded and asked again."""
    key = cache.sha256_file(source)
    memo = work / "declared" / f"{key}.json"
    if memo.is_file():
        try:
            return cache.read_json(memo)
        except ValueError as exc:
            progress(f"discarding a corrupt cache entry ({exc}); asking the notebook again")
    declared = declared_parameters(source)
    cache.write_json(memo, declared)
    return declared


def _other_inputs(params: Mapping[str, object], config: CohortConfig, root: Path) -> dict[str, str]:
    """Hashes of the files a chapter reads beyond the cohort's own, when its parameters
    point it at another cohort folder or data folder (``--set sri.data_dir=...``)."""
    from helpers.data.contract import find_table_files

    own_cohort = _rel(config.folder, root)
    cohort_dir = params.get("cohort_dir", own_cohort)
    data_dir = params.get("data_dir")
    if cohort_dir == own_cohort and (data_dir is None or (root / str(data_dir)).resolve() == config.data_dir):
        return {}
    other = read_cohort_config((root / str(cohort_dir)).resolve())
    folder = (root / str(data_dir)).resolve() if data_dir else other.data_dir
    files, _ = find_table_files(folder)
    return cache.sha256_files([other.config_path, *files.values()])


def _cached(name: str, record: Path, executed: Path, key: str, progress: Callable[[str], None]) -> bool:
    """Whether a chapter's last run can be reused: its record holds this key and the
    executed notebook is the one that run wrote (a damaged entry is discarded)."""
    if not record.is_file():
        return False
    try:
        entry = cache.read_json(record)
        if entry.get("key") != key:
            return False
        if not executed.is_file() or cache.sha256_file(executed) != entry.get("executed_sha256"):
            raise ValueError(f"{executed} is missing or differs from the one recorded")
    except ValueError as exc:
        progress(f"chapter {name}: discarding a corrupt cache entry ({exc}); running it again")
        record.unlink(missing_ok=True)
        return False
    return True


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
        "profile": config.profile,
        "blind": config.blinded,
    }
    params = {k: v for k, v in computed.items() if k in declared}
    merged = {**config.parameters.get("all", {}), **config.parameters.get(name, {}), **overrides}
    unknown = sorted(k for k in merged if k not in declared)
    if unknown:
        raise BuildError(
            f"chapter {name}: parameters {unknown} are not declared in chapters/{name}.ipynb "
            f"(it declares {sorted(declared)}); check {config.config_path.name} and --set options"
        )
    from helpers.data.config import check_parameter_value

    sources = [(config.parameters.get("all", {}), "all"), (config.parameters.get(name, {}), name)]
    for values, section in sources:
        for k, v in values.items():
            params[k] = check_parameter_value(name, k, v, _default(declared[k]),
                                              where=config.locate(f"parameters.{section}.{k}"))
    for k, v in overrides.items():
        params[k] = check_parameter_value(name, k, v, _default(declared[k]))
    return params


def _default(source: object) -> object:
    """A declared default as a value (papermill reports the source text), or None when
    it is an expression rather than a literal (then any value is accepted)."""
    import ast

    if not isinstance(source, str):
        return source
    try:
        return ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return None


class Progress:
    """Prints what the build does, with times, to a stream (thread-safe enough: one line a call)."""

    def __init__(self, log: Callable[[str], None]):
        self.log = log
        self.t0 = time.perf_counter()

    def __call__(self, msg: str) -> None:
        self.log(f"[{time.perf_counter() - self.t0:6.1f}s] {msg}")


def _data_files(config: CohortConfig) -> list[Path]:
    from helpers.data.contract import find_table_files

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
    wait: bool = False,
    profile: str | None = None,
    blind: bool = False,
    baseline: str | Path | None = None,
    pdf: bool = False,
    log: Callable[[str], None] = print,
    pool=None,
    renderer=None,
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
    profile : {"full", "public"}, optional
        Overrides the cohort config's ``profile``: ``public`` leaves out subject-level
        listings and the notebook sources, and shows small counts as "< n"
        (:mod:`helpers.present.disclosure`).
    blind : bool
        Build with a dummy randomization (arms shuffled and relabelled, every page
        stamped), as a ``blinded: true`` config always does.
    wait : bool
        When another build of the cohort (or into the same output) is running, wait for
        it instead of failing with :class:`~helpers.publish.lock.BuildBusyError`.
    baseline : str or Path, optional
        A built site or a ``results.json`` file: the site gets an appendix page
        "Changes since <baseline>" listing every result that differs from it
        (:mod:`helpers.publish.compare`). It is read before anything is written.
    pdf : bool
        After publishing, print the book as ``<output>/book.pdf``: its single-page HTML
        printed by Debian's Chromium (:mod:`helpers.publish.pdf`), reused when the site
        did not change. A failure there is a :class:`BuildError`; the site stays published.
    pool : helpers.publish.execute.KernelPool, optional
        Resident kernels to execute the chapters on (the preview server's); they are
        left running. Default: start kernels for this build and stop them after it.
    renderer : helpers.publish.render.ResidentRenderer, optional
        Resident Sphinx applications to render with (the preview server's). Default: a
        new Sphinx application for this build.

    Returns
    -------
    BuildReport

    Raises
    ------
    BuildError
        Naming what failed: the data (every problem), a chapter (its cell and error;
        the executed notebook is kept), the render, or a baseline that cannot be read.
        The published site is untouched.
    OutputError
        The output is a folder the build did not make (nothing is written).
    BuildBusyError
        Another build holds the cohort's lock (nothing is written).
    """
    progress = Progress(log)
    root = (root or project_root()).resolve()
    folder = resolve_cohort(cohort, root)
    config = read_cohort_config(folder)
    data_override = Path(data_dir).resolve() if data_dir else None
    if data_override:
        config = config.with_data_dir(data_override)
    if profile is not None:
        from dataclasses import replace

        from helpers.data.config import PROFILES

        if profile not in PROFILES:
            raise BuildError(f"--profile must be one of {list(PROFILES)}, got {profile!r}")
        config = replace(config, profile=profile)
    if blind and not config.blinded:
        from dataclasses import replace

        config = replace(config, blinded=True)
    out_dir = Path(os.path.abspath(output)) if output else default_output(config, root)
    key = cohort_key(config, root)
    work = Path(work_dir).resolve() if work_dir else root / "_build" / ".work" / key
    overrides = overrides or {}
    bad = sorted(set(overrides) - set(config.chapters))
    if bad:
        raise BuildError(f"--set names chapters {bad} that cohort {config.name} does not build ({list(config.chapters)})")
    landing = landing_page(config, root)
    from helpers.publish.reproduce import published_file, read_published

    published = published_file(config.folder)
    if published is not None:
        read_published(published)  # a malformed published.yml stops the build before anything runs
    read_only = [("the cohort folder", config.folder), ("the data folder", config.data_dir),
                 ("the chapters", root / "chapters"), ("the helpers package", Path(helpers.__file__).parent),
                 ("the build's work folder", work)]
    site.check_output(out_dir, read_only=read_only, roots=[("the repository", root)])
    base = _read_baseline(baseline, root) if baseline is not None else None
    with BuildLock(work / ".lock", wait=wait, log=progress), \
            BuildLock(out_dir.parent / f".{out_dir.name}.lock", wait=wait, log=progress):
        if force:
            _clear_work(work)
        report = _build_locked(config, root, data_override, out_dir, work, landing, workers, force, overrides,
                               progress, base, resident=(pool, renderer), pdf=pdf)
        if pdf:
            from helpers.publish.pdf import PdfError, write_book_pdf

            try:
                write_book_pdf(work / "book", out_dir, work / "pdf", title=config.title,
                               banner_html=stage.banner_text(config), force=force, log=progress)
            except PdfError as exc:
                raise BuildError(f"the site was published, but its PDF could not be printed: {exc}") from exc
        return report


@dataclass(frozen=True)
class Baseline:
    """A build to list the changes since (``--baseline``): its results, its metadata
    (``None`` for a results file from elsewhere) and the name the page gives it."""

    results: dict
    meta: dict | None
    label: str


def _read_baseline(path: str | Path, root: Path) -> Baseline:
    """Read ``--baseline`` (a site or a results.json file), named on the page by its path
    relative to the book when it lies inside it."""
    from helpers.publish.compare import CompareInputError, read_results

    try:
        read = read_results(path)
    except CompareInputError as exc:
        raise BuildError(f"--baseline: {exc}") from exc
    where = Path(os.path.abspath(path))
    label = _rel(where, root) if where.is_relative_to(root) else str(where)
    return Baseline(read.results, read.meta, label)


def _clear_work(work: Path) -> None:
    """Forget every cached result (``--force``): the next steps rebuild from nothing."""
    for entry in work.iterdir() if work.is_dir() else []:
        if entry.name == ".lock":
            continue
        shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()


def _build_locked(config: CohortConfig, root: Path, data_override: Path | None, out_dir: Path, work: Path,
                  landing: Path | None, workers: int | None, force: bool, overrides: Mapping, progress: Progress,
                  baseline: Baseline | None = None, resident: tuple = (None, None), pdf: bool = False) -> BuildReport:
    """The build proper, under the cohort's lock (see :func:`build_book`)."""
    staging = work / "book"
    report = BuildReport(config.name, out_dir)
    progress(f"cohort {config.name}: {config.title}" + (" [simulated data]" if config.simulated else ""))
    site.clean_leftovers(out_dir)

    # 1. plan -----------------------------------------------------------------------
    files = _data_files(config)
    if len(files) == 1:
        raise BuildError(f"no tables found in {config.data_dir} (expected <table>.csv, .xpt, .json, .ndjson or .parquet files)")
    data_hashes = cache.sha256_files(files)
    helpers_hash = cache.helpers_source_hash()
    versions = cache.package_versions()
    tables = {p.stem.lower() for p in files[1:]} | content_facts(config, files, data_hashes, work / "facts.json")
    n_arms = count_arms(config, files)
    plans: list[ChapterPlan] = []
    for name in config.chapters:
        original = root / "chapters" / f"{name}.ipynb"
        if not original.is_file():
            raise BuildError(f"chapter {name} is listed in {config.config_path} but chapters/{name}.ipynb does not exist")
        source = work / "sources" / f"{name}.ipynb"
        stage.write_if_changed(source, applicable_notebook(original, tables, n_arms))
        downloads = work / "downloads" / name
        params = chapter_parameters(name, _declared(source, work, progress), config, root, data_override, downloads,
                                    overrides.get(name, {}))
        inputs = {**data_hashes, **_other_inputs(params, config, root)}
        key = cache.chapter_key(source, params, inputs, helpers_hash, versions)
        record = work / "cache" / f"{name}.json"
        executed = work / "executed" / f"{name}.ipynb"
        cached = not force and _cached(name, record, executed, key, progress)
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
    need_validation = not _validated_cache_intact(work, data_key, config, validated)
    pool = None
    resident_pool, resident_renderer = resident  # the preview server's, kept between builds
    if to_run and resident_pool is not None:
        pool = resident_pool
        pool.use_validated_cache(validated)
    elif to_run:
        n = min(workers or os.cpu_count() or 1, len(to_run))
        progress(f"starting {n} kernel(s) for {len(to_run)} chapter(s)")
        from helpers.publish.execute import ChapterPool, WarmKernel

        pool = ChapterPool(n, kernel_factory=partial(WarmKernel, validated_cache=validated))
    try:
        if need_validation:
            queries = _validate(config, validated, progress)
            work.mkdir(parents=True, exist_ok=True)
            queries.to_csv(queries_csv, index=False)
            cache.write_json(work / "data.json", {"key": data_key, "files": _file_sizes(validated)})
    except BaseException:
        if pool and pool is not resident_pool:
            pool.close()
        raise
    import pandas as pd

    queries = pd.read_csv(queries_csv) if queries_csv.is_file() and queries_csv.stat().st_size > 1 else pd.DataFrame()
    renderer = None
    if pool:
        # The Sphinx application starts while the chapters run (configuration and table
        # of contents are final already); it builds once the executed notebooks are staged.
        from helpers.publish.render import Renderer

        _stage_config(staging, root, config, queries, changes=baseline is not None, pdf=pdf)
        renderer = (resident_renderer.for_staging(staging, fresh=force) if resident_renderer is not None
                    else Renderer(staging, fresh=force))
        results = _execute(pool, to_run, root, work, progress)
        report.executed = [p.name for p in to_run]
        failed = [r for r in results if not r.ok]
        if failed:
            renderer.cancel()
            raise BuildError(_failure_message(failed, root, out_dir))

    # 3. stage ----------------------------------------------------------------------
    from helpers.publish.manifest import collect_glue

    glue = collect_glue([p.executed for p in plans])
    report.results = glue.results
    stamp = _stage(staging, root, config, landing, plans, glue, queries, data_hashes, files, versions, baseline,
                   pdf=pdf)
    published_stamp = (out_dir / STAMP_FILE).read_text() if (out_dir / STAMP_FILE).is_file() else None
    if stamp == published_stamp and not force and not report.executed:
        report.seconds = time.perf_counter() - progress.t0
        progress(f"nothing changed: {_rel(out_dir, root)} is up to date (total {report.seconds:.1f} s)")
        return report

    # 4. render ---------------------------------------------------------------------
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    prov = staging / "appendix" / "provenance.md"
    prov.write_text(prov.read_text(encoding="utf-8").replace(provenance.DATE_PLACEHOLDER, date), encoding="utf-8")
    if renderer is None and resident_renderer is not None:
        renderer = resident_renderer.for_staging(staging, fresh=force)
    html = _render(renderer or _new_renderer(staging, force), progress)
    report.rendered = True

    # 5. publish --------------------------------------------------------------------
    site.publish(html, out_dir, stamp)
    report.seconds = time.perf_counter() - progress.t0
    progress(
        f"site ready: {_rel(out_dir, root)}/index.html ({len(report.executed)} chapter(s) executed, "
        f"{len(report.reused)} reused; total {report.seconds:.1f} s)"
    )
    return report


def _file_sizes(folder: Path) -> dict[str, int]:
    return {f.name: f.stat().st_size for f in sorted(folder.iterdir()) if f.is_file()} if folder.is_dir() else {}


def _validated_cache_intact(work: Path, data_key: str, config: CohortConfig, validated: Path) -> bool:
    """Whether the validated tables can be reused: written for these data files, and
    every file of the cache still the size it was written with (a truncated table is
    validated again, not handed to the chapters)."""
    from helpers.data import read_validated_cache
    from helpers.data.contract import find_table_files

    try:
        entry = cache.read_json(work / "data.json")
        files, _ = find_table_files(config.data_dir)
        return (entry.get("key") == data_key and entry.get("files") == _file_sizes(validated)
                and read_validated_cache(config, files, validated) is not None)
    except (OSError, ValueError):
        return False


def _validate(config: CohortConfig, validated: Path, progress: Progress):
    """Validate the cohort and write the validated cache, in a child process: a large
    cohort takes a gigabyte to check, which the build gives back when the child exits
    instead of holding it while the kernels work."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import pandas as pd

    from helpers.publish.validate import validate_into_cache

    progress(f"validating the data in {config.data_dir}")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        problem = pool.submit(validate_into_cache, config, validated).result()
    if problem:
        raise BuildError(f"the cohort's data break the data contract; nothing was built.\n{problem}")
    queries = pd.read_pickle(validated / "queries.pkl")
    if len(queries):
        progress(f"{len(queries)} data queries listed in the appendix")
    return queries


def _execute(pool, to_run: list[ChapterPlan], root: Path, work: Path, progress: Progress) -> list:
    total = len(to_run)
    done = {"n": 0}

    from helpers.publish.execute import ChapterRun

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
            unrun = _hide_injected_parameters(r.output)
            if unrun:
                r.ok, r.error = False, f"cells {unrun} did not run (the kernel stopped before the end)"
        if r.ok:
            p.executed.parent.mkdir(parents=True, exist_ok=True)
            os.replace(r.output, p.executed)
            cache.write_json(p.record, {"key": p.key, "executed_sha256": cache.sha256_file(p.executed),
                                        "parameters": p.parameters})
        else:
            failed_dir = work / "failed"
            failed_dir.mkdir(parents=True, exist_ok=True)
            kept = failed_dir / f"{p.name}.ipynb"
            if r.output.exists():
                os.replace(r.output, kept)
            r.output = kept
            p.record.unlink(missing_ok=True)
    return results


def _hide_injected_parameters(path: Path) -> list[int]:
    """Tag papermill's injected-parameters cell ``remove-cell`` (the chapter shows its
    parameters itself, in words, and the raw cell would repeat them as code), and return
    the 1-based numbers of code cells that did not run: a chapter is cached only when
    every cell ran."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    unrun = []
    for i, cell in enumerate(nb.cells, start=1):
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
        if cell.cell_type == "code" and cell.source.strip() and cell.get("execution_count") is None:
            unrun.append(i)
    nbformat.write(nb, path)
    return unrun


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


def plan_results(config: CohortConfig) -> dict[str, object]:
    """What ``results.json`` says of the analysis plan: its hash, whether it changed after
    the database lock, the cut-off and lock dates, and whether the build was blinded."""
    return {"analysis_plan_hash": config.analysis_hash(), "analysis_plan_changed_after_lock": config.plan_changed_after_lock(),
            "data_cutoff": config.data_cutoff, "database_lock": config.database_lock, "dummy_randomization": config.blinded}


def _appendix(queries, changes: bool = False, reproduction: bool = False) -> list[str]:
    return ((["appendix/reproduction"] if reproduction else []) + ["appendix/downloads", "appendix/provenance"]
            + (["appendix/data-queries"] if len(queries) else []) + (["appendix/changes"] if changes else []))


def _stage_config(staging: Path, root: Path, config: CohortConfig, queries, changes: bool = False,
                  pdf: bool = False) -> list[Path]:
    """Stage what Sphinx reads when it starts: ``_config.yml``, ``_toc.yml``, the
    bibliography, the static files and the (possibly still empty) ``_extra`` folder.
    ``changes``: the table of contents lists the ``--baseline`` page.
    Returns the files written."""
    from helpers.publish.reproduce import published_file

    reproduction = published_file(config.folder) is not None  # the cohort's published.yml: a page
    base_cfg = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    base_toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    staged = [staging / "_config.yml", staging / "_toc.yml"]
    from helpers.publish.pdf import landing_link

    book_cfg = stage.book_config(base_cfg, config)
    # {{ book_pdf }}: the landing page's link to the PDF, when this build prints one.
    book_cfg.setdefault("parse", {}).setdefault("myst_substitutions", {})["book_pdf"] = landing_link(pdf)
    stage.write_if_changed(staged[0], yaml.safe_dump(book_cfg, sort_keys=False, allow_unicode=True))
    stage.write_if_changed(staged[1], yaml.safe_dump(stage.book_toc(base_toc, config.chapters, _appendix(queries, changes, reproduction)),
                                                     sort_keys=False))
    for name in stage.BOOK_SOURCES:
        src = root / name
        sources = [f for f in sorted(src.rglob("*")) if f.is_file()] if src.is_dir() else [src] if src.is_file() else []
        for f in sources:
            dst = staging / f.relative_to(root)
            stage.write_if_changed(dst, f.read_bytes())
            staged.append(dst)
    (staging / "_extra").mkdir(parents=True, exist_ok=True)
    return staged


def _stage(staging: Path, root: Path, config: CohortConfig, landing: Path | None, plans: list[ChapterPlan], glue,
           queries, data_hashes: dict, files: list[Path], versions: dict, baseline: Baseline | None = None,
           pdf: bool = False) -> str:
    results = glue.results
    staged: list[Path] = _stage_config(staging, root, config, queries, changes=baseline is not None, pdf=pdf)

    def put(rel: str, content: bytes | str) -> bool:
        staged.append(staging / rel)
        return stage.write_if_changed(staging / rel, content)

    for p in plans:
        put(f"chapters/{p.name}.ipynb", p.executed.read_bytes())
        for csv in sorted(p.downloads.glob("*")) if p.downloads.is_dir() else []:
            put(f"_extra/downloads/{p.name}/{csv.name}", csv.read_bytes())
    # Every table in one Word and one RTF file, and the page that lists all downloads.
    from helpers.publish.downloads import bundle_tables, downloads_page, read_chapter_downloads

    chapter_files = [read_chapter_downloads(p.name, p.downloads, p.executed) for p in plans]
    bundles = bundle_tables(chapter_files, staging.parent / "bundles")
    for name, content in bundles.items():
        put(f"_extra/downloads/{name}", content)
    put("appendix/downloads.md", downloads_page(chapter_files, bundles=bool(bundles), pdf=pdf))
    # The cohort's landing page, else a default one citing only what its chapters glued.
    landing_text = (landing.read_text(encoding="utf-8") if landing is not None
                    else stage.default_landing(config, root, glue.chapters))
    put("intro.md", landing_text)
    previous = staging / "_extra" / "results.json"
    try:
        before = json.loads(previous.read_text()) if previous.is_file() else {}
    except (ValueError, OSError):
        before = {}
    cited = cited_names(landing_text)
    if any(before.get(name, object()) != results.get(name) for name in cited):
        # The landing page pastes values glued in the chapters, which Sphinx does not
        # track as dependencies: make it read the page again when one of them changed.
        os.utime(staging / "intro.md")
    from helpers.publish.manifest import (
        glue_citations,
        results_json,
        results_meta,
        results_meta_json,
    )
    from helpers.publish.reproduce import stage_reproduction

    # Does the data reproduce the publication? (the cohort's published.yml, if any)
    reproduction, reproduced = stage_reproduction(config, results)
    published = {**results, **plan_results(config), **reproduced}
    put("_extra/results.json", results_json(published))
    # Beside it, what is known of each result: its chapter and the digits the pages
    # show it with (the chapters' and the landing page's glue format specs).
    citations = {name: list(specs) for name, specs in glue.citations.items()}
    for name, spec in glue_citations(landing_text):
        citations.setdefault(name, []).append(spec)
    meta = results_meta(published, glue.chapters, citations, glue.order, cohort=config.name)
    put("_extra/results-meta.json", results_meta_json(meta))
    if baseline is not None:
        from helpers.publish.compare import changes_page, compare_results

        changes = compare_results(baseline.results, published, baseline.meta, meta)
        put("appendix/changes.md", changes_page(changes, baseline.label))
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
    if reproduction is not None:
        put("appendix/reproduction.md", reproduction)
    if len(queries):
        put("appendix/data-queries.md", provenance.data_queries_page(queries))
    stage.remove_stale(staging, staged + [staging / "_build"])  # keep Sphinx's own output
    return cache.digest({str(p.relative_to(staging)): cache.sha256_file(p) for p in staged})


def _new_renderer(staging: Path, force: bool):
    from helpers.publish.render import Renderer

    return Renderer(staging, fresh=force)


def _render(renderer, progress: Progress) -> Path:
    """Render the staged book (see :mod:`helpers.publish.render`); a failure leaves the
    published site as it was."""
    progress("rendering the site with Jupyter Book")
    t0 = time.perf_counter()
    try:
        html = renderer.build()
    except RuntimeError as exc:
        raise BuildError(f"Jupyter Book failed to render the site; the published site was left as it was.\n{exc}") from exc
    progress(f"rendered in {time.perf_counter() - t0:.1f} s")
    return html
