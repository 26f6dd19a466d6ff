"""The build machinery on a tiny book: cache, parameters, failures, atomic publishing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from tinybook import make_book, make_notebook

from helpers.data.config import read_cohort_config
from helpers.publish import BuildError, build_book, cache
from helpers.publish.book import chapter_parameters
from helpers.publish.manifest import ManifestError, collect_results, plain_value
from helpers.publish.tags import applicable_notebook

ROOT = Path(__file__).resolve().parents[1]



@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A minimal book root: config, toc, landing page, one chapter, one generic cohort."""
    return make_book(tmp_path / "book")


def build(root: Path, **kw):
    lines: list[str] = []
    report = build_book("tiny", root=root, workers=1, log=lines.append, **kw)
    return report, lines


def site(root: Path) -> Path:
    return root / "_build" / "cohorts" / "tiny" / "html"


# ---------------------------------------------------------------------------------------
# unit level


def test_applicable_notebook_drops_cells_for_missing_tables(book: Path):
    nb = nbformat.reads(applicable_notebook(book / "chapters" / "cohort.ipynb", {"adsl", "adae"}, 1).decode(), 4)
    text = "\n".join(c.source for c in nb.cells)
    assert "events are recorded" in text
    assert "never shown" not in text


def test_applicable_notebook_arm_tags(tmp_path: Path):
    path = tmp_path / "x.ipynb"
    nbformat.write(make_notebook([("markdown", "one", ["needs-one-arm"]), ("markdown", "many", ["needs-several-arms"])]), path)
    single = nbformat.reads(applicable_notebook(path, set(), 1).decode(), 4)
    several = nbformat.reads(applicable_notebook(path, set(), 2).decode(), 4)
    assert [c.source for c in single.cells] == ["one"]
    assert [c.source for c in several.cells] == ["many"]


def test_chapter_parameters_only_declared_and_overrides(book: Path):
    cfg = read_cohort_config(book / "data" / "tiny")
    declared = {"cohort_dir": "x", "data_dir": None, "scale": 1, "downloads_dir": None, "downloads_url": None}
    params = chapter_parameters("cohort", declared, cfg, book, None, book / "_build" / "dl", {"scale": 3})
    assert params["scale"] == 3
    assert params["cohort_dir"] == "data/tiny"
    assert "primary_week" not in params  # not declared by the notebook


def test_chapter_parameters_unknown_override_is_an_error(book: Path):
    cfg = read_cohort_config(book / "data" / "tiny")
    with pytest.raises(BuildError, match=r"parameters \['scael'\] are not declared in chapters/cohort.ipynb"):
        chapter_parameters("cohort", {"cohort_dir": "x"}, cfg, book, None, book, {"scael": 3})


def test_chapter_key_changes_with_each_input(tmp_path: Path):
    nb = tmp_path / "c.ipynb"
    nb.write_text("{}")
    base = dict(parameters={"a": 1}, data_hashes={"adsl.csv": "x"}, helpers_hash="h", versions={"pandas": "3"})
    key = cache.chapter_key(nb, **base)
    assert cache.chapter_key(nb, **base) == key
    assert cache.chapter_key(nb, **{**base, "parameters": {"a": 2}}) != key
    assert cache.chapter_key(nb, **{**base, "data_hashes": {"adsl.csv": "y"}}) != key
    assert cache.chapter_key(nb, **{**base, "helpers_hash": "g"}) != key
    assert cache.chapter_key(nb, **{**base, "versions": {"pandas": "2"}}) != key
    nb.write_text('{"changed": true}')
    assert cache.chapter_key(nb, **base) != key


def test_helpers_source_hash_covers_the_package():
    files = cache.helpers_source_files()
    names = {f.name for f in files}
    assert {"definitions.py", "cohort.py", "book.py"} <= names
    assert not any("__pycache__" in f.parts for f in files)


def test_plain_value_keeps_numbers_and_drops_rich_outputs():
    assert plain_value({"text/plain": "36"}) == (True, 36)
    assert plain_value({"text/plain": "0.9"}) == (True, 0.9)
    assert plain_value({"text/plain": "'IL-2'"}) == (True, "IL-2")
    assert plain_value({"text/plain": "<Figure size 640x480>", "image/png": "..."}) == (False, None)


