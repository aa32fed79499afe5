"""Patient-facing wording: each checklist item (clinical.checklist) as a patient would notice it, and the signs
that mean an emergency. Our plain-language rendering of the item definitions, not a published text."""

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
}

# Signs of anaphylaxis (airway, breathing, circulation; docs/clinical-sources.md §4.5): act at once, do not wait.
EMERGENCY_SIGNS: tuple[str, ...] = (
    "difficulty breathing, noisy breathing or wheeze",
    "swelling of the tongue, or tightness in the throat",
    "difficulty talking or a hoarse voice",
    "a persistent cough",
    "feeling faint, collapse, or (in young children) becoming pale and floppy",
)
