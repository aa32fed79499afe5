"""The end of the challenge report: observation and discharge with the advice given, the deviations from the
protocol, and the signature (or UNSIGNED DRAFT). Follows docs/clinical-sources.md §6.4 item 9, §6.3 (observation
after the challenge) and §15.3 (structured discharge advice)."""

from __future__ import annotations

from datetime import datetime

from challenges.models import Advice, Challenge, Decision, DischargeCondition, Dose, Setting, Status
from challenges.reports.challenge_sections.checks import check_override
from challenges.reports.challenge_sections.context import Context
from challenges.reports.snapshot import Line, Signature
from challenges.reports.text import DASH, person, vitals_summary, when, yes_no
from challenges.run.models import ChallengeEvent, EventKind
from clinical import outcome as outcome_rules
from clinical import washout
from clinical.adrenaline import emergency_text
from clinical.dates import format_day as day_text
from clinical.display import amount_text, mg_text
from clinical.durations import format_hours, format_minutes
from clinics.models import Role, User

UNSIGNED = "UNSIGNED DRAFT"
# Medication decisions that let a challenge go ahead on a drug that was not washed out or is a risk: deviations.
GOING_AHEAD_ANYWAY = frozenset({washout.OVERRIDDEN, washout.ACCEPT_LIMITATION, washout.PROCEED})


def discharge(ctx: Context) -> tuple[Line, ...]:
    c = ctx.challenge
    events = list(c.events.all())
    ended = next((e for e in reversed(events) if e.to_status == Status.COMPLETED), None)
    stopped = next((e for e in reversed(events) if e.to_status == Status.STOPPED), None)
    observation = format_minutes(c.protocol.observation_minutes)
    period = Line("Observation period", f"{observation} after the last dose (protocol)")
    if c.setting == Setting.HOME:  # no clinic observation at home: the watch window after each step (R10)
        watch = format_hours(c.protocol.watch_hours) if c.protocol.watch_hours else "the rest of the day"
        period = Line("Watch after each step", f"{watch} at home (home plan; no clinic observation)")
    lines = [
        period,
        *_observed(ctx),
        Line("Status", str(Status(c.status).label)),
    ]
    if ended:
        lines.append(Line("Observation ended", f"{ctx.clock(ended.at)} by {person(ended.by)}"))
    for early in (e for e in events if e.kind == EventKind.OBSERVATION_OVERRIDE):
        lines.append(Line("Ended early (override)", f"{person(early.by)}, {ctx.clock(early.at)}: {early.reason}"))
    if stopped:
        lines.append(Line("Stopped", f"{ctx.clock(stopped.at)} by {person(stopped.by)}: {stopped.reason or DASH}"))
    if c.setting == Setting.CLINIC:
        lines.append(_discharged(ctx))
    lines += [
        Line("Advice", str(Advice(c.advice).label) if c.advice else DASH),
        *_discharge_advice(ctx),
        Line("New adrenaline prescription", yes_no(c.new_adrenaline_prescription)),
        Line("Discharge notes", c.discharge_notes or DASH),
    ]
    if ctx.state.adrenaline_mg is not None:
        lines.append(Line("Adrenaline IM dose for weight", emergency_text(ctx.state.adrenaline_mg)))
    return tuple(lines)


def _discharge_advice(ctx: Context) -> list[Line]:
    """The structured discharge items once the outcome is recorded (R6). The form tolerated, as the food's form
    says it (R12), stands in when no form-specific advice was recorded."""
    c = ctx.challenge
    computed = [Line("Form tolerated", ctx.state.form_advice)] if ctx.state.form_advice else []
    if not c.outcome:
        return computed
    follow_up = day_text(c.follow_up_on) if c.follow_up_on else ""
    items = outcome_rules.discharge_advice_lines(
        c.discharge_advice, food_name=c.protocol.food.name, follow_up_text=follow_up
    )
    return ([] if c.discharge_form_advice.strip() else computed) + [Line(label, text) for label, text in items]


