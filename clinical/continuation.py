"""Linked challenges (X5): when one challenge may be booked as a continuation of another.

Pure: takes plain values about the earlier challenge and returns the refusal, if any (docs/clinical-sources.md §13.2).
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_2 = "day_2"  # the top dose repeated the next day
OPEN_AFTER_DBPCFC = "open_after_dbpcfc"  # the open feeding after a negative double-blind challenge
HOME_DAYS = "home_days"  # days at home after a negative clinic challenge (ASCIA peanut: days 2-7)
RECHALLENGE = "rechallenge"  # a re-challenge after an equivocal result
KINDS = (DAY_2, OPEN_AFTER_DBPCFC, HOME_DAYS, RECHALLENGE)

PASSED, FAILED, EQUIVOCAL = "passed", "failed", "equivocal"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class Earlier:
    """The challenge a new one would continue, as the rule needs it."""

    same_patient: bool
    status: str
    outcome: str  # "" while it has none
    blinded_kind: bool  # a double- or single-blind protocol
    entered_in_error: bool = False


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def continuation_refusal(kind: str, earlier: Earlier, *, new_setting: str) -> Refusal | None:
    """Why this challenge may not continue the earlier one; None when it may.

    Never another patient's challenge, a cancelled one or one entered in error. A day 2 may be booked ahead, but not
    after a failed day 1. An open feeding continues a blinded challenge that passed; home days a challenge that
    passed, and are booked on a home protocol; a re-challenge an equivocal one. When in doubt the booking is refused
    and the clinician decides.
    """
    if kind not in KINDS:
        return Refusal("continuation_kind", "Choose how this challenge continues the earlier one.")
    if not earlier.same_patient:
        return Refusal("continuation_other_patient", "A challenge can only continue one of the same patient.")
    if earlier.entered_in_error or earlier.status == CANCELLED:
        return Refusal("continuation_of_void", "A cancelled challenge, or one entered in error, cannot be continued.")
    if kind == HOME_DAYS and new_setting != "home":
        return Refusal("continuation_not_home", "Home days continue as a home plan: choose a home protocol.")
    if kind == DAY_2:
        if earlier.outcome == FAILED:
            return Refusal("continuation_after_failed", "Day 1 was not tolerated: there is no day 2.")
        return None
    if kind == OPEN_AFTER_DBPCFC and not earlier.blinded_kind:
        return Refusal("continuation_not_blinded", "An open feeding after a DBPCFC continues a blinded challenge.")
    needed = EQUIVOCAL if kind == RECHALLENGE else PASSED
    if earlier.outcome != needed:
        word = "equivocal" if needed == EQUIVOCAL else "passed (negative)"
        return Refusal(
            "continuation_outcome", f"This continuation needs the earlier challenge recorded as {word} first."
        )
    return None
