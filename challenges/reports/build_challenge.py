"""The challenge report snapshot (docs/clinical-sources.md §6.4), built from one challenge and its records in a fixed
number of queries. Figures come from selectors.report_state (clinical.outcome, clinical.grading), never recomputed
here."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from challenges.models import (
    Advice,
    AllergenGroup,
    Challenge,
    Decision,
    DischargeCondition,
    Dose,
    Food,
    Observation,
    Outcome,
    PreChallengeCheck,
    Route,
    Setting,
    Status,
    TreatmentKind,
    VitalsKind,
)
from challenges.reports import chart_data, history
from challenges.reports.snapshot import (
    AlertRow,
    ChallengeReport,
    CheckBlock,
    ConflictRow,
    DoseRow,
    Line,
    ObservationRow,
    ResultBlock,
    Signature,
    TreatmentRow,
    VitalsRow,
)
from challenges.reports.text import (
    DASH,
    Clock,
    blood_pressure,
    created,
    day,
    error_note,
    letterhead,
    number,
    patient_block,
    person,
    relative_to_doses,
    vitals_summary,
    when,
    yes_no,
)
from challenges.run import facts, selectors
from challenges.run.models import ChallengeEvent, ContinuationKind, EventKind
from clinical import outcome as outcome_rules
from clinical import risk_factors, washout
from clinical.adrenaline import emergency_text
from clinical.checklist import ITEMS, SEVERITY_LABELS
from clinical.dates import format_day as day_text
from clinical.display import amount_text, mg_text, rounded_mg
from clinical.durations import format_hours, format_minutes
from clinical.grading import SCALES
from clinical.kinds import KINDS
from clinical.units import format_quantity
from clinics.models import Role, User
from patients.models import Severity

UNSIGNED = "UNSIGNED DRAFT"
# Premedication taken up to this long before a dose is placed before that dose (antihistamines and cromolyn are
# taken 30-60 min before a step; a bound on placing a row, not a clinical number).
PREMEDICATION_REACH = timedelta(hours=12)
# Medication decisions that let a challenge go ahead on a drug that was not washed out or is a risk: deviations.
GOING_AHEAD_ANYWAY = frozenset({washout.OVERRIDDEN, washout.ACCEPT_LIMITATION, washout.PROCEED})


class Context:
    """What every section needs: the loaded challenge, its report state, the clinic's zone, names of people."""

    def __init__(self, challenge: Challenge) -> None:
        self.challenge = challenge
        self.names = history.people(challenge)  # first: the figures below read people the rows point at
        self.state = selectors.report_state(challenge)
        self.zone = challenge.clinic.tzinfo
        self.unit = challenge.protocol.food.amount_unit
        self.food_label = f"{challenge.protocol.food.name}, {challenge.protocol.food.form}"
        self.valid = [d for d in challenge.doses.all() if not d.entered_in_error]
        self.dose_times = [(d.sequence, d.given_at) for d in self.valid]
        moments = [d.given_at for d in challenge.doses.all()] + [o.observed_at for o in challenge.observations.all()]
        self.clock = Clock(self.zone, challenge.scheduled_at.astimezone(self.zone).date(), moments)
        self.show_placebo = not challenge.blinded or challenge.unblinded_at is not None

    def error(self, record: object) -> str:
        return error_note(record, self.zone, self.names)  # type: ignore[arg-type]


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
    ctx = Context(load_for_report(challenge))
    c, zone, names = ctx.challenge, ctx.zone, ctx.names
    food = c.protocol.food
    return ChallengeReport(
        title="Home reintroduction report" if c.setting == Setting.HOME else "Oral food challenge report",
        letterhead=letterhead(c.clinic),
        patient=patient_block(c.patient, ctx.clock.day_of),
        generated_at=when(signed_at or timezone.now(), zone),  # a signed report is made at its signature
        created=created(signed_at or timezone.now(), zone),
        reference=f"Challenge {c.pk}: {food.name}, {day(c.scheduled_at, zone)}",
        summary=_summary(ctx),
        indication=c.indication,
        conditions=tuple(c.patient.condition_labels()),
        risk_factors=_risk_factors(c),
        triggers=history.triggers(c.patient, zone, names),
        medications=history.medications(c.patient, zone, names),
        food=history.food_lines(food) + _food_used(ctx),
        protocol=_protocol(ctx),
        checks=tuple(_check(ctx, k) for k in c.checks.all()),
        check_override=_check_override(c),
        conflicts=_conflicts(ctx),
        planned_premedication=history.planned_premedication(c.protocol, c.patient.age_on(ctx.clock.day_of)),
        premedication=_treatments(ctx, premedication=True),
        baseline=_baseline(ctx),
        doses=tuple(_doses(ctx)),
        dose_note=_dose_note(ctx),
        observations=tuple(_observations(ctx)),
        vitals=tuple(_vitals(ctx)),
        chart=chart_data.vitals_chart(c),
        alerts=tuple(_alerts(ctx)),
        treatments=_treatments(ctx, premedication=False),
        result=_result(ctx),
        discharge=_discharge(ctx),
        follow_ups=history.follow_ups(c, zone, names),
        addenda=history.addenda(c, zone),
        deviations=tuple(_deviations(ctx)),
        signature=_signature(c, ctx, signed_by or c.signed_by, signed_at or c.signed_at),
        purpose=c.get_purpose_display() if c.purpose else "",
        diagnostics=history.diagnostics(c.patient, food),
        diagnostics_note=_diagnostics_note(food),
    )


