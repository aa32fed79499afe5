"""The event log names statuses in words ("Checked in"), never the stored codes (UX walk)."""

from __future__ import annotations

from django.urls import reverse

from tests.run.helpers import pass_checks


def test_the_event_log_shows_statuses_in_words(client, challenge, nurse, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert "→ Checked in" in page
    assert "→ checked_in" not in page
