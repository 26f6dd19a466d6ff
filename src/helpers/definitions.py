"""Published clinical definitions the book computes with, as data.

Sources (see ``references.bib``):
- SLEDAI-2K descriptors and weights: Gladman, Ibanez & Urowitz, J Rheumatol 2002;29:288-91.
- BILAG-2004 domains and grades: Isenberg et al., Rheumatology 2005;44:902-6.
- BILAG numeric scores: Yee et al., Rheumatology 2010;49:1665-9 (BILAG-2004: A 12, B 8,
  C 1); the classic coding A 9, B 3, C 1 of Stoll et al., Ann Rheum Dis 1996;55:756-60.
- Lupus nephritis response: EULAR/ERA-EDTA 2019 recommendations (Fanouriakis et al., Ann
  Rheum Dis 2020;79:713-23) and KDIGO 2024 (Kidney Int 2024;105(1S):S1-S69); eGFR by
  CKD-EPI 2021 (Inker et al., N Engl J Med 2021;385:1737-49).
- Glucocorticoid taper to at most 7.5 mg/day prednisone: EULAR 2019 SLE recommendations
  (Fanouriakis et al., Ann Rheum Dis 2019;78:736-45).
- SRI: Furie et al., Arthritis Rheum 2009;61:1143-51.
- CTCAE v5.0 grading of white cells, lymphocytes, platelets and haemoglobin.

Everything here is a constant; nothing computes. Codes are at most 8 characters so that
they survive SAS transport (XPT v5) files.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Descriptor:
    """One SLEDAI-2K descriptor."""

    code: str
    label: str
    weight: int
    domain: str


#: The 24 SLEDAI-2K descriptors, in the order of the published instrument.
SLEDAI_DESCRIPTORS: tuple[Descriptor, ...] = (
    Descriptor("SEIZURE", "Seizure", 8, "neurological"),
    Descriptor("PSYCHOS", "Psychosis", 8, "neurological"),
    Descriptor("OBS", "Organic brain syndrome", 8, "neurological"),
    Descriptor("VISUAL", "Visual disturbance", 8, "neurological"),
    Descriptor("CRANIAL", "Cranial nerve disorder", 8, "neurological"),
    Descriptor("HEADACHE", "Lupus headache", 8, "neurological"),
    Descriptor("CVA", "Cerebrovascular accident", 8, "neurological"),
    Descriptor("VASCUL", "Vasculitis", 8, "vascular"),
    Descriptor("ARTHRIT", "Arthritis", 4, "musculoskeletal"),
    Descriptor("MYOSIT", "Myositis", 4, "musculoskeletal"),
    Descriptor("CASTS", "Urinary casts", 4, "renal"),
    Descriptor("HEMATUR", "Haematuria", 4, "renal"),
    Descriptor("PROTEIN", "Proteinuria", 4, "renal"),
    Descriptor("PYURIA", "Pyuria", 4, "renal"),
    Descriptor("RASH", "Rash", 2, "mucocutaneous"),
    Descriptor("ALOPEC", "Alopecia", 2, "mucocutaneous"),
    Descriptor("MUCULC", "Mucosal ulcers", 2, "mucocutaneous"),
    Descriptor("PLEUR", "Pleurisy", 2, "serosal"),
    Descriptor("PERICAR", "Pericarditis", 2, "serosal"),
    Descriptor("LOWCOMP", "Low complement", 2, "immunological"),
    Descriptor("DNABIND", "Increased DNA binding", 2, "immunological"),
    Descriptor("FEVER", "Fever", 1, "constitutional"),
    Descriptor("THROMBO", "Thrombocytopenia", 1, "haematological"),
    Descriptor("LEUKOP", "Leukopenia", 1, "haematological"),
)

SLEDAI_WEIGHTS: dict[str, int] = {d.code: d.weight for d in SLEDAI_DESCRIPTORS}
SLEDAI_DOMAINS: tuple[str, ...] = tuple(dict.fromkeys(d.domain for d in SLEDAI_DESCRIPTORS))
SLEDAI_MAX: int = sum(SLEDAI_WEIGHTS.values())  # 105

#: BILAG-2004 organ domains (code -> label), in the published order.
BILAG_DOMAINS: dict[str, str] = {
    "CONST": "Constitutional",
    "MUCO": "Mucocutaneous",
    "NEURO": "Neuropsychiatric",
    "MUSK": "Musculoskeletal",
    "CARDRESP": "Cardiorespiratory",
    "GI": "Gastrointestinal",
    "OPHTH": "Ophthalmic",
    "RENAL": "Renal",
    "HAEM": "Haematological",
}
#: BILAG grades from most to least active.
BILAG_GRADES: tuple[str, ...] = ("A", "B", "C", "D", "E")

#: Numeric codings of the BILAG grades (cohort.yml ``bilag_coding``): the global score of
#: a visit is the sum over the nine domains.
BILAG_CODINGS: dict[str, dict[str, int]] = {
    # Yee et al., Rheumatology 2010;49:1665-9: the validated coding of BILAG-2004 (0-108).
    "yee2010": {"A": 12, "B": 8, "C": 1, "D": 0, "E": 0},
    # Stoll et al., Ann Rheum Dis 1996;55:756-60: the classic BILAG global score (0-81).
    "classic": {"A": 9, "B": 3, "C": 1, "D": 0, "E": 0},
}
#: The reference of each coding, for labels and citations.
BILAG_CODING_REFERENCES: dict[str, str] = {
    "yee2010": "Yee et al., Rheumatology 2010;49:1665-9 (A 12, B 8, C 1, D 0, E 0)",
    "classic": "Stoll et al., Ann Rheum Dis 1996;55:756-60 (A 9, B 3, C 1, D 0, E 0)",
}
#: The default coding: Yee's, the one validated for BILAG-2004.
BILAG_CODING_DEFAULT: str = "yee2010"

PGA_RANGE: tuple[float, float] = (0.0, 3.0)
#: An increase of at least this much in PGA from baseline counts as worsening (SRI).
PGA_WORSENING: float = 0.3


@dataclass(frozen=True)
class Measure:
    """A laboratory test or a lymphocyte subset as the contract knows it."""

    code: str
    label: str
    unit: str
    log_scale: bool = False


#: Laboratory tests in ``adlb`` with the only unit each may be recorded in.
LAB_TESTS: tuple[Measure, ...] = (
    Measure("DSDNA", "Anti-dsDNA antibodies", "IU/mL", log_scale=True),
    Measure("C3", "Complement C3", "g/L"),
    Measure("C4", "Complement C4", "g/L"),
    Measure("UPROT", "24-hour urine protein", "g/24h", log_scale=True),
    Measure("WBC", "White blood cells", "10^9/L"),
    Measure("LYMPH", "Lymphocytes", "10^9/L"),
    Measure("PLAT", "Platelets", "10^9/L"),
    Measure("HGB", "Haemoglobin", "g/L"),
)

#: Optional tests ``adlb`` may also hold (at any visits): the renal measures a lupus
#: nephritis response needs, and serology beyond anti-dsDNA and complement. ANA is the
#: reciprocal of the end-point dilution (160 for 1:160).
OPTIONAL_LAB_TESTS: tuple[Measure, ...] = (
    Measure("UPCR", "Urine protein-to-creatinine ratio", "mg/g", log_scale=True),
    Measure("CREAT", "Serum creatinine", "umol/L"),
    Measure("EGFR", "Estimated glomerular filtration rate", "mL/min/1.73m2"),
    Measure("ANA", "Antinuclear antibodies, reciprocal titre", "titre", log_scale=True),
    Measure("ANUA", "Anti-nucleosome antibodies", "IU/mL", log_scale=True),
)
#: Proteinuria measures, in order of preference, and kidney-function measures.
PROTEINURIA_CODES: tuple[str, ...] = ("UPROT", "UPCR")
KIDNEY_FUNCTION_CODES: tuple[str, ...] = ("EGFR", "CREAT")
#: Serology followed as values (ANA as a titre decrease, see derive).
SEROLOGY_CODES: tuple[str, ...] = ("DSDNA", "ANUA", "C3", "C4")

#: Lupus nephritis at baseline and renal response, as defaults of cohort.yml ``renal``.
#: Subgroup: 24-hour proteinuria above 0.5 g (or UPCR above 500 mg/g), or a renal
#: BILAG-2004 A or B. Complete response (EULAR/ERA-EDTA 2019; KDIGO 2024): proteinuria
#: below 0.5 g/24 h (UPCR below 500 mg/g) with kidney function stable, eGFR no more
#: than 10% below baseline (creatinine no more than 10% above). Partial response:
#: proteinuria reduced by at least 50% and below 3 g/24 h (3000 mg/g), kidney function
#: stable.
RENAL_DEFAULTS: dict[str, object] = {
    "subgroup": {"proteinuria_above": 0.5, "upcr_above": 500.0, "bilag_grades": ("A", "B")},
    "complete": {"proteinuria_below": 0.5, "upcr_below": 500.0},
    "partial": {"reduction": 0.5, "proteinuria_below": 3.0, "upcr_below": 3000.0},
    "kidney_margin": 0.10,
    "source": "EULAR/ERA-EDTA 2019 (Fanouriakis et al., Ann Rheum Dis 2020;79:713-23); KDIGO 2024",
}

#: Glucocorticoid taper target (mg/day prednisone equivalent): EULAR 2019 SLE
#: recommendations (Fanouriakis et al., Ann Rheum Dis 2019;78:736-45) advise tapering
#: maintenance doses to at most 7.5 mg/day.
STEROID_TAPER_THRESHOLD: float = 7.5

#: CKD-EPI 2021 creatinine equation (race-free; Inker et al., N Engl J Med
#: 2021;385:1737-49): 142 x min(Scr/k, 1)^a x max(Scr/k, 1)^-1.200 x 0.9938^age
#: (x 1.012 for women), Scr in mg/dL; k 0.7 (women) or 0.9 (men), a -0.241 or -0.302.
CKD_EPI_2021: dict[str, dict[str, float]] = {
    "F": {"kappa": 0.7, "alpha": -0.241, "factor": 1.012},
    "M": {"kappa": 0.9, "alpha": -0.302, "factor": 1.0},
}
#: Serum creatinine: micromol/L per mg/dL.
CREATININE_UMOL_PER_MGDL: float = 88.4

#: Lymphocyte subsets in ``adcyto`` (flow cytometry).
CYTO_SUBSETS: tuple[Measure, ...] = (
    Measure("TREG", "Treg (CD4+CD25+Foxp3+)", "% of CD4+ T cells"),
    Measure("TH17", "Th17 (CD4+IL-17A+)", "% of CD4+ T cells"),
    Measure("TFH", "Tfh (CD4+CXCR5+PD-1+)", "% of CD4+ T cells"),
    Measure("TH1", "Th1 (CD4+IFN-gamma+)", "% of CD4+ T cells"),
    Measure("TH2", "Th2 (CD4+IL-4+)", "% of CD4+ T cells"),
    Measure("NK", "NK cells (CD3-CD56+)", "% of lymphocytes"),
)


@dataclass(frozen=True)
class Manifestation:
    """A clinical manifestation in ``admanif``; ``group`` is its organ system."""

    code: str
    label: str
    group: str


#: Clinical manifestations; groups follow the abstract's wording so the published
#: statement can be tested group by group: "skin involvement (erythema,
#: photosensitivity, Raynaud's, vasculitis)", "haematological abnormalities (leukopenia,
#: thrombocytopenia, anaemia)" and "disease-related fever". Alopecia is not among the
#: skin manifestations the abstract lists: it is a group of its own.
MANIFESTATIONS: tuple[Manifestation, ...] = (
    Manifestation("RASH", "Malar or other lupus rash", "skin"),
    Manifestation("PHOTO", "Photosensitivity", "skin"),
    Manifestation("RAYNAUD", "Raynaud's phenomenon", "skin"),
    Manifestation("VASCUL", "Vasculitis", "skin"),
    Manifestation("ORALULC", "Oral ulcers", "mucosal"),
    Manifestation("ALOPEC", "Alopecia", "hair"),
    Manifestation("ARTHRIT", "Arthritis", "musculoskeletal"),
    Manifestation("SEROSIT", "Serositis", "serosal"),
    Manifestation("FEVER", "Fever", "fever"),
    Manifestation("LEUKOP", "Leukopenia", "haematological"),
    Manifestation("THROMBO", "Thrombocytopenia", "haematological"),
    Manifestation("ANAEMIA", "Anaemia", "haematological"),
    Manifestation("NEPHRIT", "Lupus nephritis", "renal"),
)
MANIFESTATION_GROUPS: tuple[str, ...] = tuple(dict.fromkeys(m.group for m in MANIFESTATIONS))
#: The groups the abstract says responded better.
FAVOURED_GROUPS: tuple[str, ...] = ("skin", "haematological", "fever")

#: Concomitant drug flags in ``adsl`` (variable -> drug).
CONCOMITANT_DRUGS: dict[str, str] = {
    "CMHCQFL": "Hydroxychloroquine",
    "CMMMFFL": "Mycophenolate mofetil",
    "CMCYCFL": "Cyclophosphamide",
    "CMAZAFL": "Azathioprine",
    "CMLEFFL": "Leflunomide",
    "CMTHAFL": "Thalidomide",
    "CMCSAFL": "Cyclosporine",
    "CMMTXFL": "Methotrexate",
}
#: Concomitant drug flags ``adsl`` may also hold (optional columns).
OPTIONAL_CONCOMITANT_DRUGS: dict[str, str] = {
    "CMTACFL": "Tacrolimus",
}

#: Lab-based SLEDAI-2K descriptors and the ``adlb`` rule each must agree with.
#: (descriptor, lab codes, rule) where rule names a test in ``helpers.data``.
LAB_DESCRIPTOR_RULES: dict[str, str] = {
    "PROTEIN": "UPROT > 0.5 g/24h",
    "LOWCOMP": "C3 or C4 below the lower limit of normal (ANRLO)",
    "DNABIND": "anti-dsDNA above the upper limit of normal (ANRHI)",
    "THROMBO": "platelets < 100 x10^9/L",
    "LEUKOP": "white cells < 3 x10^9/L",
}
#: SELENA-SLEDAI scores proteinuria only when new or increased by more than 0.5 g/24 h
#: (Petri et al., N Engl J Med 2005;353:2550-8); the other lab rules are SLEDAI-2K's.
SELENA_PROTEINURIA_RULE: str = "UPROT > 0.5 g/24h and new (previous visit <= 0.5) or up by > 0.5 g/24h"

#: The instruments' short names and references, for labels and citations.
INSTRUMENT_REFERENCES: dict[str, str] = {
    "SLEDAI-2K": "Gladman, Ibanez and Urowitz, J Rheumatol 2002;29:288-91",
    "SELENA-SLEDAI": "Petri et al., N Engl J Med 2005;353:2550-8",
}

PROTEINURIA_THRESHOLD: float = 0.5  # g/24h, SLEDAI-2K
THROMBOCYTOPENIA_THRESHOLD: float = 100.0  # 10^9/L, SLEDAI-2K
LEUKOPENIA_THRESHOLD: float = 3.0  # 10^9/L, SLEDAI-2K

#: CTCAE v5.0 lower bounds of grades 2, 3 and 4 for the "decreased" lab terms
#: (grade 1 is anything below the lower limit of normal down to the grade-2 bound).
#: Units as in ``LAB_TESTS``. Anaemia has no lab-defined grade 4 in CTCAE v5.0.
CTCAE_DECREASED: dict[str, dict[str, object]] = {
    "WBC": {"term": "White blood cell decreased", "cuts": (3.0, 2.0, 1.0)},
    "LYMPH": {"term": "Lymphocyte count decreased", "cuts": (0.8, 0.5, 0.2)},
    "PLAT": {"term": "Platelet count decreased", "cuts": (75.0, 50.0, 25.0)},
    "HGB": {"term": "Anaemia", "cuts": (100.0, 80.0, None)},
}

#: MedDRA preferred term of an injection-site reaction.
INJECTION_SITE_REACTION: str = "Injection site reaction"

#: The clinical manifestations of the randomized trial's Table 2 (He et al., Ann Rheum
#: Dis 2020;79:141-9), in its order, as the SLEDAI-2K descriptors that record them
#: (``adsledai``): rash, oral ulceration (mucosal ulcers), arthritis, vasculitis,
#: alopecia, fever, myositis. The organ chapter shows those a cohort's data carry.
TABLE2_MANIFESTATIONS: tuple[str, ...] = ("RASH", "MUCULC", "ARTHRIT", "VASCUL", "ALOPEC", "FEVER", "MYOSIT")
