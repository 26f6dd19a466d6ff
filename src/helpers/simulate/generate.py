"""Build a simulated cohort: subjects, disease course and the ten ADaM tables.

:func:`build_cohort` draws everything for ``n`` subjects from one seed, with one
independent random stream per domain (so that changing how, say, adverse events are
drawn leaves the disease course untouched). The order of the work:

1. arms (permuted blocks), subject identifiers, which subjects never start treatment;
2. baseline disease (descriptors with the published SLEDAI-2K median and range), PGA,
   demographics with the published medians/means/ranges, concomitant drugs;
3. response patterns (:class:`~helpers.simulate.spec.Pattern`) given to subjects in
   order of a latent responsiveness, so that early responders also expand Treg most;
4. the disease course, labs, BILAG-2004, PGA, manifestations, lymphocyte subsets,
   prednisone, doses and adverse events;
5. the long ADaM frames.

A cohort with published per-visit figures (``CohortSpec.targets``: the randomized
trial's Tables 1 and 2) is bent onto them at its published size, in :mod:`tables`: the
baseline descriptors together with those of the published visits once the response
patterns are known (an integer program), the published visits again after the disease
course, then anti-dsDNA, BILAG, PGA and prednisone; the optional tests (creatinine,
eGFR, ANA, anti-nucleosome) are drawn for cohorts that carry them.

Nothing here loops over subjects; loops run over arms, categories, visits or
parameters only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from helpers import definitions as d
from helpers.data import contract as ct
from helpers.errors import HelpersError
from helpers.simulate import disease as dz
from helpers.simulate import events as ev
from helpers.simulate import measures as ms
from helpers.simulate import tables as tb
from helpers.simulate.calibrate import (
    choose,
    fit_median_bounded,
    match_moments,
    match_quantiles,
    scale_count,
    scale_counts,
    snap,
)
from helpers.simulate.spec import ArmSpec, CohortSpec, Moments, Quantiles, VisitTarget

#: One random stream per domain, in this order (the order is part of the seed's meaning).
STREAMS: tuple[str, ...] = (
    "arms", "demog", "disease", "pga", "cm", "pattern", "course", "labs", "bilag",
    "manif", "cyto", "cm_course", "ex", "ae", "dates", "tables", "extra_labs",
)
#: Immunosuppressants are given one per subject at most, in this order of choice (an
#: optional drug only where an arm names it).
IMMUNOSUPPRESSANTS: tuple[str, ...] = ("CMCYCFL", "CMMMFFL", "CMAZAFL", "CMCSAFL", "CMLEFFL", "CMMTXFL", "CMTACFL")


#: Text columns are Arrow-backed strings (pandas' default ``str``), as ``load_cohort``
#: returns them; the low-cardinality ones of the long tables (visit labels, codes,
#: names, units, groups, grades) are categoricals, which keeps a 40,000-subject cohort
#: within a few hundred megabytes. ``helpers.derive`` accepts both.
STR = pd.StringDtype("pyarrow", na_value=np.nan)


def text(values, codes: np.ndarray | None = None) -> pd.Series:
    """An Arrow-backed ``str`` column: ``values[codes]`` (or ``values`` when no codes),
    built without a Python object per row."""
    values = pa.array(np.asarray(values, dtype=object), pa.string())
    if codes is None:
        return pd.Series(values, dtype=STR)
    arr = pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes, dtype=np.int32)), values).cast(pa.string())
    return pd.Series(arr, dtype=STR)


def category(values, codes: np.ndarray) -> pd.Categorical:
    """A categorical column ``values[codes]`` (categories in the given order)."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int32), categories=pd.Index(list(values), dtype=STR))


def streams(seed: int) -> dict[str, np.random.Generator]:
    """Independent ``Generator(PCG64)`` streams, one per domain, from one seed."""
    return {
        name: np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), i])))
        for i, name in enumerate(STREAMS)
    }


