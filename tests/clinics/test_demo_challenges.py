"""The demo has a challenge in every state and the home plans the issues describe."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from challenges.models import Challenge


@pytest.mark.django_db
def test_demo_challenges_in_every_state(settings):
    settings.DEBUG = True
    call_command("load_demo")
    states = {(c.protocol.kind, c.status, c.outcome) for c in Challenge.objects.select_related("protocol")}
    assert ("open", "planned", "") in states
    assert ("open", "dosing", "") in states
    assert ("open", "completed", "passed") in states
    assert ("open", "stopped", "failed") in states
    assert ("open", "stopped", "equivocal") in states
    assert any(kind == "fpies" for kind, _status, _outcome in states)
    failed = Challenge.objects.get(outcome="failed")
    assert failed.treatments.filter(kind="adrenaline").exists()
    assert failed.is_signed
    dosing = Challenge.objects.get(status="dosing")
    assert dosing.doses.count() == 3


@pytest.mark.django_db
def test_demo_home_plan_paused_after_flushing_30_hours_later(settings):
    settings.DEBUG = True
    call_command("load_demo")
    plan = Challenge.objects.get(patient__user__username="patient", setting="home")
    assert plan.status == "paused"
    doses = list(plan.doses.order_by("sequence"))
    assert [d.step_number for d in doses] == [1, 2, 3]
    flushing = plan.observations.get(item_code="mcas_flushing")
    assert (flushing.observed_at - doses[2].given_at).total_seconds() == 30 * 3600
    completed = Challenge.objects.filter(setting="home", status="completed", outcome="passed")
    assert completed.count() == 1
    assert completed.get().doses.count() == 10  # the gentle ladder (docs/clinical-sources.md §11.1)
