"""Documentation that is generated or promised stays true."""

from pathlib import Path

from helpers.data.docs import readme_is_current

ROOT = Path(__file__).resolve().parents[1]


def test_data_readme_contract_block_is_current():
    assert readme_is_current(ROOT / "data" / "README.md"), (
        "data/README.md is out of date with helpers.data.contract: run `python -m helpers data contract --write`"
    )


def test_readme_names_the_two_commands():
    text = (ROOT / "README.md").read_text()
    assert "make book" in text and "make test" in text


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_chapters_are_committed_without_outputs():
    import nbformat

    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs, f"{path.name} has outputs: strip them before committing"
                assert cell.execution_count is None, f"{path.name} has execution counts"
