"""What the stop rules read, and the conventions every rule family shares in reading it.

A Finding (one graded checklist observation) and a set of Vitals are the observations clinical.stopping evaluates.
Conventions chosen here (the sources leave them open):
- Findings recorded before the first dose (`after_dose is None`) are the patient's baseline, like baseline vitals.
  They never trigger a rule themselves, and a later finding of the same item counts only when it is worse than the
  worst baseline grade (eczema erythema or MCAS flushing present before the food is not a reaction to it): `counts`.
- Low systolic BP for age is clinical.vitals' one NIAID/FAAN table; `age_years` counts there in completed years
  (5.9 years -> 5 -> 70 + 2 x 5 = 80 mmHg): `age_limit`.
- A relative vital-sign rule needs a baseline value; without one it is skipped: `baseline_value`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from clinical.checklist import ITEMS, SEVERITY_LABELS
from clinical.dates import format_clock
from clinical.stop_rules import StopRuleError
from clinical.vitals import systolic_hypotension_limit


@dataclass(frozen=True)
class Finding:
    """One graded checklist observation; `after_dose` is the last dose given before it (None = before dose 1)."""

    item_code: str
    severity: int
    observed_at: datetime
    after_dose: int | None


@dataclass(frozen=True)
class Vitals:
    """One set of vital signs (SBP/DBP mmHg, HR and RR per min, SpO2 %, temperature °C, PEF L/min)."""

    taken_at: datetime
    heart_rate: int | None = None
    systolic: int | None = None
    diastolic: int | None = None
    resp_rate: int | None = None
    spo2: int | None = None
    temperature_c: Decimal | None = None
    pef: int | None = None
    fev1_ml: int | None = None


def check_age(age_years: Decimal) -> None:
    """Refuse an age that is not a finite, non-negative Decimal (or int)."""
    if isinstance(age_years, bool) or not isinstance(age_years, Decimal | int):
        raise StopRuleError(f"Age must be a Decimal number of years, not {age_years!r}.", code="bad_age")
    if not Decimal(age_years).is_finite() or age_years < 0:
        raise StopRuleError(f"Age must be zero or more years, not {age_years}.", code="bad_age")


def check_finding(finding: Finding) -> None:
    """Refuse unknown items, grades outside PRACTALL's 0-3 and dose numbers below 1."""
    if finding.item_code not in ITEMS:
        raise StopRuleError(f"Unknown checklist item {finding.item_code!r}.", code="unknown_item")
    severity = finding.severity
    if type(severity) is not int or severity not in SEVERITY_LABELS:  # 0-3 (docs/clinical-sources.md §3.1)
        raise StopRuleError(f"Severity must be 0, 1, 2 or 3, not {severity!r}.", code="bad_severity")
    if finding.after_dose is not None and (type(finding.after_dose) is not int or finding.after_dose < 1):
        raise StopRuleError(f"Dose number must be 1 or more, not {finding.after_dose!r}.", code="bad_dose_number")


def age_limit(age_years: Decimal) -> int:
    """Systolic BP (mmHg) below which a patient of this age is hypotensive: clinical.vitals' table, completed years."""
    check_age(age_years)
    return systolic_hypotension_limit(int(age_years))


def describe(finding: Finding) -> str:
    """'Urticaria/angioedema, moderate (2) at 10:42 after dose 5'."""
    item = ITEMS[finding.item_code]
    grade = f"{SEVERITY_LABELS[finding.severity]} ({finding.severity})"
    when = "before the first dose" if finding.after_dose is None else f"after dose {finding.after_dose}"
    return f"{item.label}, {grade} at {format_clock(finding.observed_at)} {when}"


def counts(finding: Finding, min_severity: int, pre_dose: Mapping[str, int]) -> bool:
    """True if a post-dose finding reaches the grade and is worse than the item's baseline."""
    return (
        finding.after_dose is not None
        and finding.severity >= min_severity
        and finding.severity > pre_dose.get(finding.item_code, 0)
    )


def baseline_value(baseline: Vitals | None, value_of: Callable[[Vitals], int | None]) -> int | None:
    """A baseline value to compare against, or None when there is none (relative rules are then skipped)."""
    value = value_of(baseline) if baseline is not None else None
    if value is not None and (type(value) is not int or value <= 0):
        raise StopRuleError(f"Baseline vital signs must be positive whole numbers, not {value!r}.", code="bad_baseline")
    return value
