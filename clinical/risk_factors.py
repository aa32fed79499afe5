"""A short summary of the patient's risk factors for a severe reaction, for the challenge report (R7).

docs/clinical-sources.md §15.1: asthma, mastocytosis (clonal mast-cell disease), a previous anaphylaxis and
beta-blockers or ACE inhibitors are the factors the anaphylaxis guidelines name for a more severe or harder to
treat reaction; the report names which of them the record holds, or says none is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

CONDITIONS = {"asthma": "asthma", "mastocytosis": "mastocytosis"}
MEDICATION_CLASSES = {"beta_blocker": "beta-blocker", "ace_inhibitor": "ACE inhibitor"}
CHECKED = "asthma, mastocytosis, previous anaphylaxis, beta-blocker or ACE inhibitor"


def summary(*, conditions: Sequence[str], anaphylaxis_to: Sequence[str], medications: Sequence[tuple[str, str]]) -> str:
    """ "Asthma; previous anaphylaxis (peanut); beta-blocker (propranolol)", or that none is recorded.

    `conditions` are condition codes, `anaphylaxis_to` the substances of triggers whose worst reaction was
    anaphylaxis, `medications` (class code, name) of current medications."""
    found = [label for code, label in CONDITIONS.items() if code in conditions]
    if anaphylaxis_to:
        found.append(f"previous anaphylaxis ({', '.join(anaphylaxis_to)})")
    for code, label in MEDICATION_CLASSES.items():
        names = [name for med_class, name in medications if med_class == code]
        if names:
            found.append(f"{label} ({', '.join(names)})")
    if not found:
        return f"None recorded (checked: {CHECKED})."
    text = "; ".join(found)
    return text[:1].upper() + text[1:]
