"""Challenge models: the protocol library (library.py) and challenges with their records (run.py)."""

from challenges.home.models import FollowUp, FollowUpMethod, StepRelease
from challenges.library.models import (
    AllergenGroup,
    DoseBasis,
    Food,
    PremedicationItem,
    Protocol,
    ProtocolStep,
    Route,
)
from challenges.run.models import (
    Advice,
    Challenge,
    ChallengeEvent,
    Decision,
    Dose,
    Observation,
    Outcome,
    PreChallengeCheck,
    Setting,
    Source,
    Status,
    StopAlert,
    Treatment,
    TreatmentKind,
    VitalSigns,
    VitalsKind,
)

__all__ = [
    "Advice", "AllergenGroup", "Challenge", "ChallengeEvent", "Decision", "Dose", "DoseBasis", "Food", "FollowUp",
    "FollowUpMethod", "StepRelease",
    "Observation", "Outcome", "PreChallengeCheck", "PremedicationItem", "Protocol", "ProtocolStep", "Route",
    "Setting", "Source", "Status", "StopAlert", "Treatment", "TreatmentKind", "VitalSigns", "VitalsKind",
]  # fmt: skip
