"""Bending a simulated randomized cohort onto the paper's Tables 1 and 2.

The randomized trial (He et al., Ann Rheum Dis 2020) publishes, per arm, at baseline,
week 12 and week 24: SLEDAI medians and ranges, manifestation counts, BILAG medians and
"A or 2B" counts, PGA medians, prednisone medians and ranges, anti-dsDNA and
anti-nucleosome medians and ranges, ANA decreases, and lupus nephritis remission. The
disease model of :mod:`helpers.simulate.disease` gives plausible courses; the functions
here then change as little as they can, at the published visits only, so that the
figures come out exactly:

- :func:`solve_descriptors` chooses which SLEDAI descriptors are active at baseline,
  week 12 and week 24 (a 0-1 integer program solved by HiGHS), keeping every subject's
  response status, so the SRI-4 counts hold;
- :func:`calibrate_bilag` sets the "A or 2B" counts and the score medians without
  creating a new A or a new B (so BILAG flares and the SRI do not change);
- :func:`calibrate_prednisone` and :func:`calibrate_lab` set medians and ranges of doses
  and labs, through :func:`~helpers.simulate.calibrate.fit_quantiles_bounded` (a dose
  never above the previous one) and
  :func:`~helpers.simulate.calibrate.map_threshold_lab` (anti-dsDNA stays on its side of
  the SLEDAI cut-off);
- :func:`ana_titres`, :func:`anua_values` and :func:`creatinine_values` draw the optional
  serology and renal tests.

They run at the published size only; :func:`helpers.simulate.checks.check_calibration`
then recomputes every figure through :mod:`helpers.derive`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.simulate.calibrate import (
    fit_median_bounded,
    fit_quantiles_bounded,
    map_threshold_lab,
    median_slots,
    snap,
)
from helpers.simulate.disease import (
    CLINICAL_ENTRY,
    IDX,
    LAB_ENTRY,
    RENAL,
    TOGGLE,
    WEIGHTS,
)

#: Descriptors the baseline calibration may switch on or off (never the neurological ones).
BASELINE_FLIP: tuple[str, ...] = (*TOGGLE, "VASCUL", "MYOSIT", "CASTS")
W = WEIGHTS.astype(np.int64)


def median_side_need(n: int) -> int:
    """How many of ``n`` values must lie on one side of a cut for the median to lie there.

    Examples
    --------
    >>> median_side_need(29), median_side_need(30)
    (15, 16)
    """
    return n // 2 + 1


# ---------------------------------------------------------------------------------------
# descriptors: an integer program over baseline and the published visits


class _Program:
    """A 0-1 integer program built row by row, solved by HiGHS (``scipy.optimize.milp``)."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.rows: list[tuple[dict[int, float], float, float]] = []

    def var(self, cost: float = 0.0, lb: float = 0.0, ub: float = 1.0) -> int:
        self.cost.append(cost)
        self.lb.append(lb)
        self.ub.append(ub)
        return len(self.cost) - 1

    def row(self, coefs: dict[int, float], lo: float = -np.inf, hi: float = np.inf) -> None:
        self.rows.append((coefs, lo, hi))

    def solve(self) -> np.ndarray | None:
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import coo_matrix

        r, c, v, lo, hi = [], [], [], [], []
        for k, (coefs, low, high) in enumerate(self.rows):
            for col, val in coefs.items():
                r.append(k)
                c.append(col)
                v.append(val)
            lo.append(low)
            hi.append(high)
        n = len(self.cost)
        a = coo_matrix((v, (r, c)), shape=(len(self.rows), n)).tocsr()
        res = milp(
            np.array(self.cost), integrality=np.ones(n), bounds=Bounds(self.lb, self.ub),
            constraints=LinearConstraint(a, lo, hi), options={"disp": False, "presolve": True, "mip_rel_gap": 0.05},
        )
        if res.status != 0 or res.x is None:
            return None
        return np.round(res.x).astype(int)


