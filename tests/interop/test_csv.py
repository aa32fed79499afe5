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
from tests.helpers import second_checker
from tests.interop.conftest import check_in, give_doses, run_passed

DICTIONARY = Path(settings.BASE_DIR) / "docs" / "csv-data-dictionary.md"


def body(response) -> bytes:
    """A streamed CSV's bytes (the exports stream row by row)."""
    assert response.streaming
    return b"".join(response.streaming_content)


def download(client, user, name: str) -> list[dict[str, str]]:
    client.force_login(user)
    response = client.get(reverse(f"challenges:export-{name}"))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert re.fullmatch(rf'attachment; filename="stepwise-{name}-\d{{4}}-\d{{2}}-\d{{2}}\.csv"', disposition)
    assert response["Cache-Control"] == "no-store"
    content = body(response)
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, for Excel
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == (DOSE_COLUMNS if name == "doses" else OBSERVATION_COLUMNS)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_dose_rows_with_cumulative_protein(client, nurse, failed_challenge):
    rows = download(client, nurse, "doses")
    # Steps 1-4 are mixes of peanut flour (522 mg protein per g): the protein the volume of mix given delivered
    # (docs/clinical-sources.md §12). 1.1 mL × 2.61 mg/mL (1 g in 200 mL), 1.9 mL × 5.22 mg/mL (1 g in 100 mL),
    # 1.4 mL and 4.8 mL × 20.88 mg/mL (1 g in 25 mL); step 5 (300 mg) is weighed.
    assert [r["protein_mg"] for r in rows] == ["2.871", "9.918", "29.232", "100.224", "300"]
    assert [r["cumulative_protein_mg"] for r in rows] == ["2.871", "12.789", "42.021", "142.245", "442.245"]
    assert [(r["mix_volume_ml"], r["planned_mix_volume_ml"]) for r in rows[:4]] == [
        ("1.1", "1.1"),
        ("1.9", "1.9"),
        ("1.4", "1.4"),
        ("4.8", "4.8"),
    ]
    assert [r["mix_protein_mg_per_ml"] for r in rows] == ["2.61", "5.22", "20.88", "20.88", ""]
    assert rows[4]["mix_volume_ml"] == ""  # weighed
    assert [(r["prepared_by"], r["checked_by"]) for r in rows] == [(nurse.display_name, "Amira Okafor")] * 5
    assert (rows[0]["food_brand"], rows[0]["protein_g_per_100_used"]) == ("", "52.2")  # no pack recorded
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
        ("no", "", "2.871"),
        ("yes", "Wrong patient", ""),
    ]


def test_other_clinics_rows_never_appear(client, nurse, other_clinic_nurse, failed_challenge, other_clinic_challenge):
    for name in ("doses", "observations"):
        client.force_login(nurse)
        response = client.get(reverse(f"challenges:export-{name}"))
        assert b"OTHER-CLINIC-SENTINEL" not in body(response)
        assert b"Farawaysentinel" not in body(response)
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
        checked_by=second_checker(challenge, nurse),
    )
    (row,) = download(client, nurse, "doses")
    assert row["patient_given_name"] == "'@SUM(A1:A9)"
    assert row["patient_family_name"] == '\'=HYPERLINK("http://x")'
    assert row["patient_mrn"] == "'+44"
    assert row["notes"] == "'-2+3 spat some out"
    assert row["protein_mg"] == "2.871"  # numbers untouched (1.1 mL of 2.61 mg/mL peanut flour mix)


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
        challenge=challenge,
        by=nurse,
        food_amount=None,
        given_at=clock.now,
        idempotency_key=uuid.uuid4(),
        notes=note,
        checked_by=second_checker(challenge, nurse),  # step 1 is a mix: checked by a second person
    )
    client.force_login(nurse)
    raw = body(client.get(reverse("challenges:export-doses"))).decode("utf-8-sig")
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


def test_blinded_challenge_hides_placebo_until_unblinded(client, nurse, allergist, other_patient, dbpcfc, clock):
    blinded = challenge_schedule(
        patient=other_patient,
        protocol=dbpcfc,
        scheduled_at=clock.now,
        allergist=allergist,
        nurse=nurse,
        by=nurse,
        placebo_doses=1,
    )
    blinded.blind_order = [1, -2, 2, 3, 4, 5, 6, 7]  # dose 2 is placebo
    blinded.save()
    check_in(blinded, nurse, clock.now)
    give_doses(blinded, nurse, clock, 2)
    rows = download(client, nurse, "doses")
    assert [(r["placebo"], r["protein_mg"], r["cumulative_protein_mg"]) for r in rows] == [
        ("blinded", "blinded", "")
    ] * 2
    runs.challenge_stop(challenge=blinded, by=nurse, reason="Child refused further doses")
    runs.blinded_verdict_record(challenge=blinded, by=allergist, reaction=False, after_dose=None)
    runs.challenge_unblind(challenge=blinded, by=allergist)
    rows = download(client, nurse, "doses")
    # After unblinding the placebo row shows no protein eaten (review O6).
    assert [(r["placebo"], r["protein_mg"], r["cumulative_protein_mg"]) for r in rows] == [
        ("no", "2.871", "2.871"),  # step 1: 1.1 mL of a 2.61 mg/mL peanut-flour mix
        ("yes", "0", "2.871"),
    ]


def test_query_count_does_not_grow_with_challenges(
    client, nurse, allergist, practall, patient, failed_challenge, clock, django_assert_num_queries
):
    client.force_login(nurse)
    url = reverse("challenges:export-doses")
    # Session, user, clinic (time zone), challenges, doses, observations, food packs, protocol steps (a ladder rung's
    # unit); the access-log row (chain head, insert); then the session's idle-timeout save (savepoint, update, release).
    with django_assert_num_queries(13):
        body(client.get(url))  # the queries run while the file streams
    run_passed(patient, practall, allergist, nurse, clock)
    with django_assert_num_queries(13):
        assert len(body(client.get(url)).splitlines()) == 1 + 5 + 7


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
