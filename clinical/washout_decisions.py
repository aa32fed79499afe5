"""The clinician's decisions laid over the medication conflicts, and whether the first dose may be given.

A Decision is what was recorded about one medication (a stop date confirmed, an override, a risk-review or
do-not-stop decision; the codes and labels are clinical.washout's ACTION_LABELS). `review` pairs each conflict from
clinical.washout.check_washout with the latest decision that answers it, and `first_dose_refusal` says why the
first dose must wait, if it must (docs/clinical-sources.md §5.1-5.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from clinical.dates import format_day, format_when
from clinical.washout import (
    ACTION_LABELS,
    BLOCK,
    CLEARING_ACTIONS,
    DO_NOT_STOP,
    INFO,
    RISK_REVIEW,
    STOP_CONFIRMED,
    Conflict,
    washout_met,
)
from clinical.washout_rules import WashoutError


@dataclass(frozen=True)
class Decision:
    """What was recorded about one medication: a confirmed stop date, an override, a review decision."""

    medication_id: int
    action: str
    by: str
    at: datetime
    reason: str = ""
    stopped_on: date | None = None
    record_id: int | None = None  # the stored row, so a page can mark it entered in error

    def __post_init__(self) -> None:
        if self.action not in ACTION_LABELS:
            raise WashoutError(f"Unknown decision: {self.action!r}.", code="bad_action")

    def text(self) -> str:
        """ "Stop date confirmed by Sam Lee on Thu 26 Nov 2026 08:30: last dose Wed 18 Nov 2026"."""
        head = f"{ACTION_LABELS[self.action]} by {self.by} on {format_when(self.at)}"
        if self.action == STOP_CONFIRMED and self.stopped_on is not None:
            return f"{head}: last dose {format_day(self.stopped_on)}"
        return f"{head}: {self.reason}" if self.reason else head


OPEN, CLEARED, HELD = "open", "cleared", "held"


@dataclass(frozen=True)
class Reviewed:
    """A conflict with what was decided about it. state: open, cleared, held (deferred or switching), warn, info."""

    conflict: Conflict
    decision: Decision | None
    state: str

    @property
    def status(self) -> str:
        """A short status for the page and the report ("Must be resolved", "Overridden by the allergist")."""
        if self.decision is not None:
            return ACTION_LABELS[self.decision.action]
        if self.state == OPEN:
            return {RISK_REVIEW: "Risk review needed", DO_NOT_STOP: "Allergist's decision needed"}.get(
                self.conflict.kind, "Must be resolved"
            )
        return "For information" if self.state == INFO else "Warning"

    @property
    def decision_text(self) -> str:
        return self.decision.text() if self.decision is not None else ""

    @property
    def choices(self) -> list[tuple[str, str]]:
        """The decisions that answer this conflict, as (code, label), in a fixed order."""
        return [(code, label) for code, label in ACTION_LABELS.items() if code in self.conflict.actions]


def _applies(conflict: Conflict, decision: Decision, challenge_start: datetime) -> bool:
    if decision.medication_id != conflict.medication_id or decision.action not in conflict.actions:
        return False
    if decision.action != STOP_CONFIRMED:
        return True
    # A confirmed stop date counts only if it meets the wash-out for this challenge.
    stopped = decision.stopped_on
    return stopped is not None and conflict.hours is not None and washout_met(stopped, conflict.hours, challenge_start)


def review(conflicts: Sequence[Conflict], decisions: Sequence[Decision], challenge_start: datetime) -> list[Reviewed]:
    """Each conflict with the latest decision that answers it (decisions in the order they were made)."""
    reviewed = []
    for conflict in conflicts:
        if conflict.severity != BLOCK:
            reviewed.append(Reviewed(conflict, None, conflict.severity))
            continue
        decision = next((d for d in reversed(decisions) if _applies(conflict, d, challenge_start)), None)
        if decision is None:
            state = OPEN
        else:
            state = CLEARED if decision.action in CLEARING_ACTIONS else HELD
        reviewed.append(Reviewed(conflict, decision, state))
    return reviewed


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def first_dose_refusal(reviewed: Sequence[Reviewed]) -> Refusal | None:
    """Why the first dose may not be given yet, if it may not: an open masking conflict first, then the rest."""
    open_masking = [r for r in reviewed if r.state == OPEN and r.conflict.masking]
    if open_masking:
        names = ", ".join(r.conflict.medication for r in open_masking)
        return Refusal(
            "washout_unresolved",
            f"Wash-out not resolved for {names}: the nurse confirms the stop date, or the allergist overrides with a "
            "reason, before the first dose.",
        )
    open_review = [r for r in reviewed if r.state == OPEN]
    if open_review:
        names = ", ".join(r.conflict.medication for r in open_review)
        return Refusal(
            "medication_review_required",
            f"The allergist's medication decision for {names} is needed before the first dose.",
        )
    held = [r for r in reviewed if r.state == HELD]
    if held:
        names = ", ".join(f"{r.conflict.medication} ({r.status.lower()})" for r in held)
        return Refusal("medication_deferred", f"The allergist decided not to go ahead yet: {names}.")
    return None
