"""Stop rules for a running challenge: the rules as data, and a pure evaluator that says which ones were met.

The evaluator only proposes; the clinician decides and the decision is stored elsewhere. Every threshold is a field
of `StopRules`, so a protocol can store its own values (as JSON) and the defaults below are only seeds
(docs/clinical-sources.md, introduction: every protocol value is data a clinic can edit).

Conventions chosen here (the sources leave them open):
- Findings recorded before the first dose (`after_dose is None`) are the patient's baseline, like baseline vitals.
  They never trigger a rule themselves, and a later finding of the same item counts only when it is worse than the
  worst baseline grade (eczema erythema or MCAS flushing present before the food is not a reaction to it).
- Low systolic BP for age is clinical.vitals' one NIAID/FAAN table; `age_years` counts there in completed years
  (5.9 years -> 5 -> 70 + 2 x 5 = 80 mmHg).
- Vital-sign rules report one hit per rule: the message names the worst reading, the evidence lists every reading
  that met the rule.

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Any

from clinical.checklist import ITEMS, PROTOCOL_KINDS, SEVERITY_LABELS
from clinical.dates import format_clock
from clinical.durations import format_duration
from clinical.errors import DomainError
from clinical.units import format_decimal
from clinical.vitals import SYSTOLIC_DROP_PCT, systolic_drop_exceeds, systolic_hypotension_limit


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
class Finding:
    """One graded checklist observation; `after_dose` is the last dose given before it (None = before dose 1)."""

    item_code: str
    severity: int
    observed_at: datetime
    after_dose: int | None


@dataclass(frozen=True)
class Vitals:
    """One set of vital signs (SBP/DBP mmHg, HR and RR per min, SpO2 %, temperature °C, PEF L/min)."""

    taken_at: datetime
    heart_rate: int | None = None
    systolic: int | None = None
    diastolic: int | None = None
    resp_rate: int | None = None
    spo2: int | None = None
    temperature_c: Decimal | None = None
    pef: int | None = None
    fev1_ml: int | None = None


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


def _age_limit(age_years: Decimal) -> int:
    """Systolic BP (mmHg) below which a patient of this age is hypotensive: clinical.vitals' table, completed years."""
    _check_age(age_years)
    return systolic_hypotension_limit(int(age_years))


def evaluate(
    rules: StopRules,
    *,
    findings: Sequence[Finding],
    vitals: Sequence[Vitals],
    baseline: Vitals | None,
    age_years: Decimal,
    dose_times: Mapping[int, datetime] | None = None,
    usual: Mapping[str, int] | None = None,
    neutrophil_rise: str | None = None,
) -> list[RuleHit]:
    """Every stop rule met by the observations so far; empty means no rule was met.

    `neutrophil_rise`: the FPIES minor criterion met by the recorded counts (its evidence text), else None.

    `usual` (item -> grade): a patient's usual symptoms (MCAS, "my usual symptoms") are judged like baseline
    findings: a finding counts only when it is worse than its usual grade.

    `dose_times` (dose number -> when it was given) is only used by the FPIES rule to check that vomiting
    began 1-4 h after the food; without it that rule still fires and says the timing was not checked.
    """
    _check_age(age_years)
    for finding in findings:
        _check_finding(finding)
    ordered = sorted(findings, key=lambda f: f.observed_at)
    pre_dose = _pre_dose_severity(ordered)
    for code, severity in (usual or {}).items():
        pre_dose[code] = max(pre_dose.get(code, 0), severity)
    readings = sorted(vitals, key=lambda v: v.taken_at)
    hits = _objective_hits(rules, ordered, pre_dose)
    hits += _subjective_hits(rules, ordered, pre_dose)
    hits += _subjective_hold_hits(rules, ordered, pre_dose)
    hits += _vital_hits(rules, readings, baseline, age_years)
    if rules.fpies_rule:
        fpies = _fpies_hit(rules, ordered, pre_dose, readings, baseline, age_years, dose_times, neutrophil_rise)
        if fpies is not None:
            hits.append(fpies)
    return hits


# --- Input checks -------------------------------------------------------------------------------------------


