"""The words of a table in a publication's layout (:mod:`helpers.analyses.paper_tables`):
the names of its tests, its row labels and the sentence on which p-value to read.
"""

from __future__ import annotations

#: The within-arm tests (codes of :data:`helpers.analyses.paper_tables.PUBLISHED_TESTS`
#: and ``PAIRED_TESTS``) in words.
TEST_WORDS: dict[str, str] = {
    "fisher_independent": "Fisher's exact test, the two visits taken as independent groups",
    "mann_whitney_independent": "Mann-Whitney U test, the two visits taken as independent groups",
    "mcnemar_exact": "exact McNemar test on the subjects with both visits",
    "wilcoxon_signed_rank": "Wilcoxon signed-rank test on the subjects with both visits",
}

#: Short names of the same tests, for a row label.
TEST_SHORT: dict[str, str] = {
    "fisher_independent": "Fisher",
    "mann_whitney_independent": "Mann-Whitney",
    "mcnemar_exact": "exact McNemar",
    "wilcoxon_signed_rank": "Wilcoxon signed-rank",
}

#: The between-arm differences (``DIFFERENCE_METHODS``) in words.
DIFFERENCE_WORDS: dict[str, str] = {
    "miettinen_nurminen": "difference in proportions (percentage points) with the Miettinen-Nurminen score interval",
    "hodges_lehmann": "Hodges-Lehmann shift with the interval that inverts the Mann-Whitney test",
}

#: The cell formats of each kind, as a table's row label.
CELL_WORDS: dict[str, str] = {"continuous": "median (range)", "binary": "n (%)"}

#: The labels of the p-value rows: as published, paired, or both when they are one test.
P_ROWS: dict[str, str] = {"published": "p vs baseline, as published, descriptive", "paired": "p vs baseline, paired",
                          "both": "p vs baseline, paired, as published"}


def label_of_test(code: str) -> str:
    """A test code in words (the code itself when unknown).

    Examples
    --------
    >>> label_of_test("mcnemar_exact")
    'exact McNemar test on the subjects with both visits'
    """
    return TEST_WORDS.get(code, code)


def p_row_label(which: str, test: str) -> str:
    """The label of a p-value row: ``which`` is ``published``, ``paired`` or ``both``.

    Examples
    --------
    >>> p_row_label("published", "fisher_independent")
    'p vs baseline, as published, descriptive (Fisher)'
    >>> p_row_label("both", "wilcoxon_signed_rank")
    'p vs baseline, paired, as published (Wilcoxon signed-rank)'
    """
    if which not in P_ROWS:
        raise ValueError(f"p_row_label: which must be one of {list(P_ROWS)}, got {which!r}")
    return f"{P_ROWS[which]} ({TEST_SHORT.get(test, test)})"


def p_values_note(published: list[str], paired: list[str]) -> str:
    """The footnote that says what the two p-value rows are and which one to read.

    Examples
    --------
    >>> p_values_note(["fisher_independent"], ["mcnemar_exact"])[:80]
    'Within-arm p versus baseline, not adjusted for multiplicity. As published, descr'
    >>> p_values_note(["wilcoxon_signed_rank"], ["wilcoxon_signed_rank"])[61:]
    'Paired: Wilcoxon signed-rank test on the subjects with both visits, the test we recommend, since each patient is compared with themself.'
    """
    unpaired = [t for t in dict.fromkeys(published) if t not in paired]
    par = "; ".join(TEST_WORDS.get(t, t) for t in dict.fromkeys(paired))
    text = "Within-arm p versus baseline, not adjusted for multiplicity. "
    if unpaired:
        text += ("As published, descriptive: " + "; ".join(TEST_WORDS.get(t, t) for t in unpaired) + ", which "
                 "reproduces the publication's p-values but ignores that the same patients are counted at both "
                 "visits. ")
    which = "the tests we recommend" if len(dict.fromkeys(paired)) > 1 else "the test we recommend"
    return text + f"Paired: {par}, {which}, since each patient is compared with themself."
