"""verify_audit recomputes the chain and the history rows, and names the first broken row.

Each tamper is done in raw SQL with the triggers dropped first, as someone with database access would.
"""

from __future__ import annotations

import json
import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from audit import verify
from audit.models import Action, AuditEvent
from audit.services import Entry, audit_append
from clinics.services import clinical_record_save
from patients.models import Patient
from tests.audit.conftest import attacker_sql
from tests.factories import PatientFactory, TriggerFactory


@pytest.fixture
def history(nurse, patient):
    """A dozen audit events: record changes of patients and triggers, and sign-ins."""
    TriggerFactory(patient=patient)
    for weight in ("61", "62", "63"):
        patient.weight_kg = weight
        clinical_record_save(record=patient, by=nurse)
    PatientFactory(clinic=patient.clinic)
    for _ in range(3):
        audit_append(Entry(action=Action.LOGIN, user=nurse, ip="127.0.0.1"))
    assert AuditEvent.objects.count() >= 9
    return patient


def _run() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except CommandError as exc:
        err.write(str(exc))
    return out.getvalue(), err.getvalue()


def test_an_untouched_trail_verifies(history):
    out, err = _run()
    head = AuditEvent.objects.order_by("-seq").first()
    history_rows = sum(m._base_manager.count() for m in verify._history_models())
    assert err == ""
    assert out.strip() == (
        f"OK: {AuditEvent.objects.count()} audit events, {history_rows} history rows; "
        f"head seq {head.seq} hash {head.hash}"
    )


def test_an_altered_audit_row_is_found(history):
    attacker_sql("UPDATE audit_auditevent SET username = 'someone-else' WHERE seq = 5")
    out, err = _run()
    assert out == ""
    assert "PROBLEM seq 5: altered" in err
    assert "FAILED: 1 problem(s); the first is at seq 5" in err


def test_a_removed_audit_row_is_found(history):
    attacker_sql("DELETE FROM audit_auditevent WHERE seq = 4")
    _, err = _run()
    assert "seq 4: removed" in err
    assert "seq 5: broken link" in err
    assert "the first is at seq 4" in err


def test_two_swapped_audit_rows_are_found(history):
    """Rows 3 and 7 trade every column but their id: each still matches its own hash, but the order is wrong."""
    columns = (
        "seq, at, user_id, username, clinic_id, patient_id, action, object_type, object_id, ip, user_agent, details, "
        "previous_hash, hash"
    )
    a, b = AuditEvent.objects.filter(seq__in=(3, 7)).order_by("seq").values_list("id", flat=True)
    attacker_sql(
        f"CREATE TEMPORARY TABLE swapped AS SELECT id, {columns} FROM audit_auditevent WHERE id IN (%s, %s)", [a, b]
    )
    attacker_sql(
        "UPDATE audit_auditevent SET seq = seq + 1000000, hash = 'tmp' || id, previous_hash = 'tmp' || id WHERE id IN "
        "(%s, %s)",
        [a, b],
    )
    for target, source in ((a, b), (b, a)):
        attacker_sql(
            f"UPDATE audit_auditevent SET ({columns}) = (SELECT {columns} FROM swapped WHERE id = %s) WHERE id = %s",
            [source, target],
        )
    attacker_sql("DROP TABLE swapped")
    assert sorted(AuditEvent.objects.values_list("seq", flat=True))[:8] == [1, 2, 3, 4, 5, 6, 7, 8]
    _, err = _run()
    assert "FAILED" in err
    # In seq order the ids now run ..., b, (4), (5), (6), a, ...: they go backwards at seq 4 and at seq 7.
    fourth = AuditEvent.objects.get(seq=4).id
    assert f"seq 4: out of order: audit row id {fourth} was written before id {b}, seq 3" in err
    assert "seq 7: out of order" in err


def test_a_changed_removed_or_unchained_history_row_is_found(history):
    rows = list(Patient.history.filter(id=history.pk).order_by("history_id"))
    attacker_sql("UPDATE patients_historicalpatient SET weight_kg = 99 WHERE history_id = %s", [rows[1].history_id])
    attacker_sql("DELETE FROM patients_historicalpatient WHERE history_id = %s", [rows[2].history_id])
    attacker_sql(
        "UPDATE patients_historicalpatient SET history_date = %s WHERE history_id = %s",
        [rows[0].history_date, rows[3].history_id],
    )  # moved back in time: reordered
    _, err = _run()
    assert f"patients.historicalpatient history_id {rows[1].history_id} differs from what was written" in err
    assert f"patients.historicalpatient history_id {rows[2].history_id} was removed" in err
    assert f"patients.historicalpatient history_id {rows[3].history_id} differs from what was written" in err