def _check_age(age_years: Decimal) -> None:
    """Refuse an age that is not a finite, non-negative Decimal (or int)."""
    if isinstance(age_years, bool) or not isinstance(age_years, Decimal | int):
        raise StopRuleError(f"Age must be a Decimal number of years, not {age_years!r}.", code="bad_age")
    if not Decimal(age_years).is_finite() or age_years < 0:
        raise StopRuleError(f"Age must be zero or more years, not {age_years}.", code="bad_age")


def _check_finding(finding: Finding) -> None:
    """Refuse unknown items, grades outside PRACTALL's 0-3 and dose numbers below 1."""
    if finding.item_code not in ITEMS:
        raise StopRuleError(f"Unknown checklist item {finding.item_code!r}.", code="unknown_item")
    severity = finding.severity
    if type(severity) is not int or severity not in SEVERITY_LABELS:  # 0-3 (docs/clinical-sources.md §3.1)
        raise StopRuleError(f"Severity must be 0, 1, 2 or 3, not {severity!r}.", code="bad_severity")
    if finding.after_dose is not None and (type(finding.after_dose) is not int or finding.after_dose < 1):
        raise StopRuleError(f"Dose number must be 1 or more, not {finding.after_dose!r}.", code="bad_dose_number")


# --- Symptom rules ------------------------------------------------------------------------------------------


def _hhmm(moment: datetime) -> str:
    """Clock time as the caller gave it (local, aware): clinical.dates' one clock format."""
    return format_clock(moment)


def _describe(finding: Finding) -> str:
    """'Urticaria/angioedema, moderate (2) at 10:42 after dose 5'."""
    item = ITEMS[finding.item_code]
    grade = f"{SEVERITY_LABELS[finding.severity]} ({finding.severity})"
    when = "before the first dose" if finding.after_dose is None else f"after dose {finding.after_dose}"
    return f"{item.label}, {grade} at {_hhmm(finding.observed_at)} {when}"


def _pre_dose_severity(findings: Sequence[Finding]) -> dict[str, int]:
    """Worst grade of each item recorded before the first dose (the patient's baseline)."""
    worst: dict[str, int] = {}
    for finding in findings:
        if finding.after_dose is None:
            worst[finding.item_code] = max(worst.get(finding.item_code, 0), finding.severity)
    return worst


def _counts(finding: Finding, min_severity: int, pre_dose: Mapping[str, int]) -> bool:
    """True if a post-dose finding reaches the grade and is worse than the item's baseline."""
    return (
        finding.after_dose is not None
        and finding.severity >= min_severity
        and finding.severity > pre_dose.get(finding.item_code, 0)
    )


def _objective_hits(rules: StopRules, findings: Sequence[Finding], pre_dose: Mapping[str, int]) -> list[RuleHit]:
    """One hit per objective item that reached the grade (Utrecht: stop on objective symptoms,
    docs/clinical-sources.md §3.2)."""
    by_item: dict[str, list[Finding]] = {}
    for finding in findings:
        if ITEMS[finding.item_code].objective and _counts(finding, rules.objective_min_severity, pre_dose):
            by_item.setdefault(finding.item_code, []).append(finding)
    hits = []
    for code, matched in by_item.items():
        message = f"Objective sign: {_describe(matched[0])}"
        if pre_dose.get(code):
            grade = pre_dose[code]
            message += f" (before the first dose: {SEVERITY_LABELS[grade]} ({grade}))"
        if rules.objective_min_severity > 1:
            message += f" (limit: {SEVERITY_LABELS[rules.objective_min_severity]} or worse)"
        evidence, evidence_at = tuple(_describe(f) for f in matched), tuple(f.observed_at for f in matched)
        if ITEMS[code].contact_only:
            message = f"Observe: {_describe(matched[0])} (contact or perioral redness alone is not a stop sign)"
            hits.append(RuleHit("contact_redness", message, evidence, evidence_at, tier=OBSERVE))
        elif rules.fpies_rule and code in FPIES_HOLD_ITEMS and max(f.severity for f in matched) < FPIES_HOLD_BELOW:
            message = (
                f"Hold: {_describe(matched[0])} in an FPIES challenge: give no further portion and watch; the "
                f"challenge is positive with vomiting 1-4 h after the food plus ≥ {FPIES_MIN_MINORS} minor criteria"
            )
            hits.append(RuleHit("fpies_sign_hold", message, evidence, evidence_at, tier=HOLD))
        else:
            hits.append(RuleHit("objective_sign", message, evidence, evidence_at))
    return hits


