"""Command line: build a cohort's site, serve it live, compare two builds, regenerate or validate data,
print the contract.

Run ``python -m helpers --help`` (or ``python -m helpers build --help``) for the options.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

import yaml

from helpers.errors import ConfigError, HelpersError


def _parse_set(values: list[str]) -> dict[str, dict[str, object]]:
    """``--set CHAPTER.PARAMETER=VALUE`` options as ``{chapter: {parameter: value}}``.

    VALUE is a YAML literal (``0.4``, ``holm``, ``[a, b]``, ``null``). What can be checked
    without the notebook is checked here: the form, the chapter, the parameter name, the
    YAML, and the range of a probability (``alpha``, ``*_rate``). The build checks the
    value's type against the notebook's default (``config.check_parameter_value``).
    A parameter given twice keeps the last value.
    """
    from helpers.data.config import CHAPTERS, check_parameter_value, parse_yaml_value

    out: dict[str, dict[str, object]] = {}
    for item in values:
        name, sep, text = item.partition("=")
        chapter, dot, param = name.strip().partition(".")
        if not sep or not dot or not chapter or not param:
            raise ConfigError(f"--set {item!r}: expected CHAPTER.PARAMETER=VALUE, e.g. sri.null_rate=0.4")
        where = f"--set {chapter}.{param}"
        if chapter not in CHAPTERS:
            close = difflib.get_close_matches(chapter, CHAPTERS, n=1, cutoff=0.6)
            maybe = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{where}: no chapter {chapter!r}{maybe}; the book has {list(CHAPTERS)}")
        if not param.isidentifier():
            raise ConfigError(f"{where}: {param!r} is not a parameter name (letters, digits and _)")
        value = parse_yaml_value(text, where)
        out.setdefault(chapter, {})[param] = check_parameter_value(chapter, param, value, None)
    return out


def _cmd_build(args: argparse.Namespace) -> int:
    from helpers.publish import build_book

    build_book(
        args.cohort,
        data_dir=args.data_dir,
        output=args.output,
        workers=args.jobs,
        force=args.force,
        overrides=_parse_set(args.set),
        work_dir=args.work_dir,
        wait=args.wait,
        profile=args.profile,
        blind=args.blind,
        root=Path(args.root) if args.root else None,
        baseline=args.baseline,
        pdf=args.pdf,
    )
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from helpers.publish.serve import serve

    # The same command, to start the server anew when its own code changes.
    again = [sys.executable, "-m", "helpers", *args.argv]
    return serve(args.cohort, root=Path(args.root) if args.root else None, port=args.port, data_dir=args.data_dir,
                 workers=args.jobs, poll=args.poll, restart_argv=again)


def _port(text: str) -> int:
    """``--port``: 0 (any free port) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {value}")
    return value


