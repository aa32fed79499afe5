"""What the recorded rows of a challenge say, as domain values: valid doses, the next step, open alerts, wash-out
conflicts and the decisions about them, stop-rule hits, the reaction onset and the suggested grade.

Reads only, no writes. Each function works on the rows already loaded (a page's prefetch, or the rows a service
loaded under its lock), so the selectors and the services compute the same facts the same way.

The facts live in one module per concern, each building only on the ones before it: doses (the doses given, the
next step and what the first dose waits on), medication (wash-out and premedication), stops (the stop rules'
hits), reaction (onset, adrenaline, grade, anaphylaxis, FPIES rescue) and aftercare (observation and discharge).
Callers use the surface below: `from challenges.run import facts`, then `facts.valid_doses(...)`. A test that
replaces a fact replaces it in the module that calls it, not here.
"""

from challenges.run.facts.aftercare import (
    discharge,
    observation_ends_at,
    observation_over,
    observation_overridden,
    observation_period,
)
from challenges.run.facts.doses import (
    blind_schedule,
    challenge_food_spec,
    checks_passed,
    checks_waiting_override,
    food_lot,
    label_comparison,
    latest_check,
    needs_release,
    open_alert,
    repeat_requested,
    stale_dose_weight,
    symptom_pause,
    upcoming_step,
    usual_symptoms,
    valid_doses,
    wait_requested,
)
from challenges.run.facts.medication import (
    PlannedPremedication,
    booking_conflicts,
    first_dose_refusal,
    planned_premedication,
    premedication_items,
    premedication_problems,
    premedication_taken,
    washout_conflicts,
    washout_decisions,
    washout_review,
)
from challenges.run.facts.reaction import (
    UNDECIDED_HOLD,
    adrenaline_given,
    adrenaline_times,
    adrenaline_timing_problem,
    anaphylaxis,
    fpies_rescue,
    reaction_onset,
    suggest_grade,
    suggested_grade,
)
from challenges.run.facts.stops import (
    age_years,
    alert_hit_data,
    blocking_hits,
    hit_evidence,
    notices,
    reading_hits,
    stop_rule_hits,
)

__all__ = [
    "UNDECIDED_HOLD",
    "PlannedPremedication",
    "adrenaline_given",
    "adrenaline_times",
    "adrenaline_timing_problem",
    "age_years",
    "alert_hit_data",
    "anaphylaxis",
    "blind_schedule",
    "blocking_hits",
    "booking_conflicts",
    "challenge_food_spec",
    "checks_passed",
    "checks_waiting_override",
    "discharge",
    "first_dose_refusal",
    "food_lot",
    "fpies_rescue",
    "hit_evidence",
    "label_comparison",
    "latest_check",
    "needs_release",
    "notices",
    "observation_ends_at",
    "observation_over",
    "observation_overridden",
    "observation_period",
    "open_alert",
    "planned_premedication",
    "premedication_items",
    "premedication_problems",
    "premedication_taken",
    "reaction_onset",
    "reading_hits",
    "repeat_requested",
    "stale_dose_weight",
    "stop_rule_hits",
    "suggest_grade",
    "suggested_grade",
    "symptom_pause",
    "upcoming_step",
    "usual_symptoms",
    "valid_doses",
    "wait_requested",
    "washout_conflicts",
    "washout_decisions",
    "washout_review",
]