def _quantile_classes(n: int, median: float, low: float, high: float) -> list[tuple[float, float, int]]:
    """The sorted positions of ``n`` totals with a given median, minimum and maximum, as
    classes (value range, how many subjects): the minimum, those up to the median, the
    median value(s), those from it, the maximum."""
    lo_i, hi_i, m_lo, m_hi = median_slots(n, median, 1.0)
    classes = [(low, low, 1), (low, m_lo, lo_i - 1), (m_lo, m_lo, 1)]
    if hi_i != lo_i:
        classes.append((m_hi, m_hi, 1))
    classes += [(m_hi, high, n - 2 - hi_i), (high, high, 1)]
    return [c for c in classes if c[2] > 0]


@dataclass
class VisitPlan:
    """What one published visit asks of an arm's descriptors (for :func:`solve_descriptors`).

    Attributes
    ----------
    observed : ndarray of bool, (m,)
        Subjects seen at the visit (the treated).
    responder : ndarray of bool, (m,)
        Whose SLEDAI must be down by 4 or more from baseline (the others by less).
    counts : dict of str to int
        Descriptor code -> subjects with it.
    sledai : (median, low, high) or None
    dna_above : bool or None
        Raised anti-dsDNA in the majority (True) or the minority (False).
    n_remission : int or None
        Subjects with nephritis at baseline and no proteinuria now.
    extra : ndarray, (m,)
        Points of planned new descriptors (a flare) added to the total.
    reference : ndarray of bool, (m, 24) or None
        The descriptors as the disease course made them: the fewest changes from these.
    """

    observed: np.ndarray
    responder: np.ndarray
    counts: dict[str, int]
    sledai: tuple[float, float, float] | None
    dna_above: bool | None
    n_remission: int | None = None
    extra: np.ndarray | None = None
    reference: np.ndarray | None = None