def _diagnostics_note(food: Food) -> str:
    if food.allergen_group == AllergenGroup.OTHER:
        return "All current results of the patient (this food's allergen cannot be matched)."
    group = str(AllergenGroup(food.allergen_group).label).lower()
    return f"Results naming {food.name} or {group}, its components, and baseline tryptase."


def _food_used(ctx: Context) -> tuple[Line, ...]:
    """The pack used (brand, lot, expiry, label protein) and which protein figure the doses were worked out from."""
    lot, label = ctx.state.food_lot, ctx.state.label
    figure = Line("Protein figure used", _capital(label.note))
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


def _summary(ctx: Context) -> tuple[Line, ...]:
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


def _protocol(ctx: Context) -> tuple[Line, ...]:
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


def _check(ctx: Context, check: PreChallengeCheck) -> CheckBlock:
    items = tuple(
        Line(_capital(PreChallengeCheck.check_label(name)), yes_no(getattr(check, name)))
        for name in check.asked_fields()
    )
    if check.iv_access_ready is not None:
        items += (Line(_capital(PreChallengeCheck.check_label("iv_access_ready")), yes_no(check.iv_access_ready)),)
    baseline = (
        Line("Skin", check.baseline_skin or DASH),
        Line("Mouth/oropharynx", check.baseline_mouth or DASH),
        Line("Chest", check.baseline_chest or DASH),
    )
    recorded = f"{when(check.recorded_at, ctx.zone)} by {ctx.names.get(check.recorded_by_id, DASH)}"
    failed = tuple(_capital(item) for item in check.failed_items())
    return CheckBlock(recorded, items, failed, baseline, check.notes, check.entered_in_error, ctx.error(check))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _check_override(c: Challenge) -> str:
    if not c.checks_override_reason:
        return ""
    return f"Failed items overridden by {person(c.checks_override_by)}: {c.checks_override_reason}"


def _conflicts(ctx: Context) -> tuple[ConflictRow, ...]:
    """Each medication conflict with its status and, where one was recorded, the decision (who, when, why)."""
    return tuple(
        ConflictRow(r.status, r.conflict.medication, f"{r.conflict.message} {r.decision_text}".strip())
        for r in ctx.state.conflicts
    )


def _treatments(ctx: Context, *, premedication: bool) -> tuple[TreatmentRow, ...]:
    rows = []
    for t in ctx.challenge.treatments.all():
        if (t.kind == TreatmentKind.PREMEDICATION) != premedication:
            continue
        rows.append(
            TreatmentRow(
                time=ctx.clock(t.given_at),
                relative=_premedication_relative(t.given_at, ctx)
                if premedication
                else relative_to_doses(t.given_at, ctx.dose_times),
                kind=str(TreatmentKind(t.kind).label),
                drug=t.drug,
                dose=t.dose,
                route=str(Route(t.route).label),
                by=ctx.names.get(t.recorded_by_id, DASH),
                notes=t.notes,
                in_error=t.entered_in_error,
                error_note=ctx.error(t),
                site=t.site,
                response=t.response,
            )
        )
    return tuple(rows)


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


