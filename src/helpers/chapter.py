"""What a chapter notebook calls: open the cohort, glue results, show tables and figures.

A chapter notebook stays thin: it opens a :class:`Chapter` from its parameters, calls
derivations, statistics and display builders, and hands what the page shows to the
chapter object, which numbers tables, writes their CSV downloads and glues every cited
value so it reaches the prose and ``results.json``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.analyses.arms import arms_and_total, total_label
from helpers.data import Cohort, load_cohort
from helpers.errors import ConfigError
from helpers.paths import project_root, resolve_path
from helpers.present.disclosure import is_count_name, mask_count, mask_data, mask_display


def plain(value: object) -> object:
    """A value as a plain Python object that JSON and ``{glue:text}`` understand.

    numpy scalars become Python numbers, NaN becomes ``None``, tuples become lists.

    Examples
    --------
    >>> plain(np.int64(3)), plain(np.float64(0.5)), plain(float("nan")), plain((1, np.int32(2)))
    (3, 0.5, None, [1, 2])
    """
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    raise TypeError(f"cannot glue a {type(value).__name__} as a plain value; glue numbers, strings or lists")


def _itables_loader() -> str:
    """The HTML that loads itables' DataTables bundle inline (no network, no module file)."""
    from pathlib import Path as _Path

    import itables
    from itables.javascript import generate_init_offline_itables_html

    return generate_init_offline_itables_html(_Path(itables.__file__).parent / "html" / "dt_bundle.js")


