"""`manage.py check_library`: the shipped library passes; a broken clinic protocol is reported with a non-zero exit."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from challenges.library.models import Protocol, ProtocolStep
from challenges.library.services.protocols import protocol_clone


def _run() -> str:
    out = StringIO()
    call_command("check_library", stdout=out)
    return out.getvalue()


def test_the_shipped_library_passes_with_no_error(library):
    output = _run()
    assert "No protocol errors." in output
    assert "ERROR" not in output
    for name in (
        "PRACTALL 7-step peanut OFC",
        "ASCIA peanut butter household ladder",
        "FPIES oral food challenge (egg, dosed per kg)",
        "MCAS slow home reintroduction: cheesecake",
    ):
        assert f"[standard] {name}: ok" in output  # as shipped (the seeds)
        assert f"[standard] {name} (v1): ok" in output  # as loaded into the database


def test_a_broken_clinic_protocol_is_reported(library, allergist):
    fpies = Protocol.objects.get(clinic=None, name="FPIES oral food challenge (egg, dosed per kg)")
    copy = protocol_clone(protocol=fpies, clinic=allergist.clinic, by=allergist)
    # Edited behind the editor's back: 3 × 1,500 mg of egg protein, above both FPIES caps.
    for step in ProtocolStep.objects.filter(protocol=copy, role="dose"):
        step.protein_mg = Decimal(1500)
        step.save()
    out = StringIO()
    with pytest.raises(CommandError, match=r"2 error\(s\) in 1 protocol\(s\)"):
        call_command("check_library", stdout=out)
    output = out.getvalue()
    title = f"[{allergist.clinic.name}] {copy.name} (v1): 2 error(s)"
    assert title in output
    assert "ERROR fpies_protein_cap (protocol): The FPIES portions add up to 4,500 mg of protein" in output
    assert "ERROR fpies_food_cap (protocol)" in output


def test_a_home_plan_with_a_big_jump_is_warned_not_failed(library, allergist):
    home = Protocol.objects.get(clinic=None, name="MCAS slow home reintroduction: cheesecake")
    copy = protocol_clone(protocol=home, clinic=allergist.clinic, by=allergist)
    step = ProtocolStep.objects.get(protocol=copy, number=2)
    step.food_amount = Decimal("0.35")  # 3.5× the 0.1 g crumb, above the 3× a home step allows
    step.save()
    output = _run()
    assert f"[{allergist.clinic.name}] {copy.name} (v1): 0 error(s), 1 warning(s)" in output
    assert "WARNING big_jump (step 2): Step 2" in output


def test_the_protocol_page_shows_the_home_options_and_the_composite_note(client, library, allergist):
    home = Protocol.objects.get(clinic=None, name="MCAS slow home reintroduction: cheesecake")
    client.force_login(allergist)
    page = client.get(reverse("challenges:protocol-detail", args=[home.pk])).content.decode()
    assert "in clinic, supervised" in page
    assert "keep eating the tolerated amount daily" in page
    assert 'data-testid="composite"' in page


def test_the_protocol_page_says_fpies_portions_are_generated_per_kg(client, library, allergist):
    fpies = Protocol.objects.get(clinic=None, name="FPIES oral food challenge (egg, dosed per kg)")
    client.force_login(allergist)
    page = client.get(reverse("challenges:protocol-detail", args=[fpies.pk])).content.decode()
    assert "generated at booking for the patient's weight, 0.3 g/kg" in page
