"""The result block: the outcome, eliciting and highest tolerated doses (discrete and cumulative), total eaten, first
symptom, anaphylaxis and reaction grade, and an equivocal result's symptoms. Figures are read from
selectors.report_state, never recomputed. Follows docs/clinical-sources.md §6.4 items 7 and 8, §6.1 (outcomes),
§6.2 (dose-related terms), §4 (grading scales) and §4.5 (anaphylaxis criteria)."""

from __future__ import annotations

from challenges.models import Observation, Outcome
from challenges.reports.challenge_sections.context import Context
from challenges.reports.challenge_sections.records import finding
from challenges.reports.snapshot import Line, ResultBlock
from challenges.reports.text import person
from challenges.run import selectors
from clinical import outcome as outcome_rules
from clinical.display import amount_text, mg_text
from clinical.durations import format_minutes
from clinical.grading import SCALES


def result(ctx: Context) -> ResultBlock:
    c, r = ctx.challenge, ctx.state.result
    lines = [Line("Outcome", _outcome(ctx))]
    if c.outcome_reason:
        lines.append(Line("Reason", c.outcome_reason))
    if not ctx.show_placebo:
        lines.append(Line("Reaction grade", _grade(ctx)))
        return ResultBlock(tuple(lines), (), "Dose figures are withheld until the challenge is unblinded.")
    if r.eliciting_dose_mg is not None:
        food = amount_text(r.eliciting_food_amount, ctx.unit)
        eliciting = f"{mg_text(r.eliciting_dose_mg)} ({food}), dose {r.eliciting_dose_number}"
    else:
        eliciting = "none (no reaction)"
    lines += [
        Line("Eliciting dose (discrete)", eliciting),
        Line("Cumulative protein at reaction", mg_text(r.cumulative_at_reaction_mg)),
        Line("Highest tolerated dose (discrete)", mg_text(r.highest_tolerated_mg)),
        Line("Highest tolerated dose (cumulative)", mg_text(r.highest_tolerated_cumulative_mg)),
        Line("Total eaten", f"{mg_text(r.total_protein_mg)} protein ({amount_text(r.total_food_amount, ctx.unit)})"),
        Line("First symptom", _first_symptom(ctx)),
        Line("Anaphylaxis", _anaphylaxis(ctx)),
        Line("Reaction grade", _grade(ctx)),
    ]
    if (c.outcome or ctx.state.suggested_outcome) == Outcome.EQUIVOCAL:
        lines += _equivocal_lines(ctx)
    if ctx.state.grade_problem:
        lines.append(Line("Adrenaline timing", f"CHECK THE TIMES: {ctx.state.grade_problem}"))
    return ResultBlock(tuple(lines), ctx.state.grade.reasons if ctx.state.grade else (), "")


def _equivocal_lines(ctx: Context) -> list[Line]:
    """An equivocal result shows its symptoms and the highest dose eaten before any (clinical review O4)."""
    first = min((line.dose.given_at for line in ctx.state.doses if not line.dose.entered_in_error), default=None)
    baseline: dict[str, int] = {}
    for o in ctx.challenge.observations.all():
        if not o.entered_in_error and (first is None or o.observed_at < first):
            baseline[o.item_code] = max(baseline.get(o.item_code, 0), o.severity)

    def symptoms(line: selectors.DoseLine) -> list[Observation]:
        return [o for o in line.findings if not o.entered_in_error and o.severity > baseline.get(o.item_code, 0)]

    active = [line for line in ctx.state.doses if not line.dose.entered_in_error and not line.dose.is_placebo]
    seen = [f"{finding(ctx, o)} after dose {line.dose.sequence}" for line in active for o in symptoms(line)]
    free = outcome_rules.highest_symptom_free_mg([(line.dose.protein_mg, bool(symptoms(line))) for line in active])
    return [
        Line("Symptoms (equivocal)", "; ".join(seen) or "none recorded after an active dose"),
        Line("Highest symptom-free dose", mg_text(free) if free is not None else "none (symptoms after dose 1)"),
    ]


def _anaphylaxis(ctx: Context) -> str:
    """'Yes: NIAID/FAAN 2006 criterion 1 (...)', 'No (...)', or why it was not assessed (clinical.anaphylaxis)."""
    assessment = ctx.state.anaphylaxis
    if assessment is None:
        return "not assessed (no dose given, or an FPIES challenge)"
    if assessment.met:
        return f"Yes: {assessment.summary}"
    return "No (no NIAID/FAAN 2006 or WAO 2020 criterion met)"


def _outcome(ctx: Context) -> str:
    c = ctx.challenge
    suggested = str(Outcome(ctx.state.suggested_outcome).label)
    if not c.outcome:
        return f"Not yet confirmed (suggested: {suggested})"
    return f"{Outcome(c.outcome).label}, confirmed by {person(c.grade_confirmed_by)}"


def _first_symptom(ctx: Context) -> str:
    r = ctx.state.result
    if r.first_symptom_at is None:
        return "no reaction recorded"
    if r.minutes_from_last_dose_to_first_symptom is None:
        return ctx.clock(r.first_symptom_at)
    after = format_minutes(r.minutes_from_last_dose_to_first_symptom)
    return f"{after} after dose {r.eliciting_dose_number} ({ctx.clock(r.first_symptom_at)})"


def _grade(ctx: Context) -> str:
    c, suggestion = ctx.challenge, ctx.state.grade
    suggested = f"{suggestion.grade} on {suggestion.scale_label}" if suggestion else ""
    if c.grade:
        text = f"{c.grade} on {SCALES.get(c.grade_scale, c.grade_scale)}"
        if c.grade_suggested and c.grade_suggested != c.grade:
            text += f" (system suggested {c.grade_suggested})"
        return text
    return f"not confirmed (suggested: {suggested})" if suggested else "none recorded"
