"""Stop rules for a running challenge as data: the thresholds a protocol stops on, the tiers, and what a met rule is.

Every threshold is a field of `StopRules`, so a protocol can store its own values (as JSON) and the defaults below are
only seeds (docs/clinical-sources.md, introduction: every protocol value is data a clinic can edit). The evaluator
that says which rules were met is clinical.stopping; it only proposes, the clinician decides and the decision is
stored elsewhere.

Three tiers, as PRACTALL 2024 frames them ("go on", "observation", "stop"; docs/clinical-sources.md §3.2): every hit
carries a `tier`.
- STOP: an objective sign, a repeated subjective symptom, a vital sign past its limit. Blocks the next dose.
- HOLD: a subjective symptom of grade 2 or more, or one that persists more than 45 min (Niggemann & Beyer 2010:
  "objective and/or severe, reproducible or persistent"; EuroPrevall: > 45 min). Blocks the next dose until a
  clinician decides: continue, repeat the same dose, wait longer, or stop.
- OBSERVE: redness round the mouth or where the food touched the skin (contact only). Shown, does not block.
- ADVISORY: a heart-rate rise on its own (one soy DBPCFC trial; a crying child trips it). Shown, does not block.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clinical.checklist import PROTOCOL_KINDS
from clinical.errors import DomainError
from clinical.vitals import SYSTOLIC_DROP_PCT


class StopRuleError(DomainError, ValueError):
    """Bad stop-rule settings or bad input to the evaluator."""


STOP = "stop"
HOLD = "hold"
OBSERVE = "observe"
ADVISORY = "advisory"
TIERS: tuple[str, ...] = (STOP, HOLD, OBSERVE, ADVISORY)  # most to least urgent
BLOCKING_TIERS: frozenset[str] = frozenset({STOP, HOLD})  # these hold back the next dose until a clinician decides


def worst_tier(tiers: Sequence[str]) -> str | None:
    """The most urgent of the tiers given (an unknown or missing tier counts as STOP: safe default); None if none."""
    if not tiers:
        return None
    return min((t if t in TIERS else STOP for t in tiers), key=TIERS.index)


# Sanity bounds for stored settings: they catch typos in protocol JSON and are not clinical thresholds.
_BOUNDS: dict[str, tuple[int, int, str]] = {
    "objective_min_severity": (
        1,
        3,
        "",
    ),  # PRACTALL 0-3 scale (docs/clinical-sources.md §3.1); 0 would fire on "absent"
    "subjective_consecutive_doses": (1, 20, " doses"),
    "subjective_min_severity": (1, 3, ""),
    "subjective_hold_severity": (1, 3, ""),
    "subjective_hold_minutes": (5, 240, " min"),
    "sbp_drop_mmhg": (1, 100, " mmHg"),
    "sbp_drop_pct": (1, 99, " %"),
    "hr_rise_pct": (1, 200, " %"),
    "pef_drop_pct": (1, 99, " %"),
    "fev1_drop_pct": (1, 99, " %"),
    "spo2_below": (50, 100, " %"),
}


@dataclass(frozen=True)
class StopRules:
    """The thresholds one protocol stops on; validated on creation."""

    objective_min_severity: int = 1  # Utrecht: stop on objective symptoms (docs/clinical-sources.md §3.2)
    subjective_consecutive_doses: int = 3  # Utrecht: same subjective symptom on >=3 consecutive doses (3.2)
    subjective_min_severity: int = 1  # any grade counts for Utrecht (3.2)
    # Hold: a subjective symptom this severe, or persisting longer than this (Niggemann & Beyer 2010; EuroPrevall
    # > 45 min; docs/clinical-sources.md §3.2)
    subjective_hold_severity: int = 2
    subjective_hold_minutes: int = 45
    sbp_drop_mmhg: int = 20  # EuroPrevall: BP drop >20 mmHg (docs/clinical-sources.md §3.2, 7)
    sbp_drop_pct: int = SYSTOLIC_DROP_PCT  # NIAID/FAAN: >30 % drop in systolic BP is hypotension (clinical.vitals)
    use_age_hypotension: bool = True  # NIAID/FAAN low systolic BP for age (docs/clinical-sources.md §7)
    hr_rise_pct: int = 20  # soy DBPCFC: heart-rate rise >20 % (docs/clinical-sources.md §3.2, 7)
    pef_drop_pct: int = 20  # EuroPrevall: PEF drop >20 % (docs/clinical-sources.md §3.2, 7)
    fev1_drop_pct: int = 12  # EuroPrevall: FEV1 drop >12 % (docs/clinical-sources.md §3.2, 7)
    spo2_below: int = 92  # SpO2 <92 % = severe (Japanese 3-grade table; Brown 2004) (docs/clinical-sources.md §4.1, 7)
    fpies_rule: bool = (
        False  # FPIES OFC positive: vomiting 1-4 h + >=2 minor criteria (Leonard 2018, docs/clinical-sources.md §1.5)
    )

    def __post_init__(self) -> None:
        for name, (low, high, unit) in _BOUNDS.items():
            value = getattr(self, name)
            if type(value) is not int:
                raise StopRuleError(f"{name} must be a whole number, not {value!r}.", code="bad_type")
            if not low <= value <= high:
                raise StopRuleError(f"{name} must be from {low} to {high}{unit}, not {value}.", code="out_of_range")
        for name in ("use_age_hypotension", "fpies_rule"):
            if type(getattr(self, name)) is not bool:
                raise StopRuleError(f"{name} must be true or false, not {getattr(self, name)!r}.", code="bad_type")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of the settings."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StopRules:
        """Settings from stored JSON; missing keys take the defaults, unknown keys are refused."""
        if not isinstance(data, Mapping):
            raise StopRuleError(f"Stop rules must be a JSON object, not {type(data).__name__}.", code="bad_type")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(str(key) for key in set(data) - known)
        if unknown:
            raise StopRuleError(f"Unknown stop-rule setting(s): {', '.join(unknown)}.", code="unknown_field")
        return cls(**data)


DEFAULT_RULES = StopRules()

_RULES_BY_KIND: dict[str, StopRules] = {
    kind: dataclasses.replace(DEFAULT_RULES, fpies_rule=(kind == "fpies")) for kind in PROTOCOL_KINDS
}


def default_rules(kind: str) -> StopRules:
    """Seed stop rules for a protocol kind; FPIES adds the Leonard 2018 positive-challenge rule."""
    try:
        return _RULES_BY_KIND[kind]
    except KeyError:
        raise StopRuleError(f"Unknown protocol kind {kind!r}.", code="unknown_kind") from None


@dataclass(frozen=True)
class RuleHit:
    """A rule that was met, in clinician language, with the observations that met it.

    `evidence_at` says when each piece of `evidence` was observed (same order), so the reaction's onset can be read
    from the hits that led to a stop (clinical.onset) rather than from every finding recorded. `tier` says what the
    hit asks for: STOP, HOLD, OBSERVE or ADVISORY (module docstring).
    """

    code: str
    message: str
    evidence: tuple[str, ...]
    evidence_at: tuple[datetime, ...] = ()
    tier: str = STOP

    @property
    def blocks(self) -> bool:
        """True when the hit holds back the next dose until a clinician decides."""
        return self.tier in BLOCKING_TIERS
