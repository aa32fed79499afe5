"""Signing draws the PDF before it takes the write lock (security review M1) and chains the PDF's SHA-256 (M7).

- a finding saved while the PDF is being drawn makes the signature refuse ("sign again"); signing again stores a
  report that shows the finding;
- the stored PDF's digest is in the challenge's history; a PDF replaced behind the app's back is named by
  verify_audit and is not served.
"""

from __future__ import annotations

import hashlib
from http import HTTPStatus

import pytest
from django.db import connection
from django.urls import reverse

from audit.verify import verify_all
from challenges.reports import build_signed_report
from challenges.run import services as runs
from challenges.run.services import ChallengeRuleError
from tests.reports.helpers import text

pytestmark = pytest.mark.django_db


class AddendumWhileDrawing:
    """The real signed report, with a colleague's addendum saved while the PDF is drawn (the first time only)."""

    def __init__(self, colleague) -> None:
        self.colleague, self.drawn = colleague, 0

    def snapshot(self, challenge, *, signed_by, signed_at):
        return build_signed_report.snapshot(challenge, signed_by=signed_by, signed_at=signed_at)

    def draw(self, snapshot):
        self.drawn += 1
        if self.drawn == 1:
            challenge_pk = int(snapshot["data"]["reference"].split(":")[0].removeprefix("Challenge "))
            from challenges.models import Challenge

            runs.addendum_add(
                challenge=Challenge.objects.get(pk=challenge_pk), by=self.colleague, text="Mother phoned: rash gone"
            )
        return build_signed_report.draw(snapshot)


def test_a_change_while_the_pdf_is_drawn_refuses_the_signature_and_signing_again_shows_it(failed, allergist):
    maker = AddendumWhileDrawing(allergist)
    with pytest.raises(ChallengeRuleError) as refused:
        runs.challenge_sign(challenge=failed, by=allergist, render=maker, observation_override_reason="")
    assert refused.value.code == "changed_while_signing"
    failed.refresh_from_db()
    assert not failed.is_signed
    runs.challenge_sign(challenge=failed, by=allergist, render=maker)
    failed.refresh_from_db()
    assert failed.is_signed
    assert "Mother phoned: rash gone" in text(bytes(failed.signed_pdf))


def test_the_signed_pdf_digest_is_stored_and_kept_in_the_history(signed_failed):
    digest = hashlib.sha256(bytes(signed_failed.signed_pdf)).hexdigest()
    assert signed_failed.signed_pdf_sha256 == digest
    assert signed_failed.history.latest().signed_pdf_sha256 == digest
    assert verify_all().ok


def test_a_replaced_signed_pdf_is_found_by_the_audit_check_and_not_served(client, signed_failed, allergist):
    forged = bytes(signed_failed.signed_pdf) + b"\n% a different document\n"
    with connection.cursor() as cursor:
        cursor.execute("UPDATE challenges_challenge SET signed_pdf = %s WHERE id = %s", [forged, signed_failed.pk])
    report = verify_all()
    assert [p.kind for p in report.problems] == ["file changed"]
    assert f"challenges.challenge id {signed_failed.pk}" in report.problems[0].message
    client.force_login(allergist)
    response = client.get(reverse("challenges:report", args=[signed_failed.pk]))
    assert response.status_code == HTTPStatus.CONFLICT
    assert "does not match" in response.content.decode()
