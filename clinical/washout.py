"""The patient's medicines before a challenge: what each one means, and what has to happen before the first dose.

Every medication falls into one kind of conflict, each with its own action (docs/clinical-sources.md §5.1-5.3):

- masking (H1 antihistamines per drug and route, H2 blockers, tricyclic antidepressants, mast-cell stabilisers,
  montelukast outside asthma, a finished course of systemic steroid): the drug can hide a reaction, so a diagnostic
  challenge taken on it can read falsely negative. Action: a stop-by date (or, past it, the earliest date the
  challenge can go ahead). On a diagnostic challenge it blocks the first dose until the nurse confirms the stop date
  or the allergist overrides with a reason.
- risk review (beta-blockers, ACE inhibitors): the drug makes a reaction more dangerous, it does not hide one.
  Action: the allergist decides with the prescriber (proceed with precautions, defer, switch). Never "stop".
- do not stop (a systemic steroid still being taken): defer the challenge, or accept and document the limitation.
- biologic (omalizumab and other long-acting biologics): a warning to defer by months, not a block.
- warnings, not blocks: montelukast in a patient with asthma (continued as asthma maintenance), proton-pump
  inhibitors, NSAIDs (a cofactor).
- continues by design: on a non-diagnostic (MCAS/home) protocol, the classes its premedication gives on purpose.

Wash-out times are protocol data (seeded from DEFAULT_WASHOUT; a rule can name a class, a class by route, or one
drug). What was decided about a conflict (a stop date confirmed, an override, a risk review) comes in as Decision
values; `review` lays them over the conflicts, and `first_dose_refusal` says whether the first dose may be given.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from clinical import premedication as premedication_rules
from clinical.dates import format_day, format_when
from clinical.durations import format_hours
from clinical.errors import DomainError

MED_CLASS_LABELS: dict[str, str] = {
    "h1_antihistamine": "H1 antihistamine",
    "h2_blocker": "H2 blocker",
    "leukotriene_antagonist": "leukotriene antagonist",
    "mast_cell_stabiliser": "mast-cell stabiliser",
    "tricyclic_antidepressant": "tricyclic antidepressant",
    "biologic": "long-acting biologic",
    "beta_blocker": "beta-blocker",
    "ace_inhibitor": "ACE inhibitor",
    "nsaid": "NSAID",
    "ppi": "proton-pump inhibitor",
    "systemic_steroid": "systemic steroid",
    "other": "other",
}
MED_CLASSES: tuple[str, ...] = tuple(MED_CLASS_LABELS)

# How a medicine is taken; a wash-out rule may name one (antihistamine eye drops and nasal sprays differ from
# tablets, docs/clinical-sources.md §5.1). The codes match patients.models.MedicationRoute.
ROUTE_LABELS: dict[str, str] = {
    "oral": "by mouth",
    "nasal": "nasal spray",
    "eye": "eye drops",
    "skin": "on the skin",
    "inhaled": "inhaled",
    "injection": "injection",
}

# Mediator blockers, mast-cell stabilisers, steroids and anti-IgE can hide a reaction, so a diagnostic challenge
# taken on them may read falsely negative; in MCAS some are given on purpose (docs/clinical-sources.md §5.1, 5.3).
MASKING_CLASSES: frozenset[str] = frozenset(
    {
        "h1_antihistamine",
        "h2_blocker",
        "mast_cell_stabiliser",
        "leukotriene_antagonist",
        "systemic_steroid",
        "tricyclic_antidepressant",
        "biologic",
    }
)
RISK_CLASSES: frozenset[str] = frozenset({"beta_blocker", "ace_inhibitor"})
# Patient conditions (patients.models.Condition codes) that change what a medicine means.
ASTHMA, MCAS = "asthma", "mcas"

# A sanity bound on rule data: a year, so a biologic can be deferred by months (the old 90-day cap could not say
# that, clinical review W4). [project choice]
MAX_WASHOUT_HOURS = 365 * 24

BLOCK, WARN, INFO = "block", "warn", "info"

# Conflict kinds. The first three are "masking": a stop-by date, resolved by a confirmed stop date or an override.
MUST_STOP = "must_stop"
STOPPED_TOO_LATE = "stopped_too_late"
NO_WASHOUT_TIME = "no_washout_time"
RISK_REVIEW = "risk_review"
DO_NOT_STOP = "do_not_stop"
BIOLOGIC = "biologic"
CONTINUE_IN_ASTHMA = "continue_in_asthma"
PPI_WARNING = "ppi_warning"
COFACTOR = "cofactor"
CONTINUES_BY_DESIGN = "continues_by_design"
MASKING_PREMEDICATION = "masking_premedication"
PREMEDICATION_NOT_ON_LIST = "premedication_not_on_list"
MASKING_KINDS = frozenset({MUST_STOP, STOPPED_TOO_LATE, NO_WASHOUT_TIME})
CONFLICT_KINDS = (
    MUST_STOP,
    STOPPED_TOO_LATE,
    NO_WASHOUT_TIME,
    RISK_REVIEW,
    DO_NOT_STOP,
    BIOLOGIC,
    CONTINUE_IN_ASTHMA,
    PPI_WARNING,
    COFACTOR,
    CONTINUES_BY_DESIGN,
    MASKING_PREMEDICATION,
    PREMEDICATION_NOT_ON_LIST,
)

# What can be decided about a blocking conflict, and which decisions let the first dose go ahead.
STOP_CONFIRMED = "stop_confirmed"
OVERRIDDEN = "overridden"
PROCEED = "proceed"
DEFER = "defer"
SWITCH = "switch"
ACCEPT_LIMITATION = "accept_limitation"
ACTION_LABELS: dict[str, str] = {
    STOP_CONFIRMED: "Stop date confirmed",
    OVERRIDDEN: "Overridden",
    PROCEED: "Proceed with precautions",
    DEFER: "Defer the challenge",
    SWITCH: "Switch the medication (with the prescriber)",
    ACCEPT_LIMITATION: "Accept and document the limitation",
}
ACTIONS_FOR_KIND: dict[str, frozenset[str]] = {
    **dict.fromkeys(MASKING_KINDS, frozenset({STOP_CONFIRMED, OVERRIDDEN})),
    RISK_REVIEW: frozenset({PROCEED, DEFER, SWITCH}),
    DO_NOT_STOP: frozenset({ACCEPT_LIMITATION, DEFER}),
}
CLEARING_ACTIONS = frozenset({STOP_CONFIRMED, OVERRIDDEN, PROCEED, ACCEPT_LIMITATION})


class WashoutError(DomainError):
    """Bad wash-out rule data, medication or decision."""


def _check_med_class(med_class: object) -> None:
    """Reject a medication class that is not one of the shared codes."""
    if med_class not in MED_CLASS_LABELS:
        raise WashoutError(f"Unknown medication class: {med_class!r}.", code="unknown_class")


def _check_route(route: object, *, blank: bool) -> None:
    if route not in ROUTE_LABELS and not (blank and route == ""):
        raise WashoutError(f"Unknown route: {route!r}.", code="unknown_route")


def fold(text: str) -> str:
    """Lower-case, accent-free text, for matching a drug's name: "Cétirizine 10 mg" -> "cetirizine 10 mg"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_DRUG_NAME = re.compile(r"[a-z][a-z -]*[a-z]")


