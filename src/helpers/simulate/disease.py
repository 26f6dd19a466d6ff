"""The simulated disease: SLEDAI-2K descriptors, their course, BILAG-2004 grades and PGA.

Everything works on whole arrays: ``(n,)`` per subject, ``(n, V)`` per subject and visit,
``(n, V, 24)`` per descriptor. No loop runs per subject.

How a subject's disease is built:

1. Baseline descriptors come from latent organ involvement (renal, mucocutaneous,
   haematological, serological, ...), then are adjusted, descriptor by descriptor, so the
   arm's baseline SLEDAI-2K totals have the published median and range
   (:func:`baseline_descriptors`).
2. Each active descriptor gets a time at which it resolves (organ-specific half-lives:
   fever, rash and cytopenias resolve fast, proteinuria and anti-dsDNA slowly), and
   possibly a later time at which it recurs (:func:`descriptor_course`).
3. The subject's response pattern (:class:`~helpers.simulate.spec.Pattern`) then fixes
   *when* the SLEDAI-2K total first falls by 4: the descriptors are ordered by their
   resolution time, the one whose resolution takes the cumulative fall to 4 or more (the
   "key" descriptor) is placed just before the onset visit, those before it never sum to 4
   and those after it resolve no earlier. This is what makes the SRI-4 counts exact
   without touching anything else.
"""

from __future__ import annotations

import numpy as np

from helpers import definitions as d
from helpers.simulate.calibrate import fit_median_bounded, match_mean, match_quantiles, snap

CODES: tuple[str, ...] = tuple(x.code for x in d.SLEDAI_DESCRIPTORS)
IDX: dict[str, int] = {c: i for i, c in enumerate(CODES)}
WEIGHTS: np.ndarray = np.array([x.weight for x in d.SLEDAI_DESCRIPTORS], dtype=np.int16)
NEURO: tuple[str, ...] = tuple(x.code for x in d.SLEDAI_DESCRIPTORS if x.domain == "neurological")
RENAL: tuple[str, ...] = ("CASTS", "HEMATUR", "PROTEIN", "PYURIA")

#: Baseline prevalence of each descriptor outside the organ-level draws below (chosen for
#: active SLE with SLEDAI-2K >= 8; DNABIND is set per arm).
PREVALENCE: dict[str, float] = {
    "VASCUL": 0.10, "ARTHRIT": 0.40, "MYOSIT": 0.03, "RASH": 0.50, "ALOPEC": 0.35,
    "MUCULC": 0.30, "PLEUR": 0.09, "PERICAR": 0.05, "LOWCOMP": 0.75, "DNABIND": 0.65,
    "FEVER": 0.22, "THROMBO": 0.22, "LEUKOP": 0.22,
}
RENAL_INVOLVEMENT = 0.45
#: Within renal involvement: which descriptors are active.
RENAL_GIVEN: dict[str, float] = {"PROTEIN": 0.85, "HEMATUR": 0.5, "PYURIA": 0.3, "CASTS": 0.2}
NEURO_INVOLVEMENT = 0.04
NEURO_GIVEN: dict[str, float] = {
    "HEADACHE": 0.3, "SEIZURE": 0.2, "PSYCHOS": 0.15, "CRANIAL": 0.1, "OBS": 0.1, "VISUAL": 0.05, "CVA": 0.1,
}
#: Descriptors the totals adjustment may add or remove (never the rare 8-point ones).
TOGGLE: tuple[str, ...] = (
    "ARTHRIT", "HEMATUR", "PROTEIN", "PYURIA", "RASH", "ALOPEC", "MUCULC", "PLEUR",
    "PERICAR", "LOWCOMP", "DNABIND", "FEVER", "THROMBO", "LEUKOP",
)
#: Inclusion: at least one clinical feature (thrombocytopenia, rash, mouth ulcer, fever,
#: vasculitis, proteinuria, NPSLE) and one laboratory one (anti-dsDNA, low complement,
#: leukopenia, thrombocytopenia), as in the registry record of NCT02084238.
CLINICAL_ENTRY: tuple[str, ...] = ("THROMBO", "RASH", "MUCULC", "FEVER", "VASCUL", "PROTEIN") + NEURO
LAB_ENTRY: tuple[str, ...] = ("DNABIND", "LOWCOMP", "LEUKOP", "THROMBO")

