"""Laboratory values, lymphocyte subsets and clinical manifestations, from the disease.

Lab values follow the descriptors, never the other way round: a lab-based SLEDAI-2K
descriptor that is active at a visit puts its lab on the abnormal side of the SLEDAI-2K
cut-off at that visit, and an inactive one on the normal side, after rounding to the
recorded precision. So the data always pass the cross-check of
:func:`helpers.data.find_lab_descriptor_queries`.

Each lab is modelled on the log scale as a signed distance ``z`` from its cut-off
(positive = abnormal): while abnormal, the distance shrinks with the arm's lab time
constant; once normal, the value sits on the normal side and drifts further into it
(more so under IL-2). Noise is added on the log scale.
"""

from __future__ import annotations

import numpy as np

from helpers import definitions as d
from helpers.simulate.disease import IDX, RENAL

#: Reference ranges written to ANRLO/ANRHI (chosen; common laboratory values). Where a
#: test has no lower limit (antibodies, urine protein) the lower limit is 0.
REF_RANGE: dict[str, tuple[float, float]] = {
    "DSDNA": (0.0, 30.0),
    "C3": (0.9, 1.8),
    "C4": (0.1, 0.4),
    "UPROT": (0.0, 0.15),
    "WBC": (4.0, 10.0),
    "LYMPH": (0.8, 4.0),
    "PLAT": (125.0, 350.0),
}
#: Haemoglobin reference range by sex (g/L).
HGB_RANGE: dict[str, tuple[float, float]] = {"F": (115.0, 150.0), "M": (130.0, 175.0)}
#: Decimal places each value is recorded with.
LAB_DECIMALS: dict[str, int] = {"DSDNA": 1, "C3": 2, "C4": 2, "UPROT": 2, "WBC": 2, "LYMPH": 2, "PLAT": 0, "HGB": 0}
CYTO_DECIMALS = 2
#: Decimal places each test is written with: anti-dsDNA to two (the randomized trial
#: publishes 1783.15 IU/mL; values drawn with one are written unchanged), and the
#: optional tests.
LAB_WRITE_DECIMALS: dict[str, int] = {**LAB_DECIMALS, "DSDNA": 2, "UPCR": 0, "CREAT": 0, "EGFR": 0, "ANA": 0, "ANUA": 2}
LAB_CODES: tuple[str, ...] = tuple(m.code for m in d.LAB_TESTS)
CYTO_CODES: tuple[str, ...] = tuple(m.code for m in d.CYTO_SUBSETS)
MANIF_CODES: tuple[str, ...] = tuple(m.code for m in d.MANIFESTATIONS)


def _clip_normal(rng: np.random.Generator, mean: float, sd: float, lo: float, hi: float, n: int) -> np.ndarray:
    return np.clip(rng.normal(mean, sd, n), lo, hi)


def _threshold_lab(
    rng: np.random.Generator,
    active: np.ndarray,
    cut: float,
    direction: int,
    excess: np.ndarray,
    normal: np.ndarray,
    g: np.ndarray,
    drift: np.ndarray,
    sd: float,
    decimals: int,
) -> np.ndarray:
    """Values on the abnormal side of ``cut`` exactly where ``active``.

    ``direction`` +1: abnormal means above ``cut`` (strictly); -1: below (strictly).
    ``excess`` is the baseline log-distance into the abnormal side, shrinking by ``g``;
    ``normal`` the log-distance into the normal side, growing by ``drift``.
    """
    n, V = active.shape
    abn = np.maximum(excess[:, None] * g + rng.normal(0, sd / 2, (n, V)), 0.01)
    nor = np.maximum(normal[:, None] + drift + rng.normal(0, sd, (n, V)), 0.005)
    z = np.where(active, abn, -nor)
    v = np.round(cut * np.exp(direction * z), decimals)
    unit = 10.0 ** -decimals
    if direction > 0:
        v = np.where(active, np.maximum(v, round(cut + unit, decimals)), np.minimum(v, cut))
    else:
        v = np.where(active, np.minimum(v, round(cut - unit, decimals)), np.maximum(v, cut))
    return np.round(v, decimals)