@dataclass(frozen=True)
class WashoutRule:
    """Stop this medication this many hours before a diagnostic challenge (0 = keep taking it).

    A rule names a class, and may narrow it to one route ("eye") and/or one drug ("loratadine", matched as a whole
    word in the medication's name). For a medication the most specific rule wins: route before drug before the
    class alone; among equally specific rules the longest (the cautious choice).
    """

    med_class: str
    hours: int
    note: str = ""
    source: str = ""
    drug: str = ""
    route: str = ""

    def __post_init__(self) -> None:
        _check_med_class(self.med_class)
        if isinstance(self.hours, bool) or not isinstance(self.hours, int):
            raise WashoutError(f"Hours for {self.med_class} must be a whole number.", code="bad_type")
        if not 0 <= self.hours <= MAX_WASHOUT_HOURS:
            raise WashoutError(
                f"Hours for {self.med_class} must be 0 to {MAX_WASHOUT_HOURS} (365 days), not {self.hours}.",
                code="bad_hours",
            )
        if not all(isinstance(value, str) for value in (self.note, self.source, self.drug, self.route)):
            raise WashoutError(f"Note, source, drug and route for {self.med_class} must be text.", code="bad_type")
        if self.drug and not _DRUG_NAME.fullmatch(self.drug):
            raise WashoutError(
                f"A drug in a wash-out rule is a lower-case generic name, not {self.drug!r}.", code="bad_drug"
            )
        _check_route(self.route, blank=True)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.med_class, self.route, self.drug)

    @property
    def label(self) -> str:
        """ "H1 antihistamine", "H1 antihistamine: eye drops", "H1 antihistamine: loratadine, by mouth"."""
        detail = ", ".join(part for part in (self.drug, ROUTE_LABELS.get(self.route, "")) if part)
        return f"{MED_CLASS_LABELS[self.med_class]}: {detail}" if detail else MED_CLASS_LABELS[self.med_class]

    def matches(self, med: Medication) -> bool:
        if med.med_class != self.med_class or (self.route and self.route != med.route):
            return False
        return not self.drug or re.search(rf"\b{re.escape(self.drug)}\b", fold(med.name)) is not None


