"""Suggested reaction grades on three published scales, from checklist findings and vital signs.

A suggestion only: the clinician confirms or changes it. Every mapping from a checklist item (PRACTALL 0-3
severity, docs/clinical-sources.md §3.1) to a scale feature is a documented judgement; the section numbers in
comments refer to
docs/clinical-sources.md, whose "[unconfirmed]" marks are repeated where they apply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from clinical.durations import format_duration
from clinical.errors import DomainError
from clinical.units import format_decimal
from clinical.vitals import systolic_drop_exceeds, systolic_hypotension_limit

SAMPSON = "sampson_2003"
WAO = "wao_2010"
BROWN = "brown_2004"

SCALES: dict[str, str] = {
    SAMPSON: "Sampson 2003 (Pediatrics 2003;111:1601-8)",  # docs/clinical-sources.md §4.1
    WAO: "WAO 2010 (Cox et al., J Allergy Clin Immunol 2010;125:569-74)",  # docs/clinical-sources.md §4.3
    BROWN: "Brown 2004 (J Allergy Clin Immunol 2004;114:371-6)",  # docs/clinical-sources.md §4.2
}

# What each scale calls "no reaction": Sampson is numeric, the others are not.
NO_REACTION: dict[str, str] = {SAMPSON: "0", WAO: "none", BROWN: "none"}

# PRACTALL scores each item 0 absent, 1 mild, 2 moderate, 3 severe (docs/clinical-sources.md §3.1).
SEVERITY_WORDS: dict[int, str] = {1: "mild", 2: "moderate", 3: "severe"}

# Plain-language names of the shared checklist item codes (clinical/checklist.py uses the same codes).
ITEM_LABELS: dict[str, str] = {
    "skin_pruritus": "Pruritus",
    "skin_urticaria": "Urticaria/angioedema",
    "skin_erythema": "Erythema/rash",
    "upper_resp_sneezing": "Sneezing/nasal itch",
    "oral_symptoms": "Oral symptoms",
    "lower_resp_wheeze": "Wheeze",
    "lower_resp_laryngeal": "Laryngeal symptoms",
    "gi_subjective": "Nausea/abdominal pain",
    "gi_vomiting": "Vomiting/diarrhoea",
    "cardio_neuro": "Cardiovascular/neurological",
    "behaviour_change": "Behaviour change",
    "skin_contact": "Contact/perioral redness",
    "upper_resp_nasal": "Nasal congestion/runny nose",
    "eyes_conjunctival": "Conjunctival redness/tearing",
    "throat_tightness": "Throat tightness/difficulty swallowing",
    "breathlessness": "Breathlessness/chest tightness",
    "tongue_swelling": "Tongue/uvula swelling",
    "gi_diarrhoea": "Diarrhoea",
    "infant_pallor": "Pallor/floppiness",
    "mental_state": "Change in mental state",
    "mcas_flushing": "Flushing",
    "mcas_itch": "Itch",
    "mcas_brain_fog": "Brain fog",
    "mcas_headache": "Headache",
    "mcas_tachycardia": "Tachycardia (reported)",
}

TACHYCARDIA_RISE = 15  # a rise of more than 15 beats/min is Sampson grade 3, docs/clinical-sources.md §4.1 / 7
PEF_OBJECTIVE_DROP_PCT = (
    20  # PEF drop >20 % is an objective lower-airway sign (EuroPrevall), docs/clinical-sources.md §3.2 / 7
)
WAO_SEVERE_PEF_DROP_PCT = (
    40  # >=40 % not responding = WAO grade 3; <40 % responding = grade 2, docs/clinical-sources.md §4.3 / 7
)
# SpO2 <92 % (or cyanosis) is "severe" in the Japanese 3-grade table (PMC7659525), docs/clinical-sources.md §4.1 / 7.
HYPOXAEMIA_SPO2_BELOW = 92
# Brown 2004's own cut-off is SpO2 <=92 %, docs/clinical-sources.md §4.2 / 7 [unconfirmed].
BROWN_HYPOXIA_SPO2_AT_OR_BELOW = 92
# WAO adrenaline-timing suffix, measured from the first symptom: a <=5 min, b >5-10, c >10-20, d >20, z not given
# (docs/clinical-sources.md §4.3).
WAO_SUFFIX_LIMITS: tuple[tuple[timedelta, str], ...] = (
    (timedelta(minutes=5), "a"),
    (timedelta(minutes=10), "b"),
    (timedelta(minutes=20), "c"),
)
WAO_SUFFIX_LATE = "d"
WAO_SUFFIX_NOT_GIVEN = "z"


class GradingError(DomainError):
    """Bad grading input or an unknown scale."""


@dataclass(frozen=True)
class GradeInput:
    """What was seen during one reaction: checklist findings plus the worst vital signs."""

    findings: Sequence[tuple[str, int]]  # (item code, worst PRACTALL severity 0-3 seen)
    min_systolic: int | None = None
    baseline_systolic: int | None = None
    max_heart_rate: int | None = None
    baseline_heart_rate: int | None = None
    min_spo2: int | None = None
    pef_drop_pct: Decimal | None = None
    bronchodilator_response: bool | None = None
    age_years: Decimal = Decimal(30)
    loss_of_consciousness: bool = False
    first_symptom_at: datetime | None = None
    adrenaline_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", tuple(self.findings))
        for code, severity in self.findings:
            _check_finding(code, severity)
        _check_vitals(self)
        for moment in (self.first_symptom_at, self.adrenaline_at):
            if moment is not None and moment.utcoffset() is None:
                raise GradingError("Reaction times must include a time zone.", code="naive_datetime")


@dataclass(frozen=True)
class GradeSuggestion:
    """A suggested grade on one scale, with the findings that drove it."""

    scale: str
    scale_label: str
    grade: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class _Feature:
    """One finding or vital sign placed on a scale."""

    grade: int
    reason: str
    system: str = ""


@dataclass(frozen=True)
class _VitalGrades:
    """Where each vital-sign finding sits on one scale (0 = not a feature of that scale)."""

    hypotension: int
    tachycardia: int
    hypoxaemia: int
    bronchospasm: int
    unconsciousness: int
    spo2_at_or_below: int


def _check_finding(code: str, severity: int) -> None:
    """Reject unknown item codes and severities outside PRACTALL's 0-3."""
    if code not in ITEM_LABELS:
        raise GradingError(f"Unknown checklist item: {code!r}.", code="unknown_item")
    if isinstance(severity, bool) or not isinstance(severity, int) or not 0 <= severity <= 3:
        raise GradingError(f"Severity for {code} must be 0 to 3, not {severity!r}.", code="bad_severity")