def _first_run(numbers: Sequence[int], length: int) -> list[int] | None:
    """The first run of consecutive integers at least `length` long in sorted `numbers`, whole."""
    run: list[int] = []
    for number in sorted(set(numbers)):
        run = [*run, number] if run and number == run[-1] + 1 else [number]
        if len(run) >= length and (number + 1 not in numbers):
            return run
    return None


def _subjective_hits(rules: StopRules, findings: Sequence[Finding], pre_dose: Mapping[str, int]) -> list[RuleHit]:
    """Same subjective item on N consecutive doses (Utrecht: >=3 consecutive doses, docs/clinical-sources.md §3.2)."""
    first_per_dose: dict[str, dict[int, Finding]] = {}
    for finding in findings:
        dose = finding.after_dose
        if dose is not None and not ITEMS[finding.item_code].objective:
            if _counts(finding, rules.subjective_min_severity, pre_dose):
                first_per_dose.setdefault(finding.item_code, {}).setdefault(dose, finding)
    hits = []
    limit = rules.subjective_consecutive_doses
    for code, per_dose in first_per_dose.items():
        run = _first_run(list(per_dose), limit)
        if run is None:
            continue
        doses = ("dose " if len(run) == 1 else "doses ") + ", ".join(map(str, run))
        message = (
            f"Subjective symptom on {len(run)} consecutive doses: {ITEMS[code].label} after {doses} "
            f"(limit: same symptom on {limit} consecutive doses)"
        )
        evidence = tuple(_describe(per_dose[n]) for n in run)
        hits.append(RuleHit("subjective_repeated", message, evidence, tuple(per_dose[n].observed_at for n in run)))
    return hits


def _episodes(findings: Sequence[Finding], pre_dose: Mapping[str, int]) -> list[list[Finding]]:
    """One item's post-dose findings (time order) cut into episodes: a run of findings that count (grade 1 or more,
    worse than baseline), ended by a finding that does not (recorded absent or back to baseline)."""
    episodes: list[list[Finding]] = []
    current: list[Finding] = []
    for finding in findings:
        if finding.after_dose is None:
            continue
        if _counts(finding, 1, pre_dose):
            current.append(finding)
        elif current:
            episodes.append(current)
            current = []
    if current:
        episodes.append(current)
    return episodes


def _subjective_hold_hits(rules: StopRules, findings: Sequence[Finding], pre_dose: Mapping[str, int]) -> list[RuleHit]:
    """HOLD: a subjective symptom of grade >= 2, or one persisting > 45 min (Niggemann & Beyer 2010; EuroPrevall;
    docs/clinical-sources.md §3.2). One hit per item and kind; the evidence is the finding that met the rule."""
    by_item: dict[str, list[Finding]] = {}
    for finding in findings:
        if not ITEMS[finding.item_code].objective:
            by_item.setdefault(finding.item_code, []).append(finding)
    hits = []
    severity, limit = rules.subjective_hold_severity, timedelta(minutes=rules.subjective_hold_minutes)
    for code, item_findings in by_item.items():
        severe = next((f for f in item_findings if _counts(f, severity, pre_dose)), None)
        if severe is not None:
            message = (
                f"Hold: {_describe(severe)} "
                f"(limit: a subjective symptom {SEVERITY_LABELS[severity]} ({severity}) or worse)"
            )
            hits.append(RuleHit("subjective_severe", message, (_describe(severe),), (severe.observed_at,), tier=HOLD))
        for episode in _episodes(item_findings, pre_dose):
            late = next((f for f in episode if f.observed_at - episode[0].observed_at > limit), None)
            if late is None:
                continue
            lasted = format_duration(late.observed_at - episode[0].observed_at)
            message = (
                f"Hold: {ITEMS[code].label} persists {lasted}, from {_hhmm(episode[0].observed_at)} to "
                f"{_hhmm(late.observed_at)} (limit: a subjective symptom lasting more than "
                f"{rules.subjective_hold_minutes} min)"
            )
            evidence = (_describe(episode[0]), _describe(late))
            hits.append(
                RuleHit(
                    "subjective_persistent",
                    message,
                    evidence,
                    (episode[0].observed_at, late.observed_at),
                    tier=HOLD,
                )
            )
            break
    return hits