_UPMC = "UPMC Children's Hospital of Pittsburgh food challenge page"
_LATITUDE = "Latitude Food Allergy Care, oral food challenge preparation page"
_CHECKLIST = "allergyguide pre-challenge checklist (none in the past 24 h)"

# Seeded defaults, docs/clinical-sources.md §5.1. Per-drug values come from the one source that gives them per drug
# (UPMC); where another per-drug statement disagrees (cetirizine, hydroxyzine) the drug keeps the class value, the
# longer one. Beta-blockers and ACE inhibitors have no rule: they are risk factors, never washed out. Mast-cell
# stabilisers, tricyclic antidepressants and biologics have none either: no source gives a time, so on a
# diagnostic challenge the allergist decides.
DEFAULT_WASHOUT: tuple[WashoutRule, ...] = (
    WashoutRule(
        "h1_antihistamine",
        7 * 24,
        note="All oral antihistamines 7 days. Sources range from 3 to 10 days; per-drug rules below.",
        source="Children's Mercy Kansas City OFC page (7 days); BMC Pediatrics 2020, Table 1 (3-10 days)",
    ),
    WashoutRule("h1_antihistamine", 3 * 24, drug="diphenhydramine", route="oral", source=f"{_UPMC} (3 days)"),
    WashoutRule("h1_antihistamine", 3 * 24, drug="fexofenadine", route="oral", source=f"{_UPMC} (3 days)"),
    WashoutRule("h1_antihistamine", 3 * 24, drug="cyproheptadine", route="oral", source=f"{_UPMC} (3 days)"),
    WashoutRule("h1_antihistamine", 7 * 24, drug="loratadine", route="oral", source=f"{_UPMC} (7 days)"),
    WashoutRule("h1_antihistamine", 5 * 24, route="nasal", source=f"{_LATITUDE} (antihistamine nasal sprays 5 days)"),
    WashoutRule("h1_antihistamine", 2 * 24, route="eye", source=f"{_LATITUDE} (antihistamine eye drops 2 days)"),
    WashoutRule(
        "h2_blocker",
        24,
        note="BMC Pediatrics 2020 table gives 12 h; Latitude Food Allergy Care gives 2 days.",
        source=_CHECKLIST,
    ),
    WashoutRule(
        "leukotriene_antagonist",
        24,
        note="Applies without asthma; in asthma montelukast is continued as maintenance (UPMC), with a warning.",
        source="BMC Pediatrics 2020, Table 1 (24 h)",
    ),
    WashoutRule(
        "systemic_steroid",
        3 * 24,
        note="Range 3 days to 2 weeks, after a finished course; a steroid still being taken is never stopped for "
        "a challenge (defer, or accept the limitation).",
        source="BMC Pediatrics 2020, Table 1 (3 days to 2 weeks)",
    ),
    WashoutRule("nsaid", 24, note="A cofactor: a warning, not a block.", source=_CHECKLIST),
    WashoutRule("ppi", 24, note="No masking effect: a warning, not a block.", source=_CHECKLIST),
)

_RULE_FIELDS = ("med_class", "hours", "note", "source", "drug", "route")


def rules_to_data(rules: Sequence[WashoutRule]) -> list[dict[str, Any]]:
    """Rules as JSON-ready dicts, for a protocol's JSON field (drug and route only where a rule names them)."""
    data = []
    for r in rules:
        item: dict[str, Any] = {"med_class": r.med_class, "hours": r.hours, "note": r.note, "source": r.source}
        item.update({name: getattr(r, name) for name in ("drug", "route") if getattr(r, name)})
        data.append(item)
    return data


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
    return WashoutRule(**{"note": "", "source": "", **item})


