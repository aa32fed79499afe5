"""CSV tables of challenges for audits and research: one row per dose, one row per observation.

Reads challenges with their rows prefetched (the view loads them in chunks) and yields the file line by line
(`stream_*`; the view streams it, so no whole-clinic table is held in memory): UTF-8 with a byte-order mark, so
Excel opens accented names correctly. Every column is described in docs/csv-data-dictionary.md; a test keeps
the two in step.

Rows entered in error are kept and flagged (an audit must see corrections). Cells that a spreadsheet would run as
a formula are defused with a leading apostrophe (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, tzinfo
from decimal import Decimal

from challenges.models import Challenge, Dose, Observation
from challenges.run import facts
from clinical.checklist import ITEMS, SEVERITY_LABELS
from clinical.food_lot import compare_label

# Spreadsheets treat a cell starting with one of these as a formula (OWASP CSV injection; tab and carriage return
# too, as some programs strip them and read what follows).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d")  # and the fullwidth equals sign
BLINDED = "blinded"  # placebo flag of a blinded challenge that is not yet unblinded

CHALLENGE_COLUMNS: tuple[str, ...] = (
    "challenge_id",
    "clinic",
    "patient_mrn",
    "patient_given_name",
    "patient_family_name",
    "food",
    "food_form",
    "protocol",
    "protocol_version",
    "protocol_kind",
    "setting",
    "challenge_status",
    "challenge_entered_in_error",
    "scheduled_at",
    "outcome",
    "grade_scale",
    "grade",
)
DOSE_COLUMNS: tuple[str, ...] = CHALLENGE_COLUMNS + (
    "dose_sequence",
    "step_number",
    "given_at",
    "placebo",
    "planned_protein_mg",
    "protein_mg",
    "planned_food_amount",
    "food_amount",
    "food_unit",
    "cumulative_protein_mg",
    "source",
    "given_by",
    "mix_volume_ml",
    "planned_mix_volume_ml",
    "mix_protein_mg_per_ml",
    "prepared_by",
    "checked_by",
    "food_brand",
    "food_lot",
    "food_expires_on",
    "label_protein_g_per_100",
    "protein_g_per_100_used",
    "early_override_reason",
    "notes",
    "entered_in_error",
    "entered_in_error_reason",
)
OBSERVATION_COLUMNS: tuple[str, ...] = CHALLENGE_COLUMNS + (
    "observed_at",
    "after_dose_sequence",
    "minutes_after_dose",
    "item_code",
    "item_label",
    "objective",
    "severity",
    "severity_label",
    "note",
    "source",
    "recorded_by",
    "entered_in_error",
    "entered_in_error_reason",
)


def stream_doses(challenges: Iterable[Challenge]) -> Iterator[bytes]:
    return stream_csv(DOSE_COLUMNS, (row for c in challenges for row in dose_rows(c)))


def stream_observations(challenges: Iterable[Challenge]) -> Iterator[bytes]:
    return stream_csv(OBSERVATION_COLUMNS, (row for c in challenges for row in observation_rows(c)))


def doses_csv(challenges: Iterable[Challenge]) -> bytes:
    return b"".join(stream_doses(challenges))


def observations_csv(challenges: Iterable[Challenge]) -> bytes:
    return b"".join(stream_observations(challenges))


class _Line:
    """A file-like sink for csv.writer that hands back each line it is given."""

    def write(self, line: str) -> str:
        return line


def stream_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> Iterator[bytes]:
    """The file one row at a time: the byte-order mark and header first, then each row as it is read."""
    # Every value quoted (RFC 4180 allows it): where a spreadsheet splits on ";" (continental Excel), an unquoted
    # "x;=cmd" would start a new cell with a live formula (security review L1).
    writer = csv.writer(_Line(), quoting=csv.QUOTE_ALL)
    yield ("\ufeff" + writer.writerow(header)).encode("utf-8")
    for row in rows:
        yield writer.writerow([escape_cell(cell) for cell in row]).encode("utf-8")


def render_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    return b"".join(stream_csv(header, rows))


def escape_cell(value: str) -> str:
    """A leading apostrophe on text a spreadsheet would run as a formula (also after leading spaces, which
    spreadsheets skip); every other value unchanged."""
    runs_as_formula = value.startswith(FORMULA_TRIGGERS) or value.lstrip(" \n").startswith(FORMULA_TRIGGERS)
    return f"'{value}" if runs_as_formula else value


def dose_rows(challenge: Challenge) -> Iterator[list[str]]:
    """One row per dose given, in order; the cumulative counts valid, non-placebo doses (as selectors do)."""
    shared, tz, hidden = _challenge_cells(challenge), challenge.clinic.tzinfo, _blinded(challenge)
    unit = challenge.protocol.food.amount_unit
    food = _food_cells(challenge)
    # A ladder's rung of another food (X4) is measured in that food's unit.
    units = {s.number: s.food.amount_unit for s in challenge.protocol.steps.all() if s.food is not None}
    steps_given = {slot.number: slot.step for slot in facts.blind_schedule(challenge)}  # a blinded dose's step
    total = Decimal(0)
    for dose in challenge.doses.all():
        if not dose.entered_in_error and not dose.is_placebo:
            total += dose.protein_mg
        cumulative = "" if dose.entered_in_error or hidden else _decimal(total)
        yield shared + [
            str(dose.sequence),
            str(dose.step_number),
            _time(dose.given_at, tz),
            _placebo(dose, hidden),
            # Blinded: no protein figures (a placebo holds none, which would give it away).
            BLINDED if hidden else _decimal(dose.planned_protein_mg),
            BLINDED if hidden else _decimal(dose.protein_mg),
            BLINDED if hidden else _decimal(dose.planned_food_amount),
            BLINDED if hidden else _decimal(dose.food_amount),
            # A ladder's rung of another food (X4) is measured in that food's unit.
            units.get(steps_given.get(dose.step_number, dose.step_number), unit),
            cumulative,
            dose.source,
            dose.given_by.display_name,
            _optional(dose.mix_volume_ml),
            _optional(dose.planned_mix_volume_ml),
            _optional(dose.mix_protein_mg_per_ml),
            dose.prepared_by.display_name if dose.prepared_by else "",
            dose.checked_by.display_name if dose.checked_by else "",
            *food,
            dose.early_override_reason,
            dose.notes,
            _yes_no(dose.entered_in_error),
            dose.entered_in_error_reason,
        ]


def observation_rows(challenge: Challenge) -> Iterator[list[str]]:
    """One row per checklist finding, with the valid dose it followed."""
    shared, tz = _challenge_cells(challenge), challenge.clinic.tzinfo
    doses = [d for d in challenge.doses.all() if not d.entered_in_error]
    for finding in challenge.observations.all():
        dose = _dose_before(doses, finding)
        item = ITEMS.get(finding.item_code)
        minutes = "" if dose is None else str(int((finding.observed_at - dose.given_at).total_seconds() // 60))
        yield shared + [
            _time(finding.observed_at, tz),
            str(dose.sequence) if dose else "",
            minutes,
            finding.item_code,
            item.label if item else "",
            _yes_no(item.objective) if item else "",
            str(finding.severity),
            SEVERITY_LABELS.get(finding.severity, ""),
            finding.note,
            finding.source,
            finding.recorded_by.display_name,
            _yes_no(finding.entered_in_error),
            finding.entered_in_error_reason,
        ]


def _challenge_cells(challenge: Challenge) -> list[str]:
    patient, protocol = challenge.patient, challenge.protocol
    return [
        str(challenge.pk),
        challenge.clinic.name,
        patient.mrn,
        patient.given_name,
        patient.family_name,
        protocol.food.name,
        protocol.food.form,
        protocol.name,
        str(protocol.version),
        protocol.kind,
        challenge.setting,
        challenge.status,
        _yes_no(challenge.entered_in_error),
        _time(challenge.scheduled_at, challenge.clinic.tzinfo),
        challenge.outcome,
        challenge.grade_scale,
        challenge.grade,
    ]


def _food_cells(challenge: Challenge) -> list[str]:
    """The pack of food used (the latest record not entered in error) and the protein figure the doses used."""
    lots = [lot for lot in challenge.food_lots.all() if not lot.entered_in_error]
    lot = max(lots, key=lambda row: (row.recorded_at, row.pk), default=None)
    food = challenge.protocol.food
    library = lot.library_protein_g_per_100 if lot else food.protein_g_per_100
    used = compare_label(
        library,
        lot.label_protein_g_per_100 if lot else None,
        allergen_g_per_100=food.allergen_protein_g_per_100,  # a composite food's doses keep its allergen's figure
    ).protein_g_per_100
    if lot is None:
        return ["", "", "", "", _decimal(used)]
    return [lot.brand, lot.lot, lot.expires_on.isoformat(), _optional(lot.label_protein_g_per_100), _decimal(used)]


def _optional(value: Decimal | None) -> str:
    return "" if value is None else _decimal(value)


def _dose_before(doses: Sequence[Dose], finding: Observation) -> Dose | None:
    earlier = [d for d in doses if d.given_at <= finding.observed_at]
    return earlier[-1] if earlier else None


def _blinded(challenge: Challenge) -> bool:
    return challenge.blinded and challenge.unblinded_at is None


def _placebo(dose: Dose, hidden: bool) -> str:
    return BLINDED if hidden else _yes_no(dose.is_placebo)


def _time(moment: datetime, tz: tzinfo) -> str:
    """ISO 8601 in the clinic's local time with its UTC offset, to the second."""
    return moment.astimezone(tz).isoformat(timespec="seconds")


def _decimal(value: Decimal) -> str:
    """Plain digits with a full stop, no exponent and no trailing zeros: 300.000 -> 300, 0.050 -> 0.05."""
    return format(value.normalize(), "f")


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"
