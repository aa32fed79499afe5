"""Snapshots of the two printable plans: the nurse's dose-preparation sheet and the patient's home plan."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal

from django.utils import timezone

from challenges.home import selectors as home_selectors
from challenges.models import Challenge, PremedicationItem, Route, Setting, Status
from challenges.reports import history
from challenges.reports.build_challenge import load
from challenges.reports.plain_words import EMERGENCY_SIGNS, SYMPTOMS
from challenges.reports.snapshot import (
    ChecklistRow,
    HomePlan,
    HomeStepRow,
    Line,
    PremedRow,
    PreparationSheet,
    PrepStepRow,
)
from challenges.reports.text import DASH, Clock, created, day, letterhead, patient_block, person, when
from challenges.run import facts, selectors
from clinical import home_plan as home_plan_rules
from clinical import premedication
from clinical.adrenaline import REPEAT_AFTER_MINUTES, adrenaline_dose_mg, dose_rule_text, emergency_text
from clinical.blinding import Slot
from clinical.checklist import ITEMS
from clinical.dates import format_day
from clinical.display import amount_text, mg_text
from clinical.durations import format_hours, format_minutes, plain_duration
from clinical.plan import StepLine, amount_to_give
from clinical.units import format_quantity

LOG_ROWS = 14  # blank lines in the home symptom log: about two a step for a typical 6-7 step plan


def step_times(start: datetime, plan: list[StepLine]) -> list[datetime]:
    """When each step is due: the scheduled start plus the waits after the steps before it (absolute time)."""
    times, offset = [], 0
    for line in plan:
        times.append(start + timedelta(minutes=offset))
        offset += line.interval_minutes
    return times


# --- dose-preparation sheet ---------------------------------------------------------------------------------


def _pack(state: selectors.RunState) -> str:
    """The pack recorded for the challenge (brand, lot, expiry), or a prompt to record it before the first dose."""
    lot = state.food_lot
    if lot is None:
        return "not recorded yet: record it on the challenge page before the first dose"
    return f"{lot.brand}, lot {lot.lot}, expires {format_day(lot.expires_on)}"


def preparation_sheet(challenge: Challenge, *, key: bool = False) -> PreparationSheet:
    """The nurse's sheet. Of a blinded challenge before unblinding, it lists the doses of the blinded schedule
    (numbers and times) and nothing that tells placebo from active (the preparer's key has that; `key` builds the
    active rows that key starts from)."""
    c = load(challenge)
    state = selectors.run_state(c)
    zone = c.clinic.tzinfo
    times = step_times(c.scheduled_at, state.plan)
    clock = Clock(zone, c.scheduled_at.astimezone(zone).date(), times)
    food = c.protocol.food
    ladder = len({line.food_label for line in state.plan}) > 1  # rungs of different foods (X4)
    details = (
        Line("Scheduled", when(c.scheduled_at, zone)),
        Line("Protocol", f"{c.protocol.name} (version {c.protocol.version})"),
        *history.food_lines(food)[:3],
        *((Line("Recipe", food.recipe),) if food.recipe else ()),  # a baked food is made to its recipe (R1)
        Line("Pack used", _pack(state)),
        Line("Protein figure used", state.label.note),
        Line("Supervising allergist", person(c.allergist)),
        Line("Nurse", person(c.nurse)),
    )
    steps = tuple(
        PrepStepRow(
            step=str(line.number),
            time=clock(at),
            protein=DASH if line.is_lip_smear else mg_text(line.protein_mg),
            food_amount=DASH if line.is_lip_smear else _prep_amount(line, ladder),
            measure=line.household_measure or DASH,
            instructions=line.instructions,
            cumulative=mg_text(line.cumulative_protein_mg),
            wait_after=line.interval_text if index < len(state.plan) - 1 else _after_last(c),
        )
        for index, (line, at) in enumerate(zip(state.plan, times, strict=True))
    )
    if not key and c.blind_order and c.unblinded_at is None:
        steps = _observer_rows(c, state)
    return PreparationSheet(
        title="Dose-preparation sheet",
        letterhead=letterhead(c.clinic),
        patient=patient_block(c.patient, clock.day_of),
        generated_at=when(timezone.now(), zone),
        created=created(timezone.now(), zone),
        details=details,
        steps=steps,
        premedication=tuple(
            _premed_row(item, times, clock, c.patient.age_on(clock.day_of)) for item in c.protocol.premedications.all()
        ),
        checklist=tuple(_checklist_row(code) for code in c.protocol.checklist_items if code in ITEMS),
        notes=_prep_notes(c, state),
    )


def blinded_key_sheet(challenge: Challenge) -> PreparationSheet:
    """The preparer's sheet of a blinded challenge (clinical review R8, X2): every dose in its blinded order with its
    time, which is placebo, how to make each dose (active or placebo) in the same vehicle, how the two are made
    alike, and boxes for the vehicle and placebo used and the second person's check. Raises ValueError for a
    challenge that is not blinded.

    Only for a preparer of blinded doses who is not one of the challenge's observers (challenges.access
    .prints_blinded_key); no other sheet prints the key."""
    c = load(challenge)
    if not c.blind_order:
        raise ValueError("Only a blinded challenge with placebo doses has a key.")
    sheet = preparation_sheet(c, key=True)
    state = selectors.run_state(c)
    lines = {line.number: line for line in state.plan}
    active = {int(row.step): row for row in sheet.steps}
    food = c.protocol.food.name.lower()
    rows = []
    for slot, time_text, wait in _blinded_doses(c, state):
        timed = dataclasses.replace(active[slot.step], time=time_text, wait_after=wait)
        rows.append(_key_row(timed, lines[slot.step], slot, food))
    return dataclasses.replace(
        sheet,
        title="Blinded dose key and placebo preparation (preparer only)",
        steps=tuple(rows),
        masking=_masking(c, food),
        write_ins=WRITE_INS,
        notes=(
            "Blinded key: keep this sheet away from the patient and the observers (the nurse and the allergist at "
            "the bedside) until the allergist has recorded the blinded verdict and unblinded. Label each cup with "
            "its dose number only.",
            *(note for note in sheet.notes if not note.startswith("Blinded challenge:")),
        ),
    )


def _blinded_doses(c: Challenge, state: selectors.RunState) -> list[tuple[Slot, str, str]]:
    """Each dose of the blinded schedule with its time and the wait after it (a placebo waits as its twin does)."""
    lines = {line.number: line for line in state.plan}
    schedule = facts.blind_schedule(c)
    zone = c.clinic.tzinfo
    times = step_times(c.scheduled_at, [lines[slot.step] for slot in schedule])
    clock = Clock(zone, c.scheduled_at.astimezone(zone).date(), times)
    last = len(schedule) - 1
    return [
        (slot, clock(at), lines[slot.step].interval_text if index < last else _after_last(c))
        for index, (slot, at) in enumerate(zip(schedule, times, strict=True))
    ]


def _observer_rows(c: Challenge, state: selectors.RunState) -> tuple[PrepStepRow, ...]:
    """The bedside sheet of a blinded challenge: every dose of the blinded schedule, none of what is in the cup."""
    given = "Give the cup labelled with this dose number, from the preparer. Record it as this dose."
    return tuple(
        PrepStepRow(str(slot.number), time_text, "blinded", "the cup", DASH, given, "blinded", wait)
        for slot, time_text, wait in _blinded_doses(c, state)
    )


def _key_row(twin: PrepStepRow, line: StepLine, slot: Slot, food: str) -> PrepStepRow:
    """One dose of the key: the active step as on the nurse's sheet, in the vehicle; or its placebo twin."""
    if not slot.placebo:
        instructions = f"{twin.instructions} {VEHICLE_STEP}"
        return dataclasses.replace(twin, step=f"{slot.number} (step {slot.step})", instructions=instructions)
    return dataclasses.replace(
        twin,
        step=f"{slot.number} PLACEBO",
        protein="none (placebo)",
        food_amount=_placebo_amount(line),
        instructions=_placebo_instructions(line, food),
        cumulative="placebo",
    )