def _randomize(rng: np.random.Generator, sizes: np.ndarray) -> np.ndarray:
    """Arm of each subject in enrolment order: permuted blocks of two per arm, then the
    remainder in random order (exact arm sizes at any cohort size)."""
    k = len(sizes)
    if k == 1:
        return np.zeros(int(sizes[0]), dtype=np.int8)
    full = int(min(sizes // 2))
    block = np.repeat(np.arange(k), 2)
    blocks = np.tile(block, (full, 1))
    blocks = np.take_along_axis(blocks, np.argsort(rng.random(blocks.shape), axis=1), axis=1)
    rest = np.repeat(np.arange(k), sizes - 2 * full)
    rest = rest[rng.permutation(len(rest))]
    return np.concatenate([blocks.ravel(), rest]).astype(np.int8)


def subject_ids(prefix: str, n: int) -> np.ndarray:
    """``PREFIX-001`` ... with zero padding wide enough for ``n`` (at least 3 digits)."""
    width = max(3, len(str(n)))
    return np.array([f"{prefix}-{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _fit(rng: np.random.Generator, x: np.ndarray, target: Quantiles | Moments) -> np.ndarray:
    if isinstance(target, Quantiles):
        return match_quantiles(x, target)
    try:
        return match_moments(x, target, rng)
    except ValueError:
        # Too few subjects to meet the moments within the bounds: keep the linear map.
        z = (x - x.mean()) / (x.std(ddof=1) or 1.0)
        return snap(np.clip(target.mean + target.sd * z, target.low, target.high), target.step)


def _swap_descent(rng: np.random.Generator, h: np.ndarray, misfit, iters: int, done: float) -> np.ndarray:
    """Swap two random entries of ``h`` at a time, keeping a swap when the misfit does
    not grow, until it is below ``done`` or ``iters`` pairs were tried (in place)."""
    cur = misfit(h)
    for i, j in rng.integers(0, len(h), size=(iters, 2)):
        if cur < done:
            break
        if i == j or h[i] == h[j]:
            continue
        h[i], h[j] = h[j], h[i]
        new = misfit(h)
        if new <= cur:
            cur = new
        else:
            h[i], h[j] = h[j], h[i]
    return h


def fit_bsa(rng: np.random.Generator, weight: np.ndarray, height: np.ndarray, target: Quantiles, iters: int = 30000) -> np.ndarray:
    """Re-pair heights with weights so the Mosteller BSA has the published median/range.

    Weights and heights keep their published medians and ranges (the multisets do not
    change); only who has which height does. A random pair of heights is swapped when
    the misfit does not grow: the distance of the BSA median, minimum and maximum
    (rounded to 0.01 m2) from the targets, plus a penalty when the correlation of weight
    and height falls below 0.3 (taller women are heavier). Run at the published size
    only, where it is a few thousand cheap steps.

    Returns
    -------
    ndarray
        The heights, re-paired.
    """
    h = height.copy()
    n = len(h)

    def misfit(hh: np.ndarray) -> float:
        b = np.round(np.sqrt(weight * hh / 3600.0), 2)
        lo, hi = np.sort(b)[[(n - 1) // 2, n // 2]]
        med = (lo + hi) / 2
        r = np.corrcoef(weight, hh)[0, 1]
        return abs(med - target.median) + abs(b.min() - target.low) + abs(b.max() - target.high) + max(0.0, 0.3 - r)

    return _swap_descent(rng, h, misfit, iters, done=1e-9)


def fit_bsa_moments(rng: np.random.Generator, weight: np.ndarray, height: np.ndarray, target: Moments,
                    iters: int = 40000) -> np.ndarray:
    """Re-pair heights with weights so the Mosteller BSA has the published mean and SD.

    As :func:`fit_bsa`, for a published mean and standard deviation: the misfit is the
    distance of the BSA mean (to ``target.mean_tol``, default half a unit of the step)
    and SD (to ``target.sd_tol``) from their targets, with the same penalty on a
    correlation of weight and height below 0.3.

    Returns
    -------
    ndarray
        The heights, re-paired.
    """
    h = height.copy()
    mean_tol = target.mean_tol if target.mean_tol is not None else target.step / 2

    def misfit(hh: np.ndarray) -> float:
        b = mosteller(weight, hh)
        r = np.corrcoef(weight, hh)[0, 1]
        off_mean = max(0.0, abs(b.mean() - target.mean) - mean_tol * 0.8)
        off_sd = max(0.0, abs(b.std(ddof=1) - target.sd) - target.sd_tol * 0.6)
        return off_mean * 10 + off_sd * 10 + max(0.0, 0.3 - r)

    return _swap_descent(rng, h, misfit, iters, done=1e-12)


def mosteller(weight: np.ndarray, height: np.ndarray) -> np.ndarray:
    """Body surface area (m2) by Mosteller: sqrt(weight kg x height cm / 3600), 2 decimals.

    Examples
    --------
    >>> mosteller(np.array([54.0]), np.array([160.0])).tolist()
    [1.55]
    """
    return np.round(np.sqrt(weight * height / 3600.0), 2)


def _per_arm(arm_of: np.ndarray, arms: tuple[ArmSpec, ...], attr) -> np.ndarray:
    values = np.array([attr(a) for a in arms], dtype=float)
    return values[arm_of]


def build_cohort(spec: CohortSpec, n: int, seed: int) -> dict[str, pd.DataFrame]:
    """All ten tables of a simulated cohort of ``n`` subjects.

    Parameters
    ----------
    spec : CohortSpec
    n : int
        Number of subjects (randomized); arms are split as in the spec.
    seed : int

    Returns
    -------
    dict of str to DataFrame
        ``adsl``, ``adsledai``, ``adbilag``, ``adpga``, ``adlb``, ``adcyto``, ``admanif``,
        ``adcm``, ``adex``, ``adae``, in the contract's column order and a fixed row order.
    """
    rng = streams(seed)
    arms = spec.arms
    published = n == spec.n
    weeks = np.array(spec.weeks, dtype=float)
    V = len(weeks)
    sizes = scale_counts([a.n for a in arms], n)
    if (sizes < 4).any():
        raise ValueError(f"n_subjects={n} is too small for {spec.name}: every arm needs at least 4 subjects")

    # --- arms, identifiers, untreated --------------------------------------------------
    arm_of = _randomize(rng["arms"], sizes)
    ids = subject_ids(spec.id_prefix, n)
    untreated = np.zeros(n, dtype=bool)
    female = np.zeros(n, dtype=bool)
    for k, arm in enumerate(arms):
        in_arm = arm_of == k
        untreated |= choose(rng["arms"], scale_count(arm.n_untreated, arm.n, int(in_arm.sum())), in_arm)
        female |= choose(rng["demog"], scale_count(arm.n_female, arm.n, int(in_arm.sum())), in_arm)

    # --- baseline disease --------------------------------------------------------------
    active0, renal = dz.baseline_descriptors(rng["disease"], arm_of, arms, _per_arm(arm_of, arms, lambda a: a.dnabind))
    sledai0 = (active0 * dz.WEIGHTS).sum(axis=1)
    # The randomized trial's Tables 1 and 2, at the published size only.
    calibrated = published and bool(spec.targets)
    if calibrated:
        sledai0 = _untreated_inside(sledai0, arm_of, untreated, arms)
    pga0 = dz.pga_scores(rng["pga"], sledai0, arm_of, arms, exact_mean=True)

    # --- demographics ------------------------------------------------------------------
    g = rng["demog"]
    age = np.empty(n)
    weight = np.empty(n)
    height = np.empty(n)
    durdis = np.empty(n)
    predbl = np.empty(n)
    for k, arm in enumerate(arms):
        sel = np.flatnonzero(arm_of == k)
        m = len(sel)
        age[sel] = _fit(g, 18 + g.gamma(3.0, 4.5, m), arm.age)
        zw = g.normal(size=m)
        zh = 0.6 * zw + 0.8 * g.normal(size=m)
        male = ~female[sel]
        weight[sel] = _fit(g, np.exp(0.18 * zw + 0.12 * male), arm.weight)
        height[sel] = _fit(g, zh + 1.2 * male, arm.height)
        if arm.bsa is not None and published:
            fit = fit_bsa if isinstance(arm.bsa, Quantiles) else fit_bsa_moments
            height[sel] = fit(g, weight[sel], height[sel], arm.bsa)
        durdis[sel] = _fit(g, np.exp(g.normal(np.log(45), 0.9, m)), arm.durdis)
        predbl[sel] = match_quantiles(sledai0[sel] + g.normal(0, 5, m), arm.predbl)
        if arm.predbl_itt_median is not None:
            predbl[sel] = _itt_median(predbl[sel], untreated[sel], arm.predbl.median, arm.predbl_itt_median)
    bsa = mosteller(weight, height)

    # --- concomitant drugs -------------------------------------------------------------
    optional_drugs = [f for f in d.OPTIONAL_CONCOMITANT_DRUGS if any(f in a.cm for a in arms)]
    cm = {flag: np.zeros(n, dtype=bool) for flag in (*d.CONCOMITANT_DRUGS, *optional_drugs)}
    g = rng["cm"]
    for k, arm in enumerate(arms):
        in_arm = arm_of == k
        m = int(in_arm.sum())
        taken = np.zeros(n, dtype=bool)
        for flag in IMMUNOSUPPRESSANTS:
            if flag not in cm:
                continue
            w = np.where(renal, 3.0, 1.0) if flag in ("CMCYCFL", "CMMMFFL") else None
            pick = choose(g, scale_count(arm.cm.get(flag, 0), arm.n, m), in_arm & ~taken, w)
            cm[flag] |= pick
            taken |= pick
        cm["CMHCQFL"] |= choose(g, scale_count(arm.cm.get("CMHCQFL", 0), arm.n, m), in_arm)
        rash = active0[:, dz.IDX["RASH"]]
        cm["CMTHAFL"] |= choose(g, scale_count(arm.cm.get("CMTHAFL", 0), arm.n, m), in_arm, np.where(rash, 3.0, 1.0))

    # --- response patterns -------------------------------------------------------------
    g = rng["pattern"]
    u = g.normal(size=n)
    onset = np.full(n, np.inf)
    last_week = np.full(n, np.inf)
    reason = np.full(n, "", dtype=object)
    relapse_start = np.full(n, np.inf)
    relapse_end = np.full(n, np.inf)
    haemolysis = np.zeros((n, V), dtype=bool)
    worsen = np.zeros((n, V), dtype=bool)
    week_index = {int(w): i for i, w in enumerate(weeks)}
    for k, arm in enumerate(arms):
        itt = (arm_of == k) & ~untreated
        counts = scale_counts([p.count for p in arm.patterns], int(itt.sum()))
        assigned = np.full(n, -1)
        # Patterns with a PGA failure need room above baseline PGA: picked first, at random.
        for p_i, p in enumerate(arm.patterns):
            if any(kind == "pga" for _, kind in p.fail):
                pick = choose(g, counts[p_i], itt & (assigned < 0) & (pga0 <= 2.7))
                assigned[pick] = p_i
        # The rest in order of latent responsiveness: earliest onsets to the most responsive.
        free_patterns = [i for i, p in enumerate(arm.patterns) if not any(kind == "pga" for _, kind in p.fail)]
        goodness = sorted(free_patterns, key=lambda i: (arm.patterns[i].onset or 999, i))
        slots = np.repeat(np.array(goodness, dtype=int), counts[goodness]) if goodness else np.array([], dtype=int)
        free = np.flatnonzero(itt & (assigned < 0))
        ranked = free[np.argsort(-(u[free] + g.normal(0, 0.8, len(free))), kind="stable")]
        assigned[ranked] = slots
        for p_i, p in enumerate(arm.patterns):
            who = assigned == p_i
            if not who.any():
                continue
            onset[who] = np.inf if p.onset is None else p.onset
            if p.last_week is not None:
                last_week[who] = p.last_week
                reason[who] = p.reason
            for week, kind in p.fail:
                (haemolysis if kind == "haemolysis" else worsen)[who, week_index[week]] = True
            if p.relapse is not None:
                relapse_start[who] = p.relapse[0]
                relapse_end[who] = np.inf if p.relapse[1] is None else p.relapse[1]
    if calibrated:
        _respect_ceilings(spec, arm_of, untreated, sledai0, u, weeks, onset, last_week, reason,
                          relapse_start, relapse_end, haemolysis, worsen)
    reason[untreated] = "Withdrawal by subject"
    last_week[untreated] = weeks[0]
    observed = weeks[None, :] <= last_week[:, None]
    itt = ~untreated
    il2 = _per_arm(arm_of, arms, lambda a: a.dose > 0).astype(bool)
    if calibrated:
        status = _status(weeks, onset, relapse_start, relapse_end)
        flares = _flare_subjects(spec, arm_of, itt, sledai0, onset, last_week, relapse_start, worsen, haemolysis)
        extra = _flare_points(spec, flares, n, weeks)
        active0 = _solve_baseline(rng["tables"], spec, active0, sledai0, arm_of, itt, observed, weeks, status, extra)
        renal = renal | active0[:, [dz.IDX[c] for c in dz.RENAL]].any(axis=1)

    # --- disease course ----------------------------------------------------------------
    kin = {name: _per_arm(arm_of, arms, lambda a, name=name: getattr(a.kinetics, name)) for name in (
        "resolution", "recurrence", "recurrence_after", "lab_tau", "lab_drift", "treg_peak",
        "effector_drop", "nk_rise", "taper")}
    speed = np.exp(-0.35 * u)
    scale = np.array([[a.half_life_scale.get(c, 1.0) for c in dz.CODES] for a in arms])[arm_of]
    activity = dz.descriptor_course(
        rng["course"], active0, weeks, kin["resolution"], kin["recurrence"], kin["recurrence_after"],
        speed, scale, onset, relapse_start, relapse_end,
    )
    flare_day = np.full(n, np.nan)
    if calibrated:
        activity, flare_day = _apply_flares(spec, flares, activity, weeks, worsen)
        activity = _calibrate_visits(rng["tables"], spec, activity, arm_of, itt, observed, weeks, status, extra)
    totals = dz.sledai_totals(activity)
    labs, ranges = ms.lab_values(
        rng["labs"], activity, weeks, kin["lab_tau"], kin["lab_drift"], kin["resolution"], speed,
        female, haemolysis, _per_arm(arm_of, arms, lambda a: a.dsdna_excess), il2,
        _per_arm(arm_of, arms, lambda a: a.dsdna_tau or a.kinetics.lab_tau),
    )
    if calibrated:
        labs = _calibrate_labs(spec, labs, activity, arm_of, itt, observed, weeks)
    bilag = dz.bilag_grades(rng["bilag"], activity, labs, haemolysis, renal)
    pga = dz.pga_course(rng["pga"], pga0, totals, haemolysis, worsen)
    if calibrated:
        bilag = _calibrate_bilag(rng["tables"], spec, bilag, activity, arm_of, itt, untreated, observed, weeks,
                                 haemolysis, np.isfinite(flare_day))
        pga = _calibrate_pga(rng["tables"], spec, pga, pga0, arm_of, itt, observed, weeks, haemolysis | worsen)
    manif = ms.manifestations(rng["manif"], activity, weeks, labs["HGB"], ranges["HGB"][0], kin["resolution"], speed)
    cyto = ms.cyto_values(
        rng["cyto"], weeks, observed, arm_of, kin["treg_peak"], kin["effector_drop"],
        kin["nk_rise"], u, spec.courses,
    )
    responding = weeks[None, :] >= onset[:, None]
    flare = (weeks[None, :] >= relapse_start[:, None]) & (weeks[None, :] < relapse_end[:, None])
    pred = ev.prednisone_course(rng["cm_course"], predbl, weeks, responding, kin["taper"], flare)
    if calibrated:
        pred = _calibrate_prednisone(rng["tables"], spec, pred, arm_of, itt, observed, weeks)
    extra_labs = _optional_labs(rng["extra_labs"], spec, activity, arm_of, itt, observed, weeks, female, renal,
                                age, il2, calibrated)

    # --- exposure and adverse events ---------------------------------------------------
    stop_day = np.where(np.isfinite(last_week) & (last_week < weeks[-1]), ev.visit_day(np.minimum(last_week, weeks[-1])), np.inf)
    ex = ev.exposure(rng["ex"], itt, stop_day, spec.courses)
    end_day = np.where(np.isfinite(last_week) & (last_week < weeks[-1]),
                       ev.visit_day(np.minimum(last_week, weeks[-1])) + 4, ev.visit_day(weeks[-1])).astype(int)
    ae = ev.adverse_events(rng["ae"], arm_of, arms, itt, ex, end_day, reason == "Adverse event", flare_day)

    # --- dates -------------------------------------------------------------------------
    start = np.datetime64(spec.enrol_start, "D")
    offsets = np.sort(rng["dates"].integers(0, spec.enrol_days, n))
    trtsdt = (start + offsets.astype("timedelta64[D]")).astype("datetime64[s]")
    last_dose = ex.last_day()
    trtedt = trtsdt + (last_dose - 1).astype("timedelta64[D]")
    nat = np.datetime64("NaT", "s")
    trtsdt = np.where(itt, trtsdt, nat)
    trtedt = np.where(itt & (last_dose > 0), trtedt, nat)

    arm_names = [a.name for a in arms]
    adsl = pd.DataFrame({
        "STUDYID": text([spec.studyid], np.zeros(n, dtype=np.int32)),
        "USUBJID": text(ids),
        "SITEID": text([spec.site], np.zeros(n, dtype=np.int32)),
        "AGE": age,
        "SEX": text(np.where(female, "F", "M").astype(object)),
        "RACE": text(["ASIAN"], np.zeros(n, dtype=np.int32)),
        "TRT01P": text(arm_names, arm_of),
        # As ADaM has it: a subject randomized but never treated has no actual treatment.
        "TRT01A": text([*arm_names, ""], np.where(itt, arm_of, len(arm_names))),
        "RANDFL": text(["Y"], np.zeros(n, dtype=np.int32)),
        "SAFFL": text(np.where(itt, "Y", "N").astype(object)),
        "ITTFL": text(np.where(itt, "Y", "N").astype(object)),
        "TRTSDT": trtsdt,
        "TRTEDT": trtedt,
        "EOSSTT": text(np.where(reason != "", "DISCONTINUED", "COMPLETED").astype(object)),
        "DCSREAS": text(reason),
        "WEIGHTBL": weight,
        "HEIGHTBL": height,
        "BSABL": bsa,
        "DURDIS": durdis,
        "PREDBL": predbl,
        **{flag: text(np.where(cm[flag], "Y", "N").astype(object)) for flag in cm},
    })

    labels = dict(spec.visits)
    frames = _Frames(ids, observed, weeks, [labels[int(w)] for w in weeks])
    adsledai = frames.bds(list(dz.CODES), activity.astype(np.int64))
    adbilag = frames.bds(list(dz.BILAG), bilag, value="AVALC", levels=list(d.BILAG_GRADES))
    adpga = frames.bds(["PGA"], pga[:, :, None])
    labs.update({c: v for c, (v, _) in extra_labs.items()})
    ranges.update({c: r for c, (_, r) in extra_labs.items()})
    lab_codes = [*ms.LAB_CODES, *extra_labs]
    measures = {m.code: m for m in (*d.LAB_TESTS, *d.OPTIONAL_LAB_TESTS)}
    lab_vals = np.stack([labs[c] for c in lab_codes], axis=2)
    adlb = frames.bds(
        lab_codes, lab_vals,
        PARAM={c: measures[c].label for c in lab_codes}, AVALU={c: measures[c].unit for c in lab_codes},
        ranges=np.stack([np.stack(ranges[c], axis=1) for c in lab_codes], axis=1),
    )
    adcyto = frames.bds(
        list(ms.CYTO_CODES), np.stack([cyto[c] for c in ms.CYTO_CODES], axis=2),
        PARAM={m.code: m.label for m in d.CYTO_SUBSETS}, AVALU={m.code: m.unit for m in d.CYTO_SUBSETS},
    )
    admanif = frames.bds(
        list(ms.MANIF_CODES), np.stack([manif[c] for c in ms.MANIF_CODES], axis=2).astype(np.int64),
        PARAM={m.code: m.label for m in d.MANIFESTATIONS}, PARCAT1={m.code: m.group for m in d.MANIFESTATIONS},
    )
    adcm = frames.bds(["PREDDOSE"], pred[:, :, None])
    adex = _adex(ids, arm_of, arms, ex)
    adae = _adae(ids, ae)
    tables = {
        "adsl": adsl, "adsledai": adsledai, "adbilag": adbilag, "adpga": adpga, "adlb": adlb,
        "adcyto": adcyto, "admanif": admanif, "adcm": adcm, "adex": adex, "adae": adae,
    }
    return {name: _contract_order(name, df) for name, df in tables.items()}


# ---------------------------------------------------------------------------------------
# the randomized trial's tables (at the published size only)


def _target(spec: CohortSpec, arm: str, measure: str, week: int, population: str = "itt") -> VisitTarget | None:
    for t in spec.targets:
        if (t.arm, t.measure, t.week, t.population) == (arm, measure, week, population):
            return t
    return None


def _target_weeks(spec: CohortSpec, arm: str, measure: str, population: str = "itt") -> list[int]:
    return sorted({t.week for t in spec.targets if (t.arm, t.measure, t.population) == (arm, measure, population)})


def _itt_median(values: np.ndarray, untreated: np.ndarray, median: float, itt_median: float) -> np.ndarray:
    """Baseline doses whose median is ``median`` over everyone and ``itt_median`` over the
    treated: the lower middle value becomes ``2 median - itt_median``, the upper
    ``itt_median``, and the subjects never treated take values at or below the lower.

    Examples
    --------
    >>> _itt_median(np.array([5.0, 10, 12.5, 12.5, 20, 30]), np.array([0, 0, 0, 0, 0, 1], bool), 12.5, 15).tolist()
    [5.0, 10.0, 30.0, 15.0, 20.0, 10.0]
    """
    y = values.astype(float).copy()
    n = len(y)
    lo_i, hi_i = (n - 1) // 2, n // 2
    lower_mid = 2 * median - itt_median
    order = np.argsort(y, kind="stable")
    y[order[:lo_i + 1]] = np.minimum(y[order[:lo_i + 1]], lower_mid)
    y[order[lo_i]] = lower_mid
    y[order[hi_i:]] = np.maximum(y[order[hi_i:]], itt_median)
    y[order[hi_i]] = itt_median
    # The untreated take the lowest values' places: swap with treated subjects at or below.
    for i in np.flatnonzero(untreated):
        if y[i] <= lower_mid:
            continue
        low = [j for j in order if not untreated[j] and y[j] <= lower_mid]
        j = low[-1]
        y[i], y[j] = y[j], y[i]
    return y


def _untreated_inside(totals: np.ndarray, arm_of: np.ndarray, untreated: np.ndarray, arms) -> np.ndarray:
    """Baseline totals where no subject outside the treated holds an arm's minimum or
    maximum alone (so Table 2's range, of the treated, is Table 1's): such a subject
    trades totals with the treated subject holding the arm's median value."""
    totals = totals.copy()
    for k, _ in enumerate(arms):
        sel = np.flatnonzero(arm_of == k)
        for i in sel[untreated[sel]]:
            v = totals[sel]
            if (totals[i] == v.min() or totals[i] == v.max()) and (v == totals[i]).sum() == 1:
                mid = sel[~untreated[sel]][np.argmin(np.abs(totals[sel[~untreated[sel]]] - np.median(v)))]
                totals[i], totals[mid] = totals[mid], totals[i]
    return totals


def _visit_plans(spec: CohortSpec, arm: ArmSpec, sel: np.ndarray, itt: np.ndarray, observed: np.ndarray,
                 weeks: np.ndarray, status: np.ndarray, extra: np.ndarray,
                 reference: np.ndarray | None) -> list[tuple[int, tb.VisitPlan]]:
    """The published follow-up visits of one arm as plans for
    :func:`helpers.simulate.tables.solve_descriptors`."""
    w_index = {int(w): i for i, w in enumerate(weeks)}
    remission = {a: n_cr for a, _, n_cr in spec.renal}
    plans = []
    for week in _target_weeks(spec, arm.name, "SLEDAI"):
        if week == 0:
            continue
        v = w_index[week]
        counts = {t.measure: t.count for t in spec.targets
                  if t.arm == arm.name and t.week == week and t.population == "itt" and t.measure in dz.IDX}
        sl = _target(spec, arm.name, "SLEDAI", week)
        dna = _target(spec, arm.name, "DSDNA", week)
        plans.append((v, tb.VisitPlan(
            observed=(itt & observed[:, v])[sel], responder=status[sel, v], counts=counts,
            sledai=(sl.median, sl.low, sl.high),
            dna_above=None if dna is None else dna.median > ms.REF_RANGE["DSDNA"][1],
            n_remission=remission.get(arm.name) if week == spec.renal_week else None,
            extra=extra[sel, v], reference=None if reference is None else reference[:, v, :],
        )))
    return plans


def _solve_baseline(rng: np.random.Generator, spec: CohortSpec, active0: np.ndarray, totals0: np.ndarray,
                    arm_of: np.ndarray, itt: np.ndarray, observed: np.ndarray, weeks: np.ndarray,
                    status: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """Baseline descriptors meeting Table 2's baseline counts, the nephritis subgroup and
    the side of the anti-dsDNA median, chosen together with the published follow-up
    visits so that those can be met too (see
    :func:`helpers.simulate.tables.solve_descriptors`)."""
    out = active0.copy()
    renal = {arm: n_sub for arm, n_sub, _ in spec.renal}
    for k, arm in enumerate(spec.arms):
        sel = np.flatnonzero(arm_of == k)
        counts = {t.measure: t.count for t in spec.targets
                  if t.arm == arm.name and t.week == 0 and t.population == "itt" and t.measure in dz.IDX}
        dna = _target(spec, arm.name, "DSDNA", 0)
        plans = [p for _, p in _visit_plans(spec, arm, sel, itt, observed, weeks, status, extra, None)]
        out[sel], _ = tb.solve_descriptors(
            rng, active0[sel], totals0[sel].astype(int), itt[sel], counts, renal.get(arm.name),
            None if dna is None else dna.median > ms.REF_RANGE["DSDNA"][1], plans,
        )
    return out


def _status(weeks: np.ndarray, onset: np.ndarray, relapse_start: np.ndarray, relapse_end: np.ndarray) -> np.ndarray:
    """Whether each subject's SLEDAI is down by 4 or more at each week (response pattern)."""
    w = weeks[None, :]
    return (w >= onset[:, None]) & ~((w >= relapse_start[:, None]) & (w < relapse_end[:, None]))


def _fits(i: int, pattern_of: int, caps: dict[int, float], seen: np.ndarray, status: np.ndarray,
          sledai0: np.ndarray, w_index: dict[int, int]) -> bool:
    """Whether subject ``i`` can take the response pattern of subject ``pattern_of``: at
    every week with a published SLEDAI maximum where that pattern is seen and not
    responding, the baseline is at most the maximum + 3."""
    for w, high in caps.items():
        v = w_index[w]
        if seen[pattern_of, v] and not status[pattern_of, v] and sledai0[i] > high + 3:
            return False
    return True


def _respect_ceilings(spec: CohortSpec, arm_of: np.ndarray, untreated: np.ndarray, sledai0: np.ndarray,
                      u: np.ndarray, weeks: np.ndarray, onset: np.ndarray, last_week: np.ndarray,
                      reason: np.ndarray, relapse_start: np.ndarray, relapse_end: np.ndarray,
                      haemolysis: np.ndarray, worsen: np.ndarray) -> None:
    """Swap response patterns (in place) so that nobody whose SLEDAI must stay within 3
    points of baseline has a baseline above the published maximum + 3 at that week: a
    non-responder at 27 cannot be at most 16 at week 12. The subject takes the pattern
    (and the latent responsiveness ``u``) of the responder with the nearest ``u`` whose
    baseline fits."""
    arrays = (onset, last_week, reason, relapse_start, relapse_end)
    rows = (haemolysis, worsen)
    w_index = {int(w): i for i, w in enumerate(weeks)}
    for k, arm in enumerate(spec.arms):
        caps = {w: t.high for w in (12, 24) if (t := _target(spec, arm.name, "SLEDAI", w)) and t.high is not None}
        if not caps:
            continue
        members = np.flatnonzero((arm_of == k) & ~untreated)
        for _ in range(len(members)):
            status = _status(weeks, onset, relapse_start, relapse_end)
            seen = weeks[None, :] <= last_week[:, None]
            bad = [i for i in members if not _fits(i, i, caps, seen, status, sledai0, w_index)]
            if not bad:
                break
            i = bad[0]
            plain = ~(haemolysis | worsen).any(axis=1)
            cand = [j for j in members if j != i and plain[j] and plain[i]
                    and _fits(i, j, caps, seen, status, sledai0, w_index)
                    and _fits(j, i, caps, seen, status, sledai0, w_index)]
            if not cand:
                raise RuntimeError(f"{arm.name}: no response pattern fits subject {i}'s baseline SLEDAI")
            j = min(cand, key=lambda c: abs(u[c] - u[i]))
            # The latent responsiveness goes with the pattern, so responders still expand
            # Treg most and resolve fastest.
            u[i], u[j] = u[j], u[i]
            for a in arrays:
                a[i], a[j] = a[j], a[i]
            for r in rows:
                r[[i, j]] = r[[j, i]]


def _flare_subjects(spec: CohortSpec, arm_of: np.ndarray, itt: np.ndarray, sledai0: np.ndarray, onset: np.ndarray,
                    last_week: np.ndarray, relapse_start: np.ndarray, worsen: np.ndarray,
                    haemolysis: np.ndarray) -> dict[int, int]:
    """The subject of each arm's planned flare (``ArmSpec.flare_new``): the never-responding
    completer with the highest baseline SLEDAI-2K."""
    out = {}
    for k, arm in enumerate(spec.arms):
        if not arm.flare_new:
            continue
        pool = np.flatnonzero((arm_of == k) & itt & ~np.isfinite(onset) & ~np.isfinite(last_week)
                              & ~np.isfinite(relapse_start) & ~worsen.any(axis=1) & ~haemolysis.any(axis=1))
        out[k] = int(pool[np.argmax(sledai0[pool])])
    return out


def _flare_points(spec: CohortSpec, flares: dict[int, int], n: int, weeks: np.ndarray) -> np.ndarray:
    """Points the planned new descriptors add to each subject's SLEDAI-2K, ``(n, V)``."""
    extra = np.zeros((n, len(weeks)))
    for k, i in flares.items():
        for code, week in spec.arms[k].flare_new:
            extra[i, weeks >= week] += dz.WEIGHTS[dz.IDX[code]]
    return extra


def _apply_flares(spec: CohortSpec, flares: dict[int, int], activity: np.ndarray, weeks: np.ndarray,
                  worsen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The planned new descriptors switched on (the PGA worsens with them); each subject's
    flare start day (NaN: none)."""
    activity = activity.copy()
    flare_day = np.full(len(activity), np.nan)
    for k, i in flares.items():
        for code, week in spec.arms[k].flare_new:
            activity[i, weeks >= week, dz.IDX[code]] = True
        first = min(week for _, week in spec.arms[k].flare_new)
        flare_day[i] = first * 7 + 1 - 4
        worsen[i, weeks >= first] = True
    return activity, flare_day


def _calibrate_visits(rng: np.random.Generator, spec: CohortSpec, activity: np.ndarray, arm_of: np.ndarray,
                      itt: np.ndarray, observed: np.ndarray, weeks: np.ndarray, status: np.ndarray,
                      extra: np.ndarray) -> np.ndarray:
    """Descriptors at Table 2's follow-up weeks, as close to the disease course as the
    published counts, SLEDAI medians and ranges and response statuses allow (baseline
    fixed; see :func:`helpers.simulate.tables.solve_descriptors`)."""
    activity = activity.copy()
    for k, arm in enumerate(spec.arms):
        sel = np.flatnonzero(arm_of == k)
        base = activity[sel, 0, :] & ~(extra[sel, :1] > 0)  # new flare descriptors are not baseline
        new = activity[sel] & ~activity[sel, :1, :]
        reference = activity[sel] & ~new
        plans = _visit_plans(spec, arm, sel, itt, observed, weeks, status, extra, reference)
        _, solved = tb.solve_descriptors(rng, base, (base * dz.WEIGHTS).sum(axis=1), itt[sel], None, None, None,
                                         [p for _, p in plans], fix_baseline=True)
        for (v, p), got in zip(plans, solved, strict=True):
            rows = sel[p.observed]
            activity[rows, v, :] = got[p.observed] | new[p.observed, v, :]
    return activity


def _calibrate_labs(spec: CohortSpec, labs: dict[str, np.ndarray], activity: np.ndarray, arm_of: np.ndarray,
                    itt: np.ndarray, observed: np.ndarray, weeks: np.ndarray) -> dict[str, np.ndarray]:
    """Anti-dsDNA on Table 2's medians and ranges (2 decimals), and 24-hour proteinuria
    strictly below 0.5 g where the descriptor is inactive (a complete renal response
    needs < 0.5)."""
    labs = dict(labs)
    dsdna = labs["DSDNA"].copy()
    for k, arm in enumerate(spec.arms):
        targets = {t.week: (t.median, t.low, t.high) for t in spec.targets
                   if t.arm == arm.name and t.measure == "DSDNA" and t.population == "itt"}
        if not targets:
            continue
        sel = np.flatnonzero((arm_of == k) & itt)
        dsdna[sel] = tb.calibrate_lab(dsdna[sel], weeks, observed[sel], targets, 2,
                                      cut=ms.REF_RANGE["DSDNA"][1], active=activity[sel, :, dz.IDX["DNABIND"]])
    labs["DSDNA"] = dsdna
    prot = activity[:, :, dz.IDX["PROTEIN"]]
    labs["UPROT"] = np.where(~prot & (labs["UPROT"] >= 0.5), 0.49, labs["UPROT"])
    return labs


def _calibrate_bilag(rng: np.random.Generator, spec: CohortSpec, g: np.ndarray, activity: np.ndarray,
                     arm_of: np.ndarray, itt: np.ndarray, untreated: np.ndarray, observed: np.ndarray,
                     weeks: np.ndarray, haemolysis: np.ndarray, flare: np.ndarray) -> np.ndarray:
    """BILAG-2004 grades with Tables 1 and 2's "A or 2B" counts and score medians (see
    :func:`helpers.simulate.tables.calibrate_bilag`)."""
    g = g.copy()
    coding = d.BILAG_CODINGS[spec.bilag_coding]
    no_raise = np.array([c == "RENAL" for c in dz.BILAG])  # the nephritis subgroup stays as the labs say
    for k, arm in enumerate(spec.arms):
        sel = np.flatnonzero(arm_of == k)
        count = _target(spec, arm.name, "A2B", 0, "randomized")
        med = _target(spec, arm.name, "BILAG", 0, "randomized")
        g[sel, 0] = tb.calibrate_bilag(rng, g[sel, 0], None, count and count.count, med and med.median, coding,
                                       np.zeros(len(sel), dtype=bool), untreated[sel], no_raise)
    # Later visits never more active than the new baseline; the planned flares again.
    g[:, 1:] = np.maximum(g[:, 1:], g[:, :1])
    h = dz.BILAG.index("HAEM")
    g[:, :, h] = np.where(haemolysis, dz.A, g[:, :, h])
    neuro_new = activity[:, :, [dz.IDX[c] for c in dz.NEURO if c != "VISUAL"]].any(axis=2) & flare[:, None]
    g[:, :, dz.BILAG.index("NEURO")] = np.where(neuro_new, dz.A, g[:, :, dz.BILAG.index("NEURO")])
    w_index = {int(w): i for i, w in enumerate(weeks)}
    for k, arm in enumerate(spec.arms):
        for week in sorted(set(_target_weeks(spec, arm.name, "A2B")) | set(_target_weeks(spec, arm.name, "BILAG"))):
            if week == 0:
                continue
            v = w_index[week]
            sel = np.flatnonzero((arm_of == k) & itt & observed[:, v])
            count = _target(spec, arm.name, "A2B", week)
            med = _target(spec, arm.name, "BILAG", week)
            fixed = haemolysis[sel, v] | flare[sel]
            g[sel, v] = tb.calibrate_bilag(rng, g[sel, v], g[sel, 0], count and count.count, med and med.median,
                                           coding, fixed, None, no_raise)
    return g


def _calibrate_pga(rng: np.random.Generator, spec: CohortSpec, pga: np.ndarray, pga0: np.ndarray, arm_of: np.ndarray,
                   itt: np.ndarray, observed: np.ndarray, weeks: np.ndarray, planned: np.ndarray) -> np.ndarray:
    """PGA on Table 2's follow-up medians, never 0.3 above baseline unless planned."""
    pga = pga.copy()
    w_index = {int(w): i for i, w in enumerate(weeks)}
    for k, arm in enumerate(spec.arms):
        for week in _target_weeks(spec, arm.name, "PGA"):
            if week == 0:
                continue
            v = w_index[week]
            sel = np.flatnonzero((arm_of == k) & itt & observed[:, v])
            x = pga[sel, v]
            fixed = planned[sel, v]
            hi = np.where(fixed, x, np.maximum(np.minimum(3.0, snap(pga0[sel] + 0.2, 0.1)), x))
            lo = np.where(fixed, x, 0.0)
            pga[sel, v] = fit_median_bounded(x, lo, hi, _target(spec, arm.name, "PGA", week).median, 0.1, rng)
    return pga


def _calibrate_prednisone(rng: np.random.Generator, spec: CohortSpec, pred: np.ndarray, arm_of: np.ndarray,
                          itt: np.ndarray, observed: np.ndarray, weeks: np.ndarray) -> np.ndarray:
    """Prednisone on Table 2's follow-up medians and ranges."""
    pred = pred.copy()
    for k, arm in enumerate(spec.arms):
        targets = {t.week: (t.median, t.low, t.high) for t in spec.targets
                   if t.arm == arm.name and t.measure == "PREDDOSE" and t.population == "itt" and t.week != 0}
        if targets:
            sel = np.flatnonzero((arm_of == k) & itt)
            pred[sel] = tb.calibrate_prednisone(rng, pred[sel], weeks, observed[sel], targets)
    return pred


def _optional_labs(rng: np.random.Generator, spec: CohortSpec, activity: np.ndarray, arm_of: np.ndarray,
                   itt: np.ndarray, observed: np.ndarray, weeks: np.ndarray, female: np.ndarray,
                   renal: np.ndarray, age: np.ndarray, il2: np.ndarray,
                   calibrated: bool) -> dict[str, tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]]:
    """The optional ``adlb`` tests a cohort carries (``CohortSpec.optional_labs``): values
    ``(n, V)`` and reference ranges (ANRLO, ANRHI) by code."""
    n, V = observed.shape
    out: dict[str, tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]] = {}
    if not spec.optional_labs:
        return out
    none = np.full(n, np.nan)
    creat = tb.creatinine_values(rng, female, activity[:, 0, dz.IDX["PROTEIN"]], V)
    lln = np.where(female, 45.0, 59.0)
    uln = np.where(female, 84.0, 104.0)
    if "CREAT" in spec.optional_labs:
        out["CREAT"] = (creat, (lln, uln))
    if "EGFR" in spec.optional_labs:
        out["EGFR"] = (np.round(_ckd_epi(creat, age, female)), (np.full(n, 90.0), none))
    if "ANA" in spec.optional_labs:
        groups = []
        if calibrated:
            for k, arm in enumerate(spec.arms):
                counts = {t.week: t.count for t in spec.targets
                          if t.arm == arm.name and t.measure == "ANADECR" and t.population == "itt" and t.week != 0}
                if counts:
                    groups.append(((arm_of == k) & itt, counts))
        out["ANA"] = (tb.ana_titres(rng, weeks, observed, groups), (np.zeros(n), np.full(n, 80.0)))
    if "ANUA" in spec.optional_labs:
        anua = tb.anua_values(rng, activity[:, 0, dz.IDX["DNABIND"]], weeks, il2)
        if calibrated:
            for k, arm in enumerate(spec.arms):
                targets = {t.week: (t.median, t.low, t.high) for t in spec.targets
                           if t.arm == arm.name and t.measure == "ANUA" and t.population == "itt"}
                if targets:
                    sel = np.flatnonzero((arm_of == k) & itt)
                    anua[sel] = tb.calibrate_lab(anua[sel], weeks, observed[sel], targets, 2)
        out["ANUA"] = (np.round(anua, 2), (np.zeros(n), np.full(n, 20.0)))
    return out


def _ckd_epi(creat: np.ndarray, age: np.ndarray, female: np.ndarray) -> np.ndarray:
    """CKD-EPI 2021 eGFR, ``(n, V)``, as :func:`helpers.derive.derive_egfr` computes it."""
    sex = np.where(female, "F", "M")
    kappa = np.array([d.CKD_EPI_2021[s]["kappa"] for s in sex])[:, None]
    alpha = np.array([d.CKD_EPI_2021[s]["alpha"] for s in sex])[:, None]
    factor = np.array([d.CKD_EPI_2021[s]["factor"] for s in sex])[:, None]
    ratio = creat / d.CREATININE_UMOL_PER_MGDL / kappa
    return 142.0 * np.minimum(ratio, 1.0) ** alpha * np.maximum(ratio, 1.0) ** -1.200 * 0.9938 ** age[:, None] * factor


class _Frames:
    """Turns ``(n, V, P)`` arrays into long BDS frames over the observed visits."""

    def __init__(self, ids: np.ndarray, observed: np.ndarray, weeks: np.ndarray, labels: list[str]):
        self.ids = ids
        self.labels = labels
        self.weeks = weeks
        ii, vv = np.nonzero(observed)  # row-major: by subject, then visit
        self.ii, self.vv = ii.astype(np.int32), vv.astype(np.int32)

    def bds(self, codes: list[str], values: np.ndarray, value: str = "AVAL", ranges: np.ndarray | None = None,
            levels: list[str] | None = None, **maps: dict[str, str]) -> pd.DataFrame:
        P = len(codes)
        ii = np.repeat(self.ii, P)
        vv = np.repeat(self.vv, P)
        pp = np.tile(np.arange(P, dtype=np.int32), len(self.ii))
        out = {
            "USUBJID": text(self.ids, ii),
            "AVISIT": category(self.labels, vv),
            "AVISITN": self.weeks.astype(np.int64)[vv],
            "PARAMCD": category(codes, pp),
        }
        for name, mapping in maps.items():
            names = [mapping[c] for c in codes]
            uniq = list(dict.fromkeys(names))
            out[name] = category(uniq, np.array([uniq.index(x) for x in names], dtype=np.int32)[pp])
        vals = values[self.ii, self.vv, :].reshape(-1)
        out[value] = category(levels, vals) if levels is not None else vals
        if ranges is not None:
            out["ANRLO"] = ranges[ii, pp, 0]
            out["ANRHI"] = ranges[ii, pp, 1]
        return pd.DataFrame(out)


def _adex(ids: np.ndarray, arm_of: np.ndarray, arms: tuple[ArmSpec, ...], ex: ev.Exposure) -> pd.DataFrame:
    ii, jj = np.nonzero(ex.given)
    return pd.DataFrame({
        "USUBJID": text(ids, ii),
        "EXTRT": text([a.extrt for a in arms], arm_of[ii]),
        "EXDOSE": np.array([a.dose for a in arms], dtype=float)[arm_of[ii]],
        "EXDOSU": text(["MIU"], np.zeros(len(ii), dtype=np.int32)),
        "ASTDY": ex.day[jj].astype(np.int64),
        "APERIOD": ex.course[jj].astype(np.int64),
    })


def _adae(ids: np.ndarray, ae: ev.AdverseEvents) -> pd.DataFrame:
    sev = np.array(["", "MILD", "MODERATE", "SEVERE", "SEVERE", "SEVERE"], dtype=object)
    df = pd.DataFrame({
        "USUBJID": text(ids, ae.subject.astype(int)),
        "AETERM": text(ae.term),
        "AEDECOD": text(ae.decod),
        "AEBODSYS": text(ae.bodsys),
        "AETOXGR": ae.grade.astype(np.int64),
        "AESEV": text(sev[ae.grade.astype(int)]),
        "AESER": text(ae.serious),
        "AEREL": text(ae.related),
        "AEACN": text(ae.action),
        "AEOUT": text(ae.outcome),
        "ASTDY": ae.day.astype(np.int64),
        "TRTEMFL": text(np.where(ae.day >= 1, "Y", "N").astype(object)),
    })
    # One event per subject, term and day: a second draw on the same day is the same event.
    return df.drop_duplicates(["USUBJID", "AEDECOD", "ASTDY"]).reset_index(drop=True)


#: Row order of each table when written (and returned): its key, then these.
SORT_KEYS: dict[str, list[str]] = {
    "adsl": ["USUBJID"],
    "adex": ["USUBJID", "ASTDY"],
    "adae": ["USUBJID", "ASTDY", "AEDECOD", "AETERM"],
}
PARAM_ORDER: dict[str, list[str]] = {
    "adsledai": list(dz.CODES),
    "adbilag": list(dz.BILAG),
    "adpga": ["PGA"],
    "adlb": [*ms.LAB_CODES, *(m.code for m in d.OPTIONAL_LAB_TESTS)],
    "adcyto": list(ms.CYTO_CODES),
    "admanif": list(ms.MANIF_CODES),
    "adcm": ["PREDDOSE"],
}


def _sort_codes(s: pd.Series, order: list[str] | None = None) -> np.ndarray:
    """Integer codes of a text column that sort as the text does (or as ``order``)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        uniques = np.asarray(s.cat.categories, dtype=object)
        indices = s.cat.codes.to_numpy()
    else:
        enc = pa.compute.dictionary_encode(pa.array(s, from_pandas=True))
        if isinstance(enc, pa.ChunkedArray):
            enc = enc.combine_chunks()
        uniques = np.asarray(enc.dictionary.to_pylist(), dtype=object)
        indices = enc.indices.to_numpy(zero_copy_only=False)
    if order is not None:
        pos = {c: i for i, c in enumerate(order)}
        rank = np.array([pos.get(u, len(order)) for u in uniques], dtype=np.int64)
    else:
        rank = np.empty(len(uniques), dtype=np.int64)
        rank[np.argsort(uniques.astype(str), kind="stable")] = np.arange(len(uniques))
    return rank[indices]


def sort_rows(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Rows in the fixed order of a table: subject, visit, then parameter in the order
    of ``helpers.definitions`` (or the keys in ``SORT_KEYS``). A frame already in order
    is returned as it is (generated frames are built in order)."""
    if name in PARAM_ORDER:
        keys = [_sort_codes(df["USUBJID"]), df["AVISITN"].to_numpy(), _sort_codes(df["PARAMCD"], PARAM_ORDER[name])]
    else:
        keys = [_sort_codes(df[c]) if df[c].dtype.kind not in "iuf" else df[c].to_numpy() for c in SORT_KEYS[name]]
    if _is_sorted(keys):
        return df.reset_index(drop=True)
    order = np.lexsort(keys[::-1])
    return df.iloc[order].reset_index(drop=True)


def _is_sorted(keys: list[np.ndarray]) -> bool:
    """Whether rows are in strictly increasing lexicographic order of ``keys``."""
    if len(keys[0]) < 2:
        return True
    tied = np.ones(len(keys[0]) - 1, dtype=bool)
    for i, k in enumerate(keys):
        step = np.diff(k)
        last = i == len(keys) - 1
        if ((step <= 0) & tied).any() if last else ((step < 0) & tied).any():
            return False
        tied &= step == 0
    return True


def _contract_order(name: str, df: pd.DataFrame) -> pd.DataFrame:
    # Columns in the contract's order. Rows are already in the fixed order: the long
    # tables are built by subject, visit and parameter; adsl by subject; adex and adae
    # are small enough to sort.
    cols = [c.name for c in ct.TABLES[name].columns if c.name in df.columns]
    df = df[cols]
    return sort_rows(name, df) if name in SORT_KEYS else df


class CalibrationError(HelpersError, RuntimeError):
    """A simulated cohort at its published size misses a published target."""


def generate_cohort(name: str, n_subjects: int | None = None, seed: int | None = None) -> dict[str, pd.DataFrame]:
    """Generate all ten ADaM tables of a simulated cohort.

    Parameters
    ----------
    name : str
        The cohort spec: ``"nct02084238"`` or ``"nct02465580"``.
    n_subjects : int, optional
        Subjects to randomize; ``None`` for the published size (40; 60). Other sizes keep
        the published proportions (arms, patterns, counts); they are not checked.
    seed : int, optional
        ``None`` for the spec's seed (the one in the cohort's ``cohort.yml``).

    Returns
    -------
    dict of str to DataFrame
        ``adsl``, ``adsledai``, ``adbilag``, ``adpga``, ``adlb``, ``adcyto``, ``admanif``,
        ``adcm``, ``adex``, ``adae``, with the contract's columns and types: numbers as
        int64/float64, dates as datetime64, text as Arrow-backed ``str`` except the
        low-cardinality columns of the long tables (``AVISIT``, ``PARAMCD``, ``PARAM``,
        ``AVALU``, ``PARCAT1``, ``AVALC``), which are categoricals of ``str`` to keep a
        40,000-subject cohort small. Rows are in the order the CSV files have.

    Raises
    ------
    ValueError
        Unknown cohort, or too few subjects for its arms.
    CalibrationError
        At the published size, when :func:`~helpers.simulate.checks.check_calibration`
        finds a target missed.
    """
    from helpers.simulate.checks import check_calibration
    from helpers.simulate.spec import get_spec

    spec = get_spec(name)
    n = spec.n if n_subjects is None else int(n_subjects)
    tables = build_cohort(spec, n, spec.seed if seed is None else int(seed))
    if n == spec.n:
        problems = check_calibration(tables, spec)
        if problems:
            raise CalibrationError(
                f"simulated cohort {name} (seed {spec.seed if seed is None else seed}) misses "
                f"{len(problems)} target(s):\n  - " + "\n  - ".join(problems)
            )
    return tables