# --- Vital-sign rules ---------------------------------------------------------------------------------------


def _percent(part: int, whole: int, limit: int) -> str:
    """part/whole as a percentage to 0.1 %; to 0.01 % if 0.1 % would show a breach as equal to the limit."""
    exact = Decimal(part) * 100 / Decimal(whole)
    shown = exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if shown == limit:  # PEF 499 -> 399 is 20.04 %, which must not read as "20 % (limit: drop > 20 %)"
        shown = exact.quantize(Decimal("0.01"), rounding=ROUND_UP)
    return f"{format_decimal(shown)} %"


def _breaches(
    readings: Sequence[Vitals], value_of: Callable[[Vitals], int | None], breached: Callable[[int], bool]
) -> list[tuple[Vitals, int]]:
    """(reading, value) pairs, in time order, whose value meets a rule."""
    pairs = [(reading, value_of(reading)) for reading in readings]
    return [(reading, value) for reading, value in pairs if value is not None and breached(value)]


def _hit(
    code: str, message: str, breaches: Sequence[tuple[Vitals, int]], name: str, unit: str, tier: str = STOP
) -> RuleHit:
    """A vital-sign hit whose evidence lists every reading that met the rule."""
    evidence = tuple(f"{_hhmm(reading.taken_at)} {name} {value}{unit}" for reading, value in breaches)
    return RuleHit(code, message, evidence, tuple(reading.taken_at for reading, _ in breaches), tier=tier)


def _baseline_value(baseline: Vitals | None, value_of: Callable[[Vitals], int | None]) -> int | None:
    """A baseline value to compare against, or None when there is none (relative rules are then skipped)."""
    value = value_of(baseline) if baseline is not None else None
    if value is not None and (type(value) is not int or value <= 0):
        raise StopRuleError(f"Baseline vital signs must be positive whole numbers, not {value!r}.", code="bad_baseline")
    return value


def _sbp_drop_hit(rules: StopRules, readings: Sequence[Vitals], baseline: Vitals | None) -> RuleHit | None:
    """Systolic BP more than N mmHg below baseline (EuroPrevall, docs/clinical-sources.md §3.2)."""
    base = _baseline_value(baseline, lambda v: v.systolic)
    if base is None:
        return None
    breaches = _breaches(readings, lambda v: v.systolic, lambda sbp: base - sbp > rules.sbp_drop_mmhg)
    if not breaches:
        return None
    worst = min(value for _, value in breaches)
    message = (
        f"Systolic BP {worst} mmHg is {base - worst} mmHg below baseline {base} mmHg "
        f"(limit: drop > {rules.sbp_drop_mmhg} mmHg)"
    )
    return _hit("sbp_drop", message, breaches, "systolic BP", " mmHg")


def _sbp_pct_hit(rules: StopRules, readings: Sequence[Vitals], baseline: Vitals | None) -> RuleHit | None:
    """Systolic BP more than N % below baseline: NIAID/FAAN hypotension at any age (docs/clinical-sources.md §4.5,
    7)."""
    base = _baseline_value(baseline, lambda v: v.systolic)
    if base is None:
        return None
    pct = rules.sbp_drop_pct
    breaches = _breaches(readings, lambda v: v.systolic, lambda sbp: systolic_drop_exceeds(sbp, base, pct))
    if not breaches:
        return None
    worst = min(value for _, value in breaches)
    drop = _percent(base - worst, base, rules.sbp_drop_pct)
    message = (
        f"Hypotension: systolic BP {worst} mmHg is {drop} below baseline {base} mmHg "
        f"(limit: drop > {rules.sbp_drop_pct} %)"
    )
    return _hit("hypotension", message, breaches, "systolic BP", " mmHg")