@dataclass
class Chapter:
    """One chapter's context: the validated cohort and the chapter's parameters.

    Create it with :meth:`open` from the notebook's parameters.
    """

    name: str
    cohort: Cohort
    primary_week: int | None
    alpha: float
    downloads_dir: Path
    downloads_url: str
    number: int
    arm_override: str | None = None
    profile: str = "full"
    glued: dict[str, object] = field(default_factory=dict)
    _tables: int = 0
    _listing_loader_shown: bool = False
    #: What :meth:`table`, :meth:`listing` and :meth:`figure` wrote, in the page's order:
    #: the entries of ``tables.json`` and ``figures.json`` in the downloads folder.
    _table_files: list[dict] = field(default_factory=list)
    _figure_files: list[dict] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        name: str,
        cohort_dir: str | Path,
        data_dir: str | Path | None = None,
        primary_week: int | None = None,
        alpha: float | None = None,
        downloads_dir: str | Path | None = None,
        downloads_url: str | None = None,
        arm_var: str | None = None,
        profile: str | None = None,
        blind: bool | None = None,
    ) -> Chapter:
        """Load and validate the cohort and resolve the chapter's parameters.

        Every parameter left as None takes the cohort config's value, here and nowhere
        else: ``primary_week``, ``alpha``, ``arm_var``, ``profile``. A primary week outside
        the visit schedule, or an arm variable ``adsl`` lacks, is an error. ``profile`` (default: the cohort config's) ``public`` leaves out subject-level
        listings and shows small counts as "< n" (:mod:`helpers.present.disclosure`).
        """
        from dataclasses import replace as _replace

        from helpers.data import read_cohort_config

        config = read_cohort_config(resolve_path(cohort_dir))
        if config.blinded and blind is False:
            raise ConfigError(f"{config.config_path}: blinded: true; a real-arm build is refused until the config "
                              "says blinded: false (after unblinding)")
        if blind:
            config = _replace(config, blinded=True)
        cohort = load_cohort(config, data_dir=resolve_path(data_dir) if data_dir else None)
        config = cohort.config
        week = config.primary_week if primary_week is None else int(primary_week)
        if week is not None and week not in config.post_baseline_weeks:
            raise ConfigError(f"primary_week {week} is not a post-baseline visit of {config.name} ({list(config.post_baseline_weeks)})")
        a = config.alpha if alpha is None else float(alpha)
        if not 0 < a < 1:
            raise ConfigError(f"alpha must be between 0 and 1, got {a}")
        number = config.chapters.index(name) + 1 if name in config.chapters else 0
        # By hand (no build), downloads go under _build/, never beside the sources.
        out = Path(downloads_dir) if downloads_dir else project_root() / "_build" / "manual" / "downloads" / name
        url = downloads_url if downloads_url is not None else f"downloads/{name}/"
        if arm_var is not None and arm_var not in cohort["adsl"].columns:
            raise ConfigError(f"arm_var {arm_var!r} is not a column of adsl ({cohort.files['adsl']})")
        override = arm_var if arm_var not in (None, config.arm_var) else None
        from helpers.data.config import PROFILES

        profile = profile or config.profile
        if profile not in PROFILES:
            raise ConfigError(f"profile must be one of {list(PROFILES)}, got {profile!r}")
        return cls(name, cohort, week, a, resolve_path(out) if out.is_absolute() else out.resolve(), url, number,
                   override, profile)

    # -- the cohort ------------------------------------------------------------------
    @property
    def config(self):
        return self.cohort.config

    @property
    def arm_var(self) -> str:
        return self.arm_override or self.cohort.arm_var

    @property
    def arms(self) -> tuple[str, ...]:
        """Arms in the config's order; with an overriding arm variable, in order of first
        appearance in ``adsl``."""
        if self.arm_override:
            return tuple(pd.unique(self.cohort["adsl"][self.arm_override].dropna()))
        return self.cohort.arms

    @property
    def several_arms(self) -> bool:
        return len(self.arms) > 1

    @property
    def total_label(self) -> str:
        """The label of all subjects together: ``Total`` with several arms, else the arm."""
        return total_label(self.arms)

    @property
    def arms_and_total(self) -> list[str]:
        """The arms, then ``Total`` when there are several."""
        return arms_and_total(self.arms)

    def has(self, *tables: str) -> bool:
        """Whether the cohort holds every named table."""
        return self.cohort.has(*tables)

    @property
    def public(self) -> bool:
        """Whether this is a public build (see :mod:`helpers.present.disclosure`)."""
        return self.profile == "public"

    @property
    def confidence(self) -> float:
        return 1 - self.alpha

    def visit_labels(self) -> dict[int, str]:
        return {v.week: v.label for v in self.config.visits}

    # -- what the page shows ---------------------------------------------------------
    def header(self, **parameters):
        """What opens a chapter: the simulated-data note (when the data are simulated) and
        the parameters this run used, so a reader sees what was chosen and can rerun it.

        Parameters
        ----------
        **parameters
            Chapter-specific parameters to list besides the cohort, primary week and
            significance level.
        """
        from IPython.display import HTML, display

        parts = []
        if self.config.blinded:
            parts.append(
                '<div class="admonition warning dummy-randomization" role="note">'
                '<p class="admonition-title">Dummy randomization</p><p>This chapter was built with a dummy '
                "randomization: the arms are shuffled and relabelled, so no comparison here is the trial's. "
                "It shows that the analysis runs, before unblinding.</p></div>"
            )
        if self.config.simulated:
            text = (
                "The data in this chapter are <strong>simulated</strong>: a cohort generated by "
                "<code>helpers.simulate</code> and calibrated to the published results of "
                f"{html.escape(self.config.registry or self.config.label)}. They are not the trial's patient "
                "records. The same analysis runs unchanged on a real export in the same format."
            )
            parts.append(
                '<div class="admonition warning simulated-data" role="note">'
                f'<p class="admonition-title">Simulated data</p><p>{text}</p></div>'
            )
        shown = {"cohort": f"{self.config.name} ({self.config.label})"}
        if self.primary_week is not None:
            shown["primary week"] = self.primary_week
        shown["significance level"] = self.alpha
        shown.update({k.replace("_", " "): v for k, v in parameters.items()})
        items = "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>" for k, v in shown.items())
        parts.append(f'<details class="chapter-parameters"><summary>Parameters of this run</summary><dl>{items}</dl></details>')
        display(HTML("".join(parts)))

    def glue(self, name: str, value: object) -> None:
        """Glue a plain value under ``name`` for the prose and ``results.json``."""
        from myst_nb import glue

        if name in self.glued:
            raise ValueError(f"glue name {name!r} is used twice in chapter {self.name}")
        v = plain(value)
        if self.public and is_count_name(name):
            v = mask_count(v, self.config.min_cell_count)
        glue(name, v, display=False)
        self.glued[name] = v

    def glue_values(self, values: Mapping[str, object]) -> None:
        """Glue several plain values, ``{name: value}``."""
        for name, value in values.items():
            self.glue(name, value)

    def glue_frame(self, frame: pd.DataFrame, names: Mapping[str, str], by: str | None = None,
                   total: bool = True, p_values: tuple[str, ...] = (), arms: Sequence[str] | None = None) -> None:
        """Glue per-arm values from a tidy frame with one row per arm (and ``Total``).

        Parameters
        ----------
        frame : DataFrame
            One row per value of ``by``: each arm and, with several arms and ``total``,
            the ``Total`` row.
        names : mapping
            Glue name -> column of ``frame``.
        by : str, optional
            The arm column (default: the chapter's arm variable).
        total : bool
            Glue ``name`` with the total (or, with one arm, the arm's value). With several
            arms and ``total=False`` (an efficacy estimate, never pooled across randomized
            arms), only ``name@<arm>`` is glued.
        p_values : tuple of str
            Names (keys of ``names``) holding p-values: each also gets ``<name>_text``.
        arms : sequence of str, optional
            The arms to glue (default: every arm); e.g. the arms compared with the
            reference, for a frame of between-arm comparisons (no total then).

        Notes
        -----
        With several arms each arm's value is glued as ``name@<arm>``; with one arm, only
        ``name``. A row missing for an arm is an error: a page never cites a value that
        was not computed.
        """
        by = by or self.arm_var
        rows = {str(k): r for k, r in frame.set_index(by, drop=False).iterrows()}
        glued_arms = list(self.arms if arms is None else arms)
        total = total and arms is None
        wanted = glued_arms + ([self.total_label] if total and self.several_arms else [])
        missing = [a for a in wanted if a not in rows]
        if missing:
            raise ValueError(f"glue_frame: no row for {missing} in column {by!r} (rows: {sorted(rows)})")
        from helpers.present.prose import p_text

        for name, column in names.items():
            values = {arm: rows[arm][column] for arm in wanted}
            glued = [(name, values)]
            if name in p_values:
                glued.append((f"{name}_text", {arm: p_text(v) for arm, v in values.items()}))
            for key, by_arm in glued:
                if total or not self.several_arms:
                    self.glue(key, by_arm[self.total_label] if self.several_arms else by_arm[self.arms[0]])
                if self.several_arms:
                    for arm in glued_arms:
                        self.glue(f"{key}@{arm}", by_arm[arm])

    def glue_comparisons(self, frame: pd.DataFrame, names: Mapping[str, str], by: str = "arm",
                         p_values: tuple[str, ...] = ()) -> None:
        """Glue between-arm comparisons, one row per arm compared with the reference.

        Each value is glued as ``<name>@<arm>-vs-<reference>``; with exactly two arms the
        bare ``<name>`` is that comparison too (an efficacy result's bare name is never
        a pooled value). Names in ``p_values`` also get ``<name>_text``.

        Parameters
        ----------
        frame : DataFrame
            One row per compared arm, its arm in column ``by`` and the reference in
            ``reference`` (default: the cohort's reference arm).
        names : mapping
            Glue name -> column.
        """
        from helpers.present.prose import p_text

        for _, row in frame.iterrows():
            reference = row["reference"] if "reference" in frame.columns else self.config.reference_arm
            suffix = f"@{row[by]}-vs-{reference}"
            for name, column in names.items():
                values = [(name, row[column])] + ([(f"{name}_text", p_text(row[column]))] if name in p_values else [])
                for key, value in values:
                    self.glue(key + suffix, value)
                    if len(self.arms) == 2:
                        self.glue(key, value)

    def glue_columns(self, frame: pd.DataFrame, template: str, by: str | None = None, total: bool = True) -> None:
        """Glue every column of a one-row-per-arm frame (but ``by``) under
        ``template.format(column)``: for names that depend on the data (a course, a
        PARAMCD), as :meth:`glue_frame` does for fixed names."""
        by = by or self.arm_var
        self.glue_frame(frame, {template.format(c): c for c in frame.columns if c != by}, by=by, total=total)

    def glue_p(self, name: str, p: float, by_arm: Mapping[str, float] | None = None) -> None:
        """Glue a p value as a number under ``name`` and as display text under
        ``name_text`` (``"p = 0.034"``, ``"p < 0.001"``), per arm too when given."""
        from helpers.present.prose import p_text as text

        if by_arm is None:
            self.glue(name, p)
            self.glue(f"{name}_text", text(p))
        else:
            self.glue_arms(name, by_arm, total=p)
            self.glue_arms(f"{name}_text", {a: text(v) for a, v in by_arm.items()}, total=text(p))

    def glue_arms(self, name: str, by_arm: Mapping[str, object], total: object = None) -> None:
        """Glue a value over all subjects as ``name`` and, with several arms, each arm's
        value as ``name@<arm>``."""
        if total is not None or not self.several_arms:
            self.glue(name, total if total is not None else next(iter(by_arm.values())))
        if self.several_arms:
            for arm, value in by_arm.items():
                self.glue(f"{name}@{arm}", value)

    def _table_label(self) -> tuple[str, str]:
        """The next table's number (``"3.2"``) and label (``"Table 3.2"``)."""
        self._tables += 1
        number = f"{self.number}.{self._tables}" if self.number else f"{self._tables}"
        return number, f"Table {number}"

    def _record_table(self, table, number: str, label: str, files: Mapping[str, str], listing: bool) -> None:
        """Add a table to the chapter's ``tables.json``, which the build bundles from."""
        from helpers.present.export import write_manifest

        self._table_files.append({"name": table.name, "number": number, "label": label, "title": table.title,
                                  "listing": listing, "files": dict(files)})
        write_manifest(self.downloads_dir, "tables.json", self._table_files)

    def table(self, table) -> None:
        """Number a :class:`helpers.present.tables.ResultTable`, write its downloads, and show
        it with links to them.

        Beside ``<name>.csv`` (the table's data), ``<name>.docx`` and ``<name>.rtf`` hold
        the table as the page shows it, with its number, title, footnotes and, for a
        simulated cohort, the simulated-data note (:mod:`helpers.present.export`). In the
        public profile all three hold the masked counts. The table is listed in the
        downloads folder's ``tables.json``.
        """
        from IPython.display import HTML, display

        from helpers.present.export import (
            ExportTable,
            format_table_downloads,
            simulated_note,
            write_table_docx,
            write_table_rtf,
        )
        from helpers.present.tables import write_table_csv

        number, label = self._table_label()
        if self.public:
            threshold = self.config.min_cell_count
            table = replace(table, display=mask_display(table.display, threshold), data=mask_data(table.data, threshold),
                            notes=[*table.notes, f"Counts from 1 to {threshold - 1} are shown as \"< {threshold}\" (public build)."])
        notes = (simulated_note(self.config.registry or self.config.label),) if self.config.simulated else ()
        export = ExportTable(label, table, notes)
        files = {
            "csv": write_table_csv(table, self.downloads_dir).name,
            "docx": write_table_docx(export, self.downloads_dir).name,
            "rtf": write_table_rtf(export, self.downloads_dir).name,
        }
        self._record_table(table, number, label, files, listing=False)
        body = table.to_html(f"{label}. {table.title}")
        download = format_table_downloads(label, self.downloads_url, files, len(table.data))
        display(HTML(f'<div class="result-table" id="{html.escape(table.name)}">{body}{download}</div>'))

    #: The most rows a listing holds in its page; the CSV holds every row. A registry-sized
    #: cohort's listing of abnormal lab values has hundreds of thousands of rows, which no
    #: browser searches in a page (and which would make the page hundreds of megabytes).
    LISTING_PAGE_ROWS = 5000

    def listing(self, table, page_length: int = 10, max_rows: int | None = None) -> None:
        """Like :meth:`table`, for a long listing: searchable and sortable in the page.

        The table is an itables DataTable whose JavaScript (from the pinned itables
        package) is inlined in the page once, so it works without a network and from a
        site opened straight from disk; the full listing is also a CSV download (and only
        that: a subject-level listing gets no Word or RTF file and is in no bundle; it
        is listed in ``tables.json`` with ``"listing": true``). The page holds the first
        ``max_rows`` rows (default :attr:`LISTING_PAGE_ROWS`) and says so when there are
        more; the CSV holds them all.
        """
        from IPython.display import HTML, display
        from itables import to_html_datatable

        from helpers.present.export import format_table_downloads
        from helpers.present.tables import write_table_csv

        number, label = self._table_label()
        if self.public:
            display(HTML(f'<div class="result-table listing" id="{html.escape(table.name)}"><p><strong>{label}. '
                         f'{html.escape(table.title)}</strong>: a subject-level listing, left out of this public build '
                         "(it would show individual patients' records).</p></div>"))
            return
        files = {"csv": write_table_csv(table, self.downloads_dir).name}
        self._record_table(table, number, label, files, listing=True)
        # The DataTables bundle is inlined once per page: served by the page itself it works
        # offline and from file:// (where browsers refuse to import a module file).
        loader = "" if self._listing_loader_shown else _itables_loader()
        self._listing_loader_shown = True
        limit = self.LISTING_PAGE_ROWS if max_rows is None else max_rows
        shown = table.display.head(limit)
        cut = ([f"The page holds the first {len(shown):,} of {len(table.display):,} rows (search and sort see "
                "those); the CSV download holds every row."] if len(shown) < len(table.display) else [])
        body = to_html_datatable(
            shown, connected=False, table_id=f"dt-{table.name}", caption=f"{label}. {table.title}",
            pageLength=page_length, showIndex=False, classes="display compact", allow_html=False,
            maxBytes=0,  # every row: search and sort only see what the page holds
            text_in_header_can_be_selected=False,  # a click on a column's name sorts it
        )
        notes = "".join(f"<p class=\"table-note\">{html.escape(n)}</p>" for n in [*table.notes, *cut])
        download = format_table_downloads(label, self.downloads_url, files, len(table.data))
        display(HTML(f'<div class="result-table listing" id="{html.escape(table.name)}">{loader}{body}{notes}{download}</div>'))

    def figure(self, name: str, fig, save: bool = False, width_mm: float | None = None) -> None:
        """Glue a matplotlib figure for a ``{glue:figure}`` directive, write it as files and
        close it.

        The page's figure is glued under ``name`` as drawn. The figure is also written
        beside the chapter's CSV downloads as ``<name>.svg`` (text as paths),
        ``<name>.png`` (300 dpi) and ``<name>.pdf`` (fonts embedded), at a journal's
        column width (:func:`helpers.present.export.write_figure_files`), and listed in the
        downloads folder's ``figures.json``. The links to them are glued, as HTML, under
        ``<name>_downloads``: a page shows them under the figure by pasting that name in
        a legend paragraph of its ``{glue:figure}`` directive, with the ``{glue:any}`` role.

        Parameters
        ----------
        name : str
            The glue name, and the files' stem.
        fig : matplotlib.figure.Figure
        save : bool
            Kept for notebooks that ask for ``<name>.png`` (the landing page shows it):
            it is now always written.
        width_mm : float, optional
            The files' width in millimetres (default: ``figure_width_mm`` of
            ``cohort.yml``, 85 mm unless it says otherwise); the height keeps the
            figure's aspect.
        """
        import matplotlib.pyplot as plt
        from IPython.display import HTML
        from myst_nb import glue

        from helpers.present.export import (
            format_figure_downloads,
            write_figure_files,
            write_manifest,
        )

        glue(name, fig, display=False)
        width = float(self.config.figure_width_mm if width_mm is None else width_mm)
        try:
            paths = write_figure_files(fig, self.downloads_dir, name, width)
        finally:
            plt.close(fig)
        files = {kind: path.name for kind, path in paths.items()}
        w, h = fig.get_size_inches()
        self._figure_files.append({"name": name, "width_mm": round(width, 2), "height_mm": round(width * h / w, 2),
                                   "files": files})
        write_manifest(self.downloads_dir, "figures.json", self._figure_files)
        glue(f"{name}_downloads", HTML(format_figure_downloads(self.downloads_url, files)), display=False)
