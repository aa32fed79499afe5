"""The patient's medicines against the protocol: the wash-out conflicts, for a booking or a challenge, what was
decided about them and whether the first dose must wait; and the planned premedication, when each item was
taken, what a step given now would break of it, and each item's dose for the patient's age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from challenges.library.models import PremedicationItem, Protocol
from challenges.run.facts.doses import valid_doses
from challenges.run.models import Challenge, TreatmentKind
from clinical import premedication, washout, washout_rules
from clinical import washout_decisions as washout_decision_rules
from clinical.kinds import KINDS
from patients.models import Patient


def _medications(patient: Patient) -> list[washout.Medication]:
    """The patient's medication rows (not entered in error) as the wash-out check reads them."""
    return [
        washout.Medication(
            name=str(m), med_class=m.med_class, stopped_on=m.stopped_on, route=m.route, medication_id=m.pk
        )
        for m in patient.medications.all()
        if not m.entered_in_error
    ]


def booking_conflicts(
    patient: Patient, protocol: Protocol, scheduled_at: datetime, now: datetime | None = None
) -> list[washout.Conflict]:
    """The patient's current medications against a protocol's wash-out rules and premedication, for a start time.

    Computed from the rows as they are now (a changed medication list or date gives a new answer), in the clinic's
    time zone; `now` dates what is already too late (default: the current time).
    """
    zone = patient.clinic.tzinfo
    return washout.check_washout(
        medications=_medications(patient),
        rules=washout_rules.rules_from_data(protocol.washout_rules),
        challenge_start=scheduled_at.astimezone(zone),
        diagnostic=KINDS[protocol.kind].diagnostic,
        premedication=[
            washout.PremedItem(
                drug=p.drug,
                med_class=p.med_class,
                regimen=p.continue_regular and p.required,
                established_weeks=p.established_weeks,
            )
            for p in protocol.premedications.all()
        ],
        conditions=patient.conditions,
        now=(now or timezone.now()).astimezone(zone),
    )


def washout_conflicts(challenge: Challenge) -> list[washout.Conflict]:
    """The patient's current medications against the challenge's protocol, for its booked start.

    Once the booked start has come, the check stands as it was then: a report printed next week does not move the
    earliest date on with the calendar.
    """
    now = min(timezone.now(), challenge.scheduled_at)
    return booking_conflicts(challenge.patient, challenge.protocol, challenge.scheduled_at, now=now)


def washout_decisions(challenge: Challenge) -> list[washout_decision_rules.Decision]:
    """What was decided about the medication conflicts, oldest first, without decisions entered in error."""
    zone = challenge.clinic.tzinfo
    return [
        washout_decision_rules.Decision(
            medication_id=d.medication_id,
            action=d.action,
            by=d.decided_by.display_name,
            at=d.decided_at.astimezone(zone),
            reason=d.reason,
            stopped_on=d.stopped_on,
            record_id=d.pk,
        )
        for d in sorted(challenge.washout_decisions.all(), key=lambda d: (d.decided_at, d.pk))
        if not d.entered_in_error
    ]


def washout_review(challenge: Challenge) -> list[washout_decision_rules.Reviewed]:
    """Each medication conflict with what was decided about it (clinical.washout_decisions.review)."""
    start = challenge.scheduled_at.astimezone(challenge.clinic.tzinfo)
    return washout_decision_rules.review(washout_conflicts(challenge), washout_decisions(challenge), start)


def first_dose_refusal(challenge: Challenge) -> washout_decision_rules.Refusal | None:
    """Why the first dose must wait for a medication decision, if it must (later doses are not held back)."""
    if valid_doses(challenge):
        return None
    return washout_decision_rules.first_dose_refusal(washout_review(challenge))


# --- premedication -------------------------------------------------------------------------------------------


def premedication_items(challenge: Challenge) -> list[premedication.Item]:
    return [p.as_item() for p in challenge.protocol.premedications.all()]


def _same_drug(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def premedication_taken(challenge: Challenge) -> dict[int, list[datetime]]:
    """When each planned item was recorded as taken: by the item it names, else by the same drug name."""
    items = list(challenge.protocol.premedications.all())
    if not items:  # nothing planned, nothing to match: the treatments are not read
        return {}
    taken: dict[int, list[datetime]] = {item.pk: [] for item in items}
    for t in challenge.treatments.all():
        if t.entered_in_error or t.kind != TreatmentKind.PREMEDICATION:
            continue
        if t.premedication_item_id in taken:
            taken[t.premedication_item_id].append(t.given_at)
            continue
        for item in items:
            if t.premedication_item_id is None and _same_drug(item.drug, t.drug):
                taken[item.pk].append(t.given_at)
    return taken


def premedication_problems(challenge: Challenge, given_at: datetime) -> list[premedication.Problem]:
    """What a step given at `given_at` breaks of the planned premedication (clinical.premedication.step_problems)."""
    doses = valid_doses(challenge)
    return premedication.step_problems(
        premedication_items(challenge),
        premedication_taken(challenge),
        step_at=given_at,
        first_step=not doses,
        since=max((d.given_at for d in doses), default=None),
    )


@dataclass(frozen=True)
class PlannedPremedication:
    """One premedication item as the patient's pages and sheets show it: the dose for this patient's age."""

    item: PremedicationItem
    dose: premedication.PlannedDose

    @property
    def regimen_text(self) -> str:
        return premedication.regimen_text(self.item.as_item())

    taken_at: datetime | None = None  # a timed item: taken since the last step, at
    ready_at: datetime | None = None  # ... so the step can be taken from

    @property
    def timed(self) -> bool:
        return not self.item.continue_regular


def planned_premedication(challenge: Challenge) -> list[PlannedPremedication]:
    """Each item with its dose for the patient's age and, for a timed item, when it was taken for the next step."""
    age = challenge.patient.age_on(timezone.localdate(challenge.scheduled_at))
    taken = premedication_taken(challenge)
    since = max((d.given_at for d in valid_doses(challenge)), default=None)
    planned = []
    for p in challenge.protocol.premedications.all():
        times = [t for t in taken.get(p.pk, ()) if since is None or t > since]
        last = max(times, default=None)
        ready = last + timedelta(minutes=p.minutes_before) if last is not None and not p.continue_regular else None
        dose = premedication.planned_dose(p.dose_rule, p.dose, age)
        planned.append(PlannedPremedication(p, dose, last if ready else None, ready))
    return planned