def lab_values(
    rng: np.random.Generator,
    activity: np.ndarray,
    weeks: np.ndarray,
    lab_tau: np.ndarray,
    lab_drift: np.ndarray,
    resolution: np.ndarray,
    speed: np.ndarray,
    female: np.ndarray,
    haemolysis: np.ndarray,
    dsdna_excess: np.ndarray,
    il2: np.ndarray,
    dsdna_tau: np.ndarray,
) -> tuple[dict[str, np.ndarray], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Every lab test at every visit.

    Parameters
    ----------
    activity : ndarray of bool, (n, V, 24)
    weeks : ndarray, (V,)
    lab_tau, lab_drift, resolution : ndarray, (n,)
        The arm's kinetics per subject.
    speed : ndarray, (n,)
        Subject factor on half-lives.
    female : ndarray of bool, (n,)
    haemolysis : ndarray of bool, (n, V)
        Planned haemolysis episodes (haemoglobin 68-79 g/L).
    dsdna_excess : ndarray, (n,)
        Median log-excess of raised anti-dsDNA over its upper limit, per subject's arm.
    il2 : ndarray of bool, (n,)
        Subjects on IL-2 (lymphocytes rise modestly).
    dsdna_tau : ndarray, (n,)
        Time constant of the fall of raised anti-dsDNA.

    Returns
    -------
    values : dict of str to ndarray (n, V)
    ranges : dict of str to (ANRLO, ANRHI), each ndarray (n,)

    Notes
    -----
    Anaemia (haemoglobin below the lower limit of normal for the subject's sex: 115 g/L
    for women, 130 g/L for men) is latent: 30% at baseline, 45% with a cytopenia, and it
    resolves like the other haematological features (median 4 weeks under IL-2).
    """
    n, V, _ = activity.shape
    w = weeks[None, :].astype(float)
    g = np.exp(-w / lab_tau[:, None])
    drift = lab_drift[:, None] * w / 10.0

    def act(code: str) -> np.ndarray:
        return activity[:, :, IDX[code]]

    def normal_side(active0: np.ndarray, resolved: np.ndarray, never: np.ndarray) -> np.ndarray:
        return np.where(active0, resolved, never)

    out: dict[str, np.ndarray] = {}
    dna0 = act("DNABIND")[:, 0]
    out["DSDNA"] = _threshold_lab(
        rng, act("DNABIND"), 30.0, +1,
        np.clip(np.abs(rng.normal(dsdna_excess, 0.7)), 0.05, 3.5),
        normal_side(dna0, np.abs(rng.normal(0.15, 0.12, n)) + 0.02, _clip_normal(rng, 0.4, 0.35, 0.03, 2.5, n)),
        np.exp(-w / dsdna_tau[:, None]), drift * 0.15, 0.12, LAB_DECIMALS["DSDNA"],
    )
    low = act("LOWCOMP")
    low0 = low[:, 0]
    c3low = rng.random(n) < 0.8
    c4low = rng.random(n) < 0.6
    c4low |= ~c3low
    out["C3"] = _threshold_lab(
        rng, low & c3low[:, None], 0.9, -1,
        _clip_normal(rng, 0.35, 0.15, 0.03, 0.9, n),
        normal_side(low0 & c3low, np.abs(rng.normal(0.08, 0.06, n)) + 0.01, _clip_normal(rng, 0.25, 0.15, 0.01, 0.65, n)),
        g, drift * 0.5, 0.06, LAB_DECIMALS["C3"],
    )
    out["C4"] = _threshold_lab(
        rng, low & c4low[:, None], 0.1, -1,
        _clip_normal(rng, 0.6, 0.3, 0.1, 1.6, n),
        normal_side(low0 & c4low, np.abs(rng.normal(0.15, 0.1, n)) + 0.02, _clip_normal(rng, 0.7, 0.35, 0.02, 1.3, n)),
        g, drift * 0.7, 0.08, LAB_DECIMALS["C4"],
    )
    renal_other = (activity[:, 0, [IDX[c] for c in RENAL]]).any(axis=1)
    prot0 = act("PROTEIN")[:, 0]
    out["UPROT"] = _threshold_lab(
        rng, act("PROTEIN"), 0.5, +1,
        _clip_normal(rng, 1.3, 0.6, 0.1, 2.6, n),
        np.where(prot0, np.abs(rng.normal(0.35, 0.2, n)) + 0.05,
                 np.where(renal_other, _clip_normal(rng, 0.7, 0.35, 0.1, 1.5, n), _clip_normal(rng, 1.4, 0.45, 0.3, 2.5, n))),
        g, drift, 0.15, LAB_DECIMALS["UPROT"],
    )
    leuk0 = act("LEUKOP")[:, 0]
    out["WBC"] = _threshold_lab(
        rng, act("LEUKOP"), 3.0, -1,
        _clip_normal(rng, 0.3, 0.12, 0.04, 0.8, n),
        normal_side(leuk0, np.abs(rng.normal(0.15, 0.1, n)) + 0.01, _clip_normal(rng, 0.55, 0.25, 0.02, 1.3, n)),
        g, drift * 0.3, 0.1, LAB_DECIMALS["WBC"],
    )
    thr0 = act("THROMBO")[:, 0]
    out["PLAT"] = _threshold_lab(
        rng, act("THROMBO"), 100.0, -1,
        _clip_normal(rng, 0.55, 0.3, 0.03, 1.1, n),
        normal_side(thr0, np.abs(rng.normal(0.3, 0.15, n)) + 0.01, _clip_normal(rng, 0.75, 0.3, 0.02, 1.5, n)),
        g, drift * 0.3, 0.08, LAB_DECIMALS["PLAT"],
    )
    frac = rng.uniform(0.12, 0.3, n)[:, None] * (1 + 0.12 * il2[:, None] * np.minimum(w / 10, 1))
    lymph = out["WBC"] * frac * np.exp(rng.normal(0, 0.08, (n, V)))
    out["LYMPH"] = np.round(np.clip(lymph, 0.1, None), LAB_DECIMALS["LYMPH"])

    # Haemoglobin: latent anaemia resolving with the haematological features.
    cyto0 = thr0 | leuk0
    anaemic0 = rng.random(n) < np.where(cyto0, 0.45, 0.3)
    t_an = rng.exponential(size=n) * 4.0 / np.log(2) * resolution * speed
    anaemic = anaemic0[:, None] & (w < t_an[:, None])
    lln = np.where(female, HGB_RANGE["F"][0], HGB_RANGE["M"][0])
    uln = np.where(female, HGB_RANGE["F"][1], HGB_RANGE["M"][1])
    deficit = rng.uniform(3, 22, n)[:, None] * np.sqrt(g) + 1 + np.abs(rng.normal(0, 2, (n, V)))
    above = np.where(anaemic0, rng.uniform(1, 8, n), rng.uniform(2, 25, n))[:, None] + 10 * drift * 0.3 + rng.normal(0, 2, (n, V))
    hgb = np.where(anaemic, lln[:, None] - deficit, lln[:, None] + np.maximum(above, 0))
    hgb = np.round(np.minimum(hgb, uln[:, None] + 5))
    hgb = np.where(anaemic, np.minimum(hgb, lln[:, None] - 1), np.maximum(hgb, lln[:, None]))
    hgb = np.where(haemolysis, rng.integers(68, 80, (n, V)), hgb)
    out["HGB"] = hgb.astype(float)

    ranges = {code: (np.full(n, lo), np.full(n, hi)) for code, (lo, hi) in REF_RANGE.items()}
    ranges["HGB"] = (lln.astype(float), uln.astype(float))
    return {c: out[c] for c in LAB_CODES}, {c: ranges[c] for c in LAB_CODES}


def _dosing_level(weeks: np.ndarray, courses: tuple[tuple[int, int, int], ...], end_day_offset: int = 12) -> np.ndarray:
    """How strongly IL-2 drives Treg at each visit: ~0.85-0.95 two days after a 2-week
    block, ~0.25 two weeks later, back near 0 a month after the last block.

    Each course contributes ``ramp`` while dosing and ``exp(-days since last dose / 12)``
    after; later courses count a little more (the response builds up), and contributions
    combine like probabilities so the level stays below 1.
    """
    day = weeks.astype(float) * 7 + 1
    keep = np.ones_like(day)
    for number, start, _end in courses:
        last = start + end_day_offset
        during = (day >= start) & (day <= last)
        after = day > last
        lvl = np.where(during, (day - start) / end_day_offset, np.where(after, np.exp(-(day - last) / 12.0), 0.0))
        lvl = np.minimum(lvl * (1 + 0.08 * (number - 1)), 0.98)
        keep *= 1 - lvl
    return 1 - keep


def _balanced_changes(rng: np.random.Generator, base: np.ndarray, rel_sd: float, groups: np.ndarray) -> np.ndarray:
    """Follow-up values whose changes from ``base`` have no systematic direction.

    Within each group, changes are ranked by size and signs alternate along the ranks
    (pairs in random order), so the Wilcoxon signed-rank statistic sits at its null
    expectation and the median change is about 0: the construction behind "Th1 and Th2
    did not change" (Nat Med 2016).
    """
    n = len(base)
    mag = np.abs(rng.normal(0, rel_sd, n)).clip(0.005, 0.45) * base
    order = np.lexsort((mag, groups))  # by group, then by size of change
    sorted_groups = groups[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_groups)) + 1]
    lengths = np.diff(np.r_[starts, n])
    pos = np.arange(n) - np.repeat(starts, lengths)  # rank within the group
    pair_first = np.repeat(starts, lengths) + (pos // 2) * 2
    coin = rng.random(n) < 0.5  # one coin per pair, read at the pair's first element
    sorted_sign = np.where((pos % 2 == 0) == coin[pair_first], 1.0, -1.0)
    sign = np.empty(n)
    sign[order] = sorted_sign
    return base + sign * mag


def cyto_values(
    rng: np.random.Generator,
    weeks: np.ndarray,
    observed: np.ndarray,
    arm_of: np.ndarray,
    treg_peak: np.ndarray,
    effector_drop: np.ndarray,
    nk_rise: np.ndarray,
    u: np.ndarray,
    courses: tuple[tuple[int, int, int], ...],
) -> dict[str, np.ndarray]:
    """Lymphocyte subsets (% of CD4+ T cells; NK % of lymphocytes) at every visit.

    Treg expand under IL-2 and peak two days after each dosing block (weeks 2, 6, 10),
    falling back partly in the pauses; Th17 and Tfh fall gradually to week 10 and recover
    slowly after treatment; NK rise modestly with Treg; Th1 and Th2 change in no
    systematic direction (see :func:`_balanced_changes`). Larger responses in subjects
    with a larger latent responsiveness ``u`` tie the Treg rise to the clinical response.
    """
    n = len(u)
    V = len(weeks)
    w = weeks.astype(float)[None, :]
    level = _dosing_level(weeks, courses)[None, :]
    resp = np.clip(1 + 0.3 * u, 0.3, 2.0)[:, None]
    base = {
        "TREG": np.exp(rng.normal(np.log(4.0), 0.3, n)),
        "TH17": np.exp(rng.normal(np.log(1.4), 0.4, n)),
        "TFH": np.exp(rng.normal(np.log(7.0), 0.35, n)),
        "TH1": np.exp(rng.normal(np.log(16.0), 0.3, n)),
        "TH2": np.exp(rng.normal(np.log(2.2), 0.35, n)),
        "NK": np.exp(rng.normal(np.log(11.0), 0.35, n)),
    }
    out: dict[str, np.ndarray] = {}
    fold = 1 + (treg_peak[:, None] - 1) * level * resp
    out["TREG"] = base["TREG"][:, None] * fold * np.exp(rng.normal(0, 0.08, (n, V)))
    progress = np.minimum(w / 10.0, 1.0) * np.where(w > 12, np.exp(-(w - 12) / 20.0), 1.0)
    for code in ("TH17", "TFH"):
        fold = 1 - effector_drop[:, None] * progress * resp
        out[code] = base[code][:, None] * np.clip(fold, 0.2, 1.5) * np.exp(rng.normal(0, 0.1, (n, V)))
    out["NK"] = base["NK"][:, None] * (1 + nk_rise[:, None] * level * resp) * np.exp(rng.normal(0, 0.08, (n, V)))
    for code in ("TH1", "TH2"):
        vals = np.repeat(base[code][:, None], V, axis=1)
        for v in range(1, V):
            sel = np.flatnonzero(observed[:, v])
            if len(sel):
                vals[sel, v] = _balanced_changes(rng, base[code][sel], 0.12, arm_of[sel])
        out[code] = vals
    for code in out:
        out[code][:, 0] = base[code]
        out[code] = np.round(np.clip(out[code], 0.05, 95.0), CYTO_DECIMALS)
    return {c: out[c] for c in CYTO_CODES}


def manifestations(
    rng: np.random.Generator,
    activity: np.ndarray,
    weeks: np.ndarray,
    hgb: np.ndarray,
    hgb_lln: np.ndarray,
    resolution: np.ndarray,
    speed: np.ndarray,
) -> dict[str, np.ndarray]:
    """Clinical manifestations (0/1) at every visit, consistent with the descriptors.

    RASH, ALOPEC, VASCUL, ARTHRIT, FEVER, LEUKOP and THROMBO are their SLEDAI-2K
    descriptors; ORALULC is mucosal ulcers; SEROSIT is pleurisy or pericarditis; NEPHRIT
    is any renal descriptor; ANAEMIA is haemoglobin below the lower limit of normal (115
    g/L for women, 130 g/L for men). Photosensitivity and Raynaud's phenomenon have no
    SLEDAI-2K counterpart: they are latent (30% and 20% at baseline; photosensitivity
    likelier with a rash) and resolve like the skin features.
    """
    n, V, _ = activity.shape
    w = weeks.astype(float)[None, :]

    def act(code: str) -> np.ndarray:
        return activity[:, :, IDX[code]]

    rash0 = act("RASH")[:, 0]
    photo0 = rng.random(n) < np.where(rash0, 0.42, 0.15)
    raynaud0 = rng.random(n) < 0.2
    t_photo = rng.exponential(size=n) * 3.0 / np.log(2) * resolution * speed
    t_ray = rng.exponential(size=n) * 3.5 / np.log(2) * resolution * speed
    out = {
        "RASH": act("RASH"),
        "PHOTO": photo0[:, None] & (w < t_photo[:, None]),
        "RAYNAUD": raynaud0[:, None] & (w < t_ray[:, None]),
        "VASCUL": act("VASCUL"),
        "ORALULC": act("MUCULC"),
        "ALOPEC": act("ALOPEC"),
        "ARTHRIT": act("ARTHRIT"),
        "SEROSIT": act("PLEUR") | act("PERICAR"),
        "FEVER": act("FEVER"),
        "LEUKOP": act("LEUKOP"),
        "THROMBO": act("THROMBO"),
        "ANAEMIA": hgb < hgb_lln[:, None],
        "NEPHRIT": activity[:, :, [IDX[c] for c in RENAL]].any(axis=2),
    }
    return {c: out[c].astype(np.int8) for c in MANIF_CODES}
