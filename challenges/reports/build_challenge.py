"""The challenge report snapshot (docs/clinical-sources.md §6.4), built from one challenge and its records in a fixed
number of queries. Figures come from selectors.report_state (clinical.outcome, clinical.grading), never recomputed
here.

challenge_report puts the report together: its sections are built in challenge_sections/ (overview, checks,
records, result, closing), the patient's history in history.py; the risk factors (§15.1) and the note on which
allergy tests are shown (§15.2) here.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from django.utils import timezone

from challenges.models import AllergenGroup, Challenge, Food, Setting
from challenges.reports import chart_data, history
from challenges.reports.challenge_sections.checks import baseline, check, check_override, conflicts
from challenges.reports.challenge_sections.closing import deviations, discharge, signature
from challenges.reports.challenge_sections.context import Context
from challenges.reports.challenge_sections.overview import food_used, protocol, summary
from challenges.reports.challenge_sections.records import alerts, dose_note, doses, observations, treatments, vitals
from challenges.reports.challenge_sections.result import result
from challenges.reports.snapshot import ChallengeReport
from challenges.reports.text import created, day, letterhead, patient_block, when
from challenges.run import selectors
from clinical import risk_factors
from clinics.models import User
from patients.models import Severity


def load(challenge: Challenge) -> Challenge:
    """The challenge with everything a sheet reads (build_sheets), prefetched."""
    return selectors.with_run_data(Challenge.objects.filter(pk=challenge.pk)).get()


def load_for_report(challenge: Challenge) -> Challenge:
    """The challenge with everything the challenge report reads, prefetched (its people: Context, history.people)."""
    return selectors.with_continued(selectors.with_report_data(Challenge.objects.filter(pk=challenge.pk)).get())


def challenge_report(
    challenge: Challenge, *, signed_by: User | None = None, signed_at: datetime | None = None
) -> ChallengeReport:
    """The snapshot of a challenge; signed_by/signed_at describe a signature being made now (else the stored one)."""
    return _report(Context(load_for_report(challenge)), signed_by, signed_at)


def draft_report(challenge: Challenge) -> tuple[ChallengeReport, tuple[datetime | None, ...]]:
    """The unsigned snapshot as of now, and the instants at which, by the clock alone, it would read differently:
    the observation period's end ("over"), and the booked start (before it, the washout review is dated against
    today). Stored per page version by challenges.reports.drafts."""
    ctx = Context(load_for_report(challenge))
    observed = ctx.state.observation
    changes_at = (
        observed.period.ends_at if observed else None,
        ctx.state.observation_ends_at,
        ctx.challenge.scheduled_at,
    )
    return _report(ctx, None, None), changes_at


def made_at(moment: datetime, zone: tzinfo) -> dict[str, Any]:
    """The snapshot's time of making, as the report prints it and as its PDF's creation date."""
    return {"generated_at": when(moment, zone), "created": created(moment, zone)}


def _report(ctx: Context, signed_by: User | None, signed_at: datetime | None) -> ChallengeReport:
    c, zone, names = ctx.challenge, ctx.zone, ctx.names
    food = c.protocol.food
    return ChallengeReport(
        title="Home reintroduction report" if c.setting == Setting.HOME else "Oral food challenge report",
        letterhead=letterhead(c.clinic),
        patient=patient_block(c.patient, ctx.clock.day_of),
        **made_at(signed_at or timezone.now(), zone),  # a signed report is made at its signature
        reference=f"Challenge {c.pk}: {food.name}, {day(c.scheduled_at, zone)}",
        summary=summary(ctx),
        indication=c.indication,
        conditions=tuple(c.patient.condition_labels()),
        risk_factors=_risk_factors(c),
        triggers=history.triggers(c.patient, zone, names),
        medications=history.medications(c.patient, zone, names),
        food=history.food_lines(food) + food_used(ctx),
        protocol=protocol(ctx),
        checks=tuple(check(ctx, k) for k in c.checks.all()),
        check_override=check_override(c),
        conflicts=conflicts(ctx),
        planned_premedication=history.planned_premedication(c.protocol, c.patient.age_on(ctx.clock.day_of)),
        premedication=treatments(ctx, premedication=True),
        baseline=baseline(ctx),
        doses=tuple(doses(ctx)),
        dose_note=dose_note(ctx),
        observations=tuple(observations(ctx)),
        vitals=tuple(vitals(ctx)),
        chart=chart_data.vitals_chart(c),
        alerts=tuple(alerts(ctx)),
        treatments=treatments(ctx, premedication=False),
        result=result(ctx),
        discharge=discharge(ctx),
        follow_ups=history.follow_ups(c, zone, names),
        addenda=history.addenda(c, zone),
        deviations=tuple(deviations(ctx)),
        signature=signature(c, ctx, signed_by or c.signed_by, signed_at or c.signed_at),
        purpose=c.get_purpose_display() if c.purpose else "",
        diagnostics=history.diagnostics(c.patient, food),
        diagnostics_note=_diagnostics_note(food),
    )


def _diagnostics_note(food: Food) -> str:
    if food.allergen_group == AllergenGroup.OTHER:
        return "All current results of the patient (this food's allergen cannot be matched)."
    group = str(AllergenGroup(food.allergen_group).label).lower()
    return f"Results naming {food.name} or {group}, its components, and baseline tryptase."


def _risk_factors(c: Challenge) -> str:
    """Asthma, mastocytosis, a previous anaphylaxis, beta-blockers or ACE inhibitors, as recorded (R7)."""
    patient = c.patient
    return risk_factors.summary(
        conditions=list(patient.conditions),
        anaphylaxis_to=[
            t.substance
            for t in patient.triggers.all()
            if not t.entered_in_error and t.worst_reaction_severity == Severity.ANAPHYLAXIS
        ],
        medications=[
            (m.med_class, m.name) for m in patient.medications.all() if not m.entered_in_error and m.stopped_on is None
        ],
    )
