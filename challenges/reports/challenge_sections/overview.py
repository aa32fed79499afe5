"""The top of the challenge report: the summary (schedule, status, staff, linked challenges), the protocol with its
blinding, and the food pack used. Follows docs/clinical-sources.md §6.4 items 1 and 5, §1.8 (blinding, and the
verdict recorded before unblinding), §12 (the pack, and which protein figure the doses used) and §13.2 (linked
challenges)."""

from __future__ import annotations

from challenges.models import Challenge, Outcome, Setting, Status
from challenges.reports.challenge_sections.context import Context, capital
from challenges.reports.snapshot import Line
from challenges.reports.text import DASH, day, error_note, person, when
from challenges.run import facts
from challenges.run.models import ContinuationKind
from clinical.dates import format_day as day_text
from clinical.display import mg_text
from clinical.durations import format_hours, format_minutes
from clinical.kinds import KINDS
from clinical.units import format_quantity


def summary(ctx: Context) -> tuple[Line, ...]:
    c = ctx.challenge
    status = str(Status(c.status).label)
    if c.entered_in_error:  # the whole challenge: said at the top, never left out
        status = f"{status}. {error_note(c, ctx.zone, ctx.names)}"
    return (
        Line("Scheduled", when(c.scheduled_at, ctx.zone)),
        Line("Status", status),
        Line("Supervising allergist", person(c.allergist)),
        Line("Nurse", person(c.nurse)),
        *_links(ctx),
    )


def _links(ctx: Context) -> tuple[Line, ...]:
    """Linked challenges (X5): the one this continues, and those that continue it."""
    c, lines = ctx.challenge, []
    if c.continues is not None:
        earlier = c.continues
        kind = str(ContinuationKind(c.continuation_kind).label)
        lines.append(Line("Continues", f"{kind}: challenge {earlier.pk}, {_challenge_text(ctx, earlier)}"))
    for later in c.continuations.all():
        kind = str(ContinuationKind(later.continuation_kind).label).lower()
        lines.append(Line("Continued by", f"challenge {later.pk} ({kind}), {_challenge_text(ctx, later)}"))
    return tuple(lines)


def _challenge_text(ctx: Context, other: Challenge) -> str:
    outcome = f", {Outcome(other.outcome).label.lower()}" if other.outcome else ""
    status = str(Status(other.status).label).lower()
    return f"{other.protocol.food.name}, {day(other.scheduled_at, ctx.zone)} ({status}{outcome})"


def protocol(ctx: Context) -> tuple[Line, ...]:
    c, plan = ctx.challenge, ctx.state.plan
    p = c.protocol
    waits = sorted({line.interval_text for line in plan[:-1]}) or [DASH]
    lines = [
        Line("Protocol", p.name),
        Line("Version", f"{p.version} ({'standard library' if p.is_standard else 'clinic protocol'})"),
        Line("Kind", KINDS[p.kind].label),
        Line("Setting", str(Setting(c.setting).label)),
        Line("Steps", f"{len(plan)}; wait between steps: {', '.join(waits)}"),
    ]
    foods = list(dict.fromkeys(line.food_label for line in plan))
    if len(foods) > 1:  # a ladder of different foods (X4)
        lines.append(Line("Foods, rung by rung", "; ".join(foods)))
    if plan:
        lines.append(
            Line(
                "Planned doses",
                f"{mg_text(plan[0].protein_mg)} to {mg_text(plan[-1].protein_mg)} protein; "
                f"cumulative {mg_text(plan[-1].cumulative_protein_mg)}",
            )
        )
    if p.min_top_dose_mg is not None:
        lines.append(Line("Minimum top dose to call it negative", mg_text(p.min_top_dose_mg)))
    lines.append(Line("Observation after the last dose", format_minutes(p.observation_minutes)))
    if p.watch_hours:
        lines.append(Line("Watch window after each step", format_hours(p.watch_hours)))
    lines.append(Line("Blinding", _blinding(ctx)))
    return tuple(lines)


def _blinding(ctx: Context) -> str:
    c = ctx.challenge
    if not c.blinded:
        return "Open (not blinded)"
    verdict = _verdict(ctx)
    if c.unblinded_at is None:
        return f"Blinded; not yet unblinded, so placebo doses are not shown. {verdict}"
    unblinded = f"unblinded by {person(c.unblinded_by)} on {when(c.unblinded_at, ctx.zone)}"
    if c.blind_order:
        schedule = facts.blind_schedule(c)
        doses = ", ".join(str(s.number) for s in schedule if s.placebo) or DASH
        active = len(schedule) - sum(1 for s in schedule if s.placebo)
        return (
            f"Blinded; {unblinded}. {active} active doses (every protocol step) plus placebo at dose {doses}. "
            f"{verdict} {_truth(ctx)}"
        )
    steps = ", ".join(str(n) for n in c.placebo_steps) or DASH  # booked before placebo was added, not substituted
    return f"Blinded; {unblinded}. Placebo at step {steps}. {verdict}"


def _verdict(ctx: Context) -> str:
    """The observer's verdict, recorded before unblinding."""
    c = ctx.challenge
    if c.verdict_at is None:
        return "Blinded verdict: not recorded."
    said = f"reaction after dose {c.verdict_after_dose}" if c.verdict_reaction else "no reaction"
    return f"Blinded verdict: {said} ({person(c.verdict_by)}, {when(c.verdict_at, ctx.zone)})."


def _truth(ctx: Context) -> str:
    """What the verdict's dose was, once unblinded."""
    c = ctx.challenge
    if not c.verdict_reaction or c.verdict_after_dose is None:
        return ""
    dose = next((d for d in ctx.state.doses if d.dose.step_number == c.verdict_after_dose), None)
    if dose is None:
        return ""
    kind = "a placebo dose: the test is indeterminate" if dose.dose.is_placebo else "an active dose"
    return f"Unblinded: dose {c.verdict_after_dose} was {kind}."


def food_used(ctx: Context) -> tuple[Line, ...]:
    """The pack used (brand, lot, expiry, label protein) and which protein figure the doses were worked out from."""
    lot, label = ctx.state.food_lot, ctx.state.label
    figure = Line("Protein figure used", capital(label.note))
    if lot is None:
        return (Line("Pack used", "not recorded"), figure)
    label_text = (
        f"{format_quantity(lot.label_protein_g_per_100, 'g')} per {label.per}"
        if lot.label_protein_g_per_100
        else "not recorded"
    )
    return (
        Line("Brand", lot.brand),
        Line("Lot or batch", lot.lot),
        Line("Expiry", day_text(lot.expires_on)),
        Line("Label protein", label_text),
        figure,
        Line("Pack recorded by", f"{person(lot.recorded_by)}, {when(lot.recorded_at, ctx.zone)}"),
    )
