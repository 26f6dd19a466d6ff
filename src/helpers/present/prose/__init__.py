"""Every word the book generates: p-value text, directions, verdicts, articles, counts.

A sentence on a page is either written by hand in a chapter (and then says nothing the
data could contradict) or built here from results, so that a direction, a verdict or a
qualifier such as "small" follows the numbers: on other data the words change with them.
Chapter-specific sentences live in the submodules (``efficacy``, ``safety``,
``markers``); the words they share are here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from helpers.present.format import format_p


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def p_text(p: float) -> str:
    """A p-value in a sentence: ``p = 0.052``, ``p < 0.001``, ``p not computed``.

    Examples
    --------
    >>> p_text(0.0524), p_text(0.00001), p_text(float("nan"))
    ('p = 0.052', 'p < 0.001', 'p not computed')
    """
    shown = format_p(p)
    if shown == "-":
        return "p not computed"
    return f"p < {shown[1:]}" if shown.startswith("<") else f"p = {shown}"


def direction(value: float, up: str = "higher", down: str = "lower", same: str = "no different",
              digits: int | None = None) -> str:
    """The word for the sign of ``value``, after rounding to ``digits`` when given (a
    difference shown as 0.0 is "no different", whatever its sign).

    Examples
    --------
    >>> direction(0.25), direction(-3), direction(0.004, digits=2), direction(float("nan"))
    ('higher', 'lower', 'no different', 'not computed')
    """
    if _missing(value):
        return "not computed"
    v = round(value, digits) if digits is not None else value
    return up if v > 0 else down if v < 0 else same


def difference_in_points(diff: float, digits: int = 1, up: str = "higher", down: str = "lower") -> str:
    """A difference of two proportions in percentage points, with its direction.

    Examples
    --------
    >>> difference_in_points(0.2517), difference_in_points(-0.05), difference_in_points(0.0001)
    ('25.2 percentage points higher', '5.0 percentage points lower', 'no different')
    >>> difference_in_points(0.01)
    '1.0 percentage point higher'
    """
    if _missing(diff):
        return "not computed"
    points = round(abs(100 * diff), digits)
    word = direction(diff, up, down, digits=digits + 2)
    if word == "no different":
        return word
    unit = "percentage point" if points == 1 else "percentage points"
    return f"{points:.{digits}f} {unit} {word}"


def article(word: str) -> str:
    """``a`` or ``an`` before ``word``, by its first sound (acronyms by their letters'
    names: "an SAE", "a CTCAE grade").

    Examples
    --------
    >>> [article(w) for w in ("adverse event", "injection-site reaction", "SAE", "CTCAE grade", "ulcer", "user",
    ...                       "urinary tract infection")]
    ['an', 'an', 'an', 'a', 'an', 'a', 'a']
    """
    w = word.strip()
    if not w:
        return "a"
    first = w.split()[0].split("-")[0]
    if len(first) > 1 and first.isupper():  # an acronym, read letter by letter
        return "an" if first[0] in "AEFHILMNORSX" else "a"
    lower = w.lower()
    if lower.startswith(("one", "uni", "use", "usu", "eu", "ur")):  # a "yoo" or "w" sound
        return "a"
    return "an" if lower[0] in "aeiou" else "a"


def with_article(word: str) -> str:
    """``word`` with its indefinite article.

    Examples
    --------
    >>> with_article("injection-site reaction"), with_article("application-site reaction")
    ('an injection-site reaction', 'an application-site reaction')
    """
    return f"{article(word)} {word}"


def count_noun(n: int, singular: str, plural: str | None = None) -> str:
    """``n`` with the noun in the right number.

    Examples
    --------
    >>> count_noun(1, "subject"), count_noun(3, "subject"), count_noun(0, "adverse event")
    ('1 subject', '3 subjects', '0 adverse events')
    """
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def join_words(items: Iterable[str], conjunction: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c``.

    Examples
    --------
    >>> join_words(["Treg"]), join_words(["Treg", "Th17"]), join_words(["a", "b", "c"], "or")
    ('Treg', 'Treg and Th17', 'a, b or c')
    """
    items = [str(x) for x in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def percent(level: float) -> str:
    """A confidence level or a share as a whole percentage when it is one.

    Examples
    --------
    >>> percent(0.95), percent(0.9), percent(0.975)
    ('95%', '90%', '97.5%')
    """
    v = round(100 * level, 6)
    return f"{v:.0f}%" if float(v).is_integer() else f"{v:g}%"


def small_or_not(n: int, minimum: int) -> str:
    """``"small"`` when ``n`` is below ``minimum`` (a stated threshold), else ``""``:
    "the subgroups are small" is only said when they are.

    Examples
    --------
    >>> small_or_not(3, 10), small_or_not(40000, 10)
    ('small', '')
    """
    return "small" if n < minimum else ""


def holds(ok: bool | None) -> str:
    """The verdict on a claim: ``holds``, ``does not hold`` or ``cannot be judged``.

    Examples
    --------
    >>> holds(True), holds(False), holds(None)
    ('holds', 'does not hold', 'cannot be judged')
    """
    return "cannot be judged" if ok is None else "holds" if ok else "does not hold"


def met(p: float, alpha: float) -> str:
    """Whether an end point's test met its level: ``met`` or ``not met`` at the stated
    two-sided level.

    Examples
    --------
    >>> met(0.0524, 0.05), met(0.01, 0.05), met(float("nan"), 0.05)
    ('not met at the two-sided 5% level', 'met at the two-sided 5% level', 'not assessed (no test)')
    """
    if _missing(p):
        return "not assessed (no test)"
    return f"{'met' if p < alpha else 'not met'} at the two-sided {percent(alpha)} level"


def simulation_note(simulated: bool, sentences: Iterable[str], what: str = "this result",
                    fallback: bool = True) -> str:
    """What a result on simulated data shows, quoting what the generator imposed on it
    (the ``simulation.imposed`` sentences of ``cohort.yml`` that concern it): that the
    analysis runs, not that the result is true of patients. ``""`` on real data, and
    when nothing was imposed and ``fallback`` is false.

    Examples
    --------
    >>> simulation_note(True, ["Treg rise."], "this direction")
    'These data are simulated, and the generator imposed this direction ("Treg rise"): the result shows that the analysis runs, not that it is true of patients.'
    >>> simulation_note(True, [])
    'These data are simulated (what the generator imposed is listed on the provenance page): the result shows that the analysis runs, not that it is true of patients.'
    >>> simulation_note(False, ["Treg rise."]), simulation_note(True, [], fallback=False)
    ('', '')
    """
    if not simulated:
        return ""
    quoted = [str(s).strip().rstrip(".") for s in sentences if str(s).strip()]
    tail = "the result shows that the analysis runs, not that it is true of patients."
    if quoted:
        return f"These data are simulated, and the generator imposed {what} ({'; '.join(chr(34) + q + chr(34) for q in quoted)}): {tail}"
    return f"These data are simulated (what the generator imposed is listed on the provenance page): {tail}" if fallback else ""