def rules_from_data(data: object) -> tuple[WashoutRule, ...]:
    """Rules from their JSON form; raises WashoutError on anything malformed or ambiguous."""
    if not isinstance(data, list):
        raise WashoutError("Washout rules must be a list.", code="bad_type")
    rules = tuple(_rule_from_item(index, item) for index, item in enumerate(data))
    keys = [rule.key for rule in rules]
    duplicated = sorted({rule.label for rule in rules if keys.count(rule.key) > 1})
    if duplicated:
        raise WashoutError(f"More than one washout rule for: {', '.join(duplicated)}.", code="duplicate_class")
    return rules


@dataclass(frozen=True)
class Medication:
    """A medication the patient takes; stopped_on is the day of the last dose, if stopped.

    `medication_id` names the patient's medication row, so a decision about it can find its conflict.
    """

    name: str
    med_class: str
    stopped_on: date | None = None
    route: str = "oral"
    medication_id: int | None = None

    def __post_init__(self) -> None:
        _check_med_class(self.med_class)
        _check_route(self.route, blank=False)


@dataclass(frozen=True)
class PremedItem:
    """A drug the protocol gives on purpose before the food (MCAS premedication, docs/clinical-sources.md §5.3)."""

    drug: str
    med_class: str
    regimen: bool = False  # an established regimen the patient should already be on (clinical.premedication)
    established_weeks: int = 0

    def __post_init__(self) -> None:
        _check_med_class(self.med_class)


@dataclass(frozen=True)
class Conflict:
    """A medication problem to show before the challenge.

    severity: "block" must be resolved (or decided) before the first dose, "warn" is shown, "info" says why nothing
    is needed. stop_by: the last moment for the last dose. earliest: the first moment the challenge can go ahead
    (at the booked time of day), when the booked one is too soon. too_late: the stop-by moment has passed.
    """

    kind: str
    severity: str
    medication: str
    message: str
    stop_by: datetime | None = None
    earliest: datetime | None = None
    too_late: bool = False
    hours: int | None = None
    medication_id: int | None = None

    @property
    def masking(self) -> bool:
        return self.kind in MASKING_KINDS

    @property
    def actions(self) -> frozenset[str]:
        """What can be decided about it (nothing for a warning)."""
        return ACTIONS_FOR_KIND.get(self.kind, frozenset()) if self.severity == BLOCK else frozenset()


def hours_before(moment: datetime, hours: int) -> datetime:
    """The instant exactly `hours` earlier in absolute time, shown in the moment's time zone (DST-safe)."""
    # Arithmetic on an aware datetime is wall-clock arithmetic; going through UTC keeps it absolute.
    return (moment.astimezone(UTC) - timedelta(hours=hours)).astimezone(moment.tzinfo)


def _hours_after(moment: datetime, hours: int) -> datetime:
    return (moment.astimezone(UTC) + timedelta(hours=hours)).astimezone(moment.tzinfo)


def _last_dose_could_be(last_day: date, challenge_start: datetime) -> datetime:
    """The latest the last dose could have been taken: the end of its day, in the challenge's zone."""
    # We do not know the hour of the last dose, so we assume the worst case: just before midnight.
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=challenge_start.tzinfo)


def washout_met(stopped_on: date, hours: int, challenge_start: datetime) -> bool:
    """True when a last dose on `stopped_on` is at least `hours` before the challenge starts."""
    last_dose = _last_dose_could_be(stopped_on, challenge_start)
    return last_dose.astimezone(UTC) <= hours_before(challenge_start, hours).astimezone(UTC)


def earliest_start(last_day: date, hours: int, challenge_start: datetime) -> datetime:
    """The first moment at the booked time of day that is `hours` after a last dose on `last_day`."""
    zone = challenge_start.tzinfo
    ready = _hours_after(_last_dose_could_be(last_day, challenge_start), hours)
    day = ready.astimezone(zone).date()
    while True:
        slot = datetime.combine(day, challenge_start.astimezone(zone).time(), tzinfo=zone)
        if slot.astimezone(UTC) >= ready.astimezone(UTC):
            return slot
        day += timedelta(days=1)


