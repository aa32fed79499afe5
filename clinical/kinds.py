"""Protocol kinds and what each allows: data the protocol editor and the challenge run share."""

from __future__ import annotations

from dataclasses import dataclass

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


# Intervals: "15-30 min" in most diagnostic protocols (fact sheet 1.2, Bock 1988 / Bindslev-Jensen 2004);
# PRACTALL 2024 abstract 20-30 min (1.1). Observation: 2 h after an IgE OFC (ASCIA peanut, IFAN; fact sheet 6.3),
# at least 4 h for FPIES (fpies.org; 1.5). Home reintroduction: new foods every 3-5 days with a 24-48 h watch
# (SM Companion; fact sheet 5.4); daily home steps exist (ASCIA home continuation, 1.3), so one day is the floor.
KINDS: dict[str, KindRules] = {
    rules.code: rules
    for rules in (
        KindRules("open", "Open oral food challenge", True, 15 * MINUTE, 2 * HOUR, 0, "clinic"),
        KindRules("single_blind", "Single-blind challenge", True, 15 * MINUTE, 2 * HOUR, 0, "clinic"),
        KindRules("dbpcfc", "Double-blind placebo-controlled (DBPCFC)", True, 15 * MINUTE, 2 * HOUR, 0, "clinic"),
        KindRules("fpies", "FPIES challenge", True, 15 * MINUTE, 4 * HOUR, 0, "clinic"),
        KindRules("ladder", "Household-measure ladder", True, 15 * MINUTE, 2 * HOUR, 0, "clinic"),
        KindRules("home", "Slow home reintroduction", False, 1 * DAY, 0, 48, "home"),
    )
}

KIND_CHOICES = [(rules.code, rules.label) for rules in KINDS.values()]


def format_minutes(minutes: int) -> str:
    """A wait as people say it: "30 min", "2 h", "1 h 30 min", "3 days"."""
    if minutes <= 0:
        return "none"
    if minutes % DAY == 0:
        days = minutes // DAY
        return f"{days} day" if days == 1 else f"{days} days"
    hours, rest = divmod(minutes, HOUR)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"
