"""Vital-sign limits shared by the stop rules (clinical.stopping) and the reaction grades (clinical.grading).

Low systolic blood pressure, NIAID/FAAN 2006 (Sampson et al., J Allergy Clin Immunol 2006;117:391-7;
docs/clinical-sources.md §7):
- 1 month to 1 year: below 70 mmHg;
- 1 to 10 years: below 70 + 2 x age mmHg;
- 11 to 17 years and adults: below 90 mmHg;
- at any age, a drop of more than 30 % from the patient's baseline.

Conventions chosen here (the source leaves them open):
- Age is in completed years (5 years 11 months -> 70 + 2 x 5 = 80 mmHg), as `Patient.age_on` counts it.
- At exactly 1 year the infant and child rules overlap (<70 vs <72 mmHg); the child formula applies, the higher
  and therefore safer limit.
- The source gives no value under 1 month; the infant value (70 mmHg) applies there too.
- 10 years gives 70 + 2 x 10 = 90 mmHg, so the child formula joins the 11-17 year value without a jump.
"""

from __future__ import annotations

INFANT_LOW_SYSTOLIC_MMHG = 70  # under 1 year (NIAID/FAAN 2006, docs/clinical-sources.md §7)
CHILD_LOW_SYSTOLIC_BASE_MMHG = 70  # 1-10 years: 70 + 2 x age (docs/clinical-sources.md §7)
CHILD_LOW_SYSTOLIC_PER_YEAR_MMHG = 2
CHILD_UNTIL_YEARS = (
    10  # the last completed year the child formula applies to (docs/clinical-sources.md §7: "1-10 years")
)
OLDER_LOW_SYSTOLIC_MMHG = 90  # 11-17 years and adults (docs/clinical-sources.md §7)
SYSTOLIC_DROP_PCT = (
    30  # a drop of more than 30 % from baseline is hypotension at any age (docs/clinical-sources.md §4.5, 7)
)


def systolic_hypotension_limit(age_years: int) -> int:
    """Systolic BP (mmHg) below which a patient of this age, in completed years, is hypotensive (NIAID/FAAN 2006)."""
    if isinstance(age_years, bool) or not isinstance(age_years, int):
        raise TypeError(f"Age must be a whole number of completed years, not {age_years!r}.")
    if age_years < 0:
        raise ValueError(f"Age must be zero or more completed years, not {age_years}.")
    if age_years < 1:
        return INFANT_LOW_SYSTOLIC_MMHG
    if age_years <= CHILD_UNTIL_YEARS:
        return CHILD_LOW_SYSTOLIC_BASE_MMHG + CHILD_LOW_SYSTOLIC_PER_YEAR_MMHG * age_years
    return OLDER_LOW_SYSTOLIC_MMHG


def systolic_drop_exceeds(systolic: int, baseline: int, pct: int = SYSTOLIC_DROP_PCT) -> bool:
    """True when systolic BP is more than `pct` % below baseline; exact (120 -> 84 is 30 %, not more)."""
    # Integer cross-multiplication keeps the boundary exact, with no rounding of the percentage.
    return (baseline - systolic) * 100 > pct * baseline
