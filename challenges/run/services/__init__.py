"""Every write of a running challenge, one keyword-only function each, atomic, under the challenge's row lock.

The reads these writes rest on (the next step, open alerts, stop-rule hits, the suggested grade) are in
challenges.run.facts. Callers use the surface below: `from challenges.run import services as runs`, then
`runs.dose_record(...)`.
"""

from challenges.run.services._guards import ChallengeRuleError, Reachable
from challenges.run.services.checks import checks_override, checks_record
from challenges.run.services.doses import DoseRecorded, dose_record
from challenges.run.services.ending import (
    UNDER_WAY,
    OutcomeInput,
    addendum_add,
    blinded_verdict_record,
    challenge_mark_entered_in_error,
    challenge_sign,
    challenge_stop,
    challenge_unblind,
    observation_finish,
    outcome_confirm,
    record_mark_entered_in_error,
)
from challenges.run.services.findings import (
    adrenaline_record,
    alert_decide,
    observation_record,
    treatment_record,
    vitals_record,
)
from challenges.run.services.food import food_lot_record
from challenges.run.services.observation import discharge_record, neutrophils_record, symptoms_resolved_record
from challenges.run.services.schedule import (
    challenge_cancel,
    challenge_check_in,
    challenge_schedule,
)
from challenges.run.services.washout import (
    medication_decide,
    washout_confirm_stop,
    washout_override,
)

__all__ = [
    "UNDER_WAY",
    "ChallengeRuleError",
    "Reachable",
    "DoseRecorded",
    "OutcomeInput",
    "addendum_add",
    "adrenaline_record",
    "alert_decide",
    "challenge_cancel",
    "challenge_check_in",
    "challenge_mark_entered_in_error",
    "challenge_schedule",
    "challenge_sign",
    "challenge_stop",
    "blinded_verdict_record",
    "challenge_unblind",
    "checks_override",
    "checks_record",
    "discharge_record",
    "dose_record",
    "food_lot_record",
    "medication_decide",
    "observation_finish",
    "observation_record",
    "outcome_confirm",
    "record_mark_entered_in_error",
    "symptoms_resolved_record",
    "neutrophils_record",
    "treatment_record",
    "vitals_record",
    "washout_confirm_stop",
    "washout_override",
]