def _age_hypotension_hit(rules: StopRules, readings: Sequence[Vitals], age_years: Decimal) -> RuleHit | None:
    """Systolic BP below the NIAID/FAAN limit for age (docs/clinical-sources.md §7); needs no baseline."""
    if not rules.use_age_hypotension:
        return None
    limit = _age_limit(age_years)
    breaches = _breaches(readings, lambda v: v.systolic, lambda sbp: sbp < limit)
    if not breaches:
        return None
    worst = min(value for _, value in breaches)
    message = (
        f"Hypotension for age: systolic BP {worst} mmHg "
        f"(limit: below {limit} mmHg at age {format_decimal(Decimal(age_years))} years)"
    )
    return _hit("hypotension", message, breaches, "systolic BP", " mmHg")


def _hr_rise_hit(rules: StopRules, readings: Sequence[Vitals], baseline: Vitals | None) -> RuleHit | None:
    """Heart rate more than N % above baseline (soy DBPCFC, docs/clinical-sources.md §3.2)."""
    base = _baseline_value(baseline, lambda v: v.heart_rate)
    if base is None:
        return None
    breaches = _breaches(readings, lambda v: v.heart_rate, lambda hr: (hr - base) * 100 > rules.hr_rise_pct * base)
    if not breaches:
        return None
    worst = max(value for _, value in breaches)
    rise = _percent(worst - base, base, rules.hr_rise_pct)
    message = (
        f"Heart rate {worst}/min is {rise} above baseline {base}/min (limit: rise > {rules.hr_rise_pct} %); "
        "advisory on its own: look for another sign"
    )
    return _hit("hr_rise", message, breaches, "heart rate", "/min", tier=ADVISORY)


def _pef_drop_hit(rules: StopRules, readings: Sequence[Vitals], baseline: Vitals | None) -> RuleHit | None:
    """Peak flow more than N % below baseline (EuroPrevall, docs/clinical-sources.md §3.2)."""
    base = _baseline_value(baseline, lambda v: v.pef)
    if base is None:
        return None
    breaches = _breaches(readings, lambda v: v.pef, lambda pef: (base - pef) * 100 > rules.pef_drop_pct * base)
    if not breaches:
        return None
    worst = min(value for _, value in breaches)
    drop = _percent(base - worst, base, rules.pef_drop_pct)
    message = f"PEF {worst} L/min is {drop} below baseline {base} L/min (limit: drop > {rules.pef_drop_pct} %)"
    return _hit("pef_drop", message, breaches, "PEF", " L/min")


def _fev1_drop_hit(rules: StopRules, readings: Sequence[Vitals], baseline: Vitals | None) -> RuleHit | None:
    """FEV1 more than N % below baseline (EuroPrevall > 12 %, docs/clinical-sources.md §3.2)."""
    base = _baseline_value(baseline, lambda v: v.fev1_ml)
    if base is None:
        return None
    pct = rules.fev1_drop_pct
    breaches = _breaches(readings, lambda v: v.fev1_ml, lambda fev1: (base - fev1) * 100 > pct * base)
    if not breaches:
        return None
    worst = min(value for _, value in breaches)
    drop = _percent(base - worst, base, pct)
    message = f"FEV1 {worst} mL is {drop} below baseline {base} mL (limit: drop > {pct} %)"
    return _hit("fev1_drop", message, breaches, "FEV1", " mL")


def _spo2_hit(rules: StopRules, readings: Sequence[Vitals]) -> RuleHit | None:
    """SpO2 below the limit (docs/clinical-sources.md §7); needs no baseline."""
    breaches = _breaches(readings, lambda v: v.spo2, lambda spo2: spo2 < rules.spo2_below)
    if not breaches:
        return None
    worst = min(value for _, value in breaches)
    message = f"SpO2 {worst} % (limit: below {rules.spo2_below} %)"
    return _hit("spo2_low", message, breaches, "SpO2", " %")