def test_a_history_row_written_behind_the_apps_back_is_found(history):
    with connection.cursor() as cursor:  # INSERT is allowed; it is simply never chained
        cursor.execute(
            "INSERT INTO patients_historicaltrigger (id, entered_in_error, entered_in_error_reason, created_at, "
            "substance, reaction_type, worst_reaction_severity, last_reaction_severity, notes, history_date, "
            "history_type, patient_id) SELECT id, entered_in_error, entered_in_error_reason, created_at, 'Egg', "
            "reaction_type, worst_reaction_severity, last_reaction_severity, notes, history_date, '~', patient_id "
            "FROM patients_historicaltrigger"
        )
    _, err = _run()
    assert "history not chained" in err


def test_a_clinical_row_changed_in_raw_sql_is_found(history):
    with connection.cursor() as cursor:  # UPDATE on clinical tables is allowed by the triggers; it leaves no history
        cursor.execute("UPDATE patients_patient SET weight_kg = 6.1 WHERE id = %s", [history.pk])
    _, err = _run()
    assert f"changed without history: patients.patient id {history.pk} differs from its latest history row" in err


def test_random_tampering_is_always_found_at_the_right_row(history):
    """Plan test 20 in small: alter one field, delete a row or swap two rows' hashes, at random; 30 trials."""
    rng = random.Random(20)
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    for _ in range(30):
        seq = rng.choice(seqs[1:-1])
        kind = rng.choice(["alter", "delete", "swap"])
        sid = transaction.savepoint()
        if kind == "alter":
            attacker_sql("UPDATE audit_auditevent SET object_id = object_id || 'x' WHERE seq = %s", [seq])
        elif kind == "delete":
            attacker_sql("DELETE FROM audit_auditevent WHERE seq = %s", [seq])
        else:
            attacker_sql(
                "UPDATE audit_auditevent SET action = CASE WHEN action = 'login' THEN 'logout' ELSE 'login' END WHERE "
                "seq = %s",
                [seq],
            )
        report = verify.verify_all()
        transaction.savepoint_rollback(sid)
        assert not report.ok, (kind, seq)
        assert report.sorted_problems()[0].seq == seq, (kind, seq, report.sorted_problems()[:2])
    assert verify.verify_all().ok


def test_a_cut_off_tail_is_found_against_the_backup_manifest(history, tmp_path):
    head = AuditEvent.objects.order_by("-seq").first()
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"audit": {"head_seq": head.seq, "head_hash": head.hash}, "tables": {}}))
    attacker_sql("DELETE FROM audit_auditevent WHERE seq >= %s", [head.seq - 1])  # two sign-ins: no history to miss
    assert _run()[1] == ""  # the chain alone cannot tell
    with pytest.raises(CommandError):
        call_command("verify_audit", manifest=manifest, stdout=StringIO(), stderr=StringIO())


def test_the_manifest_check_ignores_tables_that_shrink_in_normal_use_and_names_a_clinical_one(history, tmp_path):
    """Security review L9: sessions end and sign-ins clear axes attempts; a lost clinical row is still found."""
    from audit.backup import live_table_counts

    counts = live_table_counts()
    head = AuditEvent.objects.order_by("-seq").first()
    inflated = {**counts, "django_session": counts.get("django_session", 0) + 5, "axes_accessattempt": 3}
    manifest = {"audit": {"head_seq": head.seq, "head_hash": head.hash}, "tables": inflated}
    assert verify.manifest_problems(verify.Report(), manifest, live_table_counts()) == []
    lost = {**inflated, "patients_patient": counts["patients_patient"] + 1}
    problems = verify.manifest_problems(verify.Report(), {**manifest, "tables": lost}, live_table_counts())
    assert [(p.kind, p.message.split(":")[0]) for p in problems] == [("rows lost", "patients_patient")]


def test_a_raw_change_of_a_users_role_or_password_is_found(history, nurse):
    """Security review M8: who may do what is in the hash-chained trail."""
    assert verify.verify_all().ok
    attacker_sql("UPDATE clinics_user SET role = 'allergist', password = 'x' WHERE id = %s", [nurse.pk])
    problems = verify.verify_all().problems
    assert [p.kind for p in problems] == ["changed without history"]
    assert f"clinics.user id {nurse.pk}" in problems[0].message


def test_signing_in_stamps_the_time_without_a_history_row_and_a_role_change_keeps_one(client, nurse):
    from tests.security.conftest import sign_in

    before = nurse.history.count()
    assert sign_in(client, nurse.username).status_code == 302
    nurse.refresh_from_db()
    assert nurse.last_login is not None
    assert nurse.history.count() == before
    nurse.role = "allergist"
    nurse.save()
    assert nurse.history.count() == before + 1
    assert nurse.history.first().role == "allergist"
    assert verify.verify_all().ok


def test_accounts_made_before_user_history_get_a_first_row_after_migrate(history, clinic):
    from clinics.apps import start_user_history
    from clinics.models import User

    old = User(username="t-from-before", role="nurse", clinic=clinic)
    old.skip_history_when_saving = True
    old.save()
    assert not old.history.exists()
    start_user_history()
    start_user_history()  # once only
    assert old.history.count() == 1
    assert verify.verify_all().ok