def test_collect_results_refuses_a_name_glued_by_two_chapters(tmp_path: Path):
    for name in ("a", "b"):
        nb = make_notebook([])
        cell = nbformat.v4.new_code_cell("")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"application/papermill.record/text/plain": "1"},
                                               metadata={"scrapbook": {"name": "x", "mime_prefix": "application/papermill.record/"}})]
        nb.cells.append(cell)
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
    with pytest.raises(ManifestError, match="glue name 'x' is used by both a.ipynb and b.ipynb"):
        collect_results([tmp_path / "a.ipynb", tmp_path / "b.ipynb"])


# ---------------------------------------------------------------------------------------
# end to end on the tiny book


@pytest.mark.build
def test_build_caches_and_rebuilds_on_each_kind_of_change(book: Path, monkeypatch):
    # Fixed, so that editing the package while the test runs does not count as a change.
    monkeypatch.setattr(cache, "helpers_source_hash", lambda: "the helpers tree")
    report, _ = build(book)
    assert report.executed == ["cohort"]
    results = json.loads((site(book) / "results.json").read_text())
    assert results["n_subjects"] == 3
    # and, from the build, the analysis plan's hash, dates and randomization
    assert set(results) == {"n_subjects", "analysis_plan_hash", "analysis_plan_changed_after_lock", "data_cutoff",
                            "database_lock", "dummy_randomization"}
    page = (site(book) / "chapters" / "cohort.html").read_text()
    assert "events are recorded" in page and "never shown" not in page
    assert "Simulated data" in (site(book) / "intro.html").read_text()

    # nothing changed: nothing executed, nothing rendered
    report, lines = build(book)
    assert report.executed == [] and not report.rendered
    assert any("nothing changed" in line for line in lines)

    # a parameter changed (through the cohort config)
    cfg = book / "data" / "tiny" / "cohort.yml"
    cfg.write_text(cfg.read_text() + "parameters:\n  cohort:\n    scale: 2\n")
    report, _ = build(book)
    assert report.executed == ["cohort"]
    assert json.loads((site(book) / "results.json").read_text())["n_subjects"] == 6
    assert "6" in (site(book) / "intro.html").read_text()

    # a data file changed in place
    adsl = book / "data" / "tiny" / "adsl.csv"
    adsl.write_text(adsl.read_text() + "T-4,60,M,A,Y,Y\n")
    assert build(book)[0].executed == ["cohort"]
    assert json.loads((site(book) / "results.json").read_text())["n_subjects"] == 8

    # a file touched but unchanged: content hashes, not times
    adsl.touch()
    assert build(book)[0].executed == []

    # the notebook changed
    nb_path = book / "chapters" / "cohort.ipynb"
    nb = nbformat.read(nb_path, 4)
    nb.cells[2].source += "\n\nA new sentence."
    nbformat.write(nb, nb_path)
    assert build(book)[0].executed == ["cohort"]

    # the helpers source changed
    monkeypatch.setattr(cache, "helpers_source_hash", lambda: "a different helpers tree")
    assert build(book)[0].executed == ["cohort"]


@pytest.mark.build
def test_failing_chapter_keeps_the_previous_site(book: Path):
    build(book)
    before = {p.relative_to(site(book)): p.read_bytes() for p in site(book).rglob("*") if p.is_file()}
    nb_path = book / "chapters" / "cohort.ipynb"
    nb = nbformat.read(nb_path, 4)
    nb.cells.insert(2, nbformat.v4.new_code_cell("raise RuntimeError('deliberate failure')"))
    nbformat.write(nb, nb_path)
    with pytest.raises(BuildError) as err:
        build(book)
    message = str(err.value)
    assert "chapter cohort, cell 4" in message  # the injected-parameters cell comes first
    assert "RuntimeError: deliberate failure" in message
    kept = book / "_build" / ".work" / "tiny" / "failed" / "cohort.ipynb"
    assert kept.is_file() and "deliberate failure" in kept.read_text()
    after = {p.relative_to(site(book)): p.read_bytes() for p in site(book).rglob("*") if p.is_file()}
    assert after == before
    versions = list((site(book).parent / ".html.versions").iterdir())
    assert versions == [site(book).resolve()], "no half-written site left beside the published one"
    assert not list(site(book).parent.glob(".html.[nol]*-*"))


