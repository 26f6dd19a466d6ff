"""Tests for the cohort.yml keys of the derivations (helpers.data.config): ``bilag_coding``,
``renal`` (lupus nephritis subgroup and response criteria) and ``steroid_taper``."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.data.config import ConfigError, RenalCriteria, SteroidTaper, read_cohort_config

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = {
    "title": "T",
    "label": "L",
    "visits": [{"week": 0, "label": "Baseline"}, {"week": 12, "label": "Week 12"}, {"week": 24, "label": "Week 24"}],
}


def test_defaults_are_the_cited_ones(write_yaml):
    cfg = read_cohort_config(write_yaml(MINIMAL))
    assert cfg.bilag_coding == "yee2010"
    assert cfg.renal == RenalCriteria()
    assert (cfg.renal.proteinuria_above, cfg.renal.upcr_above, cfg.renal.bilag_grades) == (0.5, 500.0, ("A", "B"))
    assert (cfg.renal.complete_proteinuria, cfg.renal.partial_reduction, cfg.renal.partial_proteinuria) == (0.5, 0.5, 3.0)
    assert (cfg.renal.kidney_margin, cfg.renal.test) == (0.10, "fisher")
    assert cfg.renal.source.startswith("EULAR/ERA-EDTA 2019")
    assert cfg.renal_week == 24  # the last visit
    assert cfg.steroid_taper == SteroidTaper(threshold=7.5)


def test_keys_given(write_yaml):
    cfg = read_cohort_config(write_yaml({
        **MINIMAL,
        "bilag_coding": "classic",
        "renal": {
            "subgroup": {"proteinuria_above": 1.0, "upcr_above": None, "bilag_grades": ["A"]},
            "week": 12,
            "complete": {"proteinuria_below": 0.7, "upcr_below": 700},
            "partial": {"reduction": 0.25, "proteinuria_below": 3.5, "upcr_below": 3500},
            "kidney_margin": 0.15,
            "test": "score",
            "source": "KDIGO 2024",
        },
        "steroid_taper": {"threshold": 5, "source": "LLDAS"},
    }))
    assert cfg.bilag_coding == "classic"
    assert cfg.renal == RenalCriteria(
        proteinuria_above=1.0, upcr_above=None, bilag_grades=("A",), week=12, complete_proteinuria=0.7,
        complete_upcr=700.0, partial_reduction=0.25, partial_proteinuria=3.5, partial_upcr=3500.0,
        kidney_margin=0.15, test="score", source="KDIGO 2024",
    )
    assert cfg.renal_week == 12
    assert cfg.steroid_taper == SteroidTaper(threshold=5, source="LLDAS")


def test_randomized_cohort_uses_the_classic_coding_at_week_24():
    cfg = read_cohort_config(ROOT / "data" / "nct02465580")
    assert (cfg.bilag_coding, cfg.renal_week, cfg.renal.test, cfg.steroid_taper.threshold) == ("classic", 24, "fisher", 7.5)
    main = read_cohort_config(ROOT / "data" / "nct02084238")
    assert main.bilag_coding == "yee2010"


def test_keys_enter_the_analysis_hash(write_yaml):
    base = read_cohort_config(write_yaml(MINIMAL, "a")).analysis_hash()
    assert read_cohort_config(write_yaml({**MINIMAL, "bilag_coding": "classic"}, "b")).analysis_hash() != base
    assert read_cohort_config(write_yaml({**MINIMAL, "renal": {"week": 12}}, "c")).analysis_hash() != base
    assert read_cohort_config(write_yaml({**MINIMAL, "steroid_taper": {"threshold": 5}}, "d")).analysis_hash() != base


@pytest.mark.parametrize("extra, message", [
    ({"bilag_coding": "yee"}, "key bilag_coding: expected 'yee2010' or 'classic', got 'yee'"),
    ({"renal": {"week": 13}}, r"key renal.week: renal week 13 is not a post-baseline visit week \[12, 24\]"),
    ({"renal": {"week": 0}}, r"key renal.week: renal week 0 is not a post-baseline visit week"),
    ({"renal": {"subgroup": {"proteinuria_above": None, "upcr_above": None, "bilag_grades": []}}},
     "key renal.subgroup: defines no criterion"),
    ({"renal": {"subgroup": {"proteinuria_above": -1}}},
     r"key renal.subgroup.proteinuria_above: expected a number above 0 and at most 50 \(g/24 h\), or null, got -1"),
    ({"renal": {"subgroup": {"bilag_grades": ["F"]}}}, "key renal.subgroup.bilag_grades"),
    ({"renal": {"complete": {"proteinuria_below": "0.5"}}},
     "key renal.complete.proteinuria_below: expected a number above 0 and at most 50 .* write 0.5 without quotes"),
    ({"renal": {"partial": {"reduction": 1.5}}},
     r"key renal.partial.reduction: expected a fraction of the baseline proteinuria, above 0 and at most 1, got 1.5"),
    ({"renal": {"kidney_margin": 2}}, r"key renal.kidney_margin: expected a fraction from 0 to 1"),
    ({"renal": {"test": "logistic"}}, "key renal.test: expected one of 'score', 'chisq' or 'fisher', got 'logistic'"),
    ({"renal": {"source": ""}}, "key renal.source: expected where the criteria come from"),
    ({"renal": {"weeks": 24}}, "key renal.weeks: unknown key"),
    ({"steroid_taper": {"threshold": 150}}, "key steroid_taper.threshold: expected a prednisone-equivalent dose"),
    ({"steroid_taper": {"dose": 5}}, "key steroid_taper.dose: unknown key"),
])
def test_keys_refused(write_yaml, extra, message):
    with pytest.raises(ConfigError, match=message):
        read_cohort_config(write_yaml({**MINIMAL, **extra}))


def test_renal_thresholds_by_measure():
    criteria = RenalCriteria(complete_proteinuria=0.7, partial_proteinuria=3.5, complete_upcr=700.0)
    assert criteria.thresholds("UPROT") == {"complete_below": 0.7, "partial_reduction": 0.5, "partial_below": 3.5,
                                            "kidney_margin": 0.1}
    assert criteria.thresholds("UPCR")["complete_below"] == 700.0
    with pytest.raises(ValueError, match="proteinuria must be 'UPROT' or 'UPCR', got 'CREAT'"):
        criteria.thresholds("CREAT")
