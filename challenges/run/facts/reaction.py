"""The reaction, once the stop rules met it: when it began (the one onset rule, clinical.onset), the adrenaline
given and whether its timing allows a WAO suffix, the suggested grade, the anaphylaxis criteria, and the FPIES
rescue doses for the patient's weight.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from challenges.run.facts.doses import valid_doses
from challenges.run.facts.stops import age_years, stop_rule_hits
from challenges.run.models import Challenge, StopAlert, Treatment, TreatmentKind, VitalSigns, VitalsKind
from clinical import anaphylaxis as anaphylaxis_rules
from clinical import fpies, grading
from clinical import onset as onset_rules
from clinical.checklist import ITEMS

UNDECIDED_HOLD = "hold-undecided"


def _alert_record(alert: StopAlert, on_record: set[tuple[str, datetime | None]]) -> onset_rules.AlertRecord:
    """A stored alert as clinical.onset reads it, keeping only the evidence still on record (`on_record` keys)."""
    evidence = []
    for hit in alert.hits:
        texts = hit.get("evidence") or [hit.get("message", "")]
        times = hit.get("evidence_at") or [None] * len(texts)
        for text, at in zip(texts, times, strict=False):
            piece = onset_rules.Evidence(text, datetime.fromisoformat(at) if at else None)
            if piece.at is None or piece.key in on_record:
                evidence.append(piece)
    # An undecided hold is not a provisional stop (a hold is no failure, clinical review O1): it makes no onset.
    decision = alert.decision or (UNDECIDED_HOLD if alert.is_hold else "")
    return onset_rules.AlertRecord(alert.raised_at, decision, tuple(evidence))


def _doses_given(challenge: Challenge) -> list[onset_rules.DoseGiven]:
    return [onset_rules.DoseGiven(d.given_at, d.is_placebo) for d in valid_doses(challenge)]


def reaction_onset(challenge: Challenge) -> datetime | None:
    """When the reaction began: the first evidence of the stop alert (clinical.onset, the one rule for it).

    The stop rules are evaluated again on the rows as they are now, so evidence whose finding or reading was since
    marked entered in error is not read as the onset.
    """
    stored = sorted(challenge.alerts.all(), key=lambda a: (a.raised_at, a.pk))
    if not stored:
        return None
    on_record = {
        onset_rules.Evidence(text, at).key
        for hit in stop_rule_hits(challenge)
        for text, at in zip(hit.evidence, hit.evidence_at, strict=False)
    }
    alerts = [_alert_record(a, on_record) for a in stored]
    onset = onset_rules.reaction_onset(alerts, _doses_given(challenge))
    return timezone.localtime(onset) if onset else None


def adrenaline_times(challenge: Challenge) -> list[datetime]:
    """When each valid dose of adrenaline was given, in order."""
    return sorted(
        t.given_at for t in challenge.treatments.all() if t.kind == TreatmentKind.ADRENALINE and not t.entered_in_error
    )


def adrenaline_timing_problem(challenge: Challenge, onset: datetime | None) -> str:
    """Why the WAO suffix cannot be given ('' when it can): adrenaline recorded before the first symptom (G2)."""
    try:
        onset_rules.first_adrenaline(onset, [timezone.localtime(t) for t in adrenaline_times(challenge)])
    except onset_rules.OnsetError as error:
        return error.message
    return ""


def suggest_grade(
    challenge: Challenge, onset: datetime | None, scale: str = grading.WAO
) -> grading.GradeSuggestion | None:
    """The system's suggested grade from the reaction's findings and vitals; the allergist confirms or changes it.

    Only what belongs to the reaction is graded (clinical.onset.reaction_findings: from the onset, after an active
    dose, worse than baseline). None when there is no onset, or adrenaline is recorded before it
    (adrenaline_timing_problem says so): a grade with a made-up suffix would be worse than none.
    """
    if onset is None or adrenaline_timing_problem(challenge, onset) or not grading.scale_fits(challenge.protocol.kind):
        return None
    doses = _doses_given(challenge)
    recorded = [
        (o.item_code, o.severity, o.observed_at)
        for o in challenge.observations.all()
        if not o.entered_in_error and o.item_code in ITEMS
    ]
    worst: dict[str, int] = {}
    for code, severity in onset_rules.reaction_findings(recorded, onset=onset, doses=doses):
        worst[code] = max(worst.get(code, 0), severity)
    vitals = [v for v in challenge.vitals.all() if not v.entered_in_error]
    during = [
        v
        for v in vitals
        if v.kind != VitalsKind.BASELINE and v.taken_at >= onset and onset_rules.after_active_dose(v.taken_at, doses)
    ]
    baseline = next((v for v in reversed(vitals) if v.kind == VitalsKind.BASELINE), None)
    adrenaline = adrenaline_times(challenge)
    data = grading.GradeInput(
        findings=[(code, severity) for code, severity in worst.items() if severity > 0],
        min_systolic=min((v.systolic for v in during if v.systolic), default=None),
        baseline_systolic=baseline.systolic if baseline else None,
        max_heart_rate=max((v.heart_rate for v in during if v.heart_rate), default=None),
        baseline_heart_rate=baseline.heart_rate if baseline else None,
        min_spo2=min((v.spo2 for v in during if v.spo2), default=None),
        pef_drop_pct=_pef_drop_pct(baseline, during),
        age_years=age_years(challenge),
        first_symptom_at=onset,
        adrenaline_at=adrenaline[0] if adrenaline else None,
    )
    return grading.suggest(scale, data)


_ANAPHYLAXIS_VITALS = {
    "hypotension": "hypotension",
    "spo2_low": "hypoxaemia",
    "pef_drop": "airflow_drop",
    "fev1_drop": "airflow_drop",
}


def anaphylaxis(challenge: Challenge) -> anaphylaxis_rules.Assessment | None:
    """The NIAID/FAAN 2006 and WAO 2020 criteria against what was seen after the food (clinical.anaphylaxis).

    Every finding after an active dose that is worse than the item's baseline counts, whatever was decided about
    it: the criteria say whether adrenaline is indicated now, not whether the challenge failed. The vital signs
    count through the stop rules (low BP for age or a > 30 % drop, SpO2, PEF, FEV1). None before the first dose and
    for an FPIES challenge, which these criteria do not describe.
    """
    doses = _doses_given(challenge)
    if not doses or not grading.scale_fits(challenge.protocol.kind):
        return None
    recorded = [
        (o.item_code, o.severity, o.observed_at)
        for o in challenge.observations.all()
        if not o.entered_in_error and o.item_code in ITEMS
    ]
    worst: dict[str, int] = {}
    first = min(d.given_at for d in doses)
    for code, severity in onset_rules.reaction_findings(recorded, onset=first, doses=doses):
        worst[code] = max(worst.get(code, 0), severity)
    flags = {"hypotension": False, "hypoxaemia": False, "airflow_drop": False}
    for hit in stop_rule_hits(challenge):
        if hit.code in _ANAPHYLAXIS_VITALS and any(onset_rules.after_active_dose(at, doses) for at in hit.evidence_at):
            flags[_ANAPHYLAXIS_VITALS[hit.code]] = True
    return anaphylaxis_rules.assess(anaphylaxis_rules.ReactionSigns(findings=worst, **flags))


def adrenaline_given(challenge: Challenge) -> list[Treatment]:
    """The valid adrenaline doses, in the order given (the first is dose 1)."""
    return sorted(
        (t for t in challenge.treatments.all() if t.kind == TreatmentKind.ADRENALINE and not t.entered_in_error),
        key=lambda t: (t.given_at, t.pk),
    )


def suggested_grade(challenge: Challenge) -> grading.GradeSuggestion | None:
    """The suggested grade when there was a reaction (a stop alert), else None."""
    return suggest_grade(challenge, reaction_onset(challenge))


def _pef_drop_pct(baseline: VitalSigns | None, during: list[VitalSigns]) -> Decimal | None:
    lowest = min((v.pef for v in during if v.pef), default=None)
    if not baseline or not baseline.pef or lowest is None or lowest >= baseline.pef:
        return None
    return (Decimal(baseline.pef - lowest) * 100 / baseline.pef).quantize(Decimal("0.1"))


def fpies_rescue(challenge: Challenge) -> fpies.RescuePlan | None:
    """The FPIES rescue doses for the patient's weight (the dosing weight, else the chart's), None when unknown."""
    if challenge.protocol.kind != "fpies":
        return None
    weight = challenge.dose_weight_kg or challenge.patient.weight_kg
    return fpies.rescue_plan(weight) if weight is not None else None
