"""Published clinical definitions the book computes with, as data.

Sources (see ``references.bib``):
- SLEDAI-2K descriptors and weights: Gladman, Ibanez & Urowitz, J Rheumatol 2002;29:288-91.
- BILAG-2004 domains and grades: Isenberg et al., Rheumatology 2005;44:902-6.
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
