"""Protocol kinds: what each allows, and what a new protocol of each kind starts with.

Data the protocol editor, the standard library and the challenge run share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clinical.checklist import default_item_codes
from clinical.home_ladder import HOME_WATCH_HOURS
from clinical.stop_rules import StopRules, default_rules
from clinical.washout_rules import DEFAULT_WASHOUT, WashoutRule, rules_to_data

MINUTE = 1
HOUR = 60
DAY = 24 * HOUR


@dataclass(frozen=True)
class KindRules:
    code: str
    label: str
    diagnostic: bool  # washed-out, unmedicated challenge meant to diagnose (premedication would mask it)
    min_interval_minutes: int  # shortest wait between doses this kind allows
    default_observation_minutes: int  # after the last dose, before discharge
    default_watch_hours: int  # after each (home) step, for delayed reactions
    setting: str  # "clinic" or "home"


# Intervals: "15-30 min" in most diagnostic protocols (docs/clinical-sources.md §1.2, Bock 1988 / Bindslev-Jensen 2004);
# PRACTALL 2024 abstract 20-30 min (1.1). Observation: 2 h after an IgE OFC (ASCIA peanut, IFAN; docs/clinical-
# sources.md §6.3),
# at least 4 h for FPIES (fpies.org; 1.5). Home reintroduction: new foods every 3-5 days with a 24-48 h watch
# (SM Companion; docs/clinical-sources.md §5.4); daily home steps exist (ASCIA home continuation, 1.3), so one day is
# the floor.
KINDS: dict[str, KindRules] = {
    rules.code: rules
    for rules in (
        KindRules("open", "Open oral food challenge", True, 15 * MINUTE, 2 * HOUR, 0, "clinic"),
        KindRules("single_blind", "Single-blind challenge", True, 15 * MINUTE, 2 * HOUR, 0, "clinic"),
        KindRules("dbpcfc", "Double-blind placebo-controlled (DBPCFC)", True, 15 * MINUTE, 2 * HOUR, 0, "clinic"),
        KindRules("fpies", "FPIES challenge", True, 15 * MINUTE, 4 * HOUR, 0, "clinic"),
        KindRules("ladder", "Household-measure ladder", True, 15 * MINUTE, 2 * HOUR, 0, "clinic"),
        KindRules("home", "Slow home reintroduction", False, 1 * DAY, 0, HOME_WATCH_HOURS, "home"),
    )
}

KIND_CHOICES = [(rules.code, rules.label) for rules in KINDS.values()]


@dataclass(frozen=True)
class KindDefaults:
    """What a new protocol of one kind starts with; the clinician edits the protocol's own copy."""

    checklist_items: tuple[str, ...]
    stop_rules: StopRules
    washout_rules: tuple[WashoutRule, ...]

    def as_data(self) -> dict[str, Any]:
        """The three as a protocol stores them (JSON-ready): checklist_items, stop_rules, washout_rules."""
        return {
            "checklist_items": self.checklist_items,
            "stop_rules": self.stop_rules.to_dict(),
            "washout_rules": rules_to_data(self.washout_rules),
        }


def watch_hours(kind: str, typed: int | None) -> int:
    """The watch window after each step: as typed, else the kind's default. A home reintroduction watches 48 h for
    delayed symptoms (docs/clinical-sources.md §5.4); a clinic challenge has none, it observes after the last dose
    instead. A blank field never means "no watch" for a home plan (a 0 typed does, and the editor refuses it for a home
    kind: home_ladder.watch_missing)."""
    return KINDS[kind].default_watch_hours if typed is None else typed


def kind_defaults(kind: str) -> KindDefaults:
    """The checklist, stop rules and wash-out a new protocol of this kind starts with.

    Wash-out keeps a diagnostic result valid, so only a diagnostic kind gets the default wash-out; a home
    reintroduction does not wash out, and may give masking drugs on purpose (docs/clinical-sources.md §5.1, 5.3).
    """
    try:
        rules = KINDS[kind]
    except KeyError:
        raise ValueError(f"Unknown protocol kind {kind!r}; expected one of {', '.join(KINDS)}.") from None
    return KindDefaults(
        checklist_items=default_item_codes(kind),
        stop_rules=default_rules(kind),
        washout_rules=DEFAULT_WASHOUT if rules.diagnostic else (),
    )