def _check_vitals(data: GradeInput) -> None:
    """Reject vital signs no patient can have."""
    for name in ("min_systolic", "baseline_systolic", "max_heart_rate", "baseline_heart_rate"):
        value = getattr(data, name)
        if value is not None and not 0 < value < 400:
            raise GradingError(f"{name} must be between 1 and 399, not {value}.", code="bad_vital")
    if data.min_spo2 is not None and not 0 <= data.min_spo2 <= 100:
        raise GradingError(f"SpO2 must be 0 to 100 %, not {data.min_spo2}.", code="bad_vital")
    if not 0 <= data.age_years < 130:
        raise GradingError(f"Age must be 0 to 129 years, not {data.age_years}.", code="bad_age")


def _finding_reason(code: str, severity: int) -> str:
    """'Urticaria/angioedema: moderate (2)'."""
    return f"{ITEM_LABELS[code]}: {SEVERITY_WORDS[severity]} ({severity})"


def _worst_findings(data: GradeInput) -> dict[str, int]:
    """The worst severity per item, in first-seen order, leaving out absent (0) items."""
    worst: dict[str, int] = {}
    for code, severity in data.findings:
        if severity > 0:
            worst[code] = max(severity, worst.get(code, 0))
    return worst


def _hypotension(data: GradeInput) -> str | None:
    """Why the lowest systolic BP counts as hypotension, or None."""
    systolic, baseline = data.min_systolic, data.baseline_systolic
    if systolic is None:
        return None
    # Low for age (NIAID/FAAN, clinical.vitals), in completed years; else a >30 % drop from baseline at any age.
    threshold = systolic_hypotension_limit(int(data.age_years))
    if systolic < threshold:
        return f"Systolic BP {systolic} mmHg (below {threshold} mmHg for age {format_decimal(data.age_years)} y)"
    if baseline is not None and systolic_drop_exceeds(systolic, baseline):
        drop = format_decimal((Decimal(baseline - systolic) * 100 / baseline).quantize(Decimal(1)))
        return f"Systolic BP {systolic} mmHg ({drop} % below baseline {baseline} mmHg)"
    return None


