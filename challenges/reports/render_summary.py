"""The patient summary PDF (for a referral letter), drawn from a PatientSummary snapshot only."""

from __future__ import annotations

from reportlab.platypus import Flowable, Table

from challenges.reports.pdf.document import DocumentInfo, Page, build_pdf, frame_width
from challenges.reports.pdf.flowables import cell, p, rich, section
from challenges.reports.pdf.tables import Column, letterhead_block, table
from challenges.reports.render_challenge import medications_table, triggers_table
from challenges.reports.snapshot import PatientSummary, SummaryRow

GROUPS = (
    ("passed", "Foods passed (tolerated)"),
    ("failed", "Foods failed (not tolerated)"),
    ("inconclusive", "Inconclusive (equivocal or dose not reached)"),
    ("pending", "Pending"),
    ("not_done", "Not done"),
)


def render_patient_summary(summary: PatientSummary) -> bytes:
    page = Page(
        page_size=summary.letterhead.page_size,
        header_left=f"{summary.letterhead.clinic} · {summary.title}",
        header_right=f"{summary.patient.name} · MRN {summary.patient.mrn} · born {summary.patient.date_of_birth}",
        footer=f"Patient summary · generated {summary.generated_at}",
    )
    width = frame_width(page)
    story: list[Flowable] = [*letterhead_block(summary.letterhead, summary.title, summary.patient, width)]
    history: list[Flowable] = [rich([("b", "Conditions: "), ("", ", ".join(summary.conditions) or "none recorded")])]
    history.append(triggers_table(summary.triggers, width) if summary.triggers else p("No known triggers recorded."))
    medications = medications_table(summary.medications, width) if summary.medications else p("None recorded.")
    history += [p("Current medications", "h3"), medications]
    story += section("History", *history)
    for name, title in GROUPS:
        rows: tuple[SummaryRow, ...] = getattr(summary, name)
        story += section(title, _rows(rows, width) if rows else p("None."))
    return build_pdf(
        page,
        story,
        info=DocumentInfo(
            f"{summary.title}: {summary.patient.name}", summary.letterhead.clinic, summary.title, summary.created
        ),
    )


def _rows(rows: tuple[SummaryRow, ...], width: float) -> Table:
    columns = [
        Column("Date", 0.13),
        Column("Food", 0.17),
        Column("Protocol", 0.18),
        Column("Outcome", 0.12),
        Column("Figures", 0.27),
        Column("Signature", 0.13),
    ]
    body = [
        [
            cell(r.date, struck=r.in_error),
            cell(r.food, struck=r.in_error),
            cell(r.protocol, struck=r.in_error),
            cell(r.outcome, struck=r.in_error, style="head"),
            cell("\n".join(_figures(r)), struck=r.in_error, note=r.error_note),
            cell(r.signed, struck=r.in_error),
        ]
        for r in rows
    ]
    return table(columns, body, width)


def _figures(r: SummaryRow) -> list[str]:
    """The figures, then what happened and the advice, each on its own line of the cell (R12)."""
    return [
        r.detail,
        *([f"What happened: {r.reaction}"] if r.reaction else []),
        *([f"Advice: {r.advice}"] if r.advice else []),
    ]
