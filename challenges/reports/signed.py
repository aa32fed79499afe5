"""Signed challenge reports: made once at signing, stored with their snapshot, and served as stored from then on."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.utils import timezone

from challenges.models import Challenge
from challenges.reports.build_challenge import challenge_report
from challenges.reports.drafts import draft
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


class SignedReport:
    """What runs.challenge_sign needs from the reports: the snapshot (a quick read) and the PDF drawn from it.

    Signing draws the PDF before it takes the challenge's write lock and rebuilds only the snapshot under the lock,
    so a long report never holds up other writes (security review M1). Calling it builds both at once.
    """

    def snapshot(self, challenge: Challenge, *, signed_by: User, signed_at: datetime) -> dict[str, Any]:
        return snapshot_to_dict(challenge_report(challenge, signed_by=signed_by, signed_at=signed_at))

    def draw(self, snapshot: dict[str, Any]) -> bytes:
        return render_snapshot(snapshot)

    def __call__(
        self, challenge: Challenge, *, signed_by: User | None = None, signed_at: datetime | None = None
    ) -> tuple[bytes, dict[str, Any]]:
        """The signed report's PDF and snapshot; the signer defaults to the challenge's own signature."""
        signed_by = signed_by or challenge.signed_by
        signed_at = signed_at or challenge.signed_at or timezone.now()
        if signed_by is None:
            raise ValueError("A signed report needs the signer: the challenge is not signed and no signer was given.")
        snapshot = self.snapshot(challenge, signed_by=signed_by, signed_at=signed_at)
        return self.draw(snapshot), snapshot


build_signed_report = SignedReport()


class SignedCopyAltered(Exception):
    """The stored signed PDF no longer matches the digest chained when it was signed (security review M7)."""


def pdf_digest(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


def challenge_report_pdf(challenge: Challenge) -> bytes:
    """The challenge report to download: the stored PDF of a signed challenge, byte for byte; else a fresh draft.

    A challenge signed without a stored PDF is re-rendered from its stored snapshot (never from today's rows).
    """
    if challenge.is_signed and challenge.signed_pdf:
        pdf = bytes(challenge.signed_pdf)
        if challenge.signed_pdf_sha256 and pdf_digest(pdf) != challenge.signed_pdf_sha256:
            raise SignedCopyAltered(f"challenge {challenge.pk}: the stored signed PDF does not match its digest")
        return pdf
    if challenge.is_signed and challenge.signed_snapshot:
        return render_snapshot(challenge.signed_snapshot)
    return render_challenge_report(draft(challenge))  # its snapshot stored per page version (drafts.py)


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