def _tachycardia(data: GradeInput) -> str | None:
    """Why the heart rate counts as a tachycardia rise (>15/min over baseline), or None."""
    rate, baseline = data.max_heart_rate, data.baseline_heart_rate
    if rate is None or baseline is None or rate - baseline <= TACHYCARDIA_RISE:
        return None
    return f"Heart rate {rate}/min (up {rate - baseline}/min from {baseline}/min)"


def _hypoxaemia(data: GradeInput, at_or_below: int) -> str | None:
    """'SpO2 90 %' when the lowest SpO2 is at or below the scale's cut-off, or None."""
    if data.min_spo2 is None or data.min_spo2 > at_or_below:
        return None
    return f"SpO2 {data.min_spo2} %"


def _pef_drop(data: GradeInput) -> str | None:
    """'PEF drop 25 %' when the drop is objective (>20 %), or None."""
    if data.pef_drop_pct is None or data.pef_drop_pct <= PEF_OBJECTIVE_DROP_PCT:
        return None
    return f"PEF drop {format_decimal(data.pef_drop_pct)} %"


def _vital_features(data: GradeInput, grades: _VitalGrades) -> list[_Feature]:
    """The vital-sign findings that this scale grades."""
    signs = (
        (grades.hypotension, "cardiovascular", _hypotension(data)),
        (grades.tachycardia, "cardiovascular", _tachycardia(data)),
        (grades.hypoxaemia, "lower respiratory", _hypoxaemia(data, grades.spo2_at_or_below)),
        (grades.bronchospasm, "lower respiratory", _pef_drop(data)),
        (grades.unconsciousness, "neurological", "Loss of consciousness" if data.loss_of_consciousness else None),
    )
    return [_Feature(grade, reason, system) for grade, system, reason in signs if grade and reason]


def _item_features(data: GradeInput, table: dict[str, tuple[str, tuple[int, int, int]]]) -> list[_Feature]:
    """Checklist findings placed on a scale through its (organ system, grade for severity 1/2/3) table."""
    features = []
    for code, severity in _worst_findings(data).items():
        system, grades = table.get(code, ("", (0, 0, 0)))
        if grades[severity - 1]:
            features.append(_Feature(grades[severity - 1], _finding_reason(code, severity), system))
    return features


def _drivers(features: Sequence[_Feature]) -> tuple[int, tuple[str, ...]]:
    """The worst grade and the findings that reached it."""
    worst = max(feature.grade for feature in features)
    return worst, tuple(feature.reason for feature in features if feature.grade == worst)


def _no_reaction(scale: str, data: GradeInput) -> GradeSuggestion:
    """The 'no reaction' suggestion, naming any findings the scale does not grade."""
    ignored = [_finding_reason(code, severity) for code, severity in _worst_findings(data).items()]
    reasons = tuple(f"Not graded on this scale: {reason}" for reason in ignored) or ("No findings recorded",)
    return GradeSuggestion(scale, SCALES[scale], NO_REACTION[scale], reasons)