# The vehicle (matrix) hides the food's taste, smell, look and texture, and the placebo is the same vehicle with a
# matched stand-in in place of the food (docs/clinical-sources.md §1.8: the same vehicle; matched vehicles tested by
# a sensory panel). Which vehicle and stand-in a clinic uses is its own recipe: the preparer writes them in.
VEHICLE_STEP = "Stir it into the vehicle."
STAND_IN = "the placebo stand-in"
WRITE_INS = (
    "Vehicle (matrix) used: product, lot, amount per cup",
    "Placebo stand-in used in place of the food: product, lot",
    "Vehicle and stand-in free of the patient's known triggers (initials)",
    "Active and placebo cups compared for look, smell and texture (initials, time)",
    "Second person checked every cup against this key (initials, time)",
)


def _placebo_amount(line: StepLine) -> str:
    """The Food column of a placebo dose: the same amount as its active twin, of the stand-in, never of the food."""
    preparation = line.preparation
    if preparation is not None and preparation.method == "dilution":
        stand_in = amount_text(preparation.food_amount, preparation.food_unit)
        water = amount_text(preparation.diluent_ml, "mL")
        return f"{amount_text(preparation.give_ml, 'mL')} of placebo mix ({stand_in} of stand-in in {water} of water)"
    return f"{amount_to_give(line)} of placebo stand-in"


