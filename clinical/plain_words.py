"""Patient-facing wording: each checklist item (clinical.checklist) as a patient would notice it, and the signs
that mean an emergency. Our plain-language rendering of the item definitions, not a published text.

The printed home plan and the patient's phone (symptom picker, watch list, pause reason, records) both read it.
"""

from __future__ import annotations

SYMPTOMS: dict[str, str] = {
    "skin_pruritus": "Itchy skin: scratching or rubbing",
    "skin_urticaria": "Hives (raised, itchy bumps or welts) or swelling of the lips, eyes or face",
    "skin_erythema": "Red skin or a red rash",
    "upper_resp_sneezing": "Sneezing, a runny or itchy nose, or itchy, watery eyes",
    "oral_symptoms": "An itchy or tingling mouth, lips or throat",
    "lower_resp_wheeze": "Wheezing (a whistling sound when breathing), coughing or shortness of breath",
    "lower_resp_laryngeal": "Throat tightness, a hoarse voice, a dry cough or frequent throat clearing",
    "gi_subjective": "Feeling sick (nausea) or tummy pain",
    "gi_vomiting": "Vomiting (being sick) or diarrhoea",
    "cardio_neuro": "Feeling faint, dizzy or weak, or a racing heartbeat",
    "behaviour_change": "Being unusually quiet, floppy, clingy or irritable, or a sense that something is badly wrong",
    "mcas_flushing": "Flushing: the face, neck or chest turning red and hot",
    "mcas_itch": "Itching anywhere on the body",
    "mcas_brain_fog": "Brain fog: slow thinking, trouble concentrating or finding words",
    "mcas_headache": "A headache",
    "mcas_tachycardia": "A fast or pounding heartbeat (palpitations)",
    "skin_contact": "Red skin only around the mouth or where the food touched",
    "upper_resp_nasal": "A blocked or runny nose",
    "eyes_conjunctival": "Red, itchy or watering eyes",
    "throat_tightness": "A tight throat or trouble swallowing",
    "breathlessness": "Short of breath or a tight chest",
    "tongue_swelling": "A swollen tongue",
    "gi_diarrhoea": "Diarrhoea (runny poo)",
    "infant_pallor": "(A baby or young child) turning pale and floppy",
    "mental_state": "Confused, very drowsy or hard to wake",
}

# Signs of anaphylaxis (airway, breathing, circulation; docs/clinical-sources.md §4.5): act at once, do not wait.
EMERGENCY_SIGNS: tuple[str, ...] = (
    "difficulty breathing, noisy breathing or wheeze",
    "swelling of the tongue, or tightness in the throat",
    "difficulty talking or a hoarse voice",
    "a persistent cough",
    "feeling faint, collapse, or (in young children) becoming pale and floppy",
)


SEVERITY: dict[int, str] = {0: "none", 1: "mild", 2: "moderate", 3: "severe"}


def symptom(code: str) -> str:
    """A checklist item in the patient's words; an item without plain words keeps its code's words."""
    return SYMPTOMS.get(code, code.replace("_", " "))


def severity(grade: int) -> str:
    """ "mild", "moderate", "severe" (never the clinician's "mild (1)")."""
    return SEVERITY.get(grade, str(grade))


# A premedication as the patient's plan names it ("H1 antihistamine (usual)") in everyday words, by its class.
MEDICINE_CLASSES: dict[str, str] = {
    "h1_antihistamine": "antihistamine (allergy medicine such as cetirizine or fexofenadine)",
    "h2_blocker": "stomach antihistamine (such as famotidine)",
    "leukotriene_antagonist": "montelukast-type medicine",
    "mast_cell_stabiliser": "mast-cell medicine",
}


def medicine(drug: str, med_class: str) -> str:
    """ "H1 antihistamine (usual)" → "usual antihistamine (allergy medicine such as cetirizine or fexofenadine)";
    a named drug keeps its name, with what it is for ("Cromolyn sodium (oral)" → "Cromolyn sodium, by mouth
    (mast-cell medicine)")."""
    usual = drug.endswith(" (usual)")
    name = drug.removesuffix(" (usual)").replace(" (oral)", ", by mouth")
    kind = MEDICINE_CLASSES.get(med_class, "")
    if usual and kind:
        return f"usual {kind}"
    if kind and kind.split(" (")[0] not in name.lower():
        return f"{name} ({kind.split(' (')[0]})"
    return name
