"""Signed challenge reports: made once at signing, stored with their snapshot, and served as stored from then on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from challenges.models import Challenge
from challenges.reports.build_challenge import challenge_report
from challenges.reports.render_challenge import render_challenge_report
from challenges.reports.render_sheets import render_home_plan, render_preparation_sheet
from challenges.reports.render_summary import render_patient_summary
from challenges.reports.snapshot import (
    ChallengeReport,
    HomePlan,
    PatientSummary,
    PreparationSheet,
    Snapshot,
    snapshot_from_dict,
    snapshot_to_dict,
)
from clinics.models import User


def build_signed_report(
    challenge: Challenge, *, signed_by: User | None = None, signed_at: datetime | None = None
) -> tuple[bytes, dict[str, Any]]:
    """The signed report's PDF and its JSON-serialisable snapshot, for runs.challenge_sign(render=...).

    The signature is the challenge's own (already signed) or the one being made: pass the signer (and the time,
    default now) when building it just before runs.challenge_sign stores it.
    """
    signed_by = signed_by or challenge.signed_by
    signed_at = signed_at or challenge.signed_at or timezone.now()
    if signed_by is None:
        raise ValueError("A signed report needs the signer: the challenge is not signed and no signer was given.")
    snapshot = challenge_report(challenge, signed_by=signed_by, signed_at=signed_at)
    return render_challenge_report(snapshot), snapshot_to_dict(snapshot)


def challenge_report_pdf(challenge: Challenge) -> bytes:
    """The challenge report to download: the stored PDF of a signed challenge, byte for byte; else a fresh draft.

    A challenge signed without a stored PDF is re-rendered from its stored snapshot (never from today's rows).
    """
    if challenge.is_signed and challenge.signed_pdf:
        return bytes(challenge.signed_pdf)
    if challenge.is_signed and challenge.signed_snapshot:
        return render_snapshot(challenge.signed_snapshot)
    return render_challenge_report(challenge_report(challenge))


def render_snapshot(data: dict[str, Any]) -> bytes:
    """Render any report from its snapshot dict (snapshot_to_dict's output)."""
    return render(snapshot_from_dict(data))


def render(snapshot: Snapshot) -> bytes:
    if isinstance(snapshot, ChallengeReport):
        return render_challenge_report(snapshot)
    if isinstance(snapshot, PreparationSheet):
        return render_preparation_sheet(snapshot)
    if isinstance(snapshot, HomePlan):
        return render_home_plan(snapshot)
    if isinstance(snapshot, PatientSummary):
        return render_patient_summary(snapshot)
    raise TypeError(f"Not a report snapshot: {type(snapshot).__name__}")
