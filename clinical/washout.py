"""Medication washout before a challenge, and premedication conflicts.

Default washout times come from docs/clinical-sources.md §5.1,
where sources disagree; they are seeded defaults, and each protocol stores its own rules as data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from clinical.dates import format_day, format_when
from clinical.durations import format_hours
from clinical.errors import DomainError

MED_CLASS_LABELS: dict[str, str] = {
    "h1_antihistamine": "H1 antihistamine",
    "h2_blocker": "H2 blocker",
    "leukotriene_antagonist": "leukotriene antagonist",
    "mast_cell_stabiliser": "mast-cell stabiliser",
    "beta_blocker": "beta-blocker",
    "ace_inhibitor": "ACE inhibitor",
    "nsaid": "NSAID",
    "ppi": "proton-pump inhibitor",
    "systemic_steroid": "systemic steroid",
    "other": "other",
}
MED_CLASSES: tuple[str, ...] = tuple(MED_CLASS_LABELS)

# Mediator blockers, mast-cell stabilisers and steroids can hide a reaction, so a diagnostic challenge taken on
# them may read falsely negative; in MCAS they are given on purpose (docs/clinical-sources.md §5.1 and 5.3).
MASKING_CLASSES: frozenset[str] = frozenset(
    {"h1_antihistamine", "h2_blocker", "mast_cell_stabiliser", "leukotriene_antagonist", "systemic_steroid"}
)

MAX_WASHOUT_HOURS = 90 * 24  # sanity bound for rule data (90 days); the longest default is 3 days

CONFLICT_KINDS = ("must_stop", "stopped_too_late", "masking_premedication", "beta_blocker_risk", "ace_inhibitor_risk")
BLOCK, WARN = "block", "warn"


class WashoutError(DomainError):
    """Bad washout rule data, medication or weight."""


def _check_med_class(med_class: object) -> None:
    """Reject a medication class that is not one of the shared codes."""
    if med_class not in MED_CLASS_LABELS:
        raise WashoutError(f"Unknown medication class: {med_class!r}.", code="unknown_class")


@dataclass(frozen=True)
class WashoutRule:
    """Stop this class of medication this many hours before a diagnostic challenge (0 = keep taking it)."""

    med_class: str
    hours: int
    note: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        _check_med_class(self.med_class)
        if isinstance(self.hours, bool) or not isinstance(self.hours, int):
            raise WashoutError(f"Hours for {self.med_class} must be a whole number.", code="bad_type")
        if not 0 <= self.hours <= MAX_WASHOUT_HOURS:
            raise WashoutError(
                f"Hours for {self.med_class} must be 0 to {MAX_WASHOUT_HOURS} (90 days), not {self.hours}.",
                code="bad_hours",
            )
        if not isinstance(self.note, str) or not isinstance(self.source, str):
            raise WashoutError(f"Note and source for {self.med_class} must be text.", code="bad_type")


# Seeded defaults, docs/clinical-sources.md §5.1. No default exists there for mast-cell stabilisers or "other"; add them
# per
# protocol.
DEFAULT_WASHOUT: tuple[WashoutRule, ...] = (
    WashoutRule(
        "h1_antihistamine",
        7 * 24,
        note="Sources range from 3 to 10 days; UPMC allows 3 days for cetirizine and fexofenadine, 7 for loratadine.",
        source="Children's Mercy Kansas City OFC page (7 days); BMC Pediatrics 2020, Table 1 (3-10 days)",
    ),
    WashoutRule(
        "h2_blocker",
        24,
        note="BMC Pediatrics 2020 table gives 12 h; Latitude Food Allergy Care gives 2 days.",
        source="allergyguide pre-challenge checklist (none in the past 24 h)",
    ),
    WashoutRule(
        "leukotriene_antagonist",
        24,
        note="UPMC lists montelukast as a maintenance asthma drug to continue; decide per protocol.",
        source="BMC Pediatrics 2020, Table 1 (24 h)",
    ),
    WashoutRule(
        "systemic_steroid",
        3 * 24,
        note="Range 3 days to 2 weeks.",
        source="BMC Pediatrics 2020, Table 1 (3 days to 2 weeks)",
    ),
    WashoutRule(
        "beta_blocker",
        24,
        note="Also a risk factor for a severe reaction (Nowak-Wegrzyn 2009). "
        "Stop only with the prescriber's agreement.",
        source="allergyguide pre-challenge checklist (none in the past 24 h)",
    ),
    WashoutRule("ace_inhibitor", 24, source="allergyguide pre-challenge checklist (none in the past 24 h)"),
    WashoutRule("nsaid", 24, source="allergyguide pre-challenge checklist (none in the past 24 h)"),
    WashoutRule("ppi", 24, source="allergyguide pre-challenge checklist (none in the past 24 h)"),
)

_RULE_FIELDS = ("med_class", "hours", "note", "source")


def rules_to_data(rules: Sequence[WashoutRule]) -> list[dict[str, Any]]:
    """Rules as JSON-ready dicts, for a protocol's JSON field."""
    return [{"med_class": r.med_class, "hours": r.hours, "note": r.note, "source": r.source} for r in rules]