def _vital_hits(
    rules: StopRules, readings: Sequence[Vitals], baseline: Vitals | None, age_years: Decimal
) -> list[RuleHit]:
    """Every vital-sign rule met; relative rules are skipped when the baseline value is missing."""
    candidates = (
        _sbp_drop_hit(rules, readings, baseline),
        _age_hypotension_hit(rules, readings, age_years),
        _sbp_pct_hit(rules, readings, baseline),
        _hr_rise_hit(rules, readings, baseline),
        _pef_drop_hit(rules, readings, baseline),
        _fev1_drop_hit(rules, readings, baseline),
        _spo2_hit(rules, readings),
    )
    return [hit for hit in candidates if hit is not None]


# --- FPIES --------------------------------------------------------------------------------------------------

# Major criterion: vomiting 1-4 h after the food (Leonard 2018, docs/clinical-sources.md §1.5); both ends inclusive.
FPIES_VOMIT_FROM = timedelta(hours=1)
FPIES_VOMIT_TO = timedelta(hours=4)
FPIES_MIN_MINORS = 2  # "plus at least 2 minor criteria" (docs/clinical-sources.md §1.5)
# In an FPIES challenge these signs (below their worst grade) hold the next portion: a positive challenge is the
# Leonard rule's to call, not the first vomit's or a pale moment's (clinical review S6). Their worst grade still stops.
FPIES_HOLD_ITEMS = ("gi_vomiting", "gi_diarrhoea", "mental_state", "infant_pallor")
FPIES_HOLD_BELOW = 3
# Minor criterion: diarrhoea 5-10 h after the food (Leonard 2018, docs/clinical-sources.md §1.5); both ends inclusive.
FPIES_DIARRHOEA_FROM = timedelta(hours=5)
FPIES_DIARRHOEA_TO = timedelta(hours=10)
# Leonard 2018 lists hypothermia without a number (docs/clinical-sources.md §1.5). 35 °C is the usual clinical
# definition of
# hypothermia and has no source in docs/clinical-sources.md (§9, [unconfirmed]): check it with the clinical lead.
HYPOTHERMIA_BELOW_C = Decimal("35")


def _vomit_delay(vomit: Finding, dose_times: Mapping[int, datetime]) -> tuple[int, timedelta] | None:
    """(dose number, delay) for the latest dose given 1-4 h before the vomiting, if any."""
    last = vomit.after_dose if vomit.after_dose is not None else 0
    for number in sorted((n for n in dose_times if n <= last), reverse=True):
        delay = vomit.observed_at - dose_times[number]
        if FPIES_VOMIT_FROM <= delay <= FPIES_VOMIT_TO:
            return number, delay
    return None


def _fpies_major(
    findings: Sequence[Finding], pre_dose: Mapping[str, int], dose_times: Mapping[int, datetime] | None
) -> tuple[Finding, str] | None:
    """The first vomiting finding that meets the major criterion, with its timing in words."""
    for finding in findings:
        if finding.item_code != "gi_vomiting" or not _counts(finding, 1, pre_dose):
            continue
        if dose_times is None:
            return finding, "time from the food not checked (no dose times given)"
        timing = _vomit_delay(finding, dose_times)
        if timing is not None:
            return finding, f"{format_duration(timing[1])} after dose {timing[0]}"
    return None


def _diarrhoea_in_window(finding: Finding, dose_times: Mapping[int, datetime]) -> bool:
    """Diarrhoea 5-10 h after the last dose given before it (both ends inclusive)."""
    before = [when for when in dose_times.values() if when <= finding.observed_at]
    return bool(before) and FPIES_DIARRHOEA_FROM <= finding.observed_at - max(before) <= FPIES_DIARRHOEA_TO