def _observed(ctx: Context) -> list[Line]:
    """When the observation ran and why that long (clinical.observation); the resolution it started from."""
    c, state = ctx.challenge, ctx.state.observation
    if state is None:  # a home plan's watch window, or dosing not ended
        ends = ctx.state.observation_ends_at
        if c.observation_started_at is None or ends is None:
            return [Line("Observed", DASH)]
        return [Line("Observed", f"from {ctx.clock(c.observation_started_at)}, due to end {ctx.clock(ends)}")]
    period, lines = state.period, []
    if c.symptoms_resolved_at:
        resolved = f"{ctx.clock(c.symptoms_resolved_at)} (recorded by {person(c.symptoms_resolved_by)})"
        lines.append(Line("Symptoms resolved", resolved))
    if period.starts_at is None or period.ends_at is None:
        lines.append(Line("Observed", period.explanation))
    else:
        window = f"from {ctx.clock(period.starts_at)}, due to end {ctx.clock(period.ends_at)}"
        lines.append(Line("Observed", f"{window}: {period.explanation}"))
    return lines


def _discharged(ctx: Context) -> Line:
    state = ctx.state.observation
    d = state.discharge if state else None
    if d is None:
        return Line("Discharged", "not recorded")
    parts = [
        f"{ctx.clock(d.discharged_at)} by {person(d.discharged_by)}",
        str(DischargeCondition(d.condition).label),
        f"vital signs {vitals_summary(d.vitals)}" if d.vitals else "",
        d.notes,
    ]
    return Line("Discharged", "; ".join(part for part in parts if part))


def _partial(ctx: Context, d: Dose) -> str:
    """Less than planned was given: of the mix (a diluted dose) or of the food."""
    protein = f"({mg_text(d.protein_mg)} of {mg_text(d.planned_protein_mg)} protein)"
    if d.is_diluted:
        given, planned = amount_text(d.mix_volume_ml, "mL"), amount_text(d.planned_mix_volume_ml, "mL")
        return f"Dose {d.sequence} partly given: {given} of the {planned} of mix planned {protein}"
    eaten, planned = amount_text(d.food_amount, ctx.unit), amount_text(d.planned_food_amount, ctx.unit)
    return f"Dose {d.sequence} partly eaten: {eaten} of {planned} planned {protein}"


def deviations(ctx: Context) -> list[str]:
    c, out, seen = ctx.challenge, [], set()
    for d in ctx.valid:
        if d.early_override_reason:
            out.append(f"Dose {d.sequence} given before the wait was over (override): {d.early_override_reason}")
        if d.step_number in seen and not d.is_placebo:
            out.append(f"Step {d.step_number} repeated as dose {d.sequence}")
        seen.add(d.step_number)
        if d.is_partial:
            out.append(_partial(ctx, d))
    if c.checks_override_reason:
        out.append(check_override(c))
    for r in ctx.state.conflicts:
        if r.decision is not None and r.decision.action in GOING_AHEAD_ANYWAY:
            out.append(f"{r.conflict.medication}: {r.decision_text}")
    for alert in c.alerts.all():
        if alert.decision == Decision.CONTINUE:
            out.append(f"Continued after a stop rule was met ({person(alert.decided_by)}): {alert.reason}")
    out += [_event_deviation(e) for e in c.events.all() if e.kind in DEVIATION_EVENTS]
    return out


# Events that are deviations from the protocol, and how the report words them.
DEVIATION_EVENTS = {
    EventKind.OBSERVATION_OVERRIDE: "Observation ended early ({by}): {reason}",
    EventKind.PREMEDICATION_FLAG: "Premedication not taken as planned: {reason}",
    EventKind.ADRENALINE_ABOVE_MAX: "Adrenaline above the weight-based maximum ({by}): {reason}",
}


def _event_deviation(event: ChallengeEvent) -> str:
    return DEVIATION_EVENTS[EventKind(event.kind)].format(by=person(event.by), reason=event.reason)


def signature(c: Challenge, ctx: Context, by: User | None, at: datetime | None) -> Signature:
    if by is None or at is None:
        return Signature(False, f"{UNSIGNED}: not yet signed by the supervising allergist ({person(c.allergist)}).")
    role = f", {Role(by.role).label}" if by.role in Role.values else ""  # the signer's role (R13)
    registration = f" ({by.registration_number})" if by.registration_number else ""
    return Signature(True, f"Signed by {person(by)}{role}{registration} on {when(at, ctx.zone)}")
