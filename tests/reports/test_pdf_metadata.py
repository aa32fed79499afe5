"""Every PDF carries real metadata, read back with pypdf: a real creation date (the signature's for a signed copy,
which stays byte-identical), the title, the clinic as author, the kind of report as subject, the document language
and DisplayDocTitle (issue 18; interop review 12, 13, 23)."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from io import BytesIO

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

pytestmark = pytest.mark.django_db


def read(pdf: bytes) -> PdfReader:
    return PdfReader(BytesIO(pdf))


def get(client, user, name: str, pk: int) -> bytes:
    client.force_login(user)
    response = client.get(reverse(f"challenges:{name}", args=[pk]))
    assert response.status_code == HTTPStatus.OK
    return response.content


def assert_metadata(reader: PdfReader, *, title: str, subject: str, clinic: str) -> None:
    info = reader.metadata
    assert info.title == title
    assert info.author == clinic
    assert info.subject == subject
    assert info.creator == "Stepwise"
    assert "anonymous" not in str(info.author)
    assert "unspecified" not in str(info.subject)
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/DisplayDocTitle"].value is True


def test_the_signed_report_is_dated_at_its_signature_and_stays_byte_identical(client, signed_failed, nurse):
    first = get(client, signed_failed.allergist, "report", signed_failed.pk)
    with time_machine.travel(datetime(2027, 6, 1, 12, 0, tzinfo=signed_failed.clinic.tzinfo)):
        later = get(client, nurse, "report", signed_failed.pk)
    assert later == first == bytes(signed_failed.signed_pdf)
    reader = read(first)
    signed_at = signed_failed.signed_at.astimezone(signed_failed.clinic.tzinfo)
    assert reader.metadata.creation_date == signed_at.replace(microsecond=0)
    assert reader.metadata.modification_date == signed_at.replace(microsecond=0)
    name = signed_failed.patient.full_name
    report = "Oral food challenge report"
    assert_metadata(reader, title=f"{report}: {name}", subject=report, clinic=signed_failed.clinic.name)


def test_a_draft_is_dated_when_it_is_made(client, failed, allergist):
    moment = datetime(2027, 1, 15, 14, 30, 5, tzinfo=failed.clinic.tzinfo)
    with time_machine.travel(moment, tick=False):
        reader = read(get(client, allergist, "report", failed.pk))
    assert reader.metadata.creation_date == moment
    assert reader.metadata.creation_date.year != 2000  # not reportlab's invariant placeholder


def test_sheets_plan_and_summary_carry_title_author_subject_and_language(client, home_challenge, allergist):
    clinic, name = home_challenge.clinic.name, home_challenge.patient.full_name
    plan = read(get(client, allergist, "home-plan-pdf", home_challenge.pk))
    food = home_challenge.protocol.food.name
    assert_metadata(plan, title=f"Your home plan: {food}: {name}", subject="Home reintroduction plan", clinic=clinic)
    assert plan.metadata.creation_date.year >= 2026
    sheet = read(get(client, allergist, "preparation-sheet", home_challenge.pk))
    assert_metadata(sheet, title=f"Dose-preparation sheet: {name}", subject="Dose-preparation sheet", clinic=clinic)
    summary = read(get(client, allergist, "patient-summary", home_challenge.patient.pk))
    assert summary.metadata.author == clinic
    assert summary.metadata.title.endswith(name)
    assert summary.trailer["/Root"]["/Lang"] == "en"
