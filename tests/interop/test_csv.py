"""CSV exports through the real URLs: header, figures, clinic scoping, formula escaping, UTF-8 with BOM, access."""

from __future__ import annotations

import csv
import io
import re
import uuid
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from challenges.exports.csv_export import DOSE_COLUMNS, OBSERVATION_COLUMNS, escape_cell
from challenges.run import services as runs
from challenges.run.services import challenge_schedule
from tests.factories import PatientFactory
from tests.interop.conftest import check_in, give_doses, run_passed

DICTIONARY = Path(settings.BASE_DIR) / "docs" / "csv-data-dictionary.md"


def download(client, user, name: str) -> list[dict[str, str]]:
    client.force_login(user)
    response = client.get(reverse(f"challenges:export-{name}"))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert re.fullmatch(rf'attachment; filename="stepwise-{name}-\d{{4}}-\d{{2}}-\d{{2}}\.csv"', disposition)
    assert response["Cache-Control"] == "no-store"
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, for Excel
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == (DOSE_COLUMNS if name == "doses" else OBSERVATION_COLUMNS)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_dose_rows_with_cumulative_protein(client, nurse, failed_challenge):
    rows = download(client, nurse, "doses")
    assert [r["protein_mg"] for r in rows] == ["3", "10", "30", "100", "300"]
    assert [r["cumulative_protein_mg"] for r in rows] == ["3", "13", "43", "143", "443"]
    first = rows[0]
    assert first["challenge_id"] == str(failed_challenge.pk)
    assert first["given_at"] == "2026-11-26T09:00:00+00:00"
    assert (first["food"], first["food_unit"], first["outcome"], first["grade"]) == (
        "Peanut flour",
        "g",
        "failed",
        "2b",
    )
    assert (first["placebo"], first["entered_in_error"], first["given_by"]) == ("no", "no", nurse.display_name)
    # Non-ASCII names come through intact.
    assert (first["patient_given_name"], first["patient_family_name"]) == ("Zoë", "Ångström-Nguyễn")


def test_observation_rows_name_the_dose_they_followed(client, nurse, failed_challenge):
    rows = download(client, nurse, "observations")
    assert [(r["item_code"], r["severity"], r["after_dose_sequence"], r["minutes_after_dose"]) for r in rows] == [
        ("skin_urticaria", "2", "5", "12"),
        ("lower_resp_wheeze", "2", "5", "15"),
    ]
    assert rows[0]["observed_at"] == "2026-11-26T11:12:00+00:00"
    first = rows[0]
    assert (first["objective"], first["severity_label"]) == ("yes", "moderate")
    assert first["note"] == "6 hives on neck and chest"


def test_entered_in_error_dose_is_kept_flagged_and_left_out_of_the_total(client, nurse, challenge, clock):
    check_in(challenge, nurse, clock.now)
    give_doses(challenge, nurse, clock, 2)
    runs.record_mark_entered_in_error(record=challenge.doses.get(sequence=2), by=nurse, reason="Wrong patient")
    rows = download(client, nurse, "doses")
    assert [(r["entered_in_error"], r["entered_in_error_reason"], r["cumulative_protein_mg"]) for r in rows] == [
        ("no", "", "3"),
        ("yes", "Wrong patient", ""),
    ]


def test_other_clinics_rows_never_appear(client, nurse, other_clinic_nurse, failed_challenge, other_clinic_challenge):
    for name in ("doses", "observations"):
        client.force_login(nurse)
        response = client.get(reverse(f"challenges:export-{name}"))
        assert b"OTHER-CLINIC-SENTINEL" not in response.content
        assert b"Farawaysentinel" not in response.content
    ours = download(client, nurse, "doses")
    assert {r["challenge_id"] for r in ours} == {str(failed_challenge.pk)}
    theirs = download(client, other_clinic_nurse, "doses")
    assert [(r["challenge_id"], r["notes"]) for r in theirs] == [
        (str(other_clinic_challenge.pk), "OTHER-CLINIC-SENTINEL")
    ]
    assert theirs[0]["given_at"].endswith("+11:00")  # Sydney's local time (summer) for that clinic
    assert "Ngu" not in str(theirs)


