"""The protocol's stop rules against what was recorded: every hit so far (findings, vital signs against the
baseline and the age limits, an FPIES neutrophil rise), one reading's hits alone, which hits hold the next dose
and which are notices only, and the hits as a stop alert stores them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from challenges.run.facts.doses import usual_symptoms, valid_doses
from challenges.run.models import Challenge, Dose, VitalSigns, VitalsKind
from clinical import fpies, stop_observations, stop_rules, stopping


def age_years(challenge: Challenge) -> Decimal:
    """The patient's age in completed years on the challenge day, as the stop rules and grading take it.

    Completed years (Patient.age_on), the convention of the NIAID/FAAN table in clinical.stop_observations: the
    hypotension limit for a child moves up on the birthday, not a day before it.
    """
    return Decimal(challenge.patient.age_on(timezone.localdate(challenge.scheduled_at)))


def stop_rule_hits(challenge: Challenge) -> list[stop_rules.RuleHit]:
    """The protocol's stop rules against everything recorded so far (pure evaluation in clinical.stopping)."""
    doses = valid_doses(challenge)
    findings = [
        stop_observations.Finding(
            o.item_code, o.severity, timezone.localtime(o.observed_at), _after_dose_number(doses, o.observed_at)
        )
        for o in challenge.observations.all()
        if not o.entered_in_error
    ]
    vitals = [v for v in challenge.vitals.all() if not v.entered_in_error]
    readings = [_vitals_value(v) for v in vitals if v.kind != VitalsKind.BASELINE]
    baselines = [v for v in vitals if v.kind == VitalsKind.BASELINE]
    return stopping.evaluate(
        stop_rules.StopRules.from_dict(challenge.protocol.stop_rules),
        findings=findings,
        vitals=readings,
        baseline=_vitals_value(baselines[-1]) if baselines else None,
        age_years=age_years(challenge),
        dose_times={d.sequence: d.given_at for d in doses},
        usual=usual_symptoms(challenge),
        neutrophil_rise=_neutrophil_evidence(challenge),
    )


def _neutrophil_evidence(challenge: Challenge) -> str | None:
    """The FPIES neutrophil rise as evidence for the Leonard rule, when the counts meet it (clinical.fpies)."""
    base, later = challenge.neutrophils_baseline_per_ul, challenge.neutrophils_6h_per_ul
    if not fpies.neutrophil_criterion_met(base, later):
        return None
    return f"neutrophils {base:,} → {later:,} cells/µL (rise of {later - base:,})" if base and later else None


def reading_hits(challenge: Challenge, reading: VitalSigns) -> list[stop_rules.RuleHit]:
    """The protocol's stop rules against one set of vital signs alone (and the baseline): is this reading abnormal?"""
    vitals = [v for v in challenge.vitals.all() if not v.entered_in_error]
    baselines = [v for v in vitals if v.kind == VitalsKind.BASELINE]
    return stopping.evaluate(
        stop_rules.StopRules.from_dict(challenge.protocol.stop_rules),
        findings=[],
        vitals=[_vitals_value(reading)],
        baseline=_vitals_value(baselines[-1]) if baselines else None,
        age_years=age_years(challenge),
    )


def blocking_hits(hits: Sequence[stop_rules.RuleHit]) -> list[stop_rules.RuleHit]:
    """The hits that hold back the next dose until a clinician decides (stop and hold tiers)."""
    return [hit for hit in hits if hit.blocks]


def notices(challenge: Challenge) -> list[stop_rules.RuleHit]:
    """What to watch without holding the next dose: contact redness (observe), a heart-rate rise alone (advisory)."""
    return [hit for hit in stop_rule_hits(challenge) if not hit.blocks]


def hit_evidence(hit: stop_rules.RuleHit) -> tuple[str, ...]:
    """What a stop-rule hit rests on (its message when it lists no separate evidence)."""
    return hit.evidence or (hit.message,)


def _after_dose_number(doses: Sequence[Dose], moment: datetime) -> int | None:
    given = [d.sequence for d in doses if d.given_at <= moment]
    return given[-1] if given else None


def _vitals_value(v: VitalSigns) -> stop_observations.Vitals:
    return stop_observations.Vitals(
        taken_at=timezone.localtime(v.taken_at),
        heart_rate=v.heart_rate,
        systolic=v.systolic,
        diastolic=v.diastolic,
        resp_rate=v.resp_rate,
        spo2=v.spo2,
        temperature_c=v.temperature_c,
        pef=v.pef,
        fev1_ml=v.fev1_ml,
    )


def alert_hit_data(hits: Sequence[stop_rules.RuleHit]) -> list[dict[str, Any]]:
    """Stop-rule hits as a StopAlert stores them: code, message, evidence, and when each piece was seen."""
    data = []
    for hit in hits:
        evidence = hit_evidence(hit)
        times = [timezone.localtime(at).isoformat() for at in hit.evidence_at]
        row: dict[str, Any] = {"code": hit.code, "message": hit.message, "evidence": list(evidence), "tier": hit.tier}
        if len(times) == len(evidence):
            row["evidence_at"] = times
        data.append(row)
    return data