# --- Sampson 2003 (docs/clinical-sources.md §4.1): grade = the worst organ system.
# -------------------------------------------
# Values are (organ system, Sampson grade for PRACTALL severity 1, 2, 3); 0 = not a Sampson feature.
_SAMPSON_ITEMS: dict[str, tuple[str, tuple[int, int, int]]] = {
    # PRACTALL scores itch by intensity, not extent; only severe (excoriating) itch is read as Sampson's
    # "generalised pruritus" (2), the rest as "localised pruritus" (1).
    "skin_pruritus": ("skin", (1, 1, 2)),
    # Urticaria 1 (<3 hives, mild lip oedema) and 2 (3-10 hives, lip/face oedema) are localised (Sampson 1);
    # PRACTALL 3 is "generalised" (docs/clinical-sources.md §3.1), Sampson 2.
    "skin_urticaria": ("skin", (1, 1, 2)),
    # Erythema 3 is "generalised marked erythema (>50 %)" (3.1): Sampson's generalised flushing (2).
    "skin_erythema": ("skin", (1, 1, 2)),
    # Sneezing is Sampson respiratory 2; continuous nose/eye rubbing (PRACTALL 3, anchor text truncated in the
    # PRACTALL score sheet) is read as Sampson 3 "marked congestion". Judgement.
    "upper_resp_sneezing": ("respiratory", (2, 2, 3)),
    # Oral pruritus/tingling, mild lip swelling: Sampson GI 1 at every severity (not a PRACTALL item).
    "oral_symptoms": ("gastrointestinal", (1, 1, 1)),
    # Wheeze at any severity is Sampson respiratory 4.
    "lower_resp_wheeze": ("respiratory", (4, 4, 4)),
    # Throat clearing = "throat itch or tightness" (3); hoarseness/dry cough = "hoarseness, barky cough" (4);
    # stridor is not in Sampson's table and is placed with hoarseness (4), short of respiratory arrest (5).
    "lower_resp_laryngeal": ("respiratory", (3, 4, 4)),
    # Nausea is Sampson GI 2 however often it is voiced.
    "gi_subjective": ("gastrointestinal", (2, 2, 2)),
    # One episode = "one vomit" (2); 2-3 or >3 episodes = "repeated vomiting" (3). Diarrhoea has its own item now.
    "gi_vomiting": ("gastrointestinal", (2, 3, 3)),
    # Diarrhoea is Sampson GI 4 at any amount.
    "gi_diarrhoea": ("gastrointestinal", (4, 4, 4)),
    # PRACTALL 1 = "weak, dizzy or tachycardia": the item cannot tell dizziness from tachycardia, so it is read as
    # light-headedness (neurological 4), the cautious reading; 2 = BP drop = "mild hypotension" (4); 3 = collapse (5).
    "cardio_neuro": ("cardiovascular", (4, 4, 5)),
    # Contact redness alone is not a systemic sign; Sampson has no conjunctival feature.
    "skin_contact": ("skin", (0, 0, 0)),
    # Nasal congestion 2; rhinorrhoea or marked congestion 3.
    "upper_resp_nasal": ("respiratory", (2, 3, 3)),
    # Throat pruritus or tightness 3; difficulty swallowing with it is read as hoarseness/dysphagia (4).
    "throat_tightness": ("respiratory", (3, 4, 4)),
    # Dyspnoea is Sampson respiratory 4.
    "breathlessness": ("respiratory", (4, 4, 4)),
    # Tongue or uvula swelling is laryngeal/airway oedema: read with hoarseness and dysphagia (4).
    "tongue_swelling": ("respiratory", (4, 4, 4)),
    # Pallor is read as cardiovascular (3); reduced tone as light-headedness (4); floppy, hard to rouse as loss of
    # consciousness (5).
    "infant_pallor": ("neurological", (3, 4, 5)),
    # Muddled = feeling of pending doom/light-headedness (4); responds only to pain = loss of consciousness (5).
    "mental_state": ("neurological", (4, 4, 5)),
    # Not a PRACTALL item. "Change in activity level" (2); severe change read as "activity change + anxiety" (3).
    "behaviour_change": ("neurological", (2, 2, 3)),
    # MCAS items have no PRACTALL anchors; flushing and itch are read like erythema and pruritus.
    "mcas_flushing": ("skin", (1, 1, 2)),
    "mcas_itch": ("skin", (1, 1, 2)),
    # Reported tachycardia is Sampson cardiovascular 3; a measured rise is checked separately.
    "mcas_tachycardia": ("cardiovascular", (3, 3, 3)),
    # Brain fog and headache are not Sampson features.
}

# Hypotension from vitals is "mild hypotension" (4): Sampson gives no number for severe hypotension, so grade 5
# needs collapse (cardio_neuro 3) or loss of consciousness. SpO2 <92 % stands for cyanosis (respiratory 4).
# A PEF drop >20 % is read as wheeze/dyspnoea (4); Sampson itself has no PEF criterion. Judgement.
_SAMPSON_VITALS = _VitalGrades(
    hypotension=4,
    tachycardia=3,
    hypoxaemia=4,
    bronchospasm=4,
    unconsciousness=5,
    spo2_at_or_below=HYPOXAEMIA_SPO2_BELOW - 1,
)