def test_formula_cells_are_defused(client, nurse, allergist, practall, clock):
    sly = PatientFactory(clinic=nurse.clinic, given_name="@SUM(A1:A9)", family_name='=HYPERLINK("http://x")', mrn="+44")
    challenge = challenge_schedule(
        patient=sly, protocol=practall, scheduled_at=clock.now, allergist=allergist, nurse=nurse, by=nurse
    )
    check_in(challenge, nurse, clock.now)
    runs.dose_record(
        challenge=challenge,
        by=nurse,
        food_amount=None,
        given_at=clock.now,
        idempotency_key=uuid.uuid4(),
        notes="-2+3 spat some out",
    )
    (row,) = download(client, nurse, "doses")
    assert row["patient_given_name"] == "'@SUM(A1:A9)"
    assert row["patient_family_name"] == '\'=HYPERLINK("http://x")'
    assert row["patient_mrn"] == "'+44"
    assert row["notes"] == "'-2+3 spat some out"
    assert row["protein_mg"] == "3"  # numbers untouched


def test_a_semicolon_never_lets_a_spreadsheet_start_a_cell_inside_a_value(client, nurse, allergist, practall, clock):
    """Continental Excel splits on ";": every value is quoted, so "x;=cmd" stays one cell of text (review L1)."""
    challenge = challenge_schedule(
        patient=PatientFactory(clinic=nurse.clinic),
        protocol=practall,
        scheduled_at=clock.now,
        allergist=allergist,
        nurse=nurse,
        by=nurse,
    )
    check_in(challenge, nurse, clock.now)
    note = "x;=cmd|' /C calc'!A0;y"
    runs.dose_record(
        challenge=challenge, by=nurse, food_amount=None, given_at=clock.now, idempotency_key=uuid.uuid4(), notes=note
    )
    client.force_login(nurse)
    raw = client.get(reverse("challenges:export-doses")).content.decode("utf-8-sig")
    header, line = raw.splitlines()[:2]
    assert all(field.startswith('"') and field.endswith('"') for field in header.split(","))
    assert f'"{note}"' in line
    assert download(client, nurse, "doses")[0]["notes"] == note


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("  =1+1", "'  =1+1"),
        ("\n@x", "'\n@x"),
        ("\uff1dcmd", "'\uff1dcmd"),
        ("", ""),
        ("Zoë", "Zoë"),
    ],
)
def test_escape_cell(value, expected):
    assert escape_cell(value) == expected


def test_blinded_challenge_hides_placebo_until_unblinded(client, nurse, allergist, other_patient, practall, clock):
    blinded = challenge_schedule(
        patient=other_patient,
        protocol=practall,
        scheduled_at=clock.now,
        allergist=allergist,
        nurse=nurse,
        by=nurse,
        placebo_steps=[2],
    )
    check_in(blinded, nurse, clock.now)
    give_doses(blinded, nurse, clock, 2)
    rows = download(client, nurse, "doses")
    assert [(r["placebo"], r["cumulative_protein_mg"]) for r in rows] == [("blinded", ""), ("blinded", "")]
    runs.challenge_unblind(challenge=blinded, by=allergist)
    rows = download(client, nurse, "doses")
    assert [(r["placebo"], r["cumulative_protein_mg"]) for r in rows] == [("no", "3"), ("yes", "3")]


def test_query_count_does_not_grow_with_challenges(
    client, nurse, allergist, practall, patient, failed_challenge, clock, django_assert_num_queries
):
    client.force_login(nurse)
    url = reverse("challenges:export-doses")
    # Session, user, clinic (time zone), challenges, doses, observations, protocol steps (a ladder rung's unit); the
    # access-log row (chain head, insert); then the session's idle-timeout save (savepoint, update, release).
    with django_assert_num_queries(12):
        client.get(url)
    run_passed(patient, practall, allergist, nurse, clock)
    with django_assert_num_queries(12):
        assert len(client.get(url).content.splitlines()) == 1 + 5 + 7


def test_patients_and_anonymous_cannot_export(client, failed_challenge, patient_user):
    for name in ("doses", "observations"):
        url = reverse(f"challenges:export-{name}")
        client.logout()
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].startswith(reverse("login"))
        client.force_login(patient_user)
        response = client.get(url)
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert b"Ngu" not in response.content


def test_data_dictionary_describes_every_column():
    text = DICTIONARY.read_text(encoding="utf-8")
    missing = [name for name in DOSE_COLUMNS + OBSERVATION_COLUMNS if f"`{name}`" not in text]
    assert missing == []
