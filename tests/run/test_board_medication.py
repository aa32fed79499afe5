"""Today's board says "override needed" while a blocking wash-out conflict waits for the nurse or the allergist."""

from __future__ import annotations

from django.urls import reverse

from challenges.run import services as runs
from tests.factories import MedicationFactory


def _board(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("challenges:board")).content.decode()


def test_the_board_shows_override_needed_until_the_allergist_overrides(client, challenge, patient, nurse, allergist):
    cetirizine = MedicationFactory(patient=patient, name="Cetirizine", dose="10 mg", med_class="h1_antihistamine")
    board = _board(client, nurse)
    assert 'data-testid="board-medication"' in board
    assert "Override needed: wash-out not resolved" in board
    runs.washout_override(challenge=challenge, by=allergist, medication=cetirizine, reason="Needed today; noted")
    board = _board(client, nurse)
    assert 'data-testid="board-medication"' not in board


def test_a_risk_review_waiting_is_shown_on_the_board(client, challenge, patient, nurse):
    MedicationFactory(patient=patient, name="Bisoprolol", dose="2.5 mg", med_class="beta_blocker")
    assert "Override needed: the allergist's medication decision" in _board(client, nurse)


def test_no_medication_conflict_shows_nothing(client, challenge, nurse):
    board = _board(client, nurse)
    assert challenge.patient.full_name in board  # positive control: the row is there
    assert 'data-testid="board-medication"' not in board