def _placebo_instructions(line: StepLine, food: str) -> str:
    """How to make a placebo dose: its active twin's recipe with the stand-in in place of the food, in the vehicle."""
    preparation = line.preparation
    if preparation is not None and preparation.method == "dilution":
        stand_in = amount_text(preparation.food_amount, preparation.food_unit)
        water = amount_text(preparation.diluent_ml, "mL")
        give = amount_text(preparation.give_ml, "mL")
        recipe = (
            f"Mix {stand_in} of {STAND_IN} into {water} of water (a separate jug, never the active mix); stir well; "
            f"give {give} of the placebo mix."
        )
    elif preparation is not None:
        verb = "Measure" if preparation.method == "measure" else "Weigh"
        recipe = f"{verb} {amount_text(preparation.amount, preparation.unit)} of {STAND_IN}."
    else:
        recipe = f"Take {amount_to_give(line)} of {STAND_IN}."
    return f"Placebo, no {food}: {recipe} {VEHICLE_STEP} Same cup and look as the active dose of step {line.number}."


def _masking(c: Challenge, food: str) -> tuple[str, ...]:
    """How the preparer keeps active and placebo doses alike and the observers blind (docs/clinical-sources.md §1.8)."""
    triggers = sorted({t.substance for t in c.patient.triggers.all() if not t.entered_in_error})
    avoid = f" Keep the patient's known triggers out of both: {', '.join(triggers)}." if triggers else ""
    return (
        f"Every dose, active or placebo, goes into the same vehicle (matrix), in the same amount and the same kind "
        f"of cup: a vehicle that hides the taste, smell, colour and texture of {food}.{avoid}",
        f"Placebo doses use {STAND_IN}: a food matched to {food} in colour and texture that contains none of it, "
        "weighed or mixed exactly as the active dose it mirrors (the Food column gives the amount).",
        "Use separate spoons, scales and jugs for the placebo, or clean them between doses, so no placebo carries "
        f"any {food}.",
        "Prepare out of sight of the patient and the observers. Label each cup with its dose number only, nothing "
        "that tells active from placebo, and hand the cups over in dose-number order at the times above.",
        "The preparer does not observe or score the patient. A second person checks each cup against this key "
        "before it leaves the preparation area (Checked by column).",
    )


def _after_last(c: Challenge) -> str:
    if c.protocol.observation_minutes:
        return f"observe {format_minutes(c.protocol.observation_minutes)}"
    return f"watch {format_hours(c.protocol.watch_hours)}" if c.protocol.watch_hours else DASH


def _premed_row(item: PremedicationItem, times: list[datetime], clock: Clock, age_years: int) -> PremedRow:
    timing = history.item_timing(item)
    if times and not item.continue_regular and not item.before_each_step:
        timing += f" (at {clock(times[0] - timedelta(minutes=item.minutes_before))})"
    notes = item.notes + ("" if item.required else " Optional.")
    dose = history.premedication_dose(item, age_years)
    return PremedRow(item.drug, dose, str(Route(item.route).label), timing, notes.strip())


def _checklist_row(code: str) -> ChecklistRow:
    item = ITEMS[code]
    mild, moderate, severe = item.anchors
    return ChecklistRow(item.label, "objective" if item.objective else "subjective", mild, moderate, severe)


