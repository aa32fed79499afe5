"""Is this reaction anaphylaxis? The NIAID/FAAN 2006 and WAO 2020 clinical criteria, evaluated live from the
checklist findings and vital signs of a reaction (docs/clinical-sources.md §4.5).

In a food challenge the food is a known, likely allergen for the patient, so every criterion that asks for
"exposure to a likely/known allergen" applies. The checklist grades (PRACTALL 0-3) are mapped to the organ
involvement the criteria name; the mapping is ours and errs towards calling anaphylaxis (the safe side: adrenaline
is indicated, and a clinician decides). Pure: no Django.

NIAID/FAAN 2006: anaphylaxis is highly likely when any one is met.
  1. Skin and/or mucosal involvement with respiratory compromise or reduced BP/end-organ dysfunction.
  2. Two or more of: skin/mucosal involvement; respiratory compromise; reduced BP or associated symptoms;
     persistent gastrointestinal symptoms.
  3. Reduced BP after a known allergen (low systolic BP for age, or a drop of more than 30 % from baseline).
WAO 2020: 1. skin/mucosal involvement with respiratory compromise, reduced BP/end-organ dysfunction or severe
gastrointestinal symptoms; 2. hypotension, bronchospasm or laryngeal involvement after a known allergen, even
without skin signs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

NIAID = "NIAID/FAAN 2006"
WAO_2020 = "WAO 2020"

# Item code -> lowest PRACTALL grade (1-3) that counts as that kind of involvement.
_SKIN_MUCOSAL: dict[str, int] = {
    "skin_urticaria": 1,  # hives, or lip oedema (mucosal swelling)
    "skin_erythema": 3,  # generalised marked erythema (flushing)
    "skin_pruritus": 2,  # continuous scratching: taken as generalised itch
    "mcas_flushing": 2,
    "tongue_swelling": 1,  # swollen lips-tongue-uvula
}
_RESPIRATORY: dict[str, int] = {
    "lower_resp_wheeze": 1,
    "lower_resp_laryngeal": 2,  # hoarseness, stridor (throat clearing alone is not compromise)
    "breathlessness": 1,
    "throat_tightness": 2,
}
_CIRCULATORY: dict[str, int] = {
    "cardio_neuro": 2,  # drop in BP; collapse
    "infant_pallor": 2,  # reduced tone, floppiness (hypotonia)
    "mental_state": 2,  # confusion, drowsiness (end-organ dysfunction)
}
_GI_PERSISTENT: dict[str, int] = {
    "gi_vomiting": 2,  # more than one episode
    "gi_diarrhoea": 2,
    "gi_subjective": 2,  # frequent complaints of (crampy) abdominal pain
}
_GI_SEVERE: dict[str, int] = {
    "gi_vomiting": 2,  # repetitive vomiting
    "gi_subjective": 3,  # severe crampy abdominal pain, notably distressed
}
_BRONCHOSPASM_OR_LARYNGEAL: dict[str, int] = {
    "lower_resp_wheeze": 1,
    "lower_resp_laryngeal": 2,
    "throat_tightness": 2,
    "tongue_swelling": 1,  # uvula swelling is laryngeal involvement
}


@dataclass(frozen=True)
class ReactionSigns:
    """What a reaction showed: the worst grade of each checklist item, and what the vital signs showed.

    `hypotension`: systolic BP below the limit for age or more than 30 % below baseline (clinical.vitals);
    `hypoxaemia`: SpO2 below the stop-rule limit; `airflow_drop`: PEF or FEV1 past its stop-rule limit.
    """

    findings: Mapping[str, int]
    hypotension: bool = False
    hypoxaemia: bool = False
    airflow_drop: bool = False


@dataclass(frozen=True)
class Criterion:
    """One published criterion that was met, in words."""

    system: str  # NIAID or WAO_2020
    number: int
    text: str

    @property
    def name(self) -> str:
        return f"{self.system} criterion {self.number}"


@dataclass(frozen=True)
class Assessment:
    """The criteria met (none: not anaphylaxis on these findings) and the organ involvement seen."""

    criteria: tuple[Criterion, ...]
    involvement: tuple[str, ...]

    @property
    def met(self) -> bool:
        return bool(self.criteria)

    @property
    def summary(self) -> str:
        """'NIAID/FAAN 2006 criterion 2 (...); WAO 2020 criterion 1 (...)', or '' when none is met."""
        return "; ".join(f"{c.name} ({c.text})" for c in self.criteria)


def _any(findings: Mapping[str, int], table: Mapping[str, int]) -> list[str]:
    return [code for code, lowest in table.items() if findings.get(code, 0) >= lowest]


def assess(signs: ReactionSigns) -> Assessment:
    """Which NIAID/FAAN 2006 and WAO 2020 criteria the reaction meets (docs/clinical-sources.md §4.5)."""
    findings = signs.findings
    skin = bool(_any(findings, _SKIN_MUCOSAL))
    respiratory = bool(_any(findings, _RESPIRATORY)) or signs.hypoxaemia or signs.airflow_drop
    reduced_bp = signs.hypotension or findings.get("cardio_neuro", 0) >= 2
    circulatory = reduced_bp or bool(_any(findings, _CIRCULATORY))
    gi = bool(_any(findings, _GI_PERSISTENT))
    gi_severe = bool(_any(findings, _GI_SEVERE))
    airway = bool(_any(findings, _BRONCHOSPASM_OR_LARYNGEAL)) or signs.airflow_drop

    involved = [
        name
        for name, present in (
            ("skin/mucosal", skin),
            ("respiratory", respiratory),
            ("reduced blood pressure or end-organ dysfunction", circulatory),
            ("persistent gastrointestinal", gi),
        )
        if present
    ]
    criteria: list[Criterion] = []
    if skin and (respiratory or circulatory):
        second = "respiratory compromise" if respiratory else "reduced blood pressure or end-organ dysfunction"
        criteria.append(Criterion(NIAID, 1, f"skin/mucosal involvement with {second}"))
    if len(involved) >= 2:
        criteria.append(Criterion(NIAID, 2, f"{' and '.join(involved)} involvement after the food"))
    if reduced_bp:
        criteria.append(Criterion(NIAID, 3, "reduced blood pressure after a known allergen"))
    if skin and (respiratory or circulatory or gi_severe):
        criteria.append(Criterion(WAO_2020, 1, "skin/mucosal involvement with a second organ system"))
    if reduced_bp or airway:
        what = "hypotension" if reduced_bp else "bronchospasm or laryngeal involvement"
        criteria.append(Criterion(WAO_2020, 2, f"{what} after a known allergen"))
    return Assessment(tuple(criteria), tuple(involved))