def _rule_for(med: Medication, rules: Sequence[WashoutRule]) -> WashoutRule | None:
    """The most specific rule for this medication (route, then drug, then class); the longest among equals."""
    candidates = [rule for rule in rules if rule.matches(med)]
    if not candidates:
        return None
    return max(candidates, key=lambda rule: (bool(rule.route), bool(rule.drug), rule.hours))


@dataclass(frozen=True)
class _Context:
    start: datetime
    diagnostic: bool
    now: datetime | None
    conditions: frozenset[str]
    deliberate: frozenset[str] = field(default_factory=frozenset)


def _label(med: Medication) -> str:
    """ "H1 antihistamine", or "H1 antihistamine, eye drops" when not by mouth."""
    label = MED_CLASS_LABELS[med.med_class]
    return label if med.route == "oral" else f"{label}, {ROUTE_LABELS[med.route]}"


def _masking(med: Medication, rule: WashoutRule | None, ctx: _Context) -> Conflict | None:
    """must_stop, stopped_too_late or no_washout_time for one masking medication, or None if nothing is needed."""
    severity = BLOCK if ctx.diagnostic else WARN
    label = _label(med)
    prescriber = (
        " Do not stop it without the prescriber's agreement." if med.med_class == "tricyclic_antidepressant" else ""
    )
    mcas = _mcas_note(med, ctx)
    if rule is None:
        if not ctx.diagnostic:
            return None  # a non-diagnostic protocol washes out only what its rules name
        message = (
            f"{med.name} ({label}) can mask a reaction, and this protocol sets no wash-out time for it (no published "
            f"source we use gives one).{prescriber} The allergist decides: override with a reason, or defer."
        )
        return Conflict(NO_WASHOUT_TIME, severity, med.name, message + mcas, medication_id=med.medication_id)
    if rule.hours == 0:
        return None
    stop_by = hours_before(ctx.start, rule.hours)
    wait = format_hours(rule.hours)
    if med.stopped_on is not None:
        if washout_met(med.stopped_on, rule.hours, ctx.start):
            return None
        earliest = earliest_start(med.stopped_on, rule.hours, ctx.start)
        message = (
            f"{med.name} ({label}) was last taken on {format_day(med.stopped_on)}, but had to be stopped by "
            f"{format_when(stop_by)}, {wait} before the challenge; earliest date {format_day(earliest.date())}."
        )
        return Conflict(
            STOPPED_TOO_LATE, severity, med.name, message + mcas, stop_by, earliest, True, rule.hours, med.medication_id
        )
    too_late = ctx.now is not None and stop_by.astimezone(UTC) < ctx.now.astimezone(UTC)
    if too_late and ctx.now is not None:
        earliest = earliest_start(ctx.now.astimezone(ctx.start.tzinfo).date(), rule.hours, ctx.start)
        message = (
            f"Too late to stop {med.name} ({label}) {wait} before: the last dose had to be by {format_when(stop_by)}; "
            f"earliest date {format_day(earliest.date())}.{prescriber}"
        )
        return Conflict(
            MUST_STOP, severity, med.name, message + mcas, stop_by, earliest, True, rule.hours, med.medication_id
        )
    message = f"Stop {med.name} ({label}) by {format_when(stop_by)}, {wait} before the challenge.{prescriber}"
    return Conflict(MUST_STOP, severity, med.name, message + mcas, stop_by, None, False, rule.hours, med.medication_id)


def _mcas_note(med: Medication, ctx: _Context) -> str:
    """On a diagnostic challenge, an MCAS patient's mediator blockers are usually taken on purpose (§5.3)."""
    usual = {"h1_antihistamine", "h2_blocker", "mast_cell_stabiliser"}
    if not ctx.diagnostic or MCAS not in ctx.conditions or med.med_class not in usual:
        return ""
    return (
        " The patient has MCAS, where H1/H2 blockers and cromolyn are taken on purpose: check that a diagnostic "
        "challenge is right for this patient."
    )