def _prep_notes(c: Challenge, state: selectors.RunState) -> tuple[str, ...]:
    notes = []
    if c.blinded and c.unblinded_at is None:
        notes.append(
            "Blinded challenge: which doses are placebo is not printed here. The preparer of the blinded doses "
            "has the key and the placebo recipe (the blinded key sheet) and hands over each cup labelled with its "
            "dose number only."
        )
    weight = c.patient.weight_kg
    if state.adrenaline_mg is not None and weight is not None:  # the dose is worked out from the weight
        notes.append(
            f"Emergency: {emergency_text(state.adrenaline_mg)} For {format_quantity(weight, 'kg')} "
            f"({dose_rule_text()}); auto-injector strength for this weight: {state.autoinjector}."
        )
    else:
        notes.append("Emergency: no weight recorded, so no adrenaline dose is printed; weigh the patient first.")
    notes += state.fpies_rescue
    if c.protocol.kind == "fpies" and not state.fpies_rescue:
        notes.append("FPIES rescue: no weight recorded, so no fluid or ondansetron dose is printed.")
    if state.stale_weight:
        notes.append(state.stale_weight)
    if c.protocol.notes:
        notes.append(f"Protocol notes: {c.protocol.notes}")
    return tuple(notes)


# --- home plan ----------------------------------------------------------------------------------------------


def home_plan(challenge: Challenge) -> HomePlan:
    """The patient's plan; raises ValueError for a challenge that is not a home plan."""
    c = load(challenge)
    if c.setting != Setting.HOME:
        raise ValueError("Only a home challenge has a home plan.")
    state = selectors.run_state(c)
    zone, food, protocol = c.clinic.tzinfo, c.protocol.food, c.protocol
    start = c.scheduled_at.astimezone(zone).date()
    lines = {line.number: line for line in state.plan}
    steps = tuple(_home_step(lines[row.number], row, zone) for row in home_selectors.projected_steps(c, zone=zone))
    watch = protocol.watch_hours
    return HomePlan(
        title=f"Your home plan: {food.name}",
        letterhead=letterhead(c.clinic),
        patient=patient_block(c.patient, start),
        generated_at=when(timezone.now(), zone),
        created=created(timezone.now(), zone),
        notice=_home_notice(c),
        intro=(
            f"This plan is for {c.patient.full_name}. It brings {food.name.lower()} ({food.form}) back into your "
            f"diet in {len(steps)} small steps, starting on {day(start)}.",
            "Eat the amount for each step on its date, one step at a time, and write down how you feel. "
            "Nothing else new in your diet while the plan runs.",
        ),
        steps=steps,
        premedication=tuple(_home_premed(item, c.patient.age_on(start)) for item in _premeds_first_to_take(protocol)),
        watch=_watch(watch),
        advice=home_selectors.plan_advice(c),
        symptoms=tuple(SYMPTOMS[code] for code in protocol.checklist_items if code in SYMPTOMS),
        stop=_stop(c),
        emergency=_emergency(c),
        contacts=_contacts(c),
        log_rows=LOG_ROWS,
    )


def _home_step(line: StepLine, row: home_plan_rules.ProjectedStep, zone: tzinfo) -> HomeStepRow:
    """A taking with its real date and time, a step to come with the date it is due (from the plan's progress), or
    no date at all while the plan is on hold (R11)."""
    step = f"{line.number} (again)" if row.repeat else str(line.number)
    if row.taken_at is not None:
        return HomeStepRow(step, day(row.taken_at, zone), _home_amount(line), f"taken {when(row.taken_at, zone)}")
    date = "on hold: no date" if row.on_hold else day(row.due_at, zone)
    return HomeStepRow(step, date, _home_amount(line), "")


def _home_notice(c: Challenge) -> str:
    """What the top of a plan that does not go ahead says, in capitals, before anything else (R11)."""
    phone = c.clinic.phone or "the clinic"
    if c.status == Status.PAUSED or (c.status in home_selectors.GOING_AHEAD and facts.open_alert(c) is not None):
        return f"PAUSED: do not take the next step until the clinic calls you ({phone})."
    if c.status in (Status.STOPPED, Status.CANCELLED):
        return f"STOPPED: this plan has ended. Do not take any more steps. Call the clinic on {phone} with questions."
    if c.status == Status.COMPLETED:
        return "COMPLETED: every step of this plan is done. Follow your clinic's advice on eating this food."
    return ""


def _home_amount(line: StepLine) -> str:
    """ "1/2 muffin (25 g) of Milk ladder muffin, …": every step names its food (a ladder's rungs differ, X4)."""
    grams = amount_text(line.food_amount, line.food_unit)
    amount = f"{line.household_measure} ({grams})" if line.household_measure else grams
    return f"{amount} of {line.food_label}" if line.food_label else amount


