"""The stored codes of a challenge run and their labels: statuses, outcomes, event kinds, decisions and the kinds
of each record. The models store the values; the labels are what the pages and reports show.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Setting(models.TextChoices):
    CLINIC = "clinic", _("Clinic")
    HOME = "home", _("Home")


class Status(models.TextChoices):
    PLANNED = "planned", _("Planned")
    CHECKED_IN = "checked_in", _("Checked in")
    DOSING = "dosing", _("Dosing")
    OBSERVING = "observing", _("Observing")
    PAUSED = "paused", _("Paused")  # home plans: symptoms met a stop rule; waiting for the clinic
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped")
    CANCELLED = "cancelled", _("Cancelled")


class Outcome(models.TextChoices):
    PASSED = "passed", _("Passed (tolerated)")
    FAILED = "failed", _("Failed (not tolerated)")
    EQUIVOCAL = "equivocal", _("Equivocal")
    DOSE_NOT_REACHED = "dose_not_reached", _("Dose not reached")


class Advice(models.TextChoices):
    EAT_REGULARLY = "eat_regularly", _("Eat the food regularly")
    STRICT_AVOIDANCE = "strict_avoidance", _("Strict avoidance")
    RECHALLENGE = "rechallenge", _("Re-challenge")


class StopKind(models.TextChoices):
    """Why dosing was stopped early: a reaction, or a reason that says nothing about tolerance (O2)."""

    REACTION = "reaction", _("Symptoms (possible reaction)")
    REFUSAL = "refusal", _("Patient refused to eat more")
    TIME = "time", _("Ran out of time")
    ILLNESS = "illness", _("Intercurrent illness")
    OTHER = "other", _("Other non-clinical reason")


class ContinuationKind(models.TextChoices):
    """How a challenge continues an earlier one (X5); the values are clinical.continuation.KINDS."""

    DAY_2 = "day_2", _("Day 2 (repeat of the top dose)")
    OPEN_AFTER_DBPCFC = "open_after_dbpcfc", _("Open feeding after a negative DBPCFC")
    HOME_DAYS = "home_days", _("Home days after a negative clinic challenge")
    RECHALLENGE = "rechallenge", _("Re-challenge after an equivocal result")


class Purpose(models.TextChoices):
    """Why the challenge is done (R7; the purposes of an OFC in the AAAAI/EAACI PRACTALL report)."""

    DIAGNOSIS = "diagnosis", _("Diagnosis")
    RESOLUTION = "resolution", _("Resolution / tolerance after avoidance")
    THRESHOLD = "threshold", _("Threshold determination")
    OIT_EXIT = "oit_exit", _("OIT exit / sustained unresponsiveness")
    NEW_FOOD = "new_food", _("Introduction of a new food or form")


class Decision(models.TextChoices):
    STOP = "stop", _("Stop the challenge")
    REPEAT = "repeat", _("Hold and repeat the same dose")
    WAIT = "wait", _("Wait longer before the next dose")
    CONTINUE = "continue", _("Continue (with a written justification)")


class EventKind(models.TextChoices):
    """What a ChallengeEvent records; the label is what the challenge page's event log shows."""

    SCHEDULED = "scheduled", _("scheduled")
    STATUS = "status", _("status")
    CHECKS_OVERRIDE = "checks_override", _("pre-challenge checks overridden")
    EARLY_DOSE_OVERRIDE = "early_dose_override", _("dose given early (override)")
    STOP_ALERT = "stop_alert", _("stop rule met")
    DECISION_STOP = "decision_stop", _("decision: stop")
    DECISION_REPEAT = "decision_repeat", _("decision: repeat the dose")
    DECISION_CONTINUE = "decision_continue", _("decision: continue")
    DECISION_WAIT = "decision_wait", _("decision: wait longer")
    OBSERVATION_OVERRIDE = "observation_override", _("observation ended early")
    OUTCOME = "outcome", _("outcome confirmed")
    SIGNED = "signed", _("signed")
    ADDENDUM = "addendum", _("addendum")
    UNBLINDED = "unblinded", _("unblinded")
    BLINDED_VERDICT = "blinded_verdict", _("blinded verdict recorded")
    STEP_RELEASED = "step_released", _("home step released")
    PLAN_CHANGED = "plan_changed", _("plan changed")
    LATE_FINDING = "late_finding", _("late finding")
    WASHOUT_STOP_CONFIRMED = "washout_stop_confirmed", _("wash-out: stop date confirmed")
    WASHOUT_OVERRIDE = "washout_override", _("wash-out overridden")
    MEDICATION_DECISION = "medication_decision", _("medication decision")
    SYMPTOMS_RESOLVED = "symptoms_resolved", _("symptoms resolved")
    DISCHARGED = "discharged", _("discharged")
    PREMEDICATION_FLAG = "premedication_flag", _("premedication not taken as planned")
    ADRENALINE_ABOVE_MAX = "adrenaline_above_max", _("adrenaline above the weight-based maximum")


DECISION_EVENTS = {
    Decision.STOP: EventKind.DECISION_STOP,
    Decision.REPEAT: EventKind.DECISION_REPEAT,
    Decision.CONTINUE: EventKind.DECISION_CONTINUE,
    Decision.WAIT: EventKind.DECISION_WAIT,
}


class WashoutAction(models.TextChoices):
    """What was decided about one medication conflict before the first dose (clinical.washout.ACTION_LABELS)."""

    STOP_CONFIRMED = "stop_confirmed", _("Stop date confirmed")
    OVERRIDDEN = "overridden", _("Overridden")
    PROCEED = "proceed", _("Proceed with precautions")
    DEFER = "defer", _("Defer the challenge")
    SWITCH = "switch", _("Switch the medication (with the prescriber)")
    ACCEPT_LIMITATION = "accept_limitation", _("Accept and document the limitation")


class Source(models.TextChoices):
    CLINICIAN = "clinician", _("Clinician")
    PATIENT = "patient", _("Patient")


class VitalsKind(models.TextChoices):
    BASELINE = "baseline", _("Baseline")
    DURING = "during", _("During")
    DISCHARGE = "discharge", _("Discharge")


class TreatmentKind(models.TextChoices):
    PREMEDICATION = "premedication", _("Premedication")
    ADRENALINE = "adrenaline", _("Adrenaline")
    ANTIHISTAMINE = "antihistamine", _("Antihistamine")
    STEROID = "steroid", _("Steroid")
    SALBUTAMOL = "salbutamol", _("Salbutamol")
    FLUIDS = "fluids", _("IV fluids")
    ONDANSETRON = "ondansetron", _("Ondansetron")
    OTHER = "other", _("Other")


class FollowUpMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    PATIENT = "patient", _("Patient check-in")
    VISIT = "visit", _("Clinic visit")


class DischargeCondition(models.TextChoices):
    WELL = "well", _("Well, no symptoms")
    RESIDUAL = "residual", _("Mild residual symptoms, improving")
    TRANSFERRED = "transferred", _("Transferred for further care (ward or emergency department)")