def _cmd_compare(args: argparse.Namespace) -> int:
    """Exit status 0 when nothing differs beyond tolerance, 1 when something does, 2 when
    an input cannot be read (``CompareInputError``, reported by :func:`main`)."""
    from helpers.publish.compare import (
        compare_results,
        differences,
        format_report,
        read_results,
        write_comparison_csv,
        write_comparison_html,
    )

    a, b = read_results(args.a), read_results(args.b)
    frame = compare_results(a.results, b.results, a.meta, b.meta, digits=args.digits)
    print(format_report(frame, a.label, b.label))
    try:
        if args.html:
            print(f"wrote {write_comparison_html(frame, args.html, a.label, b.label)}")
        if args.csv:
            print(f"wrote {write_comparison_csv(frame, args.csv)}")
    except OSError as exc:
        print(f"error: cannot write {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 1 if len(differences(frame)) else 0


def _decimals(text: str) -> int:
    """``--digits``: a whole number of decimals, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of decimals, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more decimals, got {value}")
    return value


def _cmd_generate(args: argparse.Namespace) -> int:
    from helpers.publish import project_root
    from helpers.simulate import regenerate

    root = project_root()
    names = args.cohorts
    if args.all:
        names = sorted(
            p.parent.name for p in (root / "data").glob("*/cohort.yml")
            if (yaml.safe_load(p.read_text()) or {}).get("simulated")
        )
    if not names:
        raise HelpersError("name the cohorts to generate, or pass --all")
    stale = []
    for name in names:
        diff = regenerate(root / "data" / name, check=args.check)
        if args.check:
            stale += [f"data/{name}/{f}" for f in diff]
            print(f"{name}: " + ("identical to the committed files" if not diff else f"differs: {', '.join(diff)}"))
        else:
            print(f"{name}: written to data/{name}/")
    return 1 if stale else 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from helpers.data import load_cohort, write_validated_cache
    from helpers.data.config import resolve_cohort
    from helpers.paths import project_root

    cohort = load_cohort(resolve_cohort(args.cohort, project_root()), data_dir=args.data_dir)
    sizes = ", ".join(f"{k} {len(v):,}" for k, v in cohort.tables.items())
    print(f"{cohort.config.name}: valid ({sizes} rows)")
    if len(cohort.queries):
        print(f"{len(cohort.queries)} data queries (listed in the book's appendix)")
    if args.write_cache:
        write_validated_cache(cohort, Path(args.write_cache))
    return 0


def _cmd_plan_hash(args: argparse.Namespace) -> int:
    from helpers.data.config import read_cohort_config, resolve_cohort
    from helpers.paths import project_root

    config = read_cohort_config(resolve_cohort(args.cohort, project_root()))
    print(config.analysis_hash())
    if config.plan_changed_after_lock():
        print(f"the analysis keys changed since the hash recorded in {config.config_path.name}", file=sys.stderr)
        return 1
    return 0


def _cmd_contract(args: argparse.Namespace) -> int:
    from helpers.data.docs import contract_markdown, update_readme
    from helpers.publish import project_root

    if args.write:
        changed = update_readme(project_root() / "data" / "README.md")
        print("data/README.md " + ("updated" if changed else "already up to date"))
    else:
        print(contract_markdown())
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m helpers",
        description="Build the low-dose IL-2 lupus trial book, compare two builds' results and manage its cohorts' data.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser(
        "build",
        help="execute the chapters and render a cohort's site",
        description=(
            "Execute a cohort's chapters with papermill (in parallel, skipping those whose "
            "inputs did not change) and render its site with Jupyter Book. The default cohort "
            "goes to _build/html/, others to _build/cohorts/<name>/html/. A failure leaves the "
            "published site as it was."
        ),
    )
    b.add_argument("cohort", nargs="?", default="nct02084238", help="cohort name under data/ or a folder holding cohort.yml (default: nct02084238)")
    b.add_argument("--data-dir", help="read the cohort's tables from this folder instead")
    b.add_argument("--output", help="write the site here instead of the default location")
    b.add_argument("--jobs", "-j", type=int, help="chapters executed at once (default: one per core)")
    b.add_argument("--force", action="store_true", help="execute and render everything, ignoring the cache")
    b.add_argument("--work-dir", help="keep executed notebooks, the cache and Sphinx's files here (default _build/.work/<cohort>)")
    b.add_argument("--profile", choices=("full", "public"),
                   help="public: no subject-level listings or notebook sources, small counts as '< 5' "
                        "(default: the cohort config's profile, else full)")
    b.add_argument("--blind", action="store_true",
                   help="dummy randomization: shuffle and relabel the arms, stamp every page (a dry run before unblinding)")
    b.add_argument("--root", help="the book to build (a folder with _config.yml and chapters/; default: this repository)")
    b.add_argument("--wait", action="store_true",
                   help="if another build of this cohort is running, wait for it (default: exit with status 75)")
    b.add_argument("--set", action="append", default=[], metavar="CHAPTER.PARAM=VALUE",
                   help="override a chapter parameter, e.g. --set sri.null_rate=0.4 (repeatable)")
    b.add_argument("--baseline", metavar="SITE_OR_RESULTS",
                   help="add an appendix page 'Changes since <baseline>': every result that differs from this "
                        "built site or results.json file (see the compare command)")
    b.add_argument("--pdf", action="store_true",
                   help="also print the book as <output>/book.pdf: its single-page HTML printed by Debian's "
                        "Chromium at /usr/bin/chromium (`make pdf` installs it); reused while the site is unchanged")
    b.set_defaults(func=_cmd_build)

    srv = sub.add_parser(
        "serve",
        help="build a cohort's site, serve it on 127.0.0.1 and rebuild it on every change",
        description=(
            "Build a cohort's site (as the build command does, into the same folders), serve it on "
            "127.0.0.1 only, and rebuild what a change touches whenever a chapter, the helpers source, "
            "the cohort's config or data or a page of the book changes; open pages reload. Kernels stay "
            "warm between builds (one per core). Each chapter page gets a parameter panel that reruns "
            "the chapter with other values into a preview copy (never the published site). Ctrl-C stops "
            "the server and its kernels."
        ),
    )
    srv.add_argument("cohort", nargs="?", default="nct02084238",
                     help="cohort name under data/ or a folder holding cohort.yml (default: nct02084238)")
    srv.add_argument("--port", type=_port, default=8000, help="port on 127.0.0.1 (default 8000; 0: any free port)")
    srv.add_argument("--data-dir", help="read the cohort's tables from this folder instead")
    srv.add_argument("--jobs", "-j", type=int, help="kernels kept warm (default: one per core)")
    srv.add_argument("--root", help="the book to serve (a folder with _config.yml and chapters/; default: this repository)")
    srv.add_argument("--poll", type=float, default=0.5, help="seconds between two looks at the watched files (default 0.5)")
    srv.set_defaults(func=_cmd_serve)

    cmp = sub.add_parser(
        "compare",
        help="list every result added, removed or changed between two builds",
        description=(
            "Compare the results of two builds: each of A and B is a built site (a folder holding "
            "results.json and results-meta.json) or a results.json file, e.g. from an independent "
            "program. Prints every result added, removed or changed, grouped by chapter, with the "
            "absolute and relative change and the tolerance used. Integers, booleans and text are "
            "compared exactly; numbers with decimals at the digits the pages show (from "
            "results-meta.json of either side), at 6 significant digits for a number no page shows, "
            "or at --digits decimals. Exit status: 0 nothing differs beyond tolerance, 1 something "
            "does, 2 an input cannot be read."
        ),
    )
    cmp.add_argument("a", metavar="A", help="the earlier build (baseline): a site folder or a results.json file")
    cmp.add_argument("b", metavar="B", help="the later build: a site folder or a results.json file")
    cmp.add_argument("--digits", type=_decimals, metavar="N",
                     help="compare every number with decimals at N decimals instead of the digits the pages show")
    cmp.add_argument("--html", metavar="OUT.html", help="also write the differences as a standalone HTML page")
    cmp.add_argument("--csv", metavar="OUT.csv", help="also write the differences as CSV")
    cmp.set_defaults(func=_cmd_compare)

    dat = sub.add_parser("data", help="simulated cohorts, validation and the data contract")
    dsub = dat.add_subparsers(dest="data_command", required=True)
    g = dsub.add_parser("generate", help="regenerate simulated cohorts from their seeds")
    g.add_argument("cohorts", nargs="*", help="cohort names under data/")
    g.add_argument("--all", action="store_true", help="every cohort whose config says simulated: true")
    g.add_argument("--check", action="store_true", help="write nothing; exit 1 if the files on disk differ")
    g.set_defaults(func=_cmd_generate)
    v = dsub.add_parser("validate", help="check a cohort's tables against the data contract")
    v.add_argument("cohort", help="cohort name under data/ or a folder holding cohort.yml")
    v.add_argument("--data-dir", help="read the tables from this folder instead")
    v.add_argument("--write-cache", metavar="DIR", help="also write the validated tables here (the build does, for its kernels)")
    v.set_defaults(func=_cmd_validate)
    h = dsub.add_parser("plan-hash", help="print the hash of a cohort's analysis keys (record it as analysis_hash at lock)")
    h.add_argument("cohort", help="cohort name under data/ or a folder holding cohort.yml")
    h.set_defaults(func=_cmd_plan_hash)
    c = dsub.add_parser("contract", help="print the data contract as Markdown")
    c.add_argument("--write", action="store_true", help="update the contract section of data/README.md")
    c.set_defaults(func=_cmd_contract)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    try:
        return args.func(args)
    except HelpersError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_status", 1)
    except KeyboardInterrupt:
        print("interrupted; the published site was left as it was", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