def _rule_from_item(index: int, item: object) -> WashoutRule:
    """One rule from one JSON object, or a WashoutError naming the entry."""
    if not isinstance(item, dict):
        raise WashoutError(f"Washout rule {index + 1} must be an object.", code="bad_type")
    unknown = sorted(str(key) for key in item if key not in _RULE_FIELDS)
    if unknown:
        raise WashoutError(f"Washout rule {index + 1} has unknown fields: {', '.join(unknown)}.", code="unknown_field")
    missing = [key for key in ("med_class", "hours") if key not in item]
    if missing:
        raise WashoutError(f"Washout rule {index + 1} lacks: {', '.join(missing)}.", code="missing_field")
    return WashoutRule(item["med_class"], item["hours"], item.get("note", ""), item.get("source", ""))


def rules_from_data(data: object) -> tuple[WashoutRule, ...]:
    """Rules from their JSON form; raises WashoutError on anything malformed or ambiguous."""
    if not isinstance(data, list):
        raise WashoutError("Washout rules must be a list.", code="bad_type")
    rules = tuple(_rule_from_item(index, item) for index, item in enumerate(data))
    classes = [rule.med_class for rule in rules]
    duplicated = sorted({c for c in classes if classes.count(c) > 1})
    if duplicated:
        raise WashoutError(f"More than one washout rule for: {', '.join(duplicated)}.", code="duplicate_class")
    return rules


@dataclass(frozen=True)
class Medication:
    """A medication the patient currently takes; stopped_on is the day of the last dose, if stopped."""

    name: str
    med_class: str
    stopped_on: date | None = None

    def __post_init__(self) -> None:
        _check_med_class(self.med_class)


@dataclass(frozen=True)
class PremedItem:
    """A drug the protocol gives on purpose before the food (MCAS premedication, docs/clinical-sources.md §5.3)."""

    drug: str
    med_class: str

    def __post_init__(self) -> None:
        _check_med_class(self.med_class)


@dataclass(frozen=True)
class Conflict:
    """A medication problem to show before the challenge; 'block' must be resolved, 'warn' acknowledged."""

    kind: str
    severity: str
    medication: str
    message: str
    stop_by: datetime | None = None


def hours_before(moment: datetime, hours: int) -> datetime:
    """The instant exactly `hours` earlier in absolute time, shown in the moment's time zone (DST-safe)."""
    # Arithmetic on an aware datetime is wall-clock arithmetic; going through UTC keeps it absolute.
    return (moment.astimezone(UTC) - timedelta(hours=hours)).astimezone(moment.tzinfo)


def _washout_hours(rules: Sequence[WashoutRule]) -> dict[str, int]:
    """Hours per class; if a class has several rules, the longest wins (the cautious choice)."""
    hours: dict[str, int] = {}
    for rule in rules:
        hours[rule.med_class] = max(rule.hours, hours.get(rule.med_class, 0))
    return hours


