"""The dose-preparation sheet (nurse) and the home plan (patient), drawn from their snapshots only."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table

from challenges.reports.pdf.document import DocumentInfo, Page, build_pdf, frame_width
from challenges.reports.pdf.flowables import bullets, cell, p, plain, section
from challenges.reports.pdf.style import ALERT, RULE
from challenges.reports.pdf.tables import (
    Column,
    boxed,
    grid,
    label_values,
    letterhead_block,
    table,
    table_style,
    tick_box,
)
from challenges.reports.snapshot import HomePlan, PreparationSheet

LOG_ROW_HEIGHT = 9 * mm  # room to write by hand
HAND_FILLED_COLUMNS = 4  # the dose table's last columns: made by, checked by, amount given, time given


def render_preparation_sheet(sheet: PreparationSheet) -> bytes:
    page = Page(
        page_size=sheet.letterhead.page_size,
        header_left=f"{sheet.letterhead.clinic} · {sheet.title}",
        header_right=f"{sheet.patient.name} · MRN {sheet.patient.mrn} · born {sheet.patient.date_of_birth}",
        footer=f"{sheet.title} · generated {sheet.generated_at}",
    )
    width = frame_width(page)
    story: list[Flowable] = [*letterhead_block(sheet.letterhead, sheet.title, sheet.patient, width)]
    story.append(label_values(sheet.details, width))
    story += section("Doses: prepare, check and give", _steps(sheet, width))
    if sheet.masking:
        story += section("Vehicle, placebo and masking (preparer only)", *bullets(sheet.masking))
        story.append(_write_ins(sheet, width))
    story += section("Premedication", _premedication(sheet, width) if sheet.premedication else p("None planned."))
    story += section("Watch for (score each 0 absent, 1 mild, 2 moderate, 3 severe)", _checklist(sheet, width))
    story += section("Notes", *bullets(sheet.notes))
    return build_pdf(
        page,
        story,
        info=DocumentInfo(f"{sheet.title}: {sheet.patient.name}", sheet.letterhead.clinic, sheet.title, sheet.created),
    )


def _steps(sheet: PreparationSheet, width: float) -> Table:
    """Each dose with blank boxes filled in by hand as it happens: who prepared it, who checked it (the second
    person), and the amount and time actually given (clinical review R8)."""
    # The preparer's key names each dose ("2 PLACEBO", "3 (step 2)", "none (placebo)"): wider first columns, taken
    # from the recipe column, so no label runs into the next column.
    key = bool(sheet.masking)
    columns = [
        Column("Dose" if key else "Step", 0.085 if key else 0.045),
        Column("Time", 0.065),
        Column("Protein", 0.085 if key else 0.07),
        Column("Food to give", 0.09),
        Column("How to prepare", 0.195 if key else 0.25),
        Column("Cumulative", 0.08),
        Column("Wait after", 0.075),
        Column("Made by (initials)", 0.07),
        Column("Checked by (initials)", 0.07),
        Column("Amount given", 0.075),
        Column("Time given", 0.065),
    ]
    rows = [
        [
            cell(s.step) if key else plain(s.step),
            cell(s.time),
            cell(s.protein) if key else plain(s.protein),
            cell(s.food_amount),
            cell(s.instructions),
            cell(s.cumulative, style="head"),
            cell(s.wait_after),
            "",
            "",
            "",
            "",
        ]
        for s in sheet.steps
    ]
    steps = table(columns, rows, width)
    first_blank = len(columns) - HAND_FILLED_COLUMNS
    steps.setStyle(table_style([("GRID", (first_blank, 1), (-1, -1), 0.5, RULE)]))  # boxes to write in
    return steps


def _write_ins(sheet: PreparationSheet, width: float) -> Table:
    """What the preparer records by hand before the first dose: boxes to write in."""
    rows: list[list[Flowable | str]] = [[cell(label), ""] for label in sheet.write_ins]
    columns = [Column("Record before the first dose", 0.45), Column("Filled in by the preparer", 0.55)]
    boxes = table(columns, rows, width, row_height=LOG_ROW_HEIGHT)
    boxes.setStyle(table_style([("GRID", (1, 1), (-1, -1), 0.5, RULE)]))
    return boxes


def _premedication(sheet: PreparationSheet, width: float) -> Table:
    columns = [
        Column("Drug", 0.22),
        Column("Dose", 0.1),
        Column("Route", 0.09),
        Column("When", 0.22),
        Column("Notes", 0.21),
        Column("Given", 0.06),
        Column("Time / initials", 0.1),
    ]
    rows: list[list[Flowable | str]] = [
        [cell(m.drug), cell(m.dose), cell(m.route), cell(m.timing), cell(m.notes or "—"), tick_box(), ""]
        for m in sheet.premedication
    ]
    return table(columns, rows, width)


def _checklist(sheet: PreparationSheet, width: float) -> Table:
    columns = [
        Column("Finding", 0.2),
        Column("Kind", 0.1),
        Column("1 mild", 0.23),
        Column("2 moderate", 0.23),
        Column("3 severe", 0.24),
    ]
    rows = [[cell(c.item), cell(c.kind), cell(c.mild), cell(c.moderate), cell(c.severe)] for c in sheet.checklist]
    return table(columns, rows, width)


# --- home plan ----------------------------------------------------------------------------------------------


def render_home_plan(plan: HomePlan) -> bytes:
    page = Page(
        page_size=plan.letterhead.page_size,
        header_left=f"{plan.letterhead.clinic} · {plan.title}",
        header_right=plan.patient.name,
        footer=f"{plan.title} · printed {plan.generated_at}",
    )
    width = frame_width(page)
    story: list[Flowable] = [*letterhead_block(plan.letterhead, plan.title, plan.patient, width)]
    if plan.notice:
        story += [boxed([p(plan.notice, "alert_big")], width, border=ALERT), Spacer(1, 6)]
    story += [p(line, "big") for line in plan.intro]
    story += section("Your steps", _home_steps(plan, width))
    story += [Spacer(1, 8), _emergency(plan, width)]  # on page 1, next to the steps, where it is found first
    medicines = bullets(plan.premedication, "big_bullet") or [p("No extra medicines for this plan.", "big")]
    story += section("Your medicines", *medicines)
    story += section("Around each step", *bullets(plan.advice, "big_bullet"))
    story += section("After each step", *bullets(plan.watch, "big_bullet"))
    story += section("Symptoms to look out for", _two_columns(bullets(plan.symptoms, "big_bullet"), width))
    story += section("When to stop", *bullets(plan.stop, "big_bullet"))
    story += section("Who to call", label_values(plan.contacts, width))
    story += section("Symptom log", p("Write down anything you notice, even if it seems small."), _log(plan, width))
    return build_pdf(
        page,
        story,
        info=DocumentInfo(
            f"{plan.title}: {plan.patient.name}", plan.letterhead.clinic, "Home reintroduction plan", plan.created
        ),
    )


def _home_steps(plan: HomePlan, width: float) -> Table:
    columns = [
        Column("Step", 0.07),
        Column("Date", 0.2),
        Column("How much", 0.3),
        Column("Done", 0.07),
        Column("Time taken", 0.13),
        Column("Notes", 0.23),
    ]
    rows: list[list[Flowable | str]] = [
        [
            cell(s.step, style="big"),
            cell(s.date, style="big"),
            cell(s.amount, style="big"),
            tick_box(),
            "",
            cell(s.taken),
        ]
        for s in plan.steps
    ]
    return table(columns, rows, width)


def _emergency(plan: HomePlan, width: float) -> Flowable:
    return KeepTogether(
        [boxed([p("In an emergency", "alert_big"), *[p(line, "big") for line in plan.emergency]], width, border=ALERT)]
    )


def _two_columns(flowables: list[Flowable], width: float) -> Table:
    """A long list in two columns, row by row, so it can break across pages between rows."""
    rows = [flowables[i : i + 2] + [""] * (2 - len(flowables[i : i + 2])) for i in range(0, len(flowables), 2)]
    block = grid(rows, [width / 2, width / 2])
    block.setStyle(table_style([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return block


def _log(plan: HomePlan, width: float) -> Table:
    columns = [
        Column("Date and time", 0.16),
        Column("Step", 0.07),
        Column("What you noticed", 0.37),
        Column("How bad (mild, moderate, severe)", 0.17),
        Column("What you did", 0.23),
    ]
    return table(columns, [[""] * len(columns) for _row in range(plan.log_rows)], width, row_height=LOG_ROW_HEIGHT)
