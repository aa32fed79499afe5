"""The challenge itself as a Procedure, with its discharge advice as followUp."""

from __future__ import annotations

from typing import TYPE_CHECKING

from challenges.exports.fhir.codes import CHALLENGE_PROCEDURE, SNOMED
from challenges.exports.fhir.datatypes import JSON, day_text, fhir_coding, fhir_datetime, narrate
from challenges.models import Challenge, Status
from clinical.kinds import KINDS
from clinical.outcome import discharge_advice_lines

if TYPE_CHECKING:
    from challenges.exports.fhir.bundle import BundleBuilder


def procedure_resource(b: BundleBuilder, challenge: Challenge) -> JSON:
    doses = [d for d in challenge.doses.all() if not d.entered_in_error]
    kind = KINDS[challenge.protocol.kind].label
    food = str(challenge.protocol.food)
    performers = [{"actor": ref} for ref in (b.practitioner(challenge.allergist), b.practitioner(challenge.nurse))]
    resource: JSON = {
        "resourceType": "Procedure",
        "id": b.id("Procedure", challenge.pk),
        "identifier": [],
        "status": "stopped" if challenge.status == Status.STOPPED else "completed",
        "code": {"coding": [fhir_coding(SNOMED, *CHALLENGE_PROCEDURE)], "text": f"{kind}: {food}"},
        "subject": b.patient,
        "performer": [p for p in performers if p["actor"] is not None],
        "outcome": {"text": f"{challenge.get_outcome_display()}: {challenge.outcome_reason}"},
        "note": [{"text": f"Protocol: {challenge.protocol}."}],
    }
    if doses:
        resource["performedPeriod"] = {
            "start": fhir_datetime(doses[0].given_at, b.tz),
            "end": fhir_datetime(doses[-1].given_at, b.tz),
        }
    if challenge.indication:
        resource["reasonCode"] = [{"text": challenge.indication}]
    follow_up = _follow_up(challenge)
    if follow_up:
        resource["followUp"] = follow_up
    if challenge.discharge_notes:
        resource["note"].append({"text": challenge.discharge_notes})
    if challenge.outcome_under_review:
        resource["note"].append({"text": "A later finding re-opened this outcome for the allergist's review."})
    when = f", {day_text(doses[0].given_at.astimezone(b.tz).date())}" if doses else ""
    advice = [f"Advice: {item['text']}" for item in follow_up]
    return narrate(resource, f"{kind}: {food}{when}", f"Outcome: {resource['outcome']['text']}", *advice)


def _follow_up(challenge: Challenge) -> list[JSON]:
    """The discharge advice as Procedure.followUp, one text concept per item: the advice, then the structured
    items the clinician recorded (clinical.outcome.DischargeAdvice, R6; nothing unrecorded is sent as "no").

    Why followUp and not a CarePlan: followUp is the R4 Procedure's own element for the instructions given after
    it, so every receiver that imports the Procedure (an IPS procedure list, an EHR's history) shows it with the
    challenge it belongs to; a CarePlan would be a separate resource with a life of its own (active, completed)
    that Stepwise does not follow after discharge, and that allergy-list importers do not read."""
    items = [challenge.get_advice_display()] if challenge.advice else []
    follow_up_text = day_text(challenge.follow_up_on) if challenge.follow_up_on else ""
    lines = discharge_advice_lines(
        challenge.discharge_advice,
        food_name=challenge.protocol.food.name,
        follow_up_text=follow_up_text,
        recorded_only=True,
    )
    items += [f"{label}: {text}" for label, text in lines]
    return [{"text": item} for item in items]