def _risk_review(med: Medication) -> Conflict:
    """Beta-blockers and ACE inhibitors: a decision with the prescriber, never an instruction to change the drug."""
    if med.med_class == "beta_blocker":
        # Beta-blocker use is a risk factor for a severe OFC reaction (AAAAI 2009, docs/clinical-sources.md §5.2).
        why = "a risk factor for a severe reaction during a food challenge"
    else:
        # The pre-challenge checklist lists ACE inhibitors with beta-blockers (allergyguide, §5.1).
        why = "listed with beta-blockers on the pre-challenge checklist as a risk to review"
    message = (
        f"{med.name} ({MED_CLASS_LABELS[med.med_class]}) is {why}. Risk review: the allergist decides with the "
        "prescriber whether to proceed with extra precautions, defer the challenge or switch the medication. Do not "
        "change it without the prescriber."
    )
    return Conflict(RISK_REVIEW, BLOCK, med.name, message, medication_id=med.medication_id)


def _steroid(med: Medication, rule: WashoutRule | None, ctx: _Context) -> Conflict | None:
    """A steroid still taken is never stopped for a challenge; a finished course is washed out like any masking drug."""
    if med.stopped_on is not None:
        return _masking(med, rule, ctx)
    if not ctx.diagnostic:
        return None  # nothing to mask on a non-diagnostic protocol, and a steroid being taken is never stopped
    after = f" {format_hours(rule.hours)}" if rule and rule.hours else ""
    message = (
        f"{med.name} (systemic steroid) can mask a reaction, but it must not be stopped to make way for a challenge. "
        "The allergist decides: defer the challenge, or accept and document the limitation. If it is a short "
        f"course, record the day of the last dose when it ends: the challenge can go ahead{after} later."
    )
    return Conflict(DO_NOT_STOP, BLOCK, med.name, message, medication_id=med.medication_id)


def _biologic(med: Medication, rule: WashoutRule | None, ctx: _Context) -> Conflict | None:
    """Omalizumab and other long-acting biologics: a warning to defer by months (clinical review W4)."""
    if not ctx.diagnostic or (rule is not None and rule.hours == 0):
        return None
    message = (
        f"{med.name} (long-acting biologic) can raise the amount of food that causes a reaction, and its effect "
        "lasts months after the last dose: a diagnostic challenge may pass falsely. Consider deferring it."
    )
    earliest = None
    if rule is not None:
        last_day = med.stopped_on or (ctx.now.astimezone(ctx.start.tzinfo).date() if ctx.now else None)
        if last_day is not None:
            earliest = earliest_start(last_day, rule.hours, ctx.start)
            if earliest.astimezone(UTC) <= ctx.start.astimezone(UTC):
                return None
            message += f" This protocol defers {format_hours(rule.hours)}: earliest date {format_day(earliest.date())}."
    return Conflict(BIOLOGIC, WARN, med.name, message, earliest=earliest, medication_id=med.medication_id)


def _warning(med: Medication, rule: WashoutRule | None, ctx: _Context) -> Conflict | None:
    """Montelukast in asthma, PPIs, NSAIDs: a warning, not a block, where the protocol has a rule for them."""
    if rule is None or rule.hours == 0:
        return None
    stop_by = hours_before(ctx.start, rule.hours)
    wait = format_hours(rule.hours)
    if med.med_class == "leukotriene_antagonist":
        message = (
            f"{med.name} (leukotriene antagonist): the patient has asthma, so it is continued as asthma maintenance "
            f"(the protocol's {wait} wash-out is for patients without asthma). A warning, not a block."
        )
        return Conflict(CONTINUE_IN_ASTHMA, WARN, med.name, message, medication_id=med.medication_id)
    if med.med_class == "ppi":
        message = (
            f"{med.name} (proton-pump inhibitor): the pre-challenge checklist lists PPIs ({wait} before), but they do "
            "not mask a reaction. A warning, not a block."
        )
        return Conflict(PPI_WARNING, WARN, med.name, message, medication_id=med.medication_id)
    if med.stopped_on is not None and washout_met(med.stopped_on, rule.hours, ctx.start):
        return None
    message = (
        f"{med.name} (NSAID) is a cofactor that can make a reaction more likely: the pre-challenge checklist asks for "
        f"none in the {wait} before the challenge (after {format_when(stop_by)}). A warning, not a block."
    )
    return Conflict(COFACTOR, WARN, med.name, message, stop_by=stop_by, medication_id=med.medication_id)


def _by_design(med: Medication) -> Conflict:
    message = (
        f"{med.name} ({_label(med)}) continues by design: this protocol gives "
        f"{MED_CLASS_LABELS[med.med_class]}s as premedication (MCAS practice)."
    )
    return Conflict(CONTINUES_BY_DESIGN, INFO, med.name, message, medication_id=med.medication_id)