def suggest_sampson(data: GradeInput) -> GradeSuggestion:
    """Sampson 2003 grade 0-5: the worst organ system seen."""
    features = _item_features(data, _SAMPSON_ITEMS) + _vital_features(data, _SAMPSON_VITALS)
    if not features:
        return _no_reaction(SAMPSON, data)
    grade, reasons = _drivers(features)
    return GradeSuggestion(SAMPSON, SCALES[SAMPSON], str(grade), reasons)


# --- WAO 2010 (docs/clinical-sources.md §4.3): grade 1 = one organ system; 2 = more than one, or GI, or mild asthma; 3
# = severe
# asthma or laryngeal oedema; 4 = respiratory failure or hypotension; 5 = death (never suggested: the clinician
# records it). Lower-airway findings are graded by _wao_lower_airway, not by this table.
_WAO_ITEMS: dict[str, tuple[str, tuple[int, int, int]]] = {
    "skin_pruritus": ("skin", (1, 1, 1)),
    "skin_urticaria": ("skin", (1, 1, 1)),
    "skin_erythema": ("skin", (1, 1, 1)),
    "mcas_flushing": ("skin", (1, 1, 1)),
    "mcas_itch": ("skin", (1, 1, 1)),
    # WAO 2010 has no oral item; WAO 2017 counts lip tingling/itch as cutaneous (4.3), so we do the same.
    "oral_symptoms": ("skin", (1, 1, 1)),
    "upper_resp_sneezing": ("upper respiratory", (1, 1, 1)),
    # Throat clearing is upper respiratory (1). Hoarseness (2) and stridor (3) are read as laryngeal oedema
    # (grade 3, "with or without stridor"); reading hoarseness this way is the cautious judgement.
    "lower_resp_laryngeal": ("upper respiratory", (1, 3, 3)),
    # The PRACTALL item mixes nausea and abdominal pain. A single complaint is read as nausea ("other", 1);
    # frequent complaints or distress are read as abdominal cramps, a WAO grade-2 GI feature.
    "gi_subjective": ("other", (1, 2, 2)),
    "gi_vomiting": ("gastrointestinal", (2, 2, 2)),
    "gi_diarrhoea": ("gastrointestinal", (2, 2, 2)),
    # WAO 2010 has no cardiovascular feature short of hypotension. Dizziness or a fast pulse (1) sits under
    # "other", so anxious tachycardia with hives stays grade 1; BP drop / collapse = 4.
    "cardio_neuro": ("other", (1, 4, 4)),
    "mcas_tachycardia": ("other", (1, 1, 1)),
    # Contact redness alone is not a systemic reaction.
    "skin_contact": ("skin", (0, 0, 0)),
    "upper_resp_nasal": ("upper respiratory", (1, 1, 1)),
    # Conjunctival erythema, itch or tearing is its own WAO grade-1 organ system.
    "eyes_conjunctival": ("conjunctival", (1, 1, 1)),
    # Slight throat tightness = itchy throat (1); persistent tightness or difficulty swallowing is read as
    # laryngeal oedema (3), the cautious reading.
    "throat_tightness": ("upper respiratory", (1, 3, 3)),
    # Breathlessness is lower-airway asthma (2); severe breathlessness is read as severe asthma (3).
    "breathlessness": ("lower respiratory", (2, 2, 3)),
    # Tongue or uvula oedema is WAO grade 3 at any size.
    "tongue_swelling": ("upper respiratory", (3, 3, 3)),
    # Pallor alone (1); reduced tone or floppiness is read as collapse/hypotension (4).
    "infant_pallor": ("cardiovascular", (1, 4, 4)),
    # Confusion or drowsiness is read with hypotension/loss of consciousness (4) from moderate on.
    "mental_state": ("neurological", (1, 4, 4)),
    # Behaviour change may be a child's only sign (4.3 note); it, brain fog and headache sit under "other"
    # (which lists headache).
    "behaviour_change": ("other", (1, 1, 1)),
    "mcas_brain_fog": ("other", (1, 1, 1)),
    "mcas_headache": ("other", (1, 1, 1)),
}

