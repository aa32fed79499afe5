"""Frozen snapshots of what each report shows: plain text, every figure already formatted with its unit.

The renderers read only these. A snapshot survives a JSON round trip (snapshot_to_dict / snapshot_from_dict), so a
signed challenge keeps the data its PDF was made from and the same PDF can be made again. The builders that read the
database live beside this module (build_challenge.py, build_sheets.py, build_summary.py).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any

SCHEMA = 1


@dataclass(frozen=True)
class Line:
    """A label and its value: "Protein content" / "22.21 g per 100 g"."""

    label: str
    value: str


@dataclass(frozen=True)
class Letterhead:
    clinic: str
    address: tuple[str, ...]
    phone: str
    page_size: str  # "A4" or "letter" (Clinic.report_page_size)


@dataclass(frozen=True)
class PatientBlock:
    name: str
    date_of_birth: str
    mrn: str
    age: str
    sex: str
    weight: str


# --- challenge report ---------------------------------------------------------------------------------------
# Rows of records that can be entered in error carry `in_error` and `error_note`: the renderer strikes them through
# and prints the note, so nothing is silently dropped.


@dataclass(frozen=True)
class TriggerRow:
    substance: str
    reaction_type: str
    worst: str
    last: str
    notes: str
    in_error: bool = False
    error_note: str = ""


@dataclass(frozen=True)
class DiagnosticRow:
    """An allergy test result as the report prints it: value with its unit, the day taken (R7)."""

    taken_on: str
    test: str
    subject: str
    value: str


@dataclass(frozen=True)
class MedicationRow:
    name: str
    dose: str
    schedule: str
    med_class: str
    in_error: bool = False
    error_note: str = ""


@dataclass(frozen=True)
class CheckBlock:
    recorded: str
    items: tuple[Line, ...]  # value "Yes" or "No"
    failed: tuple[str, ...]
    baseline: tuple[Line, ...]  # skin, mouth, chest
    notes: str
    in_error: bool = False
    error_note: str = ""


@dataclass(frozen=True)
class ConflictRow:
    severity: str
    medication: str
    message: str


@dataclass(frozen=True)
class TreatmentRow:
    time: str
    relative: str  # "30 min before dose 1"
    kind: str
    drug: str
    dose: str
    route: str
    by: str
    notes: str
    in_error: bool = False
    error_note: str = ""
    site: str = ""  # e.g. anterolateral thigh (IM adrenaline)
    response: str = ""


@dataclass(frozen=True)
class DoseRow:
    number: str
    step: str
    planned_protein: str
    planned_food: str
    eaten: str
    protein_eaten: str
    time: str
    by: str
    cumulative: str
    findings: tuple[str, ...]
    flags: tuple[str, ...]  # "placebo", "early (override)", "partial", "repeat of step 3"
    in_error: bool = False
    error_note: str = ""


@dataclass(frozen=True)
class ObservationRow:
    time: str
    after_dose: str  # "+10 min after dose 5"
    item: str
    severity: str
    note: str
    by: str
    in_error: bool = False
    error_note: str = ""


@dataclass(frozen=True)
class VitalsRow:
    time: str
    kind: str
    heart_rate: str
    blood_pressure: str
    resp_rate: str
    spo2: str
    temperature: str
    pef: str
    by: str
    in_error: bool = False
    error_note: str = ""


@dataclass(frozen=True)
class Point:
    """A plotted reading: minutes from the first dose (negative before it) and the value in the series' unit."""

    minute: int
    value: int


@dataclass(frozen=True)
class ChartSeries:
    name: str
    unit: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class DoseMark:
    minute: int
    label: str


@dataclass(frozen=True)
class VitalsChart:
    """Chart coordinates (raw numbers: the renderer draws them, it prints none but axis ticks)."""

    circulation: tuple[ChartSeries, ...]  # heart rate, systolic, diastolic
    oxygen: tuple[ChartSeries, ...]  # SpO2
    doses: tuple[DoseMark, ...]
    x_label: str


