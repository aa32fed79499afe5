"""Blinded challenges: placebo doses are added to the full active series, never put in place of an active step.

A blinded challenge gives every step of its protocol, in order and unchanged, and in addition a number of placebo
doses (the vehicle or matrix without the food) interspersed among them (docs/clinical-sources.md §1.8). The doses are
numbered by their place in this blinded schedule ("dose 1 … dose N+P"), so a number says nothing about which dose
is placebo. Which places are placebo is drawn at random, server-side, once per challenge, and stored: only the
person who prepares the blinded doses sees it before unblinding.

A placebo dose mirrors an active step: the same amount of vehicle, and the same wait after it, as that step.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from clinical.errors import DomainError

BLINDED_KINDS = frozenset({"dbpcfc", "single_blind"})


class BlindingError(DomainError):
    """A blinded schedule that cannot be made or read."""


@dataclass(frozen=True)
class Slot:
    """One dose of the blinded schedule: its number in that schedule, the protocol step it gives (or, for a
    placebo, mirrors in amount and wait), and whether it is placebo."""

    number: int
    step: int
    placebo: bool


def placebo_allowed(kind: str) -> bool:
    """Placebo doses belong to blinded protocol kinds only (DBPCFC, single-blind)."""
    return kind in BLINDED_KINDS


def check_placebo_count(kind: str, active_steps: int, placebo_doses: int) -> None:
    """Refuse placebo on an open, home, FPIES or ladder protocol, and more placebo doses than active steps."""
    if placebo_doses < 0:
        raise BlindingError("The number of placebo doses cannot be negative.", code="bad_placebo")
    if placebo_doses and not placebo_allowed(kind):
        raise BlindingError(
            "Placebo doses are only possible on a blinded protocol (DBPCFC or single-blind).",
            code="placebo_not_blinded_kind",
        )
    if placebo_doses > active_steps:
        raise BlindingError(
            f"At most {active_steps} placebo doses (one per active step) can be added.", code="bad_placebo"
        )


def draw_placebo_steps(active_steps: int, placebo_doses: int, rng: random.Random | None = None) -> list[int]:
    """Which active steps get a placebo twin, drawn with a cryptographically secure generator.

    `rng` is for tests only; by default the operating system's secure source (secrets.SystemRandom). Returned as
    signed step numbers in schedule order: +n is active step n, -n is a placebo mirroring step n. The
    placebo is put before or after its twin at random, so the order within a pair says nothing either.
    """
    rng = rng or secrets.SystemRandom()
    twins = set(rng.sample(range(1, active_steps + 1), placebo_doses))
    order: list[int] = []
    for n in range(1, active_steps + 1):
        if n in twins and rng.random() < 0.5:
            order += [-n, n]
        elif n in twins:
            order += [n, -n]
        else:
            order.append(n)
    return order


def slots(order: Sequence[int], active_steps: int) -> tuple[Slot, ...]:
    """The blinded schedule from its stored order (see draw_placebo_steps); an empty order is the open series.

    The order must hold every active step exactly once, in order, and at most one placebo per step.
    """
    if not order:
        return tuple(Slot(n, n, False) for n in range(1, active_steps + 1))
    active = [n for n in order if n > 0]
    placebo = [-n for n in order if n < 0]
    if active != list(range(1, active_steps + 1)) or len(set(placebo)) != len(placebo):
        raise BlindingError("The blinded schedule does not match the protocol's steps.", code="bad_blind_schedule")
    if any(not 1 <= n <= active_steps for n in placebo):
        raise BlindingError("The blinded schedule does not match the protocol's steps.", code="bad_blind_schedule")
    return tuple(Slot(i, abs(n), n < 0) for i, n in enumerate(order, start=1))


def active_steps_of(schedule: Sequence[Slot]) -> list[int]:
    """The protocol steps the schedule gives as food, in order (always the protocol's own series)."""
    return [s.step for s in schedule if not s.placebo]


def slot(schedule: Sequence[Slot], number: int) -> Slot:
    """The slot with this dose number."""
    for s in schedule:
        if s.number == number:
            return s
    raise BlindingError(f"There is no dose {number} in this schedule.", code="bad_blind_schedule")
