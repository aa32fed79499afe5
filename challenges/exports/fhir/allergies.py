"""The allergy entries (AllergyIntolerance): one per substance, from the challenges of it and the known triggers
that name it, with the reactions seen; and the withdrawal of an entry nothing holds any more."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from challenges.exports.fhir.codes import CLINICAL_STATUS, MANIFESTATION_CODES, ORAL_ROUTE, SNOMED, VERIFICATION_STATUS
from challenges.exports.fhir.datatypes import (
    JSON,
    day_text,
    fhir_codeable,
    fhir_coding,
    fhir_datetime,
    narrate,
    status_concept,
)
from challenges.models import AllergenGroup, Challenge, Food, Outcome, TreatmentKind
from challenges.run.selectors import RunState
from clinical import allergy_status
from clinical.checklist import ITEMS, SEVERITY_LABELS
from clinical.kinds import KINDS
from clinical.outcome import is_partial_form
from clinical.text import fold
from patients.models import ReactionType, Trigger

if TYPE_CHECKING:
    from challenges.exports.fhir.bundle import BundleBuilder


def reaction_severity(scale: str, grade: str) -> str | None:
    """FHIR reaction severity (mild | moderate | severe) from the confirmed grade; None if no reaction or unknown.

    Brown 2004 is already mild/moderate/severe (docs/clinical-sources.md §4.2). WAO 2010 (4.3): grade 1 (one organ
    system) is mild, 2 (several systems, GI, asthma responding) moderate, 3-5 severe. Sampson 2003 (4.1): 1-2 mild,
    3 moderate, 4-5 severe (wheeze, hypotension, impending doom and worse). The WAO and Sampson mappings are our
    judgement.
    """
    grade = (grade or "").strip().lower()
    if scale == "brown_2004":
        return grade if grade in ("mild", "moderate", "severe") else None
    number = grade[:1]
    if not number.isdigit() or number == "0":
        return None
    bands = {"wao_2010": {"1": "mild", "2": "moderate"}, "sampson_2003": {"1": "mild", "2": "mild", "3": "moderate"}}
    if scale not in bands:
        return None
    return bands[scale].get(number, "severe")


@dataclass(frozen=True)
class Substance:
    """What one allergy entry is about: a SNOMED CT substance when the food has one, else the food itself."""

    key: str
    text: str
    coding: JSON | None = None
    terms: tuple[str, ...] = ()  # folded words a known trigger may name it by
    other_group: bool = False  # an MCAS trigger food (allergen group "other")

    def named_in(self, trigger_text: str) -> bool:
        folded = fold(trigger_text)
        return any(re.search(rf"\b{re.escape(term)}s?\b", folded) for term in self.terms if term)


def substance_of(food: Food) -> Substance:
    other = food.allergen_group == AllergenGroup.OTHER
    group_label = "" if other else fold(str(AllergenGroup(food.allergen_group).label))
    terms = (fold(food.name), fold(food.snomed_display), group_label)
    if food.snomed_code:
        coding = fhir_coding(SNOMED, food.snomed_code, food.snomed_display or food.name)
        return Substance(f"snomed/{food.snomed_code}", food.snomed_display or food.name, coding, terms, other)
    return Substance(f"food/{fold(str(food))}", str(food), None, terms, other)


def trigger_substance(trigger: Trigger) -> Substance:
    return Substance(f"trigger/{trigger.pk}", trigger.substance)


@dataclass
class AllergyEntry:
    substance: Substance
    states: list[RunState] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)


def allergy_intolerance(b: BundleBuilder, group: AllergyEntry) -> JSON:
    results = [(state, _result(state)) for state in group.states]
    status = allergy_status.status([result for _, result in results])
    failed = [state for state, result in results if result.outcome == Outcome.FAILED]
    resource: JSON = {
        "resourceType": "AllergyIntolerance",
        "id": b.id("AllergyIntolerance", group.substance.key),
        "identifier": [],
        "clinicalStatus": status_concept(CLINICAL_STATUS, status.clinical),
        "verificationStatus": status_concept(VERIFICATION_STATUS, status.verification),
        "category": ["food"],
        "code": _allergen_code(group),
        "patient": b.patient,
    }
    kind = _allergy_type(group)
    if kind:
        resource["type"] = kind
    severities = [reaction_severity(s.challenge.grade_scale, s.challenge.grade) or "" for s in failed]
    severities += [t.worst_reaction_severity for t in group.triggers] + [
        t.last_reaction_severity for t in group.triggers
    ]
    critical = allergy_status.criticality(
        clinical=status.clinical,
        worst_severity=allergy_status.worst(severities),
        anaphylaxis=any(s.anaphylaxis is not None and s.anaphylaxis.met for s in failed),
        adrenaline_given=any(_adrenaline_given(s.challenge) for s in failed),
    )
    if critical:
        resource["criticality"] = critical
    _occurrences(b, resource, group, failed)
    if status.basis is not None:
        basis = next(state for state, result in results if result is status.basis)
        resource["recordedDate"] = fhir_datetime(status.basis.confirmed_at, b.tz)
        recorder = b.practitioner(basis.challenge.grade_confirmed_by or basis.challenge.allergist)
        if recorder is not None:
            resource["recorder"] = recorder
    reactions = [r for r in (_reaction(b, s) for s in failed) if r is not None]
    if reactions:
        resource["reaction"] = reactions
    notes = [_result_note(b, state) for state, _ in sorted(results, key=lambda pair: pair[1].confirmed_at)]
    notes += [_trigger_note(t) for t in group.triggers]
    resource["note"] = [{"text": note} for note in notes]
    statuses = f"{status.clinical}, {status.verification}"
    return narrate(resource, f"Food allergy: {group.substance.text} ({statuses})", *notes)


def withdrawn_trigger(b: BundleBuilder, key: str, trigger: Trigger, *, merged: bool) -> JSON:
    """A trigger's own allergy entry from an earlier export, withdrawn (merged into its substance's entry, or the
    trigger entered in error)."""
    reason = (
        f"Withdrawn: {trigger.substance} is now recorded in the allergy entry of its substance."
        if merged
        else f"Withdrawn: the known trigger {trigger.substance} was entered in error."
    )
    return withdrawn_allergy(b, key, trigger.substance, reason)


def withdrawn_allergy(b: BundleBuilder, key: str, text: str, reason: str) -> JSON:
    """An allergy entry from an earlier export, withdrawn: verification "entered-in-error" and no clinical status
    (FHIR ait-2), with the reason. Put again, never deleted: the receiver keeps the record of what it was told."""
    resource: JSON = {
        "resourceType": "AllergyIntolerance",
        "id": b.id("AllergyIntolerance", key),
        "identifier": [],
        "verificationStatus": status_concept(VERIFICATION_STATUS, "entered-in-error"),
        "category": ["food"],
        "code": {"text": text},
        "patient": b.patient,
        "note": [{"text": reason}],
    }
    return narrate(resource, f"Entered in error: {text}", reason)


def orphan_reason(b: BundleBuilder, state: RunState) -> str:
    challenge = state.challenge
    kind = KINDS[challenge.protocol.kind].label
    day = day_text(_result(state).confirmed_at.astimezone(b.tz).date())
    return (
        f"Withdrawn: the only challenge this entry rested on ({kind}, {challenge.protocol.food}, {day}) was entered "
        f"in error: {challenge.entered_in_error_reason}"
    )


def _result(state: RunState) -> allergy_status.Result:
    challenge = state.challenge
    food = challenge.protocol.food
    # The outcome event is always written with the outcome; a challenge without one sorts by its booking.
    confirmed_at = _outcome_confirmed_at(challenge) or challenge.signed_at or challenge.scheduled_at
    partial = is_partial_form(allergen=food.allergen_group, processing=food.processing)
    return allergy_status.Result(confirmed_at, challenge.outcome, partial)


def _allergen_code(group: AllergyEntry) -> JSON:
    """The substance coded when known, with the exact food (or the trigger's words) kept as text."""
    foods = sorted({str(s.challenge.protocol.food) for s in group.states})
    text = "; ".join(foods) if foods else group.substance.text
    if group.substance.coding is not None:
        return {"coding": [group.substance.coding], "text": text}
    return {"text": text}


def _allergy_type(group: AllergyEntry) -> str | None:
    """allergy (immune-mediated, IgE or not) | intolerance (an MCAS trigger); None when not known."""
    kinds = {t.reaction_type for t in group.triggers}
    if kinds & {ReactionType.IGE, ReactionType.NON_IGE} or (group.states and not group.substance.other_group):
        return "allergy"
    if ReactionType.MCAS in kinds:
        return "intolerance"
    return None


def _occurrences(b: BundleBuilder, resource: JSON, group: AllergyEntry, failed: Sequence[RunState]) -> None:
    """onset: the first reaction known (a failed challenge or a trigger's history); lastOccurrence: the latest."""
    moments: list[str] = [
        fhir_datetime(s.result.first_symptom_at, b.tz) for s in failed if s.result.first_symptom_at is not None
    ]
    for trigger in group.triggers:
        moments += [d.isoformat() for d in (trigger.worst_reaction_on, trigger.last_reaction_on) if d is not None]
    if moments:
        # Compare on the date and time as written: every time here carries the clinic's offset, dates sort first.
        ordered = sorted(moments, key=lambda m: (m[:10], m))
        resource["onsetDateTime"] = ordered[0]
        resource["lastOccurrence"] = ordered[-1]


def _adrenaline_given(challenge: Challenge) -> bool:
    return any(t.kind == TreatmentKind.ADRENALINE and not t.entered_in_error for t in challenge.treatments.all())


def _result_note(b: BundleBuilder, state: RunState) -> str:
    challenge = state.challenge
    kind = KINDS[challenge.protocol.kind].label
    confirmed = _result(state).confirmed_at.astimezone(b.tz).date()
    note = f"{kind}, {challenge.protocol.food}, {day_text(confirmed)}: {challenge.get_outcome_display()}."
    if state.form_advice:
        note += f" {state.form_advice}"
    return note


def _trigger_note(trigger: Trigger) -> str:
    parts = [f"Known trigger: {trigger.substance} ({trigger.get_reaction_type_display()})"]
    if trigger.worst_reaction_severity:
        worst_on = f" on {day_text(trigger.worst_reaction_on)}" if trigger.worst_reaction_on else ""
        parts.append(f"worst reaction {trigger.get_worst_reaction_severity_display().lower()}{worst_on}")
    if trigger.notes:
        parts.append(trigger.notes)
    return "; ".join(parts) + "."


def _reaction(b: BundleBuilder, state: RunState) -> JSON | None:
    """A failed challenge's reaction: one manifestation per checklist item seen after the first dose, worst first."""
    challenge = state.challenge
    doses = [d for d in challenge.doses.all() if not d.entered_in_error]
    if not doses:
        return None
    worst: dict[str, int] = {}
    notes: dict[str, list[str]] = {}
    for finding in challenge.observations.all():
        if finding.entered_in_error or finding.severity == 0 or finding.observed_at < doses[0].given_at:
            continue
        worst[finding.item_code] = max(worst.get(finding.item_code, 0), finding.severity)
        if finding.note:
            notes.setdefault(finding.item_code, []).append(finding.note)
    if not worst:
        return None
    food = str(challenge.protocol.food)
    reaction: JSON = {
        "substance": _allergen_code(AllergyEntry(substance_of(challenge.protocol.food), [state])),
        "manifestation": [_manifestation(code) for code in worst],
        "description": f"{food}: " + "; ".join(_finding_text(c, worst[c], notes.get(c, [])) for c in worst),
        "exposureRoute": fhir_codeable(SNOMED, *ORAL_ROUTE),
    }
    if state.result.first_symptom_at is not None:
        reaction["onset"] = fhir_datetime(state.result.first_symptom_at, b.tz)
    severity = reaction_severity(challenge.grade_scale, challenge.grade)
    if severity:
        reaction["severity"] = severity
    return reaction


def _manifestation(item_code: str) -> JSON:
    label = ITEMS[item_code].label if item_code in ITEMS else item_code
    if item_code in MANIFESTATION_CODES:
        code, display = MANIFESTATION_CODES[item_code]
        return {"coding": [fhir_coding(SNOMED, code, display)], "text": label}
    return {"text": label}


def _finding_text(item_code: str, severity: int, notes: list[str]) -> str:
    label = ITEMS[item_code].label if item_code in ITEMS else item_code
    text = f"{label}: {SEVERITY_LABELS[severity]}"
    return f"{text} ({'; '.join(notes)})" if notes else text


def _outcome_confirmed_at(challenge: Challenge) -> datetime | None:
    """When the allergist last confirmed the outcome (the "outcome" event), from the prefetched events."""
    times = [e.at for e in challenge.events.all() if e.kind == "outcome"]
    return max(times) if times else None