# SpO2 <92 % is hypoxaemia, not respiratory failure: read as severe lower-airway involvement (3); respiratory
# failure (4) is the clinician's call. A measured tachycardia is not a WAO organ system (0), so it never turns a
# one-system reaction into grade 2. Loss of consciousness appears in WAO 2010 only with grade-4 features, so alone
# it is suggested as 4. PEF is graded by _wao_lower_airway (0 here).
_WAO_VITALS = _VitalGrades(
    hypotension=4,
    tachycardia=0,
    hypoxaemia=3,
    bronchospasm=0,
    unconsciousness=4,
    spo2_at_or_below=HYPOXAEMIA_SPO2_BELOW - 1,
)


def _wao_lower_airway(data: GradeInput) -> list[_Feature]:
    """Wheeze or an objective PEF drop, graded 2 or 3 by PEF drop and bronchodilator response."""
    wheeze = _worst_findings(data).get("lower_resp_wheeze")
    evidence = [_finding_reason("lower_resp_wheeze", wheeze)] if wheeze else []
    pef = _pef_drop(data)
    if pef:
        evidence.append(pef)
    if not evidence:
        return []
    # WAO defines only "<40 % and responding" (2) and ">=40 % and not responding" (3). With only one of the two
    # grade-3 markers we suggest 3 (cautious); with neither marker present or measured, 2.
    severe_drop = data.pef_drop_pct is not None and data.pef_drop_pct >= WAO_SEVERE_PEF_DROP_PCT
    grade = 3 if severe_drop or data.bronchodilator_response is False else 2
    if data.bronchodilator_response is not None:
        responded = data.bronchodilator_response
        evidence.append("Responded to bronchodilator" if responded else "No response to bronchodilator")
    return [_Feature(grade, reason, "lower respiratory") for reason in evidence]


def _wao_grade(features: Sequence[_Feature]) -> tuple[int, tuple[str, ...]]:
    """The WAO grade: the worst feature, or 2 when grade-1 features span more than one organ system."""
    grade, reasons = _drivers(features)
    systems = sorted({feature.system for feature in features})
    if grade == 1 and len(systems) > 1:
        return 2, (*reasons, f"{len(systems)} organ systems involved: {', '.join(systems)}")
    return grade, reasons


def wao_adrenaline_suffix(first_symptom_at: datetime | None, adrenaline_at: datetime | None) -> tuple[str, str]:
    """The WAO 2010 suffix letter (a/b/c/d/z) and a sentence saying why."""
    if adrenaline_at is None:
        return WAO_SUFFIX_NOT_GIVEN, "Adrenaline not given"
    if first_symptom_at is None:
        raise GradingError("Adrenaline was given: record the time of the first symptom.", code="first_symptom_missing")
    delay = adrenaline_at.astimezone(UTC) - first_symptom_at.astimezone(UTC)
    if delay < timedelta(0):
        raise GradingError("Adrenaline is recorded before the first symptom.", code="adrenaline_before_symptom")
    letter = next((letter for limit, letter in WAO_SUFFIX_LIMITS if delay <= limit), WAO_SUFFIX_LATE)
    return letter, f"Adrenaline {format_duration(delay)} after the first symptom"


def suggest_wao2010(data: GradeInput) -> GradeSuggestion:
    """WAO 2010 systemic-reaction grade 1-4 with its adrenaline-timing suffix, e.g. '2a' or '3z'."""
    features = _item_features(data, _WAO_ITEMS) + _wao_lower_airway(data) + _vital_features(data, _WAO_VITALS)
    if not features:
        return _no_reaction(WAO, data)
    grade, reasons = _wao_grade(features)
    letter, timing = wao_adrenaline_suffix(data.first_symptom_at, data.adrenaline_at)
    return GradeSuggestion(WAO, SCALES[WAO], f"{grade}{letter}", (*reasons, timing))


