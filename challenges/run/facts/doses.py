"""The doses given and what comes next: the valid doses, the next step and when it is due (after a repeat or
"wait longer" decision, a home plan's symptom pause or step release), what the first dose waits on (the
pre-challenge checklist, an open stop alert) and the food it is measured from (the food lot, its label, an
FPIES dosing weight gone stale).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.utils import timezone

from challenges.library.facts import food_spec
from challenges.run.models import Challenge, Decision, Dose, FoodLot, PreChallengeCheck, Setting, StopAlert
from clinical import blinding, dosing, fpies, home_plan, run_rules
from clinical import food_lot as food_lot_rules


def valid_doses(challenge: Challenge) -> list[Dose]:
    """The doses given, in order, without those entered in error."""
    return [d for d in challenge.doses.all() if not d.entered_in_error]


def food_lot(challenge: Challenge) -> FoodLot | None:
    """The pack of food recorded for the challenge: the latest one not entered in error."""
    lots = [lot for lot in challenge.food_lots.all() if not lot.entered_in_error]
    return max(lots, key=lambda lot: (lot.recorded_at, lot.pk), default=None)


def label_comparison(challenge: Challenge) -> food_lot_rules.LabelComparison:
    """The label's protein figure against the library's (clinical.food_lot): which one the doses use, and why.

    A recorded lot keeps the library figure it was compared with, so the record reads the same if the library
    changes later.
    """
    food = challenge.protocol.food
    per = "100 mL" if food.is_liquid else "100 g"
    lot = food_lot(challenge)
    library, label = (
        (food.protein_g_per_100, None) if lot is None else (lot.library_protein_g_per_100, lot.label_protein_g_per_100)
    )
    # A composite food dosed in its allergen's protein keeps that figure: a label gives only the whole food's.
    return food_lot_rules.compare_label(
        library,
        label,
        per=per,
        allergen_g_per_100=food.allergen_protein_g_per_100,
        protein_name=food.protein_name,
    )


def challenge_food_spec(challenge: Challenge) -> dosing.FoodSpec:
    """The food as this challenge's doses are worked out: the library figure, or the label's when it differs by
    more than 10 % (clinical.food_lot, docs/clinical-sources.md §12)."""
    spec = food_spec(challenge.protocol.food)
    return dataclasses.replace(spec, protein_g_per_100=label_comparison(challenge).protein_g_per_100)


def latest_check(challenge: Challenge) -> PreChallengeCheck | None:
    """The latest valid pre-challenge checklist."""
    checks = [c for c in challenge.checks.all() if not c.entered_in_error]
    return max(checks, key=lambda c: (c.recorded_at, c.pk), default=None)


def checks_passed(challenge: Challenge) -> bool:
    """True when the latest checklist passed, or an allergist overrode it with a reason."""
    check = latest_check(challenge)
    if check is None:
        return False
    return not check.failed_items() or bool(challenge.checks_override_reason)


def checks_waiting_override(challenge: Challenge) -> bool:
    """The latest checklist failed, no allergist has overridden it and no dose is given yet: the first dose waits
    for the allergist (the card and the board say so, never "Due now")."""
    check = latest_check(challenge)
    if check is None or not check.failed_items() or challenge.checks_override_reason:
        return False
    return not valid_doses(challenge)


def open_alert(challenge: Challenge) -> StopAlert | None:
    """The stop alert still waiting for the allergist's decision, if any."""
    return next((a for a in challenge.alerts.all() if a.is_open), None)


def repeat_requested(challenge: Challenge, doses: Sequence[Dose]) -> bool:
    """True when the last decided alert (after the last dose) said: hold and repeat the same dose."""
    last_dose_at = doses[-1].given_at if doses else None
    for alert in sorted(challenge.alerts.all(), key=lambda a: (a.raised_at, a.pk), reverse=True):
        if last_dose_at is not None and alert.decided_at and alert.decided_at < last_dose_at:
            return False
        if alert.decision:
            return alert.decision == Decision.REPEAT
    return False


def wait_requested(challenge: Challenge, doses: Sequence[Dose]) -> datetime | None:
    """Until when a "wait longer" decision (after the last dose) holds back the next dose; None if none."""
    last_dose_at = doses[-1].given_at if doses else None
    waits = [
        a.wait_until
        for a in challenge.alerts.all()
        if a.decision == Decision.WAIT
        and a.wait_until is not None
        and (last_dose_at is None or (a.decided_at is not None and a.decided_at >= last_dose_at))
    ]
    return max(waits, default=None)


