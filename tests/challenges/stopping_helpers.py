"""Helpers for the stop-rule tests (clinical.stopping.evaluate): a fixed local clock, findings and hits by code."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from clinical.stop_observations import Finding
from clinical.stop_rules import DEFAULT_RULES, RuleHit
from clinical.stopping import evaluate

# Local wall-clock time; 10:42 here is 09:42 UTC, so messages prove they use the time as given.
TZ = ZoneInfo("Europe/Amsterdam")
ADULT = Decimal(30)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=TZ)


def seen(code: str, severity: int, after_dose: int | None, when: datetime | None = None) -> Finding:
    return Finding(item_code=code, severity=severity, observed_at=when or at(10), after_dose=after_dose)


def check(
    findings=(),
    vitals=(),
    *,
    baseline=None,
    age=ADULT,
    rules=DEFAULT_RULES,
    dose_times=None,
) -> list[RuleHit]:
    return evaluate(rules, findings=findings, vitals=vitals, baseline=baseline, age_years=age, dose_times=dose_times)


def codes(hits: list[RuleHit]) -> list[str]:
    return [hit.code for hit in hits]


def only(hits: list[RuleHit], code: str) -> RuleHit:
    matching = [hit for hit in hits if hit.code == code]
    assert len(matching) == 1, codes(hits)
    return matching[0]