def _premedication_relative(moment: datetime, ctx: Context) -> str:
    """Premedication is taken for the step after it: "30 min before dose 2", never "71 h 30 min after dose 1"
    (R10). One taken after the last dose (or long before the next) is placed as any other record."""
    following = [(n, at) for n, at in ctx.dose_times if at >= moment]
    if following and following[0][1] - moment <= PREMEDICATION_REACH:
        return relative_to_doses(moment, following)
    return relative_to_doses(moment, ctx.dose_times)


def _baseline(ctx: Context) -> tuple[Line, ...]:
    baselines = [v for v in ctx.challenge.vitals.all() if v.kind == VitalsKind.BASELINE and not v.entered_in_error]
    if not baselines:
        return (Line("Vital signs", "not recorded"),)
    latest = baselines[-1]
    return (Line("Vital signs", f"{vitals_summary(latest)} ({ctx.clock(latest.taken_at)})"),)


def _blinded_or(blind: bool, dose: Dose, placebo: str, figure: str) -> str:
    if blind:
        return "blinded"
    return placebo if dose.is_placebo else figure


def _doses(ctx: Context) -> list[DoseRow]:
    rows, seen = [], set()
    blind = not ctx.show_placebo
    for line in ctx.state.doses:
        d = line.dose
        flags = []
        if ctx.show_placebo and d.is_placebo:
            flags.append("placebo")
        if not d.entered_in_error and not d.is_placebo:
            if d.step_number in seen:
                flags.append(f"repeat of step {d.step_number}")
            seen.add(d.step_number)
        if d.is_partial:
            flags.append("partial")
        if d.early_override_reason:
            flags.append("early (override)")
        if d.source == "patient":
            flags.append("patient-recorded")
        findings = tuple(_finding(ctx, o) for o in line.findings if o.severity > 0)
        # A ladder's rung of another food (X4) is counted in that food, and says which it was.
        unit, rung = line.food_unit, f" of {line.food_label}" if line.food_label != ctx.food_label else ""
        cumulative = "blinded" if blind else (DASH if d.entered_in_error else mg_text(line.cumulative_protein_mg))
        if ctx.challenge.setting == Setting.HOME:
            cumulative = "not summed (home)"  # steps days apart are not one dose (R10)
        rows.append(
            DoseRow(
                number=str(d.sequence),
                step=str(d.step_number),
                # Blinded: no protein figure (a placebo holds none, which would give it away); unblinded: a placebo
                # row says so and shows no protein eaten (review O6). A diluted dose counts what its mix delivered.
                planned_protein=_blinded_or(blind, d, "placebo", mg_text(d.planned_protein_mg)),
                # Amounts too: a placebo's twin has the same amount, so equal amounts would narrow the guess.
                planned_food="blinded" if blind else _planned_food(d, unit, rung),
                eaten="blinded" if blind else _eaten(d, unit, rung),
                protein_eaten=_blinded_or(
                    blind,
                    d,
                    "none (placebo)",
                    f"{mg_text(d.protein_mg)} delivered" if d.is_diluted else mg_text(d.protein_mg),
                ),
                time=ctx.clock(d.given_at),
                by=_people(d),
                cumulative=cumulative,
                findings=findings or ("none",),
                flags=tuple(flags),
                in_error=d.entered_in_error,
                error_note=ctx.error(d),
            )
        )
    return rows


def _planned_food(d: Dose, unit: str, rung: str) -> str:
    food = amount_text(d.planned_food_amount, unit) + rung
    return f"{amount_text(d.planned_mix_volume_ml, 'mL')} of mix ({food})" if d.is_diluted else food


def _eaten(d: Dose, unit: str, rung: str) -> str:
    """For a diluted dose, the volume of the mix given and its concentration; else the food eaten."""
    if not d.is_diluted:
        return amount_text(d.food_amount, unit) + rung
    concentration = format_quantity(rounded_mg(d.mix_protein_mg_per_ml or Decimal(0)), "mg/mL")
    return f"{amount_text(d.mix_volume_ml, 'mL')} of mix at {concentration}"