def _fpies_minors(
    findings: Sequence[Finding],
    pre_dose: Mapping[str, int],
    readings: Sequence[Vitals],
    baseline: Vitals | None,
    age_years: Decimal,
    sbp_drop_pct: int,
    dose_times: Mapping[int, datetime] | None = None,
    neutrophil_rise: tuple[str, datetime] | None = None,
) -> list[tuple[str, str, datetime]]:  # neutrophil_rise: (evidence, when it counts: the major vomiting's time)
    """(criterion, evidence, when seen) for each FPIES minor criterion we can see in the record
    (docs/clinical-sources.md §1.5).

    Each is read from the item that names it (clinical review S6): lethargy from a change in mental state (drowsy,
    hard to rouse) or an infant's reduced tone (pallor/floppiness grade 2 or worse), never from "quieter than usual";
    pallor from the pallor item, never from "weak, dizzy or tachycardia"; diarrhoea from the diarrhoea item when it
    began 5-10 h after the food; the neutrophil rise from the counts recorded on the challenge.
    """
    minors: list[tuple[str, str, datetime]] = []
    lethargy = next(
        (
            f
            for f in findings
            if (f.item_code == "mental_state" and _counts(f, 1, pre_dose))
            or (f.item_code == "infant_pallor" and _counts(f, 2, pre_dose))
        ),
        None,
    )
    if lethargy is not None:
        minors.append(("lethargy", _describe(lethargy), lethargy.observed_at))
    pallor = next((f for f in findings if f.item_code == "infant_pallor" and _counts(f, 1, pre_dose)), None)
    if pallor is not None:
        minors.append(("pallor", _describe(pallor), pallor.observed_at))
    if dose_times:
        diarrhoea = next(
            (
                f
                for f in findings
                if f.item_code == "gi_diarrhoea" and _counts(f, 1, pre_dose) and _diarrhoea_in_window(f, dose_times)
            ),
            None,
        )
        if diarrhoea is not None:
            minors.append(("diarrhoea 5-10 h after the food", _describe(diarrhoea), diarrhoea.observed_at))
    if neutrophil_rise is not None:
        minors.append(("neutrophil rise", neutrophil_rise[0], neutrophil_rise[1]))
    limit = _age_limit(age_years)
    base = _baseline_value(baseline, lambda v: v.systolic)
    for reading in readings:
        sbp = reading.systolic
        if sbp is not None and (sbp < limit or (base is not None and systolic_drop_exceeds(sbp, base, sbp_drop_pct))):
            minors.append(("hypotension", f"{_hhmm(reading.taken_at)} systolic BP {sbp} mmHg", reading.taken_at))
            break
    for reading in readings:
        temperature = reading.temperature_c
        if temperature is not None and temperature < HYPOTHERMIA_BELOW_C:
            text = f"{_hhmm(reading.taken_at)} temperature {format_decimal(temperature)} °C"
            minors.append(("hypothermia", text, reading.taken_at))
            break
    return minors


def _fpies_hit(
    rules: StopRules,
    findings: Sequence[Finding],
    pre_dose: Mapping[str, int],
    readings: Sequence[Vitals],
    baseline: Vitals | None,
    age_years: Decimal,
    dose_times: Mapping[int, datetime] | None,
    neutrophil_rise: str | None = None,
) -> RuleHit | None:
    """FPIES OFC positive: vomiting 1-4 h after the food plus >=2 minor criteria (Leonard 2018,
    docs/clinical-sources.md §1.5)."""
    major = _fpies_major(findings, pre_dose, dose_times)
    if major is None:
        return None
    # The counts carry no time: the rise counts from the vomiting it goes with (so it never moves the onset earlier).
    rise = (neutrophil_rise, major[0].observed_at) if neutrophil_rise else None
    minors = _fpies_minors(findings, pre_dose, readings, baseline, age_years, rules.sbp_drop_pct, dose_times, rise)
    if len(minors) < FPIES_MIN_MINORS:
        return None
    vomit, timing = major
    message = (
        f"FPIES challenge positive: vomiting at {_hhmm(vomit.observed_at)}, {timing}, plus {len(minors)} minor "
        f"criteria ({', '.join(name for name, _, _ in minors)}) "
        f"(limit: vomiting 1-4 h after the food plus ≥ {FPIES_MIN_MINORS} minor criteria)"
    )
    evidence = (_describe(vomit), *(f"{name}: {detail}" for name, detail, _ in minors))
    evidence_at = (vomit.observed_at, *(at for _, _, at in minors))
    return RuleHit("fpies_positive", message, evidence, evidence_at)