@pytest.mark.build
def test_bad_data_fails_before_any_chapter_and_keeps_the_site(book: Path):
    build(book)
    index = (site(book) / "intro.html").read_bytes()
    adsl = book / "data" / "tiny" / "adsl.csv"
    adsl.write_text(adsl.read_text() + "T-9,abc,X,A,Y,Y\n")
    with pytest.raises(BuildError, match=r"(?s)break the data contract.*adsl.csv, column AGE, rows 4: not a number.*column SEX, rows 4"):
        build(book)
    assert (site(book) / "intro.html").read_bytes() == index


@pytest.mark.build
def test_build_never_modifies_sources(book: Path):
    def snapshot():
        return {p: p.read_bytes() for p in book.rglob("*") if p.is_file() and "_build" not in p.parts}

    before = snapshot()
    build(book)
    assert snapshot() == before


def test_cli_help_lists_the_build_options():
    out = subprocess.run([sys.executable, "-m", "helpers", "build", "--help"], capture_output=True, text=True, check=True).stdout
    for option in ("--data-dir", "--output", "--jobs", "--force", "--set"):
        assert option in out


def test_cli_unknown_cohort_is_a_clear_error():
    proc = subprocess.run([sys.executable, "-m", "helpers", "build", "no-such-cohort"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "no cohort 'no-such-cohort'" in proc.stderr


def test_remove_stale_keeps_whole_kept_folders(tmp_path: Path):
    from helpers.publish.stage import remove_stale

    for rel in ("chapters/old.ipynb", "chapters/new.ipynb", "_build/.doctrees/environment.pickle", "_build/html/x.html"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    removed = remove_stale(tmp_path, [tmp_path / "chapters" / "new.ipynb", tmp_path / "_build"])
    assert removed == [tmp_path / "chapters" / "old.ipynb"]
    assert (tmp_path / "_build" / ".doctrees" / "environment.pickle").is_file()


def test_papermill_engine_honours_the_tags_by_hand(book: Path, tmp_path: Path):
    import papermill as pm

    nb_path = book / "chapters" / "cohort.ipynb"
    nb = nbformat.read(nb_path, 4)
    nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('needs adsledai')"))
    nb.cells[-1].metadata["tags"] = ["needs-adsledai"]
    nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('needs several arms')"))
    nb.cells[-1].metadata["tags"] = ["needs-several-arms"]
    nbformat.write(nb, nb_path)
    out = tmp_path / "out.ipynb"
    params = {"cohort_dir": str(book / "data" / "tiny"), "downloads_dir": str(tmp_path / "dl")}
    pm.execute_notebook(str(nb_path), str(out), parameters=params, engine_name="helpers", progress_bar=False)
    sources = [c.source for c in nbformat.read(out, 4).cells]
    assert not any("raise RuntimeError" in s for s in sources)
    with pytest.raises(pm.PapermillExecutionError, match="needs adsledai"):
        pm.execute_notebook(str(nb_path), str(out), parameters=params, progress_bar=False)


@pytest.mark.build
def test_blind_build_and_a_plan_changed_after_lock_are_stamped_on_every_page(book: Path):
    from helpers.data import read_cohort_config

    cfg = book / "data" / "tiny" / "cohort.yml"
    locked = read_cohort_config(cfg).analysis_hash()
    cfg.write_text(cfg.read_text() + f"database_lock: 2020-01-31\nanalysis_hash: {locked}\nalpha: 0.1\n")
    report, _ = build(book, blind=True)
    results = json.loads((site(book) / "results.json").read_text())
    assert results["dummy_randomization"] is True and results["analysis_plan_changed_after_lock"] is True
    assert results["database_lock"] == "2020-01-31"
    for page in ("intro.html", "chapters/cohort.html", "appendix/provenance.html"):
        text = (site(book) / page).read_text()
        assert "Dummy randomization" in text and "The analysis plan changed after the database lock" in text, page
    assert "changed since" in (site(book) / "appendix" / "provenance.html").read_text()


def test_cli_plan_hash(book: Path, monkeypatch, capsys):
    from helpers.cli import main
    from helpers.data import read_cohort_config

    folder = book / "data" / "tiny"
    assert main(["data", "plan-hash", str(folder)]) == 0
    assert capsys.readouterr().out.strip() == read_cohort_config(folder).analysis_hash()
    (folder / "cohort.yml").write_text((folder / "cohort.yml").read_text() + "analysis_hash: '" + "0" * 64 + "'\n")
    assert main(["data", "plan-hash", str(folder)]) == 1
    assert "changed since the hash recorded" in capsys.readouterr().err


@pytest.mark.build
def test_downloads_page_links_every_file_and_the_bundles_hold_every_table(default_site: Path):
    import re

    import docx

    page = (default_site / "appendix" / "downloads.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="(\.\./downloads/[^"#]+)"', page)
    assert hrefs
    missing = [h for h in hrefs if not (default_site / "appendix" / h).resolve().is_file()]
    assert missing == []
    assert "book.pdf" not in page  # this build printed no PDF: the page promises none
    tables = []
    for manifest in sorted((default_site / "downloads").glob("*/tables.json")):
        entries = json.loads(manifest.read_text())["entries"]
        for t in entries:
            assert f'href="../downloads/{manifest.parent.name}/{t["files"]["csv"]}"' in page
        tables += [t for t in entries if not t["listing"]]
    assert len(tables) > 20
    bundle = "\n".join(p.text for p in docx.Document(str(default_site / "downloads" / "tables.docx")).paragraphs)
    labels = [t["label"] for t in tables]
    assert all(f"{label}. " in bundle for label in labels)
    rtf = (default_site / "downloads" / "tables.rtf").read_text(encoding="ascii")
    assert rtf.count("\\page") >= len(tables) - 1
    landing = (default_site / "intro.html").read_text(encoding="utf-8")
    assert 'href="appendix/downloads.html"' in landing


def test_content_facts_renal_from_the_lab_table_and_memo(cohort_dir: Path, tmp_path: Path):
    import pandas as pd

    from helpers.publish.tags import content_facts

    config = read_cohort_config(cohort_dir)
    adlb = cohort_dir / "adlb.csv"
    files = [config.config_path, adlb]
    lab = pd.read_csv(adlb, dtype=str, keep_default_na=False)
    assert "UPROT" in set(lab["PARAMCD"]) and not {"EGFR", "CREAT"} & set(lab["PARAMCD"])
    assert content_facts(config, files) == set()  # proteinuria but no kidney-function measure
    creat = lab[lab["PARAMCD"] == "UPROT"].assign(PARAMCD="CREAT", PARAM="Creatinine", AVAL="70")
    pd.concat([lab, creat]).to_csv(adlb, index=False)
    assert content_facts(config, files) == {"renal"}
    # With the file's hash and a memo, the facts of an unchanged table are not read again.
    memo = tmp_path / "facts.json"
    assert content_facts(config, files, {str(adlb): "k1"}, memo) == {"renal"}
    memo.write_text(memo.read_text().replace('"renal"', '"from-the-memo"'))
    assert content_facts(config, files, {str(adlb): "k1"}, memo) == {"from-the-memo"}
    assert content_facts(config, files, {str(adlb): "k2"}, memo) == {"renal"}  # changed: read again
    assert content_facts(config, [config.config_path]) == set()  # no lab table, no fact


def test_content_facts_liver_needs_a_transaminase_and_bilirubin(cohort_dir: Path):
    import pandas as pd

    from helpers.publish.tags import content_facts

    config = read_cohort_config(cohort_dir)
    adlb = cohort_dir / "adlb.csv"
    lab = pd.read_csv(adlb, dtype=str, keep_default_na=False)
    first = lab[lab["PARAMCD"] == "C3"]
    pd.concat([lab, first.assign(PARAMCD="ALT", AVAL="30")]).to_csv(adlb, index=False)
    assert "liver" not in content_facts(config, [config.config_path, adlb])  # no bilirubin
    pd.concat([lab, first.assign(PARAMCD="ALT", AVAL="30"), first.assign(PARAMCD="BILI", AVAL="9")]).to_csv(adlb, index=False)
    assert "liver" in content_facts(config, [config.config_path, adlb])
