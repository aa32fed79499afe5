"""A challenge run from a frozen protocol version, and everything recorded during it.

Every record here is append-only clinical data: never deleted, corrected by marking it entered in error (with a
reason) and recording the right value anew. State changes are rows (ChallengeEvent), so who did what and when is
never lost.

The models live in one module per concern: choices (the stored codes and their labels), challenge (the challenge
and its event log), checks (before the first dose), doses (what was eaten), findings (what was seen and done, and
the stop alerts) and aftercare (follow-ups and discharge). This package imports them all, so Django registers them
in the "challenges" app, and re-exports their names: callers import from challenges.run.models.
"""

# isort: off
# In the order the models were declared when this was one module: the app registry's order (reverse relations,
# dumpdata, content types) stays as it was.
from challenges.run.models.choices import (
    DECISION_EVENTS,
    Advice,
    ContinuationKind,
    Decision,
    DischargeCondition,
    EventKind,
    FollowUpMethod,
    Outcome,
    Purpose,
    Setting,
    Source,
    Status,
    StopKind,
    TreatmentKind,
    VitalsKind,
    WashoutAction,
)
from challenges.run.models.challenge import Challenge, ChallengeEvent
from challenges.run.models.checks import PreChallengeCheck, WashoutDecision
from challenges.run.models.doses import Dose, FoodLot
from challenges.run.models.findings import Observation, StopAlert, Treatment, VitalSigns
from challenges.run.models.aftercare import Discharge, FollowUp

# isort: on

__all__ = [
    "DECISION_EVENTS",
    "Advice",
    "Challenge",
    "ChallengeEvent",
    "ContinuationKind",
    "Decision",
    "Discharge",
    "DischargeCondition",
    "Dose",
    "EventKind",
    "FollowUp",
    "FollowUpMethod",
    "FoodLot",
    "Observation",
    "Outcome",
    "PreChallengeCheck",
    "Purpose",
    "Setting",
    "Source",
    "Status",
    "StopAlert",
    "StopKind",
    "Treatment",
    "TreatmentKind",
    "VitalSigns",
    "VitalsKind",
    "WashoutAction",
    "WashoutDecision",
]