# --- Brown 2004 (docs/clinical-sources.md §4.2): 1 mild = skin/subcutaneous only; 2 moderate = respiratory,
# cardiovascular or GI
# involvement; 3 severe = hypoxia, hypotension or neurological compromise.
BROWN_LEVELS: dict[int, str] = {1: "mild", 2: "moderate", 3: "severe"}
_BROWN_ITEMS: dict[str, tuple[str, tuple[int, int, int]]] = {
    "skin_pruritus": ("skin", (1, 1, 1)),
    "skin_urticaria": ("skin", (1, 1, 1)),
    "skin_erythema": ("skin", (1, 1, 1)),
    "mcas_flushing": ("skin", (1, 1, 1)),
    "mcas_itch": ("skin", (1, 1, 1)),
    # Lip/oral symptoms are mucocutaneous (mild).
    "oral_symptoms": ("skin", (1, 1, 1)),
    # Brown's respiratory features are dyspnoea, stridor, wheeze, chest/throat tightness; sneezing is none of
    # these, so it stays mild. Judgement.
    "upper_resp_sneezing": ("upper respiratory", (1, 1, 1)),
    "lower_resp_wheeze": ("respiratory", (2, 2, 2)),
    # Throat clearing = throat tightness, hoarseness, stridor: all moderate.
    "lower_resp_laryngeal": ("respiratory", (2, 2, 2)),
    "gi_subjective": ("gastrointestinal", (2, 2, 2)),
    "gi_vomiting": ("gastrointestinal", (2, 2, 2)),
    # Dizziness/tachycardia = presyncope (moderate); BP drop and collapse = hypotension/collapse (severe).
    "cardio_neuro": ("cardiovascular", (2, 3, 3)),
    # Read as a systemic sign (moderate); "confusion" (severe) is not claimed from a behaviour score. Judgement.
    "behaviour_change": ("neurological", (2, 2, 2)),
    "mcas_tachycardia": ("cardiovascular", (2, 2, 2)),
    # Brain fog and headache are not Brown features.
    "skin_contact": ("skin", (0, 0, 0)),
    "upper_resp_nasal": ("upper respiratory", (1, 1, 1)),
    "eyes_conjunctival": ("skin", (1, 1, 1)),
    # Throat tightness, dyspnoea, diarrhoea are Brown's moderate features; swelling of the tongue is airway.
    "throat_tightness": ("respiratory", (2, 2, 2)),
    "breathlessness": ("respiratory", (2, 2, 2)),
    "tongue_swelling": ("respiratory", (2, 2, 2)),
    "gi_diarrhoea": ("gastrointestinal", (2, 2, 2)),
    # Floppiness and confusion are neurological compromise or collapse (severe); pallor alone is presyncope.
    "infant_pallor": ("cardiovascular", (2, 3, 3)),
    "mental_state": ("neurological", (3, 3, 3)),
}

# Tachycardia (>15/min, Sampson's cut-off) and a PEF drop >20 % suggest cardiovascular / respiratory involvement
# (moderate); hypotension, SpO2 <=92 % [unconfirmed] and loss of consciousness are severe.
_BROWN_VITALS = _VitalGrades(
    hypotension=3,
    tachycardia=2,
    hypoxaemia=3,
    bronchospasm=2,
    unconsciousness=3,
    spo2_at_or_below=BROWN_HYPOXIA_SPO2_AT_OR_BELOW,
)


def suggest_brown(data: GradeInput) -> GradeSuggestion:
    """Brown 2004 grade: mild, moderate or severe."""
    features = _item_features(data, _BROWN_ITEMS) + _vital_features(data, _BROWN_VITALS)
    if not features:
        return _no_reaction(BROWN, data)
    level, reasons = _drivers(features)
    return GradeSuggestion(BROWN, SCALES[BROWN], BROWN_LEVELS[level], reasons)


_SUGGESTERS: dict[str, Callable[[GradeInput], GradeSuggestion]] = {
    SAMPSON: suggest_sampson,
    WAO: suggest_wao2010,
    BROWN: suggest_brown,
}


# Kinds of challenge whose reactions these scales do not describe: FPIES is not IgE-mediated, and Sampson, WAO and
# Brown grade immediate systemic reactions (docs/clinical-sources.md §1.5, 4).
UNGRADED_KINDS: frozenset[str] = frozenset({"fpies"})


def scale_fits(kind: str) -> bool:
    """False when no scale here fits the challenge kind, so no grade is suggested (an FPIES challenge)."""
    return kind not in UNGRADED_KINDS


def suggest(scale: str, data: GradeInput) -> GradeSuggestion:
    """The suggested grade on the named scale."""
    try:
        suggester = _SUGGESTERS[scale]
    except KeyError:
        raise GradingError(f"Unknown grading scale: {scale!r}.", code="unknown_scale") from None
    return suggester(data)