def _last_dose_could_be(stopped_on: date, challenge_start: datetime) -> datetime:
    """The latest the last dose could have been taken: the end of stopped_on, in the challenge's zone."""
    # We do not know the hour of the last dose, so we assume the worst case: just before midnight.
    return datetime.combine(stopped_on + timedelta(days=1), time(0), tzinfo=challenge_start.tzinfo)


def _washout_conflict(med: Medication, hours: int, challenge_start: datetime, diagnostic: bool) -> Conflict | None:
    """must_stop or stopped_too_late for one medication under one rule, or None if the washout is met."""
    stop_by = hours_before(challenge_start, hours)
    label = MED_CLASS_LABELS[med.med_class]
    wait = format_hours(hours)
    # Washout exists to keep a diagnostic result valid, so it blocks a diagnostic challenge; for home and
    # reintroduction challenges it is a warning the clinician may accept.
    severity = BLOCK if diagnostic else WARN
    if med.stopped_on is None:
        message = f"Stop {med.name} ({label}) by {format_when(stop_by)}, {wait} before the challenge."
        return Conflict("must_stop", severity, med.name, message, stop_by)
    last_dose = _last_dose_could_be(med.stopped_on, challenge_start)
    if last_dose.astimezone(UTC) <= stop_by.astimezone(UTC):
        return None
    message = (
        f"{med.name} ({label}) was last taken on {format_day(med.stopped_on)}, but had to be stopped by "
        f"{format_when(stop_by)}, {wait} before the challenge."
    )
    return Conflict("stopped_too_late", severity, med.name, message, stop_by)


def _risk_conflict(med: Medication) -> Conflict | None:
    """A warning for drugs that make a reaction more dangerous, whatever the challenge kind."""
    if med.med_class == "beta_blocker":
        # Beta-blocker use is a risk factor for a severe OFC reaction (Nowak-Wegrzyn 2009, docs/clinical-sources.md §5.1
        # / 5.2).
        message = f"{med.name} is a beta-blocker: a risk factor for a severe reaction during a food challenge."
        return Conflict("beta_blocker_risk", WARN, med.name, message)
    if med.med_class == "ace_inhibitor":
        # The pre-challenge checklist lists ACE inhibitors with beta-blockers (allergyguide, docs/clinical-sources.md
        # §5.1).
        message = (
            f"{med.name} is an ACE inhibitor: the pre-challenge checklist asks that none be taken in the 24 h "
            "before a challenge. Review with the prescriber."
        )
        return Conflict("ace_inhibitor_risk", WARN, med.name, message)
    return None


def _masking_conflict(item: PremedItem) -> Conflict:
    """A warning that a diagnostic challenge's premedication can hide a reaction (docs/clinical-sources.md §5.3)."""
    message = (
        f"Premedication {item.drug} ({MED_CLASS_LABELS[item.med_class]}) can mask a reaction and make a "
        "diagnostic challenge unreliable. Check that a diagnostic protocol is right for this patient."
    )
    return Conflict("masking_premedication", WARN, item.drug, message)


def check_washout(
    *,
    medications: Sequence[Medication],
    rules: Sequence[WashoutRule],
    challenge_start: datetime,
    diagnostic: bool,
    premedication: Sequence[PremedItem] = (),
) -> list[Conflict]:
    """Medication conflicts for one challenge: per medication (washout, then risk), then masking premedication."""
    if challenge_start.utcoffset() is None:
        raise WashoutError("The challenge start must include a time zone.", code="naive_datetime")
    washout = _washout_hours(rules)
    # In a home/MCAS reintroduction, classes the premedication plan gives on purpose are not washed out (5.3).
    deliberate = set() if diagnostic else {item.med_class for item in premedication}
    conflicts: list[Conflict | None] = []
    for med in medications:
        hours = washout.get(med.med_class, 0)
        if hours and med.med_class not in deliberate:
            conflicts.append(_washout_conflict(med, hours, challenge_start, diagnostic))
        conflicts.append(_risk_conflict(med))
    if diagnostic:
        conflicts.extend(_masking_conflict(item) for item in premedication if item.med_class in MASKING_CLASSES)
    return [conflict for conflict in conflicts if conflict is not None]