def solve_descriptors(
    rng: np.random.Generator,
    active0: np.ndarray,
    totals0: np.ndarray,
    itt: np.ndarray,
    counts0: dict[str, int] | None,
    n_renal: int | None,
    dna_above0: bool | None,
    visits: list[VisitPlan],
    fix_baseline: bool = False,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Baseline and follow-up descriptors of one arm meeting every published figure.

    Parameters
    ----------
    active0 : ndarray of bool, (m, 24)
        The baseline descriptors as drawn (every randomized subject of the arm).
    totals0 : ndarray of int, (m,)
        Each subject's baseline SLEDAI-2K total (on the published median and range).
    itt : ndarray of bool, (m,)
        The treated: the subjects Table 2 counts.
    counts0 : dict of str to int or None
        Descriptor code -> treated subjects with it at baseline.
    n_renal : int or None
        Treated subjects with nephritis at baseline (proteinuria; the other renal
        descriptors only with it).
    dna_above0 : bool or None
        The side of the baseline anti-dsDNA median.
    visits : list of VisitPlan
    fix_baseline : bool
        Keep ``active0`` as it is (only the visits are solved).

    Returns
    -------
    active0 : ndarray of bool, (m, 24)
    at_visits : list of ndarray of bool, (m, 24)
        One per plan (rows of subjects not observed are all False).

    Raises
    ------
    RuntimeError
        When no choice meets every figure.

    Notes
    -----
    A 0-1 integer program. Variables: each subject's switchable baseline descriptors
    (complement, anti-dsDNA, serositis, cytopenias, skin, joints, kidneys, vasculitis,
    myositis, fever; never the neurological ones) and every descriptor at each visit, a
    visit's only if present at baseline. Constraints: baseline totals; one clinical and
    one laboratory entry criterion; the counts; proteinuria with every other renal
    descriptor; the side of the anti-dsDNA median; each subject's response status; the
    nephritis remissions; the SLEDAI median, minimum and maximum, by placing each
    subject in one class of the sorted positions (:func:`_quantile_classes`). Objective:
    the fewest changes from the draw (and from the disease course at the visits), with
    tiny random costs so that one solution is the optimum; the solver stops within 5% of
    it (a deterministic rule: the same inputs give the same solution).
    """
    m, J = active0.shape
    prog = _Program()
    flip0 = np.zeros(J, dtype=bool)
    flip0[[IDX[c] for c in BASELINE_FLIP]] = True
    if fix_baseline:
        flip0[:] = False

    def noise() -> float:
        """A tiny cost that breaks ties between equally good solutions."""
        return float(rng.random()) * 1e-3

    # baseline variables: x0[i][j] is a variable index, or the fixed value (bool)
    x0: list[list[int | bool]] = []
    for i in range(m):
        row: list[int | bool] = []
        for j in range(J):
            if flip0[j]:
                row.append(prog.var(cost=(-1.0 if active0[i, j] else 1.0) + noise()))
            else:
                row.append(bool(active0[i, j]))
        x0.append(row)

    def lin(terms: list[tuple[int | bool, float]]) -> tuple[dict[int, float], float]:
        coefs: dict[int, float] = {}
        const = 0.0
        for x, w in terms:
            if isinstance(x, bool):
                const += w * x
            else:
                coefs[x] = coefs.get(x, 0.0) + w
        return coefs, const

    def add(terms, lo=-np.inf, hi=np.inf):
        coefs, const = lin(terms)
        if not coefs:
            if not (lo - 1e-9 <= const <= hi + 1e-9):
                raise RuntimeError("solve_descriptors: a fixed constraint cannot hold")
            return
        prog.row(coefs, lo - const, hi - const)

    prot, dna = IDX["PROTEIN"], IDX["DNABIND"]
    clin = [IDX[c] for c in CLINICAL_ENTRY]
    lab = [IDX[c] for c in LAB_ENTRY]
    ren_other = [IDX[c] for c in RENAL if c != "PROTEIN"]
    treated = np.flatnonzero(itt)
    if not fix_baseline:
        for i in range(m):
            add([(x0[i][j], float(W[j])) for j in range(J)], totals0[i], totals0[i])
            add([(x0[i][j], 1.0) for j in clin], 1)
            add([(x0[i][j], 1.0) for j in lab], 1)
            for j in ren_other:
                add([(x0[i][j], 1.0), (x0[i][prot], -1.0)], hi=0)
        for code, k in (counts0 or {}).items():
            add([(x0[i][IDX[code]], 1.0) for i in treated], k, k)
        if n_renal is not None:
            add([(x0[i][prot], 1.0) for i in treated], n_renal, n_renal)
        if dna_above0 is not None:
            need = median_side_need(len(treated))
            terms = [(x0[i][dna], 1.0) for i in treated]
            if dna_above0:
                add(terms, need)
            else:
                add(terms, hi=len(treated) - need)

    xv_all: list[list[list[int | bool]]] = []
    for plan in visits:
        seen = np.flatnonzero(plan.observed)
        extra = np.zeros(m) if plan.extra is None else plan.extra
        xv: list[list[int | bool]] = [[False] * J for _ in range(m)]
        for i in seen:
            for j in range(J):
                base = x0[i][j]
                if base is False:
                    continue
                ref = plan.reference[i, j] if plan.reference is not None else bool(base is True)
                var = prog.var(cost=(-1.0 if ref else 1.0) * (1.0 if plan.reference is not None else 0.05) + noise())
                xv[i][j] = var
                if not isinstance(base, bool):
                    add([(var, 1.0), (base, -1.0)], hi=0)
        for i in seen:
            total = [(xv[i][j], float(W[j])) for j in range(J)]
            base_total = [(x0[i][j], -float(W[j])) for j in range(J)]
            # fall = total0 - total - extra; responder: fall >= 4
            if plan.responder[i]:
                add(total + base_total, hi=-4 - extra[i])
            else:
                add(total + base_total, lo=-3 - extra[i])
        for code, k in plan.counts.items():
            add([(xv[i][IDX[code]], 1.0) for i in seen], k, k)
        if plan.dna_above is not None:
            need = median_side_need(len(seen))
            terms = [(xv[i][dna], 1.0) for i in seen]
            if plan.dna_above:
                add(terms, need)
            else:
                add(terms, hi=len(seen) - need)
        if plan.n_remission is not None:
            terms = [(x0[i][prot], 1.0) for i in seen] + [(xv[i][prot], -1.0) for i in seen]
            add(terms, plan.n_remission, plan.n_remission)
        if plan.sledai is not None:
            classes = _quantile_classes(len(seen), *plan.sledai)
            member = {i: [prog.var(cost=noise()) for _ in classes] for i in seen}
            for i in seen:
                add([(y, 1.0) for y in member[i]], 1, 1)
                total = [(xv[i][j], float(W[j])) for j in range(J)]
                for (lo_v, hi_v, _), y in zip(classes, member[i], strict=True):
                    big = 200.0
                    # total + extra >= lo_v when y; total + extra <= hi_v when y
                    add(total + [(y, -big)], lo=lo_v - extra[i] - big)
                    add(total + [(y, big)], hi=hi_v - extra[i] + big)
            for k_, (_, _, count) in enumerate(classes):
                add([(member[i][k_], 1.0) for i in seen], count, count)
        xv_all.append(xv)

    sol = prog.solve()
    if sol is None:
        raise RuntimeError("solve_descriptors: no choice of descriptors meets every published figure")

    def value(x: int | bool) -> bool:
        return bool(x) if isinstance(x, bool) else bool(sol[x])

    out0 = np.array([[value(x0[i][j]) for j in range(J)] for i in range(m)])
    outs = [np.array([[value(xv[i][j]) for j in range(J)] for i in range(m)]) for xv in xv_all]
    return out0, outs


# ---------------------------------------------------------------------------------------
# BILAG-2004


A, B, C, D, E = range(5)


def bilag_scores(g: np.ndarray, coding: dict[str, int]) -> np.ndarray:
    """Numeric scores of grade codes ``(..., 9)`` (0 = A ... 4 = E) in a coding."""
    values = np.array([coding[k] for k in "ABCDE"], dtype=np.int64)
    return values[g].sum(axis=-1)


def _flagged(g: np.ndarray) -> np.ndarray:
    return ((g == A).sum(axis=-1) >= 1) | ((g == B).sum(axis=-1) >= 2)


def calibrate_bilag(
    rng: np.random.Generator,
    g: np.ndarray,
    g0: np.ndarray | None,
    count: int | None,
    median: float | None,
    coding: dict[str, int],
    fixed: np.ndarray,
    unflag: np.ndarray | None = None,
    no_raise: np.ndarray | None = None,
) -> np.ndarray:
    """BILAG-2004 grades of one arm at one visit with an exact "A or 2B" count and median
    score, with no new A and no new B.

    Parameters
    ----------
    g : ndarray of int, (n, 9)
        Grade codes (0 = A ... 4 = E) of the subjects counted.
    g0 : ndarray of int, (n, 9) or None
        Their baseline grades (None: ``g`` is baseline, where any grade may change). After
        baseline, a domain may be raised to B only if it was A or B at baseline, and an A
        is never added, so no new A or B arises.
    count : int or None
        Subjects with at least one A or two B.
    median : float or None
        Median of the numeric score in ``coding``.
    coding : dict
        Grade -> value (``helpers.definitions.BILAG_CODINGS``).
    fixed : ndarray of bool, (n,)
        Subjects left as they are (a planned flare).
    unflag : ndarray of bool, (n,), optional
        Subjects that must not qualify (counted, but e.g. never treated).
    no_raise : ndarray of bool, (9,), optional
        Domains never raised to B (the renal domain, which the labs define).

    Returns
    -------
    ndarray of int, (n, 9)

    Notes
    -----
    Counts first: a subject stops qualifying when its As become Bs and all but one B
    become C; one starts when domains become B (at baseline any, later only those A or B
    at baseline). Then the scores: each subject's score can move, at the same status,
    by turning domains that are neither A nor B into C or back (and, for a subject that
    does not qualify, one B on or off); :func:`fit_median_bounded` picks the new scores.
    """
    g = g.copy()
    n = len(g)
    unflag = np.zeros(n, dtype=bool) if unflag is None else unflag
    may_b = np.ones_like(g, dtype=bool) if g0 is None else (g0 <= B)
    if no_raise is not None:
        may_b = may_b & ~no_raise[None, :]

    def drop(i: int) -> None:
        g[i][g[i] == A] = B
        bs = np.flatnonzero(g[i] == B)
        if len(bs) > 1:
            g[i][rng.permutation(bs)[1:]] = C

    def raise_(i: int) -> bool:
        room = np.flatnonzero((g[i] > B) & may_b[i])
        need = 2 - int((g[i] == B).sum())
        if need <= 0:
            return True
        if len(room) < need:
            return False
        pick = room[np.argsort(g[i][room] + rng.random(len(room)) * 0.5, kind="stable")][:need]  # C before D, E
        g[i][pick] = B
        return True

    for i in np.flatnonzero(unflag & _flagged(g) & ~fixed):
        drop(int(i))
    if count is not None:
        flagged = _flagged(g)
        have = int(flagged.sum())
        if have > count:
            cand = np.flatnonzero(flagged & ~fixed & ~unflag)
            n_a = (g[cand] == A).sum(axis=1)
            n_b = (g[cand] == B).sum(axis=1)
            if g0 is not None:
                # An A that was not A at baseline is a planned flare: leave it.
                new_a = ((g[cand] == A) & (g0[cand] != A)).any(axis=1)
                cand, n_a, n_b = cand[~new_a], n_a[~new_a], n_b[~new_a]
            pref = np.where(n_a == 0, n_b, 10 + n_a) + rng.random(len(cand))
            for i in cand[np.argsort(pref, kind="stable")][: have - count]:
                drop(int(i))
        elif have < count:
            cand = np.flatnonzero(~flagged & ~fixed & ~unflag)
            n_b = (g[cand] == B).sum(axis=1)
            pref = -n_b + rng.random(len(cand))
            added = 0
            for i in cand[np.argsort(pref, kind="stable")]:
                if added == count - have:
                    break
                added += raise_(int(i))
        if int(_flagged(g).sum()) != count:
            raise RuntimeError(f"calibrate_bilag: {int(_flagged(g).sum())} subjects with A or 2B, expected {count}")
    if median is None:
        return g

    vb, vc = coding["B"], coding["C"]
    flagged = _flagged(g)
    score = bilag_scores(g, coding)
    n_a = (g == A).sum(axis=1)
    n_b = (g == B).sum(axis=1)
    core = coding["A"] * n_a + vb * n_b
    free = 9 - n_a - n_b
    b_possible = (n_b >= 1) | ((g > B) & may_b).any(axis=1)
    lo = np.where(flagged | fixed, core, 0).astype(float)
    hi = np.where(flagged | fixed, core + vc * free,
                  np.where(b_possible, vb + vc * 8, vc * 9)).astype(float)
    lo = np.where(fixed, score, lo)
    hi = np.where(fixed, score, hi)
    target = fit_median_bounded(score.astype(float), lo, hi, median, 1.0, rng).astype(int)
    for i in np.flatnonzero(target != score):
        row = g[i]
        if not flagged[i]:
            nb = int((row == B).sum())
            want_b = target[i] > vc * 9 or (nb == 1 and target[i] >= vb)
            if want_b and nb == 0:
                room = np.flatnonzero((row > B) & may_b[i])
                row[room[np.argmin(row[room])]] = B
            elif not want_b and nb == 1:
                row[row == B] = C
        n_c_goal = (target[i] - bilag_scores(row[None, :], coding)[0] + vc * int((row == C).sum())) // vc
        cs = np.flatnonzero(row == C)
        others = np.flatnonzero(row > C)
        if len(cs) > n_c_goal:
            row[rng.permutation(cs)[: len(cs) - n_c_goal]] = D
        elif len(cs) < n_c_goal:
            order = others[np.argsort(row[others] + rng.random(len(others)) * 0.5, kind="stable")]  # D before E
            row[order[: n_c_goal - len(cs)]] = C
        g[i] = row
    got = bilag_scores(g, coding)
    if not np.array_equal(got, target):
        raise RuntimeError("calibrate_bilag: a score could not be reached")
    return g


# ---------------------------------------------------------------------------------------
# prednisone


def calibrate_prednisone(
    rng: np.random.Generator,
    dose: np.ndarray,
    weeks: np.ndarray,
    observed: np.ndarray,
    targets: dict[int, tuple[float, float, float]],
    step: float = 2.5,
) -> np.ndarray:
    """Prednisone doses of one arm with a published median and range at given weeks.

    Parameters
    ----------
    dose : ndarray, (n, V)
        The doses as the taper model drew them (baseline first).
    weeks : ndarray, (V,)
    observed : ndarray of bool, (n, V)
    targets : dict of int to (median, low, high)
        By week (after baseline), for the subjects observed then.
    step : float
        Dose grid (mg/day).

    Returns
    -------
    ndarray, (n, V)
        Baseline unchanged; at each target week the doses are fitted
        (:func:`~helpers.simulate.calibrate.fit_quantiles_bounded`) never above the dose
        at the previous target week (or baseline), so the taper never reverses; between
        target weeks the dose moves linearly from one to the next, on the grid.
    """
    out = dose.copy()
    w_index = {int(w): i for i, w in enumerate(weeks)}
    prev = 0
    for week in sorted(targets):
        v = w_index[week]
        sel = np.flatnonzero(observed[:, v])
        median, low, high = targets[week]
        hi = out[sel, prev]
        lo = np.zeros(len(sel))
        out[sel, v] = fit_quantiles_bounded(out[sel, v], lo, hi, median, low, high, step, rng)
        # In between: linear from the previous target week, on the grid, never rising.
        for u in range(prev + 1, v):
            frac = (weeks[u] - weeks[prev]) / (weeks[v] - weeks[prev])
            obs = np.flatnonzero(observed[:, u] & observed[:, v])
            out[obs, u] = snap(out[obs, prev] + (out[obs, v] - out[obs, prev]) * frac, step)
        prev = v
    # After the last target week the dose stays where it was.
    for u in range(prev + 1, len(weeks)):
        out[:, u] = np.minimum(out[:, u], out[:, prev])
    return out


# ---------------------------------------------------------------------------------------
# labs: published medians and ranges at some visits, the others in between


def calibrate_lab(
    values: np.ndarray,
    weeks: np.ndarray,
    observed: np.ndarray,
    targets: dict[int, tuple[float, float, float | None]],
    decimals: int,
    cut: float | None = None,
    active: np.ndarray | None = None,
) -> np.ndarray:
    """A lab of one arm mapped onto published medians and ranges at some weeks.

    Parameters
    ----------
    values : ndarray, (n, V)
        Positive values as the model drew them.
    weeks : ndarray, (V,)
    observed : ndarray of bool, (n, V)
    targets : dict of int to (median, low, high)
        By week; ``high`` None keeps the sample's maximum.
    decimals : int
        Recorded precision.
    cut, active
        A SLEDAI cut-off (anti-dsDNA above 30 IU/mL) and where the descriptor is active:
        values stay above the cut exactly where active (:func:`map_threshold_lab`).

    Returns
    -------
    ndarray, (n, V)

    Notes
    -----
    At a target week the values of the observed subjects are mapped monotonically
    (:func:`~helpers.simulate.calibrate.map_threshold_lab`). Each subject's log-ratio of
    mapped to drawn value is then interpolated linearly in time for the other weeks (and
    carried after the last target week), so courses stay smooth.
    """
    out = values.astype(float).copy()
    n, V = values.shape
    tw = sorted(targets)
    ratio = np.full((n, len(tw)), np.nan)
    for k, week in enumerate(tw):
        v = int(np.flatnonzero(weeks == week)[0])
        sel = observed[:, v]
        median, low, high = targets[week]
        x = values[sel, v]
        mapped = map_threshold_lab(np.maximum(x, 10.0 ** -decimals) if cut is None else x, median, low, high, cut, decimals)
        out[sel, v] = mapped
        ratio[sel, k] = np.log(np.maximum(mapped, 10.0 ** -decimals)) - np.log(np.maximum(x, 10.0 ** -decimals))
    twn = np.array(tw, dtype=float)
    for v in range(V):
        if weeks[v] in tw:
            continue
        for i in range(n):
            r = ratio[i]
            ok = np.isfinite(r)
            if not ok.any():
                continue
            adj = np.interp(weeks[v], twn[ok], r[ok])
            out[i, v] = values[i, v] * np.exp(adj)
    out = np.round(out, decimals)
    if cut is not None and active is not None:
        unit = 10.0 ** -decimals
        out = np.where(active, np.maximum(out, round(cut + unit, decimals)), np.minimum(out, cut))
    return np.round(np.maximum(out, 0.0), decimals)


def anua_values(rng: np.random.Generator, dnabind0: np.ndarray, weeks: np.ndarray, il2: np.ndarray) -> np.ndarray:
    """Anti-nucleosome antibodies (IU/mL), ``(n, V)``: log-normal at baseline (higher with
    raised anti-dsDNA), then a per-subject drift (the published medians then set the
    level, :func:`calibrate_lab`)."""
    n, V = len(dnabind0), len(weeks)
    base = np.exp(rng.normal(np.log(20.0) + 0.8 * dnabind0, 1.2, n))
    drift = rng.normal(np.where(il2, -0.01, -0.02), 0.02, n)
    noise = rng.normal(0, 0.15, (n, V))
    noise[:, 0] = 0
    return base[:, None] * np.exp(drift[:, None] * weeks[None, :] + noise)


def ana_titres(
    rng: np.random.Generator,
    weeks: np.ndarray,
    observed: np.ndarray,
    groups: list[tuple[np.ndarray, dict[int, int]]],
) -> np.ndarray:
    """ANA reciprocal titres, ``(n, V)``, with an exact number of decreases from baseline.

    Parameters
    ----------
    weeks : ndarray, (V,)
    observed : ndarray of bool, (n, V)
    groups : list of (members, {week: subjects decreased})
        For each arm: its subjects (bool mask) and the published counts.

    Returns
    -------
    ndarray, (n, V)

    Notes
    -----
    Baseline titres are 1:160 to 1:2560. A subject whose titre decreases does so at a
    visit after baseline and stays down (one or two dilutions lower); the subjects are
    picked so that exactly the published number are down at each target week among
    those observed then. Nobody else falls below baseline (a titre may rise one
    dilution).
    """
    n, V = observed.shape
    base = np.array([160.0, 320.0, 640.0, 1280.0, 2560.0])[rng.choice(5, n, p=[0.2, 0.3, 0.25, 0.15, 0.1])]
    onset = np.full(n, np.inf)
    drop = np.where(rng.random(n) < 0.7, 2.0, 4.0)
    w_index = {int(w): i for i, w in enumerate(weeks)}
    for members, counts in groups:
        prev_week = 0
        down = np.zeros(n, dtype=bool)
        for week in sorted(counts):
            v = w_index[week]
            obs = members & observed[:, v]
            have = int((down & obs).sum())
            need = counts[week] - have
            if need < 0:
                raise RuntimeError(f"ana_titres: {have} decreases carried to week {week}, expected {counts[week]}")
            # Prefer subjects seen to the end, so that decreases carry over.
            pool = np.flatnonzero(obs & ~down)
            last = observed[pool].sum(axis=1)
            pick = pool[np.argsort(-(last + rng.random(len(pool))), kind="stable")][:need]
            if len(pick) < need:
                raise RuntimeError(f"ana_titres: not enough subjects at week {week}")
            later = weeks[(weeks > prev_week) & (weeks <= week)]
            onset[pick] = rng.choice(later, len(pick))
            down[pick] = True
            prev_week = week
    t = np.repeat(base[:, None], V, axis=1)
    rise = (rng.random((n, V)) < 0.08) & ~np.isfinite(onset)[:, None]
    t = np.where(rise, t * 2, t)
    t = np.where(weeks[None, :] >= onset[:, None], base[:, None] / drop[:, None], t)
    t[:, 0] = base
    return t


def creatinine_values(rng: np.random.Generator, female: np.ndarray, renal: np.ndarray, V: int) -> np.ndarray:
    """Serum creatinine (micromol/L), ``(n, V)``: about 62 (women) or 80 (men), 15% higher
    with lupus nephritis, within 4% of baseline at every visit (kidney function stable, so
    renal response turns on proteinuria)."""
    n = len(female)
    base = np.where(female, rng.normal(62, 9, n), rng.normal(80, 11, n)) * np.where(renal, 1.15, 1.0)
    base = np.clip(np.round(base), 40, 140)
    wobble = np.clip(rng.normal(0, 0.015, (n, V)), -0.035, 0.035)
    wobble[:, 0] = 0
    return np.round(base[:, None] * (1 + wobble))