def upcoming_step(challenge: Challenge) -> run_rules.NextStep:
    """The next planned step and when it is due; at home the watch window must pass too, and after a "wait
    longer" decision the time the allergist set."""
    doses = valid_doses(challenge)
    steps = {s.number: s for s in challenge.protocol.steps.all()}
    watch = challenge.protocol.watch_hours * 60 if challenge.setting == Setting.HOME else 0
    # A blinded challenge numbers its doses by their place in the blinded schedule; each has its step's wait.
    schedule = blind_schedule(challenge)
    step = run_rules.next_step(
        [run_rules.GivenStep(d.step_number, d.given_at) for d in doses],
        interval_after={s.number: max(steps[s.step].interval_minutes, watch) for s in schedule},
        planned_steps=len(schedule),
        repeat_requested=repeat_requested(challenge, doses),
    )
    pause = symptom_pause(challenge)
    if step.number is not None and pause is not None and (step.due_at is None or pause[1] > step.due_at):
        step = dataclasses.replace(step, due_at=pause[1])
    wait_until = wait_requested(challenge, doses)
    if step.number is not None and wait_until is not None and (step.due_at is None or wait_until > step.due_at):
        step = dataclasses.replace(step, due_at=wait_until)
    return step


def blind_schedule(challenge: Challenge) -> tuple[blinding.Slot, ...]:
    """The doses of the challenge in order: the protocol's steps, plus any placebo doses of a blinded challenge."""
    return blinding.slots(challenge.blind_order, len(challenge.protocol.steps.all()))


def usual_symptoms(challenge: Challenge) -> dict[str, int]:
    """A home plan's "my usual symptoms" (item -> usual grade); empty in clinic."""
    if challenge.setting != Setting.HOME:
        return {}
    return {str(code): int(grade) for code, grade in (challenge.usual_symptoms or {}).items()}


def symptom_pause(challenge: Challenge) -> tuple[datetime, datetime] | None:
    """At home: (last symptom, end of pause) while a symptom after the first step pauses the next one
    (clinical.home_plan.symptom_pause_until); None in clinic or when nothing pauses. The watch window is the
    protocol's (the one the printed plan names)."""
    if challenge.setting != Setting.HOME:
        return None
    doses = valid_doses(challenge)
    findings = [
        (o.item_code, o.severity, o.observed_at) for o in challenge.observations.all() if not o.entered_in_error
    ]
    # The clinic lifts the pause by releasing the step, or by deciding on the symptoms (continue, repeat, wait).
    releases = [r.released_at for r in challenge.releases.all()]
    releases += [a.decided_at for a in challenge.alerts.all() if a.decided_at and a.decision != Decision.STOP]
    return home_plan.symptom_pause_until(
        findings,
        first_dose_at=doses[0].given_at if doses else None,
        watch=timedelta(hours=challenge.protocol.watch_hours),
        usual=usual_symptoms(challenge),
        released_at=max(releases, default=None),
    )


def needs_release(challenge: Challenge, step: run_rules.NextStep) -> bool:
    """At home, a clinic may require an allergist to release every step after the first.

    A release counts for the step it names when it was given after the last dose (so a repeated step needs
    its own release).
    """
    if challenge.setting != Setting.HOME or not challenge.clinic.home_steps_need_release:
        return False
    doses = valid_doses(challenge)
    if step.number is None or not doses:
        return False
    last_at = doses[-1].given_at
    return not any(r.step_number == step.number and r.released_at >= last_at for r in challenge.releases.all())


def stale_dose_weight(challenge: Challenge) -> str:
    """The warning when an FPIES challenge's doses come from a weight older than the limit on the challenge day
    (docs/clinical-sources.md §11.2), else ""."""
    weight, measured_on = challenge.dose_weight_kg, challenge.dose_weight_measured_on
    if weight is None:
        return ""
    day = timezone.localdate(challenge.scheduled_at)
    return fpies.stale_weight_text(weight, measured_on, day) if fpies.weight_is_stale(measured_on, day) else ""
