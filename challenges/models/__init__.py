"""Challenge models: the protocol library (library.py) and challenges with their records (run.py)."""

from challenges.models.home import FollowUp, FollowUpMethod, StepRelease
from challenges.models.library import (
    AllergenGroup,
    DoseBasis,
    Food,
    PremedicationItem,
    Protocol,
    ProtocolStep,
    Route,
)
from challenges.models.run import (
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
