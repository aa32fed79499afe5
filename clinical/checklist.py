"""The observation checklist: what the nurse watches for after each dose, and how each item is graded.

Items and their 1-3 wording follow the PRACTALL symptom score (docs/clinical-sources.md §3.1: 0 = absent, 1 = mild,
2 = moderate, 3 = severe). Subjective (S) vs objective (O) follows the Utrecht stop rule (docs/clinical-sources.md
§3.2), which is
what stopping.py acts on. This module is data only: no rules and no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Organ(StrEnum):
    """Organ systems used to group checklist items on the form and in reports."""

    SKIN = "skin"
    UPPER_RESP = "upper_resp"
    EYES = "eyes"
    LOWER_RESP = "lower_resp"
    GI = "gi"
    CARDIO_NEURO = "cardio_neuro"
    MCAS = "mcas"


@dataclass(frozen=True)
class ChecklistItem:
    """One thing to look for, graded 0-3; `anchors` is the wording for severity 1, 2 and 3."""

    code: str
    label: str
    organ: Organ
    objective: bool
    anchors: tuple[str, str, str]
    # Redness round the mouth or where the food touched the skin: watched ("observe"), never a stop sign on its own
    # (clinical.stop_rules tiers).
    contact_only: bool = False


# PRACTALL grades each item 0-3 (docs/clinical-sources.md §3.1).
SEVERITY_LABELS: dict[int, str] = {0: "absent", 1: "mild", 2: "moderate", 3: "severe"}

ORGAN_LABELS: dict[Organ, str] = {
    Organ.SKIN: "Skin",
    Organ.UPPER_RESP: "Upper respiratory",
    Organ.EYES: "Eyes (conjunctival)",
    Organ.LOWER_RESP: "Lower respiratory",
    Organ.GI: "Gastrointestinal",
    Organ.CARDIO_NEURO: "Cardiovascular/neurological",
    Organ.MCAS: "Mast-cell activation (MCAS)",
}

# Protocol kinds used across the app (challenges/kinds.py holds their rules; a test keeps the two in step).
PROTOCOL_KINDS: tuple[str, ...] = ("open", "single_blind", "dbpcfc", "fpies", "home", "ladder")

_PRACTALL_ITEMS: tuple[ChecklistItem, ...] = (
    # Anchor wording: PRACTALL column of docs/clinical-sources.md §3.1 (TrakCare OFC form; Clin Transl Allergy 2016,
    # Table 3),
    # with the item name added where the source cell is a fragment ("generalised", "2-3 episodes").
    ChecklistItem(
        "skin_pruritus",
        "Pruritus (itch)",
        Organ.SKIN,
        False,  # S in docs/clinical-sources.md §3.1
        (
            "occasional scratching",
            "continuous scratching for >2 min at a time",
            "hard continuous scratching with excoriations",
        ),
    ),
    ChecklistItem(
        "skin_urticaria",
        "Urticaria/angioedema",
        Organ.SKIN,
        True,  # O in docs/clinical-sources.md §3.1; urticaria and facial swelling are objective for Utrecht (3.2)
        (
            "<3 hives, or mild lip oedema",
            ">3 but <10 hives, or significant lip or face oedema",
            "generalised urticaria or angioedema",
        ),
    ),
    ChecklistItem(
        "skin_erythema",
        "Rash (erythema)",
        Organ.SKIN,
        True,  # O in docs/clinical-sources.md §3.1
        (
            "a few areas of faint erythema",
            "areas of erythema",
            "generalised marked erythema (>50 %)",
        ),
    ),
    ChecklistItem(
        "upper_resp_sneezing",
        "Sneezing/itching (nose, eyes)",
        Organ.UPPER_RESP,
        # S/O in docs/clinical-sources.md §3.1; rhinoconjunctivitis is objective for Utrecht (3.2), so we treat it as O
        True,
        (
            "rare bursts, occasional sniffing",
            "bursts of <10, intermittent rubbing of nose/eyes",
            # The source text is truncated after this (docs/clinical-sources.md §3.1).
            "continuous rubbing of nose and/or eyes",
        ),
    ),
    ChecklistItem(
        "oral_symptoms",
        "Oral itch/tingling",
        # Sampson 2003 puts oral pruritus/tingling in the GI column (docs/clinical-sources.md §4.1); Utrecht calls
        # oropharyngeal symptoms subjective (3.2).
        Organ.GI,
        False,
        # Not in the PRACTALL table (docs/clinical-sources.md §3.1): our wording, no published anchors.
        (
            "brief itch or tingling of mouth or throat, mentioned once",
            "itch or tingling that persists or keeps being mentioned",
            "marked mouth or throat discomfort, upsetting the patient",
        ),
    ),
    ChecklistItem(
        "lower_resp_wheeze",
        "Wheezing",
        Organ.LOWER_RESP,
        True,  # O in docs/clinical-sources.md §3.1 (the TrakCare 1-4 numbering is a slip; we use 0-3)
        (
            "expiratory wheeze on auscultation",
            "inspiratory and expiratory wheeze",
            "accessory muscle use, audible wheeze",
        ),
    ),
    ChecklistItem(
        "lower_resp_laryngeal",
        "Laryngeal (throat clearing, hoarseness, stridor)",
        Organ.LOWER_RESP,
        True,  # O in docs/clinical-sources.md §3.1
        (
            # Source text truncated after this (docs/clinical-sources.md §3.1).
            ">3 discrete episodes of throat clearing",
            "hoarseness, frequent dry cough",
            "stridor",
        ),
    ),
    ChecklistItem(
        "gi_subjective",
        "Nausea/abdominal pain",
        Organ.GI,
        False,  # S in docs/clinical-sources.md §3.1; nausea and abdominal pain are subjective for Utrecht (3.2)
        (
            # Source text truncated after the first and third anchors (docs/clinical-sources.md §3.1).
            "complaints of nausea or abdominal pain",
            "frequent complaints of nausea or pain",
            "notably distressed by GI symptoms",
        ),
    ),
    ChecklistItem(
        "gi_vomiting",
        "Vomiting/diarrhoea",
        Organ.GI,
        True,  # O in docs/clinical-sources.md §3.1
        (
            "1 episode of vomiting or diarrhoea",
            "2-3 episodes of vomiting or diarrhoea",
            ">3 episodes of vomiting or diarrhoea",
        ),
    ),
    ChecklistItem(
        "cardio_neuro",
        "Cardiovascular/neurological",
        Organ.CARDIO_NEURO,
        # O/S in docs/clinical-sources.md §3.1; we treat it as objective because tachycardia and a BP drop are objective
        # for Utrecht and EuroPrevall (3.2), and a clinician must see a child who feels weak or dizzy.
        True,
        (
            "subjective (weak, dizzy) or tachycardia",
            # docs/clinical-sources.md §3.1 (text truncated in the source form).
            "drop in BP and/or >20 % from baseline",
            "cardiovascular collapse, signs of impaired circulation",
        ),
    ),
    ChecklistItem(
        "behaviour_change",
        "Change in mood/activity",
        Organ.CARDIO_NEURO,
        # Niggemann & Beyer 2010: an early sign, not an objective one (docs/clinical-sources.md §3.2); Sampson 2003 puts
        # "change in activity level" under neurological (4.1).
        False,
        # Not in the PRACTALL table: our wording, no published anchors.
        (
            "quieter or more irritable than usual",
            "clearly withdrawn, clingy or irritable; stops playing",
            "lethargic, hard to engage, or anxious/distressed (sense of doom)",
        ),
    ),
)

# What tells anaphylaxis from a mild reaction (airway, breathing, circulation, mental state; NIAID/FAAN 2006,
# docs/clinical-sources.md §4.5), and what PRACTALL's upper-respiratory rows and the WAO organ systems name
# (docs/clinical-sources.md §3.1, 4.3). Not in the PRACTALL table as separate rows: the anchor wording is ours
# (docs/clinical-sources.md §3.1, items with no published anchors). Subjective = only the patient can report it.
_REACTION_ITEMS: tuple[ChecklistItem, ...] = (
    ChecklistItem(
        "skin_contact",
        "Redness round the mouth or where the food touched (contact only)",
        Organ.SKIN,
        True,
        (
            "faint redness round the mouth or at the contact site",
            "clear redness round the mouth or at the contact site",
            "marked redness or weals at the contact site only",
        ),
        contact_only=True,
    ),
    ChecklistItem(
        "upper_resp_nasal",
        "Nasal congestion/runny nose",
        Organ.UPPER_RESP,
        True,  # rhinoconjunctivitis is objective for Utrecht (docs/clinical-sources.md §3.2)
        (
            "occasional sniffing or a little clear discharge",
            "blocked or runny nose most of the time",
            "nose fully blocked or streaming, mouth breathing",
        ),
    ),
    ChecklistItem(
        "eyes_conjunctival",
        "Red, itchy or watering eyes",
        Organ.EYES,
        True,  # rhinoconjunctivitis is objective for Utrecht (docs/clinical-sources.md §3.2)
        (
            "slight redness or watering of the eyes",
            "red, watering eyes with rubbing",
            "marked redness with eyelid swelling",
        ),
    ),
    ChecklistItem(
        "throat_tightness",
        "Throat tightness/difficulty swallowing",
        Organ.LOWER_RESP,
        False,  # patient-reported; oropharyngeal symptoms are subjective for Utrecht (docs/clinical-sources.md §3.2)
        (
            "throat feels a little tight, swallows normally",
            "persistent throat tightness or some difficulty swallowing",
            "marked tightness, cannot swallow saliva or drooling",
        ),
    ),
    ChecklistItem(
        "breathlessness",
        "Breathlessness/chest tightness",
        Organ.LOWER_RESP,
        True,  # dyspnoea is objective for Utrecht (docs/clinical-sources.md §3.2)
        (
            "slight breathlessness or chest tightness, talks in sentences",
            "breathless at rest, talks in phrases",
            "severe breathlessness, talks in words or cannot talk",
        ),
    ),
    ChecklistItem(
        "tongue_swelling",
        "Tongue or uvula swelling",
        Organ.LOWER_RESP,
        True,  # WAO 2010 grade 3 feature (docs/clinical-sources.md §4.3)
        (
            "slight swelling of tongue or uvula",
            "clear swelling of tongue or uvula",
            "tongue or uvula swelling affecting speech, swallowing or breathing",
        ),
    ),
    ChecklistItem(
        "gi_diarrhoea",
        "Diarrhoea",
        Organ.GI,
        True,  # objective for Utrecht (docs/clinical-sources.md §3.2); Sampson grades diarrhoea 4 (§4.1)
        ("1 loose stool", "2-3 loose stools", ">3 loose stools"),
    ),
    ChecklistItem(
        "infant_pallor",
        "Pallor/floppiness (infant)",
        Organ.CARDIO_NEURO,
        True,  # a sign of a falling blood pressure in an infant (docs/clinical-sources.md §4.5)
        (
            "paler than usual, tone normal",
            "pale and less responsive, reduced tone",
            "pale and floppy, hard to rouse",
        ),
    ),
    ChecklistItem(
        "mental_state",
        "Change in mental state (confusion, drowsiness)",
        Organ.CARDIO_NEURO,
        True,  # end-organ dysfunction in the NIAID/FAAN criteria (docs/clinical-sources.md §4.5)
        (
            "slightly drowsy or muddled",
            "confused or drowsy, responds to voice",
            "responds only to pain, or unresponsive",
        ),
    ),
)

# MCAS items: no published per-item anchors exist (docs/clinical-sources.md §5.4 found no standardised MCAS protocol),
# so the
# wording of all five is ours. Objective = a sign someone else can see or measure.
_MCAS_ITEMS: tuple[ChecklistItem, ...] = (
    ChecklistItem(
        "mcas_flushing",
        "Flushing",
        Organ.MCAS,
        True,
        (
            "faint flushing of face or neck, fading within minutes",
            "clear flushing of face, neck or chest lasting longer",
            "widespread flushing with heat or swelling",
        ),
    ),
    ChecklistItem(
        "mcas_itch",
        "Itch (MCAS)",
        Organ.MCAS,
        False,
        (
            "itch noticed now and then",
            "itch most of the time, distracting",
            "intense itch that stops normal activity or sleep",
        ),
    ),
    ChecklistItem(
        "mcas_brain_fog",
        "Brain fog",
        Organ.MCAS,
        False,
        (
            "slightly slow or less focused than usual",
            "hard to concentrate or find words; needs to rest",
            "confused or unable to carry on with tasks",
        ),
    ),
    ChecklistItem(
        "mcas_headache",
        "Headache",
        Organ.MCAS,
        False,
        (
            "mild headache, normal activity possible",
            "headache that limits activity",
            "severe headache, cannot carry on",
        ),
    ),
    ChecklistItem(
        "mcas_tachycardia",
        "Tachycardia/palpitations",
        Organ.MCAS,
        True,
        (
            "brief fast heartbeat that settles at rest",
            "fast heartbeat that persists at rest",
            "fast heartbeat with dizziness, faintness or low blood pressure",
        ),
    ),
)

CHECKLIST: tuple[ChecklistItem, ...] = _PRACTALL_ITEMS + _REACTION_ITEMS + _MCAS_ITEMS

ITEMS: dict[str, ChecklistItem] = {item.code: item for item in CHECKLIST}

_IGE_CODES: tuple[str, ...] = tuple(item.code for item in _PRACTALL_ITEMS + _REACTION_ITEMS)
_ALL_CODES: tuple[str, ...] = tuple(item.code for item in CHECKLIST)
# FPIES: vomiting is the major criterion; lethargy, pallor and hypotension are minor ones (Leonard 2018, fact
# sheet 1.5). Urticaria and wheeze are watched because the major criterion requires their absence.
_FPIES_CODES: tuple[str, ...] = (
    "skin_urticaria",
    "lower_resp_wheeze",
    "gi_subjective",
    "gi_vomiting",
    "cardio_neuro",
    "behaviour_change",
    "gi_diarrhoea",
    "infant_pallor",
    "mental_state",
)

_DEFAULT_CODES: dict[str, tuple[str, ...]] = {
    "open": _IGE_CODES,
    "single_blind": _IGE_CODES,
    "dbpcfc": _IGE_CODES,
    "fpies": _FPIES_CODES,
    # Home reintroduction is where MCAS patients step up trigger foods (docs/clinical-sources.md §5.4), so watch
    # everything.
    "home": _ALL_CODES,
    # Household-measure ladders run in clinic (ASCIA peanut, docs/clinical-sources.md §1.3) are IgE challenges; MCAS is
    # opt-in.
    "ladder": _IGE_CODES,
}


def default_item_codes(kind: str) -> tuple[str, ...]:
    """The item codes a protocol of this kind watches unless the protocol says otherwise."""
    try:
        return _DEFAULT_CODES[kind]
    except KeyError:
        raise ValueError(f"Unknown protocol kind {kind!r}; expected one of {', '.join(PROTOCOL_KINDS)}.") from None