@dataclass(frozen=True)
class AlertRow:
    raised: str
    hits: tuple[str, ...]
    decision: str
    reason: str
    decided: str


@dataclass(frozen=True)
class ResultBlock:
    lines: tuple[Line, ...]  # outcome, eliciting dose, highest tolerated dose, ...
    grade_reasons: tuple[str, ...]
    withheld: str  # why the figures are not shown (a blinded challenge before unblinding), or ""


@dataclass(frozen=True)
class FollowUpRow:
    due: str
    after: str
    done: str
    method: str
    symptoms: str
    findings: str
    in_error: bool = False
    error_note: str = ""


@dataclass(frozen=True)
class NoteRow:
    at: str
    by: str
    text: str


@dataclass(frozen=True)
class Signature:
    signed: bool
    text: str  # "Signed by Dr A Okafor on Thu 26 Nov 2026 12:00" or "UNSIGNED DRAFT ..."


@dataclass(frozen=True)
class ChallengeReport:
    title: str
    letterhead: Letterhead
    patient: PatientBlock
    generated_at: str
    reference: str
    summary: tuple[Line, ...]  # date, status, allergist, nurse
    indication: str
    conditions: tuple[str, ...]
    triggers: tuple[TriggerRow, ...]
    medications: tuple[MedicationRow, ...]
    food: tuple[Line, ...]
    protocol: tuple[Line, ...]
    checks: tuple[CheckBlock, ...]
    check_override: str
    conflicts: tuple[ConflictRow, ...]
    planned_premedication: tuple[str, ...]
    premedication: tuple[TreatmentRow, ...]
    baseline: tuple[Line, ...]
    doses: tuple[DoseRow, ...]
    dose_note: str
    observations: tuple[ObservationRow, ...]
    vitals: tuple[VitalsRow, ...]
    chart: VitalsChart | None
    alerts: tuple[AlertRow, ...]
    treatments: tuple[TreatmentRow, ...]
    result: ResultBlock
    discharge: tuple[Line, ...]
    follow_ups: tuple[FollowUpRow, ...]
    addenda: tuple[NoteRow, ...]
    deviations: tuple[str, ...]
    signature: Signature
    risk_factors: str = ""  # asthma, mastocytosis, previous anaphylaxis, beta-blocker, ACE inhibitor (R7)
    created: str = ""  # ISO 8601: when it was made (the signature's time for a signed copy), the PDF's date
    purpose: str = ""  # why the challenge is done (R7); "" on challenges booked before it was asked
    diagnostics: tuple[DiagnosticRow, ...] = ()  # the patient's results for this food and tryptase, newest first
    diagnostics_note: str = ""  # which results were chosen


# --- dose-preparation sheet ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrepStepRow:
    step: str
    time: str
    protein: str
    food_amount: str
    measure: str
    instructions: str
    cumulative: str
    wait_after: str


@dataclass(frozen=True)
class PremedRow:
    drug: str
    dose: str
    route: str
    timing: str
    notes: str


@dataclass(frozen=True)
class ChecklistRow:
    item: str
    kind: str  # "objective" / "subjective"
    mild: str
    moderate: str
    severe: str


@dataclass(frozen=True)
class PreparationSheet:
    title: str
    letterhead: Letterhead
    patient: PatientBlock
    generated_at: str
    details: tuple[Line, ...]
    steps: tuple[PrepStepRow, ...]
    premedication: tuple[PremedRow, ...]
    checklist: tuple[ChecklistRow, ...]
    notes: tuple[str, ...]
    created: str = ""  # ISO 8601, the PDF's creation date
    # The preparer's key sheet of a blinded challenge only (build_sheets.blinded_key_sheet): how active and placebo
    # doses are made alike, and lines the preparer fills in by hand (the vehicle and placebo used, the checks).
    masking: tuple[str, ...] = ()
    write_ins: tuple[str, ...] = ()


# --- home plan (patient-facing) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeStepRow:
    step: str
    date: str
    amount: str  # "1/16 serving (6.25 g)"
    taken: str  # filled in from the record when the step was taken, else ""