#: Median time to resolution of each descriptor under IL-2, in weeks (chosen: fever,
#: cytopenias and skin fastest, as the abstract reports; renal and serology slowest).
HALF_LIFE: dict[str, float] = {
    **{c: 6.0 for c in NEURO},
    "VASCUL": 3.0, "ARTHRIT": 8.0, "MYOSIT": 9.0, "CASTS": 6.0, "HEMATUR": 7.0,
    "PROTEIN": 11.0, "PYURIA": 6.0, "RASH": 3.0, "ALOPEC": 4.0, "MUCULC": 7.0,
    "PLEUR": 8.0, "PERICAR": 8.0, "LOWCOMP": 9.0, "DNABIND": 13.0, "FEVER": 1.5,
    "THROMBO": 2.5, "LEUKOP": 2.5,
}

#: BILAG-2004 grades as codes (indices into ``definitions.BILAG_GRADES``), most active first.
A, B, C, D, E = range(5)
BILAG: tuple[str, ...] = tuple(d.BILAG_DOMAINS)


def _col(name: str) -> int:
    return IDX[name]


def baseline_descriptors(
    rng: np.random.Generator, arm_of: np.ndarray, arms: tuple, dnabind: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Active descriptors at baseline, with each arm's SLEDAI-2K median and range exact.

    Parameters
    ----------
    rng : Generator
    arm_of : ndarray of int, (n,)
        Each subject's arm index into ``arms``.
    arms : tuple of ArmSpec
        ``sledai0`` gives each arm's target median, minimum and maximum.
    dnabind : ndarray, (n,)
        Each subject's probability of raised anti-dsDNA.

    Returns
    -------
    active : ndarray of bool, (n, 24)
    renal : ndarray of bool, (n,)
        Latent renal involvement (a history of nephritis), used for drug choice and BILAG.
    """
    n = len(arm_of)
    p = np.zeros((n, len(CODES)))
    for code, prob in PREVALENCE.items():
        p[:, _col(code)] = prob
    p[:, _col("DNABIND")] = dnabind
    active = rng.random((n, len(CODES))) < p
    renal = rng.random(n) < RENAL_INVOLVEMENT
    for code, prob in RENAL_GIVEN.items():
        active[:, _col(code)] = renal & (rng.random(n) < prob)
    no_renal = renal & ~active[:, [_col(c) for c in RENAL]].any(axis=1)
    active[no_renal, _col("PROTEIN")] = True
    neuro = rng.random(n) < NEURO_INVOLVEMENT
    which = rng.choice(len(NEURO), size=n, p=np.array(list(NEURO_GIVEN.values())) / sum(NEURO_GIVEN.values()))
    neuro_cols = np.array([_col(c) for c in NEURO_GIVEN])
    active[np.flatnonzero(neuro), neuro_cols[which[neuro]]] = True

    # Entry criteria: one clinical and one laboratory feature, kept through the adjustment.
    protected = np.zeros_like(active)
    for pool, fallback in ((CLINICAL_ENTRY, ("RASH", "PROTEIN")), (LAB_ENTRY, ("LOWCOMP", "DNABIND"))):
        cols = np.array([_col(c) for c in pool])
        has = active[:, cols].any(axis=1)
        add = np.where(rng.random(n) < 0.6, _col(fallback[0]), _col(fallback[1]))
        active[np.flatnonzero(~has), add[~has]] = True
        # Protect one present entry feature per subject (a random one).
        key = np.where(active[:, cols], rng.random((n, len(cols))), -1.0)
        protected[np.arange(n), cols[np.argmax(key, axis=1)]] = True

    total = (active * WEIGHTS).sum(axis=1)
    target = np.empty(n)
    for k, arm in enumerate(arms):
        sel = arm_of == k
        if sel.any():
            jitter = rng.random(sel.sum()) * 0.5  # break ties at random, keep ranks
            target[sel] = match_quantiles(total[sel] + jitter, arm.sledai0)
    propensity = np.clip(p, 0.05, 0.95)
    propensity[:, [_col(c) for c in RENAL]] = np.where(renal[:, None], 0.6, 0.03)
    floor = (active & protected) @ WEIGHTS
    for k in range(len(arms)):
        sel = np.flatnonzero(arm_of == k)
        target[sel] = respect_floors(target[sel], floor[sel])
    active = adjust_totals(rng, active, target.astype(int), protected, propensity)
    return active, renal | active[:, [_col(c) for c in RENAL]].any(axis=1)


def respect_floors(target: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Re-deal target totals so that no subject's target is below what it must keep.

    A subject's floor is the weight of descriptors the adjustment may not remove (entry
    features, neurological ones, vasculitis). The targets stay the same multiset (so the
    median and range hold); a subject whose target is too low swaps with the subject
    holding the smallest target that suits it and whose own floor the swap respects.
    Rare (well under 1% of subjects), so a short loop over them is cheap.

    Examples
    --------
    >>> respect_floors(np.array([8.0, 12.0, 9.0]), np.array([10, 2, 4])).tolist()
    [12.0, 8.0, 9.0]
    """
    target = target.copy()
    for i in np.flatnonzero(target < floor):
        if target[i] >= floor[i]:
            continue
        ok = np.flatnonzero((target >= floor[i]) & (floor <= target[i]))
        if not len(ok):
            raise RuntimeError("respect_floors: no target is high enough for a subject's fixed descriptors")
        j = ok[np.argmin(target[ok])]
        target[i], target[j] = target[j], target[i]
    return target


def adjust_totals(
    rng: np.random.Generator,
    active: np.ndarray,
    target: np.ndarray,
    protected: np.ndarray,
    propensity: np.ndarray,
    max_iter: int = 100,
) -> np.ndarray:
    """Add or remove descriptors until every subject's SLEDAI-2K total equals ``target``.

    Each round adds, for subjects below target, the heaviest absent descriptor of
    ``TOGGLE`` that does not overshoot (likely ones first), and removes, for subjects
    above, the heaviest present one that does not undershoot (those of ``TOGGLE`` and
    unlikely ones first; never a protected one).
    When no such descriptor exists the smallest one that overshoots is used and the next
    round corrects it; the totals converge in a few rounds.

    Raises
    ------
    RuntimeError
        If some total cannot be reached (it never happens for totals 8 to 33).
    """
    active = active.copy()
    toggle = np.zeros(len(CODES), dtype=bool)
    toggle[[_col(c) for c in TOGGLE]] = True
    w = WEIGHTS.astype(float)
    for _ in range(max_iter):
        diff = target - (active * WEIGHTS).sum(axis=1)
        if not diff.any():
            return active
        u = rng.random(active.shape)
        add_pref = np.log(u) / propensity  # larger is likelier
        rem_pref = np.log(u) / (1 - propensity)
        rows = np.flatnonzero(diff != 0)
        d_ = diff[rows][:, None].astype(float)
        act = active[rows]
        can_add = ~act & toggle
        can_rem = act & ~protected[rows]
        up = d_[:, 0] > 0
        fit_add = can_add & (w <= d_)
        fit_rem = can_rem & (w <= -d_)
        # Score: heavier fitting descriptors first, then the usual ones, then preference
        # (within 1 point, so the weight always decides); overshoots last, smallest first.
        a_pref = add_pref[rows].clip(-9, 0) / 10
        r_pref = rem_pref[rows].clip(-9, 0) / 10 + 0.05 * toggle
        add_score = np.where(fit_add, w * 10 + a_pref, np.where(can_add, -w * 10 - 100 + a_pref, -np.inf))
        rem_score = np.where(fit_rem, w * 10 + r_pref, np.where(can_rem, -w * 10 - 100 + r_pref, -np.inf))
        score = np.where(up[:, None], add_score, rem_score)
        best = np.argmax(score, axis=1)
        ok = np.isfinite(score[np.arange(len(rows)), best])
        active[rows[ok], best[ok]] = ~active[rows[ok], best[ok]]
    diff = target - (active * WEIGHTS).sum(axis=1)
    raise RuntimeError(f"adjust_totals: {int((diff != 0).sum())} totals not reached")


def descriptor_course(
    rng: np.random.Generator,
    active0: np.ndarray,
    weeks: np.ndarray,
    resolution: np.ndarray,
    recurrence: np.ndarray,
    recurrence_after: np.ndarray,
    speed: np.ndarray,
    scale: np.ndarray,
    onset: np.ndarray,
    relapse_start: np.ndarray,
    relapse_end: np.ndarray,
    treatment_end: float = 12.0,
) -> np.ndarray:
    """Descriptor activity at every visit, honouring each subject's response onset.

    Parameters
    ----------
    rng : Generator
    active0 : ndarray of bool, (n, 24)
        Baseline activity.
    weeks : ndarray, (V,)
        Visit weeks, baseline first.
    resolution, recurrence, recurrence_after : ndarray, (n,)
        The arm's kinetics for each subject (see :class:`~helpers.simulate.spec.Kinetics`).
    speed : ndarray, (n,)
        Subject factor on every half-life (below 1 resolves faster).
    scale : ndarray, (n, 24)
        Arm factor on each descriptor's half-life.
    onset : ndarray, (n,)
        First week of a SLEDAI-2K fall of 4 or more (``inf``: never).
    relapse_start, relapse_end : ndarray, (n,)
        A flare window (``inf`` when none): the key descriptors come back.
    treatment_end : float
        Week after which ``recurrence_after`` applies.

    Returns
    -------
    ndarray of bool, (n, V, 24)

    Notes
    -----
    A descriptor with resolution time ``t``, recurrence time ``r`` and second resolution
    ``t2`` is active at week ``w`` when ``w < t`` or ``r <= w < t2``. In the order of
    ``t``, let ``K`` be the first descriptor at which the cumulative weight reaches 4. For
    a subject with onset ``o`` (previous visit ``p``), ``t_K`` is drawn in ``(p, o]``, every
    earlier descriptor resolves by ``t_K`` and every later one no earlier; descriptors up
    to ``K`` never recur. Hence the fall is below 4 at every visit before ``o`` and at least
    4 from ``o`` on. For a subject who never responds, ``K`` and later never resolve.
    During a relapse, ``K`` and later are active again, so the fall is below 4.
    """
    n, P = active0.shape
    half = np.array([HALF_LIFE[c] for c in CODES])
    t = rng.exponential(size=(n, P)) * half / np.log(2) * (resolution * speed)[:, None] * scale
    t = np.where(active0, np.maximum(t, 0.05), np.inf)
    order = np.argsort(t, axis=1, kind="stable")
    ts = np.take_along_axis(t, order, axis=1)
    ws = np.where(np.isfinite(ts), WEIGHTS[order], 0)
    cum = np.cumsum(ws, axis=1)
    if (cum[:, -1] < 4).any():
        raise ValueError("descriptor_course: a subject's baseline SLEDAI-2K is below 4")
    key = np.argmax(cum >= 4, axis=1)
    pos = np.arange(P)[None, :]
    rows = np.arange(n)

    # The key descriptor resolves in (previous visit, onset].
    responder = np.isfinite(onset)
    v_on = np.searchsorted(weeks, np.where(responder, onset, weeks[-1]))
    prev = weeks[np.maximum(v_on - 1, 0)]
    t_key = np.where(responder, prev + (np.where(responder, onset, 0) - prev) * rng.uniform(0.1, 1.0, n), np.inf)
    before, at = pos < key[:, None], pos == key[:, None]
    ts = np.where(before, np.minimum(ts, t_key[:, None]), np.where(at, t_key[:, None], np.maximum(ts, t_key[:, None])))

    # Recurrence under a piecewise-constant weekly hazard; a recurrence may itself resolve.
    h1, h2 = recurrence[:, None], recurrence_after[:, None]
    cum_h = np.where(ts <= treatment_end, h1 * ts, h1 * treatment_end + h2 * (ts - treatment_end))
    goal = cum_h + rng.exponential(size=(n, P))
    r = np.where(goal <= h1 * treatment_end, goal / np.maximum(h1, 1e-12), treatment_end + (goal - h1 * treatment_end) / np.maximum(h2, 1e-12))
    r = np.where(np.isfinite(ts), np.maximum(r, ts + 1.0), np.inf)
    t2 = np.where(rng.random((n, P)) < 0.5, np.inf, r + rng.exponential(6.0, size=(n, P)) + 1.0)
    keep = responder[:, None] & (pos <= key[:, None])
    r = np.where(keep, np.inf, r)

    # Relapse: from its start, the key descriptor and every later one is active.
    flare = np.isfinite(relapse_start)[:, None]
    later = pos >= key[:, None]
    rs, re = relapse_start[:, None], relapse_end[:, None]
    resolved_before = flare & later & (ts < rs)
    r = np.where(resolved_before, rs, r)
    t2 = np.where(resolved_before, re, t2)
    ts = np.where(flare & later & (ts >= rs), np.maximum(ts, re), ts)
    r = np.where(flare & ~later, np.inf, r)

    t_out = np.empty_like(ts)
    r_out = np.empty_like(r)
    t2_out = np.empty_like(t2)
    t_out[rows[:, None], order] = ts
    r_out[rows[:, None], order] = r
    t2_out[rows[:, None], order] = t2
    w = weeks[None, :, None]
    act = (w < t_out[:, None, :]) | ((r_out[:, None, :] <= w) & (w < t2_out[:, None, :]))
    return act & active0[:, None, :]


def sledai_totals(activity: np.ndarray) -> np.ndarray:
    """SLEDAI-2K totals, ``(n, V)``, from activity ``(n, V, 24)``."""
    return (activity * WEIGHTS).sum(axis=-1)


def bilag_grades(
    rng: np.random.Generator,
    activity: np.ndarray,
    labs: dict[str, np.ndarray],
    haemolysis: np.ndarray,
    renal_history: np.ndarray,
) -> np.ndarray:
    """BILAG-2004 grade codes (0 = A ... 4 = E), ``(n, V, 9)``, consistent with SLEDAI-2K.

    Parameters
    ----------
    activity : ndarray of bool, (n, V, 24)
    labs : dict of str to ndarray (n, V)
        ``UPROT``, ``PLAT``, ``WBC``, ``LYMPH``.
    haemolysis : ndarray of bool, (n, V)
        Autoimmune haemolysis episodes: a haematological A that SLEDAI-2K does not score.
    renal_history : ndarray of bool, (n,)

    Notes
    -----
    By organ: fever is constitutional B; vasculitis (or a severe rash) mucocutaneous A,
    rash or ulcers B, alopecia alone C; arthritis B (severe: A); myositis B; pleurisy or
    pericarditis cardiorespiratory B; any neurological descriptor neuropsychiatric A
    (visual disturbance ophthalmic A); renal A for heavy proteinuria (3 g/24h or more, or
    1 g with haematuria or casts), else B; haematological A below 25 x10^9/L platelets or
    in haemolysis, B for 25-49, C for platelets below 150, white cells below 4 or
    lymphocytes below 1. An inactive domain is D if it was ever affected, else E. After
    baseline a grade is never more active than at baseline except in a planned flare
    (haemolysis), so no new A or B arises by accident.
    """
    n, V, _ = activity.shape

    def a(code: str) -> np.ndarray:
        return activity[:, :, _col(code)]

    def history(p: float) -> np.ndarray:
        return np.broadcast_to((rng.random(n) < p)[:, None], (n, V))

    severe_rash = (rng.random(n) < 0.15)[:, None]
    severe_arth = (rng.random(n) < 0.1)[:, None]
    g = np.full((n, V, len(BILAG)), E, dtype=np.int8)

    def grade(active_grade: np.ndarray, active: np.ndarray, hist: np.ndarray) -> np.ndarray:
        ever = hist | active[:, :1] | np.maximum.accumulate(active, axis=1)
        return np.where(active, active_grade, np.where(ever, D, E))

    fever = a("FEVER")
    g[:, :, BILAG.index("CONST")] = grade(np.full((n, V), B), fever, history(0.3))
    muco_any = a("RASH") | a("MUCULC") | a("ALOPEC") | a("VASCUL")
    muco = np.where(a("VASCUL") | (a("RASH") & severe_rash), A, np.where(a("RASH") | a("MUCULC"), B, C))
    g[:, :, BILAG.index("MUCO")] = grade(muco, muco_any, history(0.5))
    neuro_any = np.zeros((n, V), dtype=bool)
    for c in NEURO:
        if c != "VISUAL":
            neuro_any |= a(c)
    g[:, :, BILAG.index("NEURO")] = grade(np.full((n, V), A), neuro_any, history(0.03))
    musk_any = a("ARTHRIT") | a("MYOSIT")
    musk = np.where(a("ARTHRIT") & severe_arth, A, B)
    g[:, :, BILAG.index("MUSK")] = grade(musk, musk_any, history(0.4))
    card_any = a("PLEUR") | a("PERICAR")
    g[:, :, BILAG.index("CARDRESP")] = grade(np.full((n, V), B), card_any, history(0.12))
    g[:, :, BILAG.index("GI")] = grade(np.full((n, V), C), np.zeros((n, V), dtype=bool), history(0.03))
    g[:, :, BILAG.index("OPHTH")] = grade(np.full((n, V), A), a("VISUAL"), history(0.02))
    renal_any = a("CASTS") | a("HEMATUR") | a("PROTEIN") | a("PYURIA")
    uprot = labs["UPROT"]
    heavy = (uprot >= 3.0) | ((uprot >= 1.0) & a("PROTEIN") & (a("HEMATUR") | a("CASTS")))
    g[:, :, BILAG.index("RENAL")] = grade(np.where(heavy, A, B), renal_any, np.broadcast_to(renal_history[:, None], (n, V)))
    plat, wbc, lymph = labs["PLAT"], labs["WBC"], labs["LYMPH"]
    haem = np.where(plat < 25, A, np.where(plat < 50, B, C))
    haem_any = (plat < 150) | (wbc < 4.0) | (lymph < 1.0)
    g[:, :, BILAG.index("HAEM")] = grade(haem, haem_any, history(0.3))

    # Never more active than at baseline, except a planned haemolysis flare.
    g = np.maximum(g, g[:, :1, :])
    h = BILAG.index("HAEM")
    g[:, :, h] = np.where(haemolysis, A, g[:, :, h])
    return g


def pga_scores(
    rng: np.random.Generator,
    totals: np.ndarray,
    arm_of: np.ndarray,
    arms: tuple,
    exact_mean: bool,
) -> np.ndarray:
    """Physician's Global Assessment at baseline (0.1 steps, 0 to 3), tracking SLEDAI-2K.

    PGA = c + 0.085 x SLEDAI-2K + N(0, 0.25), within 0.8 to 3.0, then
    nudged by 0.1 steps so each arm's mean is the published one, or, for an arm with a
    published median (``pga0_median``), so that its median is.
    """
    n = len(totals)
    pga0 = np.empty(n)
    for k, arm in enumerate(arms):
        sel = arm_of == k
        if not sel.any():
            continue
        s = totals[sel].astype(float)
        raw = arm.pga0_mean + 0.085 * (s - s.mean()) + rng.normal(0, 0.25, sel.sum())
        raw = np.clip(raw, 0.8, 3.0)
        if exact_mean and getattr(arm, "pga0_median", None) is not None:
            m = int(sel.sum())
            pga0[sel] = fit_median_bounded(raw, np.full(m, 0.8), np.full(m, 3.0), arm.pga0_median, 0.1, rng)
        elif exact_mean:
            pga0[sel] = match_mean(raw, arm.pga0_mean, 0.8, 3.0, 0.1, rng)
        else:
            pga0[sel] = snap(raw, 0.1)
    return pga0


def pga_course(
    rng: np.random.Generator,
    pga0: np.ndarray,
    totals: np.ndarray,
    haemolysis: np.ndarray,
    worsen: np.ndarray,
) -> np.ndarray:
    """PGA at every visit, ``(n, V)``: baseline scaled by the fall in SLEDAI-2K.

    PGA(w) = PGA(0) x (SLEDAI(w) / SLEDAI(0)) ** 0.9 + N(0, 0.3), on the 0.1 grid, never more
    than 0.2 above baseline (so no SRI failure arises by accident) except at planned
    worsenings: a haemolysis flare (+0.4) or a PGA failure (+0.3 or +0.4), capped at 3.
    """
    n, V = totals.shape
    ratio = totals / np.maximum(totals[:, :1], 1)
    p = pga0[:, None] * ratio ** 0.9 + rng.normal(0, 0.3, (n, V))
    p = np.where(totals == 0, np.minimum(p, 0.3), p)
    p = snap(np.clip(p, 0.0, 3.0), 0.1)
    p = np.minimum(p, snap(pga0[:, None] + 0.2, 0.1))
    p[:, 0] = pga0
    bump = np.where(rng.random((n, V)) < 0.5, 0.3, 0.4)
    p = np.where(worsen, snap(np.minimum(pga0[:, None] + bump, 3.0), 0.1), p)
    p = np.where(haemolysis, snap(np.minimum(pga0[:, None] + 0.4, 3.0), 0.1), p)
    return p
