"""The FPIES stop rule: a positive FPIES challenge by the Leonard 2018 criteria, and the signs that hold meanwhile.

Vomiting 1-4 h after the food plus at least 2 minor criteria, each read from the item that names it
(docs/clinical-sources.md §1.5). Used by clinical.stopping when a protocol's StopRules has `fpies_rule`; the hold
constants are read there too, by the objective-sign rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from clinical.dates import format_clock
from clinical.durations import format_duration
from clinical.stop_observations import Finding, Vitals, age_limit, baseline_value, counts, describe
from clinical.stop_rules import RuleHit, StopRules
from clinical.units import format_decimal
from clinical.vitals import systolic_drop_exceeds

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
        if finding.item_code != "gi_vomiting" or not counts(finding, 1, pre_dose):
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
            if (f.item_code == "mental_state" and counts(f, 1, pre_dose))
            or (f.item_code == "infant_pallor" and counts(f, 2, pre_dose))
        ),
        None,
    )
    if lethargy is not None:
        minors.append(("lethargy", describe(lethargy), lethargy.observed_at))
    pallor = next((f for f in findings if f.item_code == "infant_pallor" and counts(f, 1, pre_dose)), None)
    if pallor is not None:
        minors.append(("pallor", describe(pallor), pallor.observed_at))
    if dose_times:
        diarrhoea = next(
            (
                f
                for f in findings
                if f.item_code == "gi_diarrhoea" and counts(f, 1, pre_dose) and _diarrhoea_in_window(f, dose_times)
            ),
            None,
        )
        if diarrhoea is not None:
            minors.append(("diarrhoea 5-10 h after the food", describe(diarrhoea), diarrhoea.observed_at))
    if neutrophil_rise is not None:
        minors.append(("neutrophil rise", neutrophil_rise[0], neutrophil_rise[1]))
    limit = age_limit(age_years)
    base = baseline_value(baseline, lambda v: v.systolic)
    for reading in readings:
        sbp = reading.systolic
        if sbp is not None and (sbp < limit or (base is not None and systolic_drop_exceeds(sbp, base, sbp_drop_pct))):
            minors.append(("hypotension", f"{format_clock(reading.taken_at)} systolic BP {sbp} mmHg", reading.taken_at))
            break
    for reading in readings:
        temperature = reading.temperature_c
        if temperature is not None and temperature < HYPOTHERMIA_BELOW_C:
            text = f"{format_clock(reading.taken_at)} temperature {format_decimal(temperature)} °C"
            minors.append(("hypothermia", text, reading.taken_at))
            break
    return minors


def fpies_hit(
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
        f"FPIES challenge positive: vomiting at {format_clock(vomit.observed_at)}, {timing}, plus {len(minors)} minor "
        f"criteria ({', '.join(name for name, _, _ in minors)}) "
        f"(limit: vomiting 1-4 h after the food plus ≥ {FPIES_MIN_MINORS} minor criteria)"
    )
    evidence = (describe(vomit), *(f"{name}: {detail}" for name, detail, _ in minors))
    evidence_at = (vomit.observed_at, *(at for _, _, at in minors))
    return RuleHit("fpies_positive", message, evidence, evidence_at)