def _one(med: Medication, rules: Sequence[WashoutRule], ctx: _Context) -> Conflict | None:
    """The conflict one medication gives, by its class (module docstring)."""
    rule = _rule_for(med, rules)
    cls = med.med_class
    if cls in RISK_CLASSES:
        return _risk_review(med)
    if cls in ctx.deliberate:
        return _by_design(med)
    if cls == "systemic_steroid":
        return _steroid(med, rule, ctx)
    if cls == "biologic":
        return _biologic(med, rule, ctx)
    if cls == "leukotriene_antagonist" and ASTHMA in ctx.conditions:
        return _warning(med, rule, ctx)
    if cls in MASKING_CLASSES:
        return _masking(med, rule, ctx)
    if cls in ("ppi", "nsaid"):
        return _warning(med, rule, ctx)
    return None


def _masking_premedication(item: PremedItem) -> Conflict:
    """A warning that a diagnostic challenge's premedication can hide a reaction (docs/clinical-sources.md §5.3)."""
    message = (
        f"Premedication {item.drug} ({MED_CLASS_LABELS[item.med_class]}) can mask a reaction and make a "
        "diagnostic challenge unreliable. Check that a diagnostic protocol is right for this patient."
    )
    return Conflict(MASKING_PREMEDICATION, WARN, item.drug, message)


def _regimen_not_on_list(item: PremedItem) -> Conflict:
    """A warning that the plan expects a regimen the medication list lacks (docs/clinical-sources.md §5.5)."""
    regimen = premedication_rules.regimen_text(
        premedication_rules.Item(
            key=0,
            drug=item.drug,
            med_class=item.med_class,
            timing=premedication_rules.REGIMEN,
            established_weeks=item.established_weeks,
        )
    )
    message = (
        f"The plan expects {item.drug} as {regimen}, but the patient's medication list has no "
        f"{MED_CLASS_LABELS[item.med_class]}. Check with the patient (and add it to the list) before the first step."
    )
    return Conflict(PREMEDICATION_NOT_ON_LIST, WARN, item.drug, message)


def check_washout(
    *,
    medications: Sequence[Medication],
    rules: Sequence[WashoutRule],
    challenge_start: datetime,
    diagnostic: bool,
    premedication: Sequence[PremedItem] = (),
    conditions: Sequence[str] = (),
    now: datetime | None = None,
) -> list[Conflict]:
    """Medication conflicts for one challenge: one per medication that needs anything, then masking premedication.

    `now` (when given) tells a stop-by date still ahead from one already past, and dates the earliest start.
    """
    for moment in (challenge_start, now):
        if moment is not None and moment.utcoffset() is None:
            raise WashoutError("The challenge start must include a time zone.", code="naive_datetime")
    # In a non-diagnostic (home/MCAS) protocol, classes the premedication gives on purpose continue (§5.3).
    deliberate = frozenset() if diagnostic else frozenset(item.med_class for item in premedication)
    ctx = _Context(challenge_start, diagnostic, now, frozenset(conditions), deliberate)
    conflicts = [_one(med, rules, ctx) for med in medications]
    if diagnostic:
        conflicts.extend(_masking_premedication(item) for item in premedication if item.med_class in MASKING_CLASSES)
    else:
        current = [
            premedication_rules.CurrentMedication(m.name, m.med_class) for m in medications if m.stopped_on is None
        ]
        regimens = [
            premedication_rules.Item(
                key=index,
                drug=item.drug,
                med_class=item.med_class,
                timing=premedication_rules.REGIMEN,
                established_weeks=item.established_weeks,
            )
            for index, item in enumerate(premedication)
            if item.regimen
        ]
        missing = {item.key for item in premedication_rules.missing_regimens(regimens, current)}
        conflicts.extend(_regimen_not_on_list(premedication[index]) for index in sorted(missing))
    return [conflict for conflict in conflicts if conflict is not None]


def earliest_for_all(conflicts: Sequence[Conflict], challenge_start: datetime) -> datetime | None:
    """The earliest moment the challenge can go ahead for every blocking conflict, when the booked one is too soon."""
    dates = [c.earliest for c in conflicts if c.severity == BLOCK and c.earliest is not None]
    latest = max(dates, key=lambda moment: moment.astimezone(UTC), default=None)
    if latest is None or latest.astimezone(UTC) <= challenge_start.astimezone(UTC):
        return None
    return latest