@dataclass(frozen=True)
class HomePlan:
    title: str
    letterhead: Letterhead
    patient: PatientBlock
    generated_at: str
    intro: tuple[str, ...]
    steps: tuple[HomeStepRow, ...]
    premedication: tuple[str, ...]
    watch: tuple[str, ...]
    advice: tuple[str, ...]  # around each step: supervised first step, adult present, cofactors, maintenance
    symptoms: tuple[str, ...]
    stop: tuple[str, ...]
    emergency: tuple[str, ...]
    contacts: tuple[Line, ...]
    log_rows: int
    created: str = ""  # ISO 8601, the PDF's creation date
    notice: str = ""  # "PAUSED: do not take the next step ..." at the top of a plan that does not go ahead (R11)


# --- patient summary ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryRow:
    date: str
    food: str
    protocol: str
    outcome: str
    detail: str  # eliciting dose and grade, or the highest dose tolerated, or the status
    signed: str
    in_error: bool = False
    error_note: str = ""
    reaction: str = ""  # what happened: symptoms, treatment, anaphylaxis (R12)
    advice: str = ""  # the advice given, with the form-specific advice of a pass (R12)


@dataclass(frozen=True)
class PatientSummary:
    title: str
    letterhead: Letterhead
    patient: PatientBlock
    generated_at: str
    conditions: tuple[str, ...]
    triggers: tuple[TriggerRow, ...]
    medications: tuple[MedicationRow, ...]
    passed: tuple[SummaryRow, ...]
    failed: tuple[SummaryRow, ...]
    inconclusive: tuple[SummaryRow, ...]
    pending: tuple[SummaryRow, ...]
    not_done: tuple[SummaryRow, ...]
    created: str = ""  # ISO 8601, the PDF's creation date


Snapshot = ChallengeReport | PreparationSheet | HomePlan | PatientSummary

_KINDS: dict[str, type] = {
    "challenge_report": ChallengeReport,
    "preparation_sheet": PreparationSheet,
    "home_plan": HomePlan,
    "patient_summary": PatientSummary,
}


def snapshot_to_dict(snapshot: Snapshot) -> dict[str, Any]:
    """A JSON-serialisable dict (only str, bool, int, None, lists and dicts) that snapshot_from_dict reverses."""
    kind = next(name for name, cls in _KINDS.items() if isinstance(snapshot, cls))
    return {"report": kind, "schema": SCHEMA, "data": plain_amount(snapshot)}


def snapshot_from_dict(data: dict[str, Any]) -> Snapshot:
    """The snapshot a dict from snapshot_to_dict describes (e.g. Challenge.signed_snapshot)."""
    if data.get("schema") != SCHEMA or data.get("report") not in _KINDS:
        raise ValueError(f"Not a report snapshot this version can read: {data.get('report')!r} v{data.get('schema')!r}")
    return _build(_KINDS[data["report"]], data["data"])


def plain_amount(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: plain_amount(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [plain_amount(item) for item in value]
    return value


def _build(kind: Any, value: Any) -> Any:
    """Rebuild `value` (parsed JSON) as the annotated type `kind`: dataclasses, tuple[X, ...], X | None, scalars."""
    if value is None:
        return None
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = _hints(kind)
        # A field added later (with a default) is missing from snapshots signed before it: the default stands.
        return kind(
            **{
                f.name: _build(hints[f.name], value[f.name])
                for f in dataclasses.fields(kind)
                if f.name in value or (f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
            }
        )
    origin = typing.get_origin(kind)
    if origin is tuple:
        (item, _ellipsis) = typing.get_args(kind)
        return tuple(_build(item, element) for element in value)
    if origin in (types.UnionType, typing.Union):
        (present,) = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _build(present, value)
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(kind: type) -> dict[str, Any]:
    if kind not in _HINTS:
        _HINTS[kind] = typing.get_type_hints(kind)
    return _HINTS[kind]
