"""Patient-facing wording for the printed plan: it lives in clinical.plain_words, shared with the patient's phone."""

from clinical.plain_words import EMERGENCY_SIGNS, SYMPTOMS

__all__ = ["EMERGENCY_SIGNS", "SYMPTOMS"]