def _people(d: Dose) -> str:
    """Who gave the dose, who prepared it and who checked it (two-person check)."""
    checked = person(d.checked_by) if d.checked_by else "no second check"
    return f"{person(d.given_by)}\nPrepared by {person(d.prepared_by)}\nChecked by {checked}"


def _finding(ctx: Context, observation: object) -> str:
    return f"{ctx.clock(observation.observed_at)} {_item(observation.item_code)} {_severity(observation.severity)}"  # type: ignore[attr-defined]


def _item(code: str) -> str:
    item = ITEMS.get(code)
    return item.label if item else code


def _severity(value: int) -> str:
    return f"{value} ({SEVERITY_LABELS.get(value, '?')})"


def _dose_note(ctx: Context) -> str:
    notes = []
    if not ctx.show_placebo:
        notes.append(
            "Blinded challenge: placebo doses are not marked and cumulative figures are withheld until unblinding."
        )
    elif ctx.challenge.blinded:
        notes.append("Cumulative protein counts active doses only (placebo doses hold none).")
    if ctx.challenge.setting == Setting.HOME:
        notes.append("Home plan: the steps are days apart, so no cumulative dose is summed across them.")
    if any(d.is_diluted for d in ctx.valid):
        notes.append(
            "Diluted doses: the volume of the mix given and the protein it delivered (volume × the mix's "
            "concentration), not the target; the cumulative figures count what was delivered."
        )
    return " ".join(notes)


def _observations(ctx: Context) -> list[ObservationRow]:
    return [
        ObservationRow(
            time=ctx.clock(o.observed_at),
            after_dose=relative_to_doses(o.observed_at, ctx.dose_times),
            item=_item(o.item_code),
            severity=_severity(o.severity),
            note=o.note,
            by=person(o.recorded_by) + (" (patient)" if o.source == "patient" else ""),
            in_error=o.entered_in_error,
            error_note=ctx.error(o),
        )
        for o in ctx.challenge.observations.all()
    ]


def _vitals(ctx: Context) -> list[VitalsRow]:
    return [
        VitalsRow(
            time=ctx.clock(v.taken_at),
            kind=str(VitalsKind(v.kind).label),
            heart_rate=number(v.heart_rate),
            blood_pressure=blood_pressure(v.systolic, v.diastolic),
            resp_rate=number(v.resp_rate),
            spo2=number(v.spo2),
            temperature=number(v.temperature_c),
            pef=number(v.pef),
            by=person(v.recorded_by),
            in_error=v.entered_in_error,
            error_note=ctx.error(v),
        )
        for v in ctx.challenge.vitals.all()
    ]


def _alerts(ctx: Context) -> list[AlertRow]:
    rows = []
    for alert in ctx.challenge.alerts.all():
        decision = str(Decision(alert.decision).label) if alert.decision else "Open: awaiting the allergist's decision"
        decided = f"{person(alert.decided_by)}, {ctx.clock(alert.decided_at)}" if alert.decided_at else DASH
        hits = tuple(hit.get("message", hit.get("code", "")) for hit in alert.hits)
        rows.append(AlertRow(ctx.clock(alert.raised_at), hits, decision, alert.reason, decided))
    return rows


def _result(ctx: Context) -> ResultBlock:
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
    seen = [f"{_finding(ctx, o)} after dose {line.dose.sequence}" for line in active for o in symptoms(line)]
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


def _discharge(ctx: Context) -> tuple[Line, ...]:
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


def _deviations(ctx: Context) -> list[str]:
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
        out.append(_check_override(c))
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


def _signature(c: Challenge, ctx: Context, by: User | None, at: datetime | None) -> Signature:
    if by is None or at is None:
        return Signature(False, f"{UNSIGNED}: not yet signed by the supervising allergist ({person(c.allergist)}).")
    role = f", {Role(by.role).label}" if by.role in Role.values else ""  # the signer's role (R13)
    registration = f" ({by.registration_number})" if by.registration_number else ""
    return Signature(True, f"Signed by {person(by)}{role}{registration} on {when(at, ctx.zone)}")
