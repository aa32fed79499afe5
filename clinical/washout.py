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

Wash-out times are protocol data (clinical.washout_rules: seeded from DEFAULT_WASHOUT; a rule can name a class, a
class by route, or one drug). This module holds what each medicine means and `check_washout`, which finds the
conflicts for one challenge, with the date arithmetic behind a stop-by date and an earliest start. What was decided
about a conflict (a stop date confirmed, an override, a risk review) is clinical.washout_decisions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from clinical import premedication as premedication_rules
from clinical.dates import format_day, format_when
from clinical.durations import format_hours
from clinical.text import fold
from clinical.washout_rules import (
    MED_CLASS_LABELS,
    ROUTE_LABELS,
    WashoutError,
    WashoutRule,
    check_med_class,
    check_route,
)

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
        check_med_class(self.med_class)
        check_route(self.route, blank=False)


@dataclass(frozen=True)
class PremedItem:
    """A drug the protocol gives on purpose before the food (MCAS premedication, docs/clinical-sources.md §5.3)."""

    drug: str
    med_class: str
    regimen: bool = False  # an established regimen the patient should already be on (clinical.premedication)
    established_weeks: int = 0

    def __post_init__(self) -> None:
        check_med_class(self.med_class)


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


def _matches(rule: WashoutRule, med: Medication) -> bool:
    """Whether a rule covers this medication: its class, its route if the rule names one, its drug as a whole word."""
    if med.med_class != rule.med_class or (rule.route and rule.route != med.route):
        return False
    return not rule.drug or re.search(rf"\b{re.escape(rule.drug)}\b", fold(med.name)) is not None


def _rule_for(med: Medication, rules: Sequence[WashoutRule]) -> WashoutRule | None:
    """The most specific rule for this medication (route, then drug, then class); the longest among equals."""
    candidates = [rule for rule in rules if _matches(rule, med)]
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