def _prep_amount(line: StepLine, ladder: bool) -> str:
    """What to give, never an unweighable amount (clinical.plan.amount_to_give, R8). A ladder's rung names its food
    on the preparation sheet; a one-food plan names it once, at the top."""
    amount = amount_to_give(line)
    return f"{amount} of {line.food_label}" if ladder and line.food_label else amount


def _home_premed(item: PremedicationItem, age_years: int) -> str:
    """Plain words; the protocol's notes are written for clinicians, so they stay on the preparation sheet."""
    planned = premedication.planned_dose(item.dose_rule, item.dose, age_years)
    if item.continue_regular:
        dose = "" if item.dose_rule or "usual" in item.dose.lower() else f" ({item.dose})"
        weeks = item.established_weeks
        plural = "" if weeks == 1 else "s"
        since = f" This plan is for someone who has taken it for at least {weeks} week{plural}." if weeks else ""
        return f"Keep taking your {item.drug}{dose} as usual. Do not stop it for this plan.{since}"
    if planned.clinician_decides:
        return f"Ask your clinic what dose of {item.drug} to take before you start."
    how = "by mouth" if item.route == Route.ORAL else str(Route(item.route).label)
    when_text = "each step" if item.before_each_step else "the first step"
    before = timedelta(minutes=item.minutes_before)
    wait = f"{plain_duration(before)} before" if before else "at the same time as"
    taking = f" {planned.how_to_take}" if planned.how_to_take else ""
    return f"Take {item.drug} {planned.text} {how}, {wait} {when_text}.{taking}"


def _premeds_first_to_take(protocol: object) -> list[PremedicationItem]:
    """Medicines to take for the plan first, then the usual ones to keep taking."""
    return sorted(protocol.premedications.all(), key=lambda item: item.continue_regular)  # type: ignore[attr-defined]


def _watch(hours: int) -> tuple[str, ...]:
    if not hours:
        return ("Watch for symptoms for the rest of the day after each step.",)
    watch = plain_duration(timedelta(hours=hours))
    return (
        f"After each step, watch for symptoms for {watch}: reactions to this food can come late.",
        f"Take the next step only on its date, and only if you have had no symptoms for {watch} since the last step.",
    )


def _stop(c: Challenge) -> tuple[str, ...]:
    phone = c.clinic.phone or "the clinic"
    return (
        "Stop the plan if you get any of the symptoms above after a step: do not take the next step.",
        f"Write the symptoms in the log below (or in the app) and call the clinic on {phone} before going on.",
        "If you are unwell for another reason (a cold, a fever, an asthma flare), wait and ask the clinic first.",
    )


def _emergency(c: Challenge) -> tuple[str, ...]:
    signs = "; ".join(EMERGENCY_SIGNS)
    dose = c.patient.autoinjector_dose
    if dose:
        act = (
            f"Use your adrenaline auto-injector ({format_quantity(Decimal(dose), 'mg')}) straight away, into "
            "the outer thigh, then call an ambulance on your local emergency number. Lie down (sit up if "
            f"breathing is hard). If you are no better after {REPEAT_AFTER_MINUTES} minutes, use a second "
            "auto-injector if you have one."
        )
    else:
        act = "Call an ambulance on your local emergency number straight away. Lie down (sit up if breathing is hard)."
    lines = [f"This is an emergency if you have any of: {signs}.", act]
    weight = c.patient.weight_kg
    if weight is not None:  # for the ambulance or hospital team, who draw up from an ampoule
        lines.append(
            f"For the ambulance or hospital team: weight {format_quantity(weight, 'kg')}. "
            f"{emergency_text(adrenaline_dose_mg(weight))}"
        )
    if c.patient.emergency_plan_notes:
        lines.append(f"Your own emergency plan: {c.patient.emergency_plan_notes}")
    return tuple(lines)


def _contacts(c: Challenge) -> tuple[Line, ...]:
    p = c.patient
    contact = " · ".join(part for part in (p.emergency_contact_name, p.emergency_contact_phone) if part) or DASH
    return (
        Line("Clinic", f"{c.clinic.name} · {c.clinic.phone or DASH}"),
        Line("Your allergist", person(c.allergist)),
        Line("Emergency contact", contact),
    )