# --- decisions laid over the conflicts -------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What was recorded about one medication: a confirmed stop date, an override, a review decision."""

    medication_id: int
    action: str
    by: str
    at: datetime
    reason: str = ""
    stopped_on: date | None = None
    record_id: int | None = None  # the stored row, so a page can mark it entered in error

    def __post_init__(self) -> None:
        if self.action not in ACTION_LABELS:
            raise WashoutError(f"Unknown decision: {self.action!r}.", code="bad_action")

    def text(self) -> str:
        """ "Stop date confirmed by Sam Lee on Thu 26 Nov 2026 08:30: last dose Wed 18 Nov 2026"."""
        head = f"{ACTION_LABELS[self.action]} by {self.by} on {format_when(self.at)}"
        if self.action == STOP_CONFIRMED and self.stopped_on is not None:
            return f"{head}: last dose {format_day(self.stopped_on)}"
        return f"{head}: {self.reason}" if self.reason else head


OPEN, CLEARED, HELD = "open", "cleared", "held"


@dataclass(frozen=True)
class Reviewed:
    """A conflict with what was decided about it. state: open, cleared, held (deferred or switching), warn, info."""

    conflict: Conflict
    decision: Decision | None
    state: str

    @property
    def status(self) -> str:
        """A short status for the page and the report ("Must be resolved", "Overridden by the allergist")."""
        if self.decision is not None:
            return ACTION_LABELS[self.decision.action]
        if self.state == OPEN:
            return {RISK_REVIEW: "Risk review needed", DO_NOT_STOP: "Allergist's decision needed"}.get(
                self.conflict.kind, "Must be resolved"
            )
        return "For information" if self.state == INFO else "Warning"

    @property
    def decision_text(self) -> str:
        return self.decision.text() if self.decision is not None else ""

    @property
    def choices(self) -> list[tuple[str, str]]:
        """The decisions that answer this conflict, as (code, label), in a fixed order."""
        return [(code, label) for code, label in ACTION_LABELS.items() if code in self.conflict.actions]


def _applies(conflict: Conflict, decision: Decision, challenge_start: datetime) -> bool:
    if decision.medication_id != conflict.medication_id or decision.action not in conflict.actions:
        return False
    if decision.action != STOP_CONFIRMED:
        return True
    # A confirmed stop date counts only if it meets the wash-out for this challenge.
    stopped = decision.stopped_on
    return stopped is not None and conflict.hours is not None and washout_met(stopped, conflict.hours, challenge_start)


def review(conflicts: Sequence[Conflict], decisions: Sequence[Decision], challenge_start: datetime) -> list[Reviewed]:
    """Each conflict with the latest decision that answers it (decisions in the order they were made)."""
    reviewed = []
    for conflict in conflicts:
        if conflict.severity != BLOCK:
            reviewed.append(Reviewed(conflict, None, conflict.severity))
            continue
        decision = next((d for d in reversed(decisions) if _applies(conflict, d, challenge_start)), None)
        if decision is None:
            state = OPEN
        else:
            state = CLEARED if decision.action in CLEARING_ACTIONS else HELD
        reviewed.append(Reviewed(conflict, decision, state))
    return reviewed


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def first_dose_refusal(reviewed: Sequence[Reviewed]) -> Refusal | None:
    """Why the first dose may not be given yet, if it may not: an open masking conflict first, then the rest."""
    open_masking = [r for r in reviewed if r.state == OPEN and r.conflict.masking]
    if open_masking:
        names = ", ".join(r.conflict.medication for r in open_masking)
        return Refusal(
            "washout_unresolved",
            f"Wash-out not resolved for {names}: the nurse confirms the stop date, or the allergist overrides with a "
            "reason, before the first dose.",
        )
    open_review = [r for r in reviewed if r.state == OPEN]
    if open_review:
        names = ", ".join(r.conflict.medication for r in open_review)
        return Refusal(
            "medication_review_required",
            f"The allergist's medication decision for {names} is needed before the first dose.",
        )
    held = [r for r in reviewed if r.state == HELD]
    if held:
        names = ", ".join(f"{r.conflict.medication} ({r.status.lower()})" for r in held)
        return Refusal("medication_deferred", f"The allergist decided not to go ahead yet: {names}.")
    return None
