"""When the reaction began: the one moment the dose figures and the WAO adrenaline suffix hang on.

The onset (docs/clinical-sources.md §6.2) is the first piece of evidence of the stop alert, the alert whose rule
hits led to the stop. Left out:

- evidence the allergist had already judged "continue" on an earlier alert (a trivial early sign is not the start
  of the reaction that stopped the challenge, even when its item is named again);
- anything before the first dose (the patient's baseline; the stop rules never count it either);
- anything after a placebo dose (a reaction to placebo is not a reaction to the food, §1.8).

Eliciting dose, cumulative dose at reaction and highest tolerated dose (clinical.outcome.compute_result) and the WAO
adrenaline-timing suffix (clinical.grading) all take this one onset, on the bedside page, the report and the FHIR
export alike. No Django here: the caller turns its rows into the values below.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from clinical.dates import format_clock
from clinical.errors import DomainError

STOP = "stop"
CONTINUE = "continue"
OPEN = ""


class OnsetError(DomainError):
    """The reaction's times cannot all be right."""


# A clock time in evidence wording ("at 10:42", "10:42 heart rate ..."): written in the zone it was shown in.
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")


@dataclass(frozen=True)
class Evidence:
    """One piece of a rule hit's evidence; `at` is None for alerts stored before evidence times were kept."""

    text: str
    at: datetime | None

    @property
    def key(self) -> tuple[str, datetime | None]:
        """The same evidence in another alert: its wording without the clock time, and its moment."""
        return _CLOCK.sub("", self.text), self.at


@dataclass(frozen=True)
class AlertRecord:
    """A stop alert as stored: when it was raised, the allergist's decision ("" while open), its evidence."""

    raised_at: datetime
    decision: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class DoseGiven:
    """A valid dose: when it was given, and whether it was a placebo."""

    given_at: datetime
    placebo: bool = False


def stop_alert_index(alerts: Sequence[AlertRecord]) -> int | None:
    """Which alert led to the stop: the first one decided "stop"; while none is, the open one (provisional).

    Alerts decided "continue" or "hold and repeat" alone never make a reaction onset: "hold and repeat" is not a
    failure when the later doses are tolerated (clinical review O1).
    """
    for wanted in (STOP, OPEN):
        index = next((i for i, alert in enumerate(alerts) if alert.decision == wanted), None)
        if index is not None:
            return index
    return None


def reaction_onset(alerts: Sequence[AlertRecord], doses: Sequence[DoseGiven]) -> datetime | None:
    """The first evidence of the stop alert not judged "continue" before, after an active dose; None if none.

    `alerts` in the order they were raised, each with the evidence still on record (the caller leaves out evidence
    whose finding was since marked entered in error); `doses` the valid doses given (any order). Alerts raised
    after the stop alert count too: the same reaction going on, or a finding recorded again at its right time.
    """
    index = stop_alert_index(alerts)
    if index is None:
        return None
    alert = alerts[index]
    judged = {e.key for a in alerts[:index] if a.decision == CONTINUE for e in a.evidence}
    if alert.evidence and any(e.at is None for e in alert.evidence):
        # Stored before evidence times were kept: the moment it was raised is the best record of when it began.
        return alert.raised_at if after_active_dose(alert.raised_at, doses) else None
    fresh = [e.at for a in alerts[index:] for e in a.evidence if e.key not in judged and e.at is not None]
    return min((at for at in fresh if after_active_dose(at, doses)), default=None)


def after_active_dose(moment: datetime, doses: Sequence[DoseGiven]) -> bool:
    """True when the last dose given at or before `moment` was food, not placebo (False before the first dose)."""
    given = [d for d in doses if d.given_at <= moment]
    return bool(given) and not max(given, key=lambda d: d.given_at).placebo


def reaction_findings(
    findings: Sequence[tuple[str, int, datetime]], *, onset: datetime, doses: Sequence[DoseGiven]
) -> list[tuple[str, int]]:
    """(item, severity) of the findings that belong to the reaction, for its grade (clinical review G5).

    A finding belongs when it was seen at or after the onset, after an active dose, and is worse than the item's
    baseline (its worst grade before the first dose), the convention of clinical.stop_observations.
    """
    first_dose = min((d.given_at for d in doses), default=None)
    baseline: dict[str, int] = {}
    for item, severity, at in findings:
        if first_dose is None or at < first_dose:
            baseline[item] = max(baseline.get(item, 0), severity)
    return [
        (item, severity)
        for item, severity, at in findings
        if at >= onset and after_active_dose(at, doses) and severity > baseline.get(item, 0)
    ]


def first_adrenaline(onset: datetime | None, adrenaline_at: Sequence[datetime]) -> datetime | None:
    """The first adrenaline given, for the WAO suffix (None: not given, suffix "z").

    Adrenaline recorded before the onset is an error in the record, never read as "not given" (clinical review G2):
    it raises OnsetError with code "adrenaline_before_onset", whose message says which times to check.
    """
    first = min(adrenaline_at, default=None)
    if first is not None and onset is not None and first < onset:
        raise OnsetError(
            f"Adrenaline is recorded at {format_clock(first)}, before the first symptom of the reaction at "
            f"{format_clock(onset)}. Check both times: a finding timed after its treatment is corrected by marking "
            "it entered in error and recording it again at the time it was seen.",
            code="adrenaline_before_onset",
        )
    return first
