"""One allergy entry per substance: its status from the patient's confirmed challenge results, and its criticality.

The statuses are FHIR R4's AllergyIntolerance codes (hl7.org/fhir/R4/allergyintolerance.html, docs/clinical-
sources.md §14): clinical status active | inactive | resolved, verification status unconfirmed | confirmed | refuted.
"resolved" means a real allergy is gone (it goes with "confirmed"); "refuted" means there never was one (it goes with
"inactive"): the two are never paired (interop review defect 17).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

FAILED, PASSED = "failed", "passed"


@dataclass(frozen=True)
class Result:
    """A challenge of the substance whose outcome the allergist confirmed."""

    confirmed_at: datetime
    outcome: str  # passed | failed | equivocal | dose_not_reached
    partial_form: bool = False  # a heated form (baked milk): passing it says nothing of the other forms


@dataclass(frozen=True)
class Status:
    clinical: str
    verification: str
    basis: Result | None  # the result the status rests on; None when no result decides it


def status(results: Sequence[Result]) -> Status:
    """The status from the latest result that decides it.

    A failed challenge (of any form) confirms the allergy. A passed challenge of the full food rules it out: as
    "resolved" (outgrown) if an earlier challenge confirmed it, else as "refuted". A passed heated form, an equivocal
    result or a dose not reached decides nothing: the allergy stays active and unconfirmed (the safe default).
    """
    ordered = sorted(results, key=lambda r: r.confirmed_at)
    deciding = [r for r in ordered if r.outcome == FAILED or (r.outcome == PASSED and not r.partial_form)]
    if not deciding:
        return Status("active", "unconfirmed", None)
    latest = deciding[-1]
    if latest.outcome == FAILED:
        return Status("active", "confirmed", latest)
    if any(r.outcome == FAILED for r in deciding[:-1]):
        return Status("resolved", "confirmed", latest)
    return Status("inactive", "refuted", latest)


SEVERITY_RANK = {"mild": 1, "moderate": 2, "severe": 3, "anaphylaxis": 4}


def criticality(*, clinical: str, worst_severity: str, anaphylaxis: bool, adrenaline_given: bool) -> str | None:
    """FHIR criticality (low | high | unable-to-assess) of an active allergy; None for one no longer active.

    High: anaphylaxis, adrenaline given, or a severe reaction (the potential for a serious or life-threatening
    reaction, FHIR R4 AllergyIntolerance.criticality). Low: mild or moderate reactions only. Otherwise (no reaction on
    record) unable-to-assess.
    """
    if clinical != "active":
        return None
    if anaphylaxis or adrenaline_given or SEVERITY_RANK.get(worst_severity, 0) >= SEVERITY_RANK["severe"]:
        return "high"
    if worst_severity in ("mild", "moderate"):
        return "low"
    return "unable-to-assess"


def worst(severities: Sequence[str]) -> str:
    """The worst of several severities ('' when none is known)."""
    known = [s for s in severities if s in SEVERITY_RANK]
    return max(known, key=SEVERITY_RANK.__getitem__, default="")
