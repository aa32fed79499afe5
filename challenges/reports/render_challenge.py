"""The challenge report PDF, drawn from a ChallengeReport snapshot only."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table

from challenges.reports.chart import GAP_NOTE, describe, vitals_drawing
from challenges.reports.pdf.document import DocumentInfo, Page, build_pdf, frame_width
from challenges.reports.pdf.flowables import bullets, cell, figure, p, plain, rich, section, time_cell
from challenges.reports.pdf.style import ACCENT, ALERT
from challenges.reports.pdf.tables import (
    Column,
    boxed,
    grid,
    label_values,
    letterhead_block,
    side_by_side,
    table,
    table_style,
)
from challenges.reports.snapshot import (
    ChallengeReport,
    CheckBlock,
    DoseRow,
    MedicationRow,
    ObservationRow,
    TreatmentRow,
    TriggerRow,
    VitalsRow,
)

WATERMARK_TEXT = "UNSIGNED DRAFT"
GAP = 6 * mm  # between side-by-side blocks
RESULT_FILL = colors.HexColor("#f3f6f9")
CHECKS_KEEP = 60 * mm  # the pre-challenge checklist block does not split: keep its heading with it


def render_challenge_report(report: ChallengeReport) -> bytes:
    page = Page(
        page_size=report.letterhead.page_size,
        header_left=f"{report.letterhead.clinic} · {report.title}",
        header_right=f"{report.patient.name} · MRN {report.patient.mrn} · born {report.patient.date_of_birth}",
        footer=f"{report.reference} · generated {report.generated_at}"
        + ("" if report.signature.signed else f" · {WATERMARK_TEXT}"),
        watermark="" if report.signature.signed else WATERMARK_TEXT,
    )
    info = DocumentInfo(
        f"{report.title}: {report.patient.name}", report.letterhead.clinic, report.title, report.created
    )
    return build_pdf(page, _story(report, frame_width(page)), info=info)


def _story(r: ChallengeReport, width: float) -> list[Flowable]:
    half = len(r.summary) // 2
    story: list[Flowable] = [*letterhead_block(r.letterhead, r.title, r.patient, width)]
    story += [
        p(r.reference, "h3"),
        side_by_side(
            label_values(r.summary[:half], (width - GAP) / 2),
            label_values(r.summary[half:], (width - GAP) / 2),
            width,
            GAP,
        ),
    ]
    story += [Spacer(1, 6), _result(r, width)]
    story += _purpose_and_diagnostics(r, width)
    story += _history(r, width)
    story += section(
        "Food and protocol",
        side_by_side(label_values(r.food, (width - GAP) / 2), label_values(r.protocol, (width - GAP) / 2), width, GAP),
    )
    story += _before_first_dose(r, width)
    story += section("Doses given", *_doses(r, width))
    timeline = _observations(r.observations, width) if r.observations else p("No findings recorded.")
    story += section("Observation timeline", timeline)
    story += _vitals(r, width)
    story += section("Stop rules met and decisions", _alerts(r, width) if r.alerts else p("No stop rule was met."))
    story += section("Treatment given", _treatments(r.treatments, width) if r.treatments else p("None."))
    story += section("Observation and discharge", label_values(r.discharge, width))
    story += _follow_up(r, width)
    story += section("Deviations from protocol", *(bullets(r.deviations) if r.deviations else [p("None recorded.")]))
    story += [Spacer(1, 8), _signature(r, width)]
    return story


def _result(r: ChallengeReport, width: float) -> Flowable:
    """The result at a glance, on page 1: outcome, eliciting and tolerated doses, grade (docs/clinical-sources.md
    §6.4 items 7-8)."""
    inner = width - 12
    parts: list[Flowable] = [p("Result", "h2"), label_values(r.result.lines, inner)]
    if r.result.withheld:
        parts.append(p(r.result.withheld, "alert"))
    if r.result.grade_reasons:
        parts.append(p(f"Grade suggested from: {'; '.join(r.result.grade_reasons)}", "small"))
    return boxed(parts, width, fill=RESULT_FILL)


def _purpose_and_diagnostics(r: ChallengeReport, width: float) -> list[Flowable]:
    """Why the challenge is done and the allergy test results that bear on it, newest first (R7). Values only, with
    units and dates: the report does not interpret them."""
    flowables: list[Flowable] = [rich([("b", "Purpose: "), ("", r.purpose or "not recorded")])]
    if r.diagnostics:
        columns = [Column("Date taken", 0.18), Column("Test", 0.32), Column("Allergen or component", 0.3)]
        columns.append(Column("Value", 0.2))
        rows = [[cell(d.taken_on), cell(d.test), cell(d.subject or "—"), cell(d.value)] for d in r.diagnostics]
        flowables.append(table(columns, rows, width))
    else:
        flowables.append(p("No allergy test results recorded for this food."))
    if r.diagnostics_note:
        flowables.append(p(r.diagnostics_note, "small"))
    return section("Purpose and diagnostics", *flowables)


def _history(r: ChallengeReport, width: float) -> list[Flowable]:
    flowables: list[Flowable] = [rich([("b", "Indication: "), ("", r.indication or "—")])]
    flowables.append(rich([("b", "Conditions: "), ("", ", ".join(r.conditions) or "none recorded")]))
    if r.risk_factors:
        flowables.append(rich([("b", "Risk factors for a severe reaction: "), ("", r.risk_factors)]))
    flowables.append(triggers_table(r.triggers, width) if r.triggers else p("No known triggers recorded."))
    flowables.append(p("Current medications", "h3"))
    flowables.append(medications_table(r.medications, width) if r.medications else p("None recorded."))
    return section("Indication and history", *flowables)


def triggers_table(rows: tuple[TriggerRow, ...], width: float) -> Table:
    columns = [
        Column("Known trigger", 0.2),
        Column("Type", 0.14),
        Column("Worst reaction", 0.16),
        Column("Last reaction", 0.16),
        Column("Notes", 0.34),
    ]
    body = [
        [
            cell(t.substance, struck=t.in_error),
            cell(t.reaction_type, struck=t.in_error),
            cell(t.worst, struck=t.in_error),
            cell(t.last, struck=t.in_error),
            cell(t.notes, struck=t.in_error, note=t.error_note),
        ]
        for t in rows
    ]
    return table(columns, body, width)


def medications_table(rows: tuple[MedicationRow, ...], width: float) -> Table:
    columns = [Column("Medication", 0.28), Column("Dose", 0.14), Column("Schedule", 0.3), Column("Class", 0.28)]
    body = [
        [
            cell(m.name, struck=m.in_error),
            cell(m.dose, struck=m.in_error),
            cell(m.schedule, struck=m.in_error),
            cell(m.med_class, struck=m.in_error, note=m.error_note),
        ]
        for m in rows
    ]
    return table(columns, body, width)


def _before_first_dose(r: ChallengeReport, width: float) -> list[Flowable]:
    flowables: list[Flowable] = []
    for check in r.checks:
        flowables += _check(check, width)
    if not r.checks:
        flowables.append(p("No pre-challenge checklist recorded."))
    if r.check_override:
        flowables.append(p(r.check_override, "alert"))
    flowables.append(p("Medication check (wash-out and risk review)", "h3"))
    if r.conflicts:
        columns = [Column("Status", 0.16), Column("Medication", 0.24), Column("Problem and decision", 0.6)]
        rows = [[cell(c.severity), cell(c.medication), cell(c.message)] for c in r.conflicts]
        flowables.append(table(columns, rows, width))
    else:
        flowables.append(p("No medication conflicts with the patient's current medications."))
    flowables.append(p("Premedication", "h3"))
    flowables += bullets([f"Planned: {line}" for line in r.planned_premedication]) or [p("None planned.")]
    taken = _treatments(r.premedication, width) if r.premedication else p("No premedication recorded as taken.")
    flowables.append(taken)
    flowables.append(p("Baseline", "h3"))
    flowables.append(label_values(r.baseline, width))
    return section("Before the first dose", *flowables, keep=CHECKS_KEEP)


def _check(check: CheckBlock, width: float) -> list[Flowable]:
    title = f"Pre-challenge checklist, {check.recorded}"
    items = [cell(f"{line.label}: {line.value}", struck=check.in_error) for line in check.items]
    pairs = [items[i : i + 2] + [""] * (2 - len(items[i : i + 2])) for i in range(0, len(items), 2)]
    items_grid = grid(pairs, [width / 2, width / 2])
    items_grid.setStyle(
        table_style(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
            ]
        )
    )
    out: list[Flowable] = [p(title, "h3"), items_grid]
    if check.failed:
        out.append(p(f"Not passed: {', '.join(check.failed)}", "alert"))
    out.append(label_values([*check.baseline], width))
    if check.notes:
        out.append(rich([("b", "Notes: "), ("", check.notes)]))
    if check.in_error:
        out.append(cell(check.error_note, style="body"))
    return [KeepTogether(out)]


def _doses(r: ChallengeReport, width: float) -> list[Flowable]:
    if not r.doses:
        return [p("No dose given.")]
    columns = [
        Column("Dose", 0.05),
        Column("Step", 0.05),
        Column("Planned protein", 0.09),
        Column("Planned food", 0.095),
        Column("Eaten or given", 0.1),
        Column("Protein eaten", 0.09),
        Column("Time", 0.07),
        Column("Given, prepared, checked by", 0.14),
        Column("Cumulative protein", 0.1),
        Column("Findings at this step", 0.21),
    ]
    out: list[Flowable] = [table(columns, [_dose(d) for d in r.doses], width)]
    if r.dose_note:
        out.append(p(r.dose_note, "small"))
    return out


def _dose(d: DoseRow) -> list[Flowable | str]:
    s = d.in_error
    findings = "\n".join(d.findings)
    if d.flags:
        findings = f"[{'; '.join(d.flags)}]\n{findings}"
    return [
        plain(d.number, struck=s),
        plain(d.step, struck=s),
        plain(d.planned_protein, struck=s),
        cell(d.planned_food, struck=s),
        cell(d.eaten, struck=s),
        cell(d.protein_eaten, struck=s),
        time_cell(d.time, struck=s),
        cell(d.by, struck=s),
        cell(d.cumulative, struck=s, style="head"),
        cell(findings, struck=s, note=d.error_note),
    ]


def _observations(rows: tuple[ObservationRow, ...], width: float) -> Table:
    columns = [
        Column("Time", 0.07),
        Column("After", 0.175),
        Column("Finding", 0.19),
        Column("Severity", 0.11),
        Column("Note", 0.305),
        Column("Recorded by", 0.15),
    ]
    body = [
        [
            time_cell(o.time, struck=o.in_error),
            cell(o.after_dose, struck=o.in_error),
            cell(o.item, struck=o.in_error),
            plain(o.severity, struck=o.in_error),
            cell(o.note, struck=o.in_error, note=o.error_note),
            cell(o.by, struck=o.in_error),
        ]
        for o in rows
    ]
    return table(columns, body, width)


def _vitals(r: ChallengeReport, width: float) -> list[Flowable]:
    if not r.vitals:
        return section("Vital signs", p("No vital signs recorded."))
    if r.chart is None:
        return section("Vital signs", _vitals_table(r.vitals, width))
    chart = vitals_drawing(r.chart, width)
    caption = p(GAP_NOTE, "small")
    drawn = figure(chart, describe(r.chart))
    return section("Vital signs", drawn, caption, _vitals_table(r.vitals, width), keep=chart.height + 16 * mm)


def _vitals_table(rows: tuple[VitalsRow, ...], width: float) -> Table:
    columns = [
        Column("Time", 0.08),
        Column("Kind", 0.09),
        Column("HR (/min)", 0.08),
        Column("BP (mmHg)", 0.1),
        Column("RR (/min)", 0.08),
        Column("SpO₂ (%)", 0.08),
        Column("Temp (°C)", 0.08),
        Column("PEF (L/min)", 0.09),
        Column("Recorded by", 0.32),
    ]
    body = [
        [
            time_cell(v.time, struck=v.in_error),
            plain(v.kind, struck=v.in_error),
            plain(v.heart_rate, struck=v.in_error),
            plain(v.blood_pressure, struck=v.in_error),
            plain(v.resp_rate, struck=v.in_error),
            plain(v.spo2, struck=v.in_error),
            plain(v.temperature, struck=v.in_error),
            plain(v.pef, struck=v.in_error),
            cell(v.by, struck=v.in_error, note=v.error_note),
        ]
        for v in rows
    ]
    return table(columns, body, width)


def _alerts(r: ChallengeReport, width: float) -> Table:
    columns = [
        Column("Raised", 0.08),
        Column("Stop rule met", 0.34),
        Column("Decision", 0.18),
        Column("Reason", 0.24),
        Column("Decided by", 0.16),
    ]
    rows = [
        [time_cell(a.raised), cell("\n".join(a.hits)), cell(a.decision), cell(a.reason or "—"), cell(a.decided)]
        for a in r.alerts
    ]
    return table(columns, rows, width)


def _treatments(rows: tuple[TreatmentRow, ...], width: float) -> Table:
    columns = [
        Column("Time", 0.07),
        Column("When", 0.13),
        Column("Kind", 0.135),
        Column("Drug", 0.15),
        Column("Dose", 0.115),
        Column("Route, site", 0.14),
        Column("Recorded by", 0.1),
        Column("Notes, response", 0.16),
    ]
    body = [
        [
            time_cell(t.time, struck=t.in_error),
            cell(t.relative, struck=t.in_error),
            cell(t.kind, struck=t.in_error),
            cell(t.drug, struck=t.in_error),
            cell(t.dose, struck=t.in_error),
            cell(f"{t.route}, {t.site}" if t.site else t.route, struck=t.in_error),
            cell(t.by, struck=t.in_error),
            cell(
                " ".join(part for part in (f"Response: {t.response}." if t.response else "", t.notes) if part),
                struck=t.in_error,
                note=t.error_note,
            ),
        ]
        for t in rows
    ]
    return table(columns, body, width)


def _follow_up(r: ChallengeReport, width: float) -> list[Flowable]:
    flowables: list[Flowable] = []
    if r.follow_ups:
        columns = [
            Column("Due", 0.2),
            Column("After last dose", 0.1),
            Column("Done", 0.22),
            Column("How", 0.1),
            Column("New symptoms", 0.1),
            Column("Findings", 0.28),
        ]
        body = [
            [
                cell(f.due, struck=f.in_error),
                cell(f.after, struck=f.in_error),
                cell(f.done, struck=f.in_error),
                cell(f.method, struck=f.in_error),
                cell(f.symptoms, struck=f.in_error),
                cell(f.findings or "—", struck=f.in_error, note=f.error_note),
            ]
            for f in r.follow_ups
        ]
        flowables.append(table(columns, body, width))
    for note in r.addenda:
        flowables.append(rich([("b", f"Addendum, {note.at}, {note.by}: "), ("", note.text)]))
    if not flowables:
        flowables.append(p("No follow-up recorded."))
    return section("Follow-up", *flowables)


def _signature(r: ChallengeReport, width: float) -> Flowable:
    text = p(r.signature.text, "big" if r.signature.signed else "alert")
    box = boxed(
        [text, p(f"Report generated {r.generated_at}", "small")], width, border=ACCENT if r.signature.signed else ALERT
    )
    return KeepTogether([p("Signature", "h2"), box])
