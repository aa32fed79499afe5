"""FHIR data types built as JSON-ready dicts (Coding, CodeableConcept, Quantity, dateTime, the narrative) and the
marking of a resource entered in error. Shared by every resource module of the export."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import Decimal
from html import escape
from typing import Any

from challenges.exports.fhir.codes import OBSERVATION_CATEGORY, UCUM, URI, XHTML
from challenges.models import Challenge, Treatment, VitalSigns
from patients.models import DiagnosticResult

JSON = dict[str, Any]


def withdrawal_reason(record: Challenge | VitalSigns | Treatment | DiagnosticResult) -> str:
    """Why a record is void, for its resources' note and narrative; "" for a record that stands."""
    if not record.entered_in_error:
        return ""
    return f"Entered in error: {record.entered_in_error_reason}".strip()


def mark_withdrawn(resource: JSON, reason: str) -> JSON:
    """The resource as it was exported, with status entered-in-error (Procedure, Observation and
    MedicationAdministration all have that status in R4), the reason as a note and first in the narrative."""
    if not reason:
        return resource
    resource["status"] = "entered-in-error"
    resource["note"] = [{"text": reason}, *resource.get("note", [])]
    opening = f'<div xmlns="{XHTML}">'
    div = resource["text"]["div"]
    resource["text"]["div"] = f"{opening}<p><b>{escape(reason)}</b></p>{div[len(opening) :]}"
    return resource


def narrate(resource: JSON, headline: str, *details: str) -> JSON:
    """Add the generated narrative (dom-6) and the business identifier derived from the id, where the resource takes
    one. Every piece of text is escaped, so a name such as "<b>Zoë & co" stays text."""
    if not resource.get("identifier"):
        resource["identifier"] = [{"system": URI, "value": f"urn:uuid:{resource['id']}"}]
    lines = "".join(f"<p>{escape(line)}</p>" for line in details if line)
    div = f'<div xmlns="{XHTML}"><p><b>{escape(headline)}</b></p>{lines}</div>'
    ordered = {"resourceType": resource.pop("resourceType"), "id": resource.pop("id")}
    return {**ordered, "text": {"status": "generated", "div": div}, **resource}


def fhir_datetime(moment: datetime, tz: tzinfo) -> str:
    """FHIR dateTime in the clinic's local time, with its offset (FHIR requires a zone when a time is given)."""
    return moment.astimezone(tz).isoformat(timespec="seconds")


def day_text(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def status_concept(system: str, code: str) -> JSON:
    return {"coding": [{"system": system, "code": code}]}


def fhir_coding(system: str, code: str, display: str) -> JSON:
    return {"system": system, "code": code, "display": display}


def fhir_codeable(system: str, code: str, display: str) -> JSON:
    return {"coding": [fhir_coding(system, code, display)], "text": display}


def fhir_category(code: str, display: str) -> JSON:
    return {"coding": [fhir_coding(OBSERVATION_CATEGORY, code, display)]}


def fhir_quantity(value: Decimal | int, unit: str) -> JSON:
    return {"value": json_number(value), "unit": unit, "system": UCUM, "code": unit}


def json_number(value: Decimal | int) -> int | float:
    """JSON has no Decimal; whole values go as integers, others as floats (stored with at most 3 decimals)."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def amount_text(value: Decimal | int) -> str:
    """As the app writes amounts: "0.5", never ".5"; "5", never "5.0"."""
    return str(json_number(value))
