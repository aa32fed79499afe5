"""A database loaded by an earlier release gets this release's standard protocols: a new version where one
differs from its seed (the old version kept, frozen, for the challenges booked on it), nothing where none does."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from challenges.library.services.standard import refresh_standard_protocols
from challenges.models import Protocol

pytestmark = pytest.mark.django_db

PRACTALL = "PRACTALL 7-step peanut OFC"


def _current(name: str) -> Protocol:
    return Protocol.objects.get(clinic=None, name=name, is_current=True)


def test_a_library_as_shipped_is_left_alone(library):
    versions = dict(Protocol.objects.filter(clinic=None).values_list("pk", "version"))
    assert refresh_standard_protocols() == []
    assert dict(Protocol.objects.filter(clinic=None).values_list("pk", "version")) == versions


def test_an_old_unused_standard_protocol_is_rewritten_in_place(library):
    old = _current(PRACTALL)
    step = old.steps.get(number=1)
    step.protein_mg = Decimal("1")  # what an earlier release shipped, say
    step.save()
    old.checklist_items = old.checklist_items[:-1]
    old.save()

    assert refresh_standard_protocols() == [PRACTALL]

    now = _current(PRACTALL)
    assert now.pk == old.pk
    assert now.version == old.version
    assert now.steps.get(number=1).protein_mg != Decimal("1")
    assert len(now.checklist_items) == len(old.checklist_items) + 1
    assert refresh_standard_protocols() == []  # idempotent


def test_an_old_standard_protocol_in_use_gets_a_new_version_and_its_challenges_keep_theirs(challenge):
    old = challenge.protocol
    assert old.name == PRACTALL
    step = old.steps.get(number=7)
    step.interval_minutes = 15
    step.save()

    out = StringIO()
    call_command("load_standard_protocols", stdout=out)

    assert f"updated to this release: {PRACTALL}" in out.getvalue()
    new = _current(PRACTALL)
    assert (new.lineage, new.version) == (old.lineage, old.version + 1)
    assert new.steps.get(number=7).interval_minutes != 15
    old.refresh_from_db()
    challenge.refresh_from_db()
    assert not old.is_current
    assert old.steps.get(number=7).interval_minutes == 15
    assert challenge.protocol_id == old.pk  # what it was planned with stays what it shows
    assert refresh_standard_protocols() == []
