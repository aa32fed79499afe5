"""The timed records of the challenge: doses, premedication and treatments, observations, vital signs and stop
alerts, each placed relative to the doses. Follows docs/clinical-sources.md §6.4 items 3, 6 and 7, §1.8 (placebo
doses and cumulative figures withheld until unblinding), §2.1 (diluted doses), §5.5 (premedication placed before its
step), §12 (who prepared and checked a dose) and §13.1 (a ladder's rungs of other foods)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from challenges.models import Decision, Dose, Route, Setting, TreatmentKind, VitalsKind
from challenges.reports.challenge_sections.context import Context
from challenges.reports.snapshot import AlertRow, DoseRow, ObservationRow, TreatmentRow, VitalsRow
from challenges.reports.text import DASH, blood_pressure, number, person, relative_to_doses
from clinical.checklist import ITEMS, SEVERITY_LABELS
from clinical.display import amount_text, mg_text, rounded_mg
from clinical.units import format_quantity

# Premedication taken up to this long before a dose is placed before that dose (antihistamines and cromolyn are
# taken 30-60 min before a step; a bound on placing a row, not a clinical number).
PREMEDICATION_REACH = timedelta(hours=12)


def treatments(ctx: Context, *, premedication: bool) -> tuple[TreatmentRow, ...]:
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


def _premedication_relative(moment: datetime, ctx: Context) -> str:
    """Premedication is taken for the step after it: "30 min before dose 2", never "71 h 30 min after dose 1"
    (R10). One taken after the last dose (or long before the next) is placed as any other record."""
    following = [(n, at) for n, at in ctx.dose_times if at >= moment]
    if following and following[0][1] - moment <= PREMEDICATION_REACH:
        return relative_to_doses(moment, following)
    return relative_to_doses(moment, ctx.dose_times)


def _blinded_or(blind: bool, dose: Dose, placebo: str, figure: str) -> str:
    if blind:
        return "blinded"
    return placebo if dose.is_placebo else figure


def doses(ctx: Context) -> list[DoseRow]:
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
        findings = tuple(finding(ctx, o) for o in line.findings if o.severity > 0)
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


def finding(ctx: Context, observation: object) -> str:
    return f"{ctx.clock(observation.observed_at)} {_item(observation.item_code)} {_severity(observation.severity)}"  # type: ignore[attr-defined]


def _item(code: str) -> str:
    item = ITEMS.get(code)
    return item.label if item else code


def _severity(value: int) -> str:
    return f"{value} ({SEVERITY_LABELS.get(value, '?')})"


def dose_note(ctx: Context) -> str:
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


def observations(ctx: Context) -> list[ObservationRow]:
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


def vitals(ctx: Context) -> list[VitalsRow]:
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


def alerts(ctx: Context) -> list[AlertRow]:
    rows = []
    for alert in ctx.challenge.alerts.all():
        decision = str(Decision(alert.decision).label) if alert.decision else "Open: awaiting the allergist's decision"
        decided = f"{person(alert.decided_by)}, {ctx.clock(alert.decided_at)}" if alert.decided_at else DASH
        hits = tuple(hit.get("message", hit.get("code", "")) for hit in alert.hits)
        rows.append(AlertRow(ctx.clock(alert.raised_at), hits, decision, alert.reason, decided))
    return rows
