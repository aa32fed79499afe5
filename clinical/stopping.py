"""The stop-rule evaluator: which of a protocol's stop rules the observations so far have met.

The rules as data (StopRules, the tiers, RuleHit) are clinical.stop_rules; what the rules read and the conventions
of reading it (the baseline, ages in completed years) are clinical.stop_observations; the FPIES rule is
clinical.stop_fpies. This module holds `evaluate`, the symptom rules (objective signs, repeated and severe or
persistent subjective symptoms) and the vital-sign rules. The evaluator only proposes; the clinician decides and the
decision is stored elsewhere.

Vital-sign rules report one hit per rule: the message names the worst reading, the evidence lists every reading that
met the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal

from clinical.checklist import ITEMS, SEVERITY_LABELS
from clinical.dates import format_clock
from clinical.durations import format_duration
from clinical.stop_fpies import FPIES_HOLD_BELOW, FPIES_HOLD_ITEMS, FPIES_MIN_MINORS, fpies_hit
from clinical.stop_observations import (
    Finding,
    Vitals,
    age_limit,
    baseline_value,
    check_age,
    check_finding,
    counts,
    describe,
)
from clinical.stop_rules import ADVISORY, HOLD, OBSERVE, STOP, RuleHit, StopRules
from clinical.units import format_decimal
from clinical.vitals import systolic_drop_exceeds


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
    check_age(age_years)
    for finding in findings:
        check_finding(finding)
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
        fpies = fpies_hit(rules, ordered, pre_dose, readings, baseline, age_years, dose_times, neutrophil_rise)
        if fpies is not None:
            hits.append(fpies)
    return hits


# --- Symptom rules ------------------------------------------------------------------------------------------


def _pre_dose_severity(findings: Sequence[Finding]) -> dict[str, int]:
    """Worst grade of each item recorded before the first dose (the patient's baseline)."""
    worst: dict[str, int] = {}
    for finding in findings:
        if finding.after_dose is None:
            worst[finding.item_code] = max(worst.get(finding.item_code, 0), finding.severity)
    return worst


def _objective_hits(rules: StopRules, findings: Sequence[Finding], pre_dose: Mapping[str, int]) -> list[RuleHit]:
    """One hit per objective item that reached the grade (Utrecht: stop on objective symptoms,
    docs/clinical-sources.md §3.2)."""
    by_item: dict[str, list[Finding]] = {}
    for finding in findings:
        if ITEMS[finding.item_code].objective and counts(finding, rules.objective_min_severity, pre_dose):
            by_item.setdefault(finding.item_code, []).append(finding)
    hits = []
    for code, matched in by_item.items():
        message = f"Objective sign: {describe(matched[0])}"
        if pre_dose.get(code):
            grade = pre_dose[code]
            message += f" (before the first dose: {SEVERITY_LABELS[grade]} ({grade}))"
        if rules.objective_min_severity > 1:
            message += f" (limit: {SEVERITY_LABELS[rules.objective_min_severity]} or worse)"
        evidence, evidence_at = tuple(describe(f) for f in matched), tuple(f.observed_at for f in matched)
        if ITEMS[code].contact_only:
            message = f"Observe: {describe(matched[0])} (contact or perioral redness alone is not a stop sign)"
            hits.append(RuleHit("contact_redness", message, evidence, evidence_at, tier=OBSERVE))
        elif rules.fpies_rule and code in FPIES_HOLD_ITEMS and max(f.severity for f in matched) < FPIES_HOLD_BELOW:
            message = (
                f"Hold: {describe(matched[0])} in an FPIES challenge: give no further portion and watch; the "
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
            if counts(finding, rules.subjective_min_severity, pre_dose):
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
        evidence = tuple(describe(per_dose[n]) for n in run)
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
        if counts(finding, 1, pre_dose):
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
        severe = next((f for f in item_findings if counts(f, severity, pre_dose)), None)
        if severe is not None:
            message = (
                f"Hold: {describe(severe)} "
                f"(limit: a subjective symptom {SEVERITY_LABELS[severity]} ({severity}) or worse)"
            )
            hits.append(RuleHit("subjective_severe", message, (describe(severe),), (severe.observed_at,), tier=HOLD))
        for episode in _episodes(item_findings, pre_dose):
            late = next((f for f in episode if f.observed_at - episode[0].observed_at > limit), None)
            if late is None:
                continue
            lasted = format_duration(late.observed_at - episode[0].observed_at)
            message = (
                f"Hold: {ITEMS[code].label} persists {lasted}, from {format_clock(episode[0].observed_at)} to "
                f"{format_clock(late.observed_at)} (limit: a subjective symptom lasting more than "
                f"{rules.subjective_hold_minutes} min)"
            )
            evidence = (describe(episode[0]), describe(late))
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
    evidence = tuple(f"{format_clock(reading.taken_at)} {name} {value}{unit}" for reading, value in breaches)
    return RuleHit(code, message, evidence, tuple(reading.taken_at for reading, _ in breaches), tier=tier)


def _sbp_drop_hit(rules: StopRules, readings: Sequence[Vitals], baseline: Vitals | None) -> RuleHit | None:
    """Systolic BP more than N mmHg below baseline (EuroPrevall, docs/clinical-sources.md §3.2)."""
    base = baseline_value(baseline, lambda v: v.systolic)
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
    base = baseline_value(baseline, lambda v: v.systolic)
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
    limit = age_limit(age_years)
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
    base = baseline_value(baseline, lambda v: v.heart_rate)
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
    base = baseline_value(baseline, lambda v: v.pef)
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
    base = baseline_value(baseline, lambda v: v.fev1_ml)
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
