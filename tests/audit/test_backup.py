"""Backup and restore drill (plan test 23, small): restore into an empty database, then compare and verify."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from audit.backup import live_table_counts, pg_connection_args, pg_env, sqlite_summary
from audit.models import AuditEvent
from challenges.run import services as runs
from tests.helpers import second_checker

ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def some_records(client, dosing_challenge, nurse, clock, patient):
    """A challenge with two doses, a chart read and a sign-in: every kind of row the trail holds."""
    for _ in range(2):
        runs.dose_record(
            challenge=dosing_challenge,
            by=nurse,
            food_amount=None,
            given_at=clock.now,
            idempotency_key=uuid.uuid4(),
            checked_by=second_checker(dosing_challenge, nurse),
        )
        clock.move(minutes=30)
    client.force_login(nurse)
    client.get(f"/patients/{patient.pk}/")
    return AuditEvent.objects.order_by("-seq").first()


def _backup(tmp_path: Path) -> tuple[Path, dict]:
    out = StringIO()
    call_command("backup", str(tmp_path / "backups"), stdout=out)
    target = Path(out.getvalue().split("Backup: ")[1].split("\n")[0])
    manifest = json.loads(target.with_suffix(".json").read_text())
    assert manifest["file"] == target.name
    return target, manifest


def _verify_in_subprocess(database_url: str, manifest: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.test_settings"}
    command = [sys.executable, "manage.py", "verify_audit", f"--manifest={manifest}"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite drill")
@pytest.mark.django_db(transaction=True)
def test_sqlite_backup_restores_into_an_empty_database(tmp_path, some_records):
    live_counts = live_table_counts()
    target, manifest = _backup(tmp_path)
    assert manifest["tables"] == live_counts
    assert manifest["tables"]["challenges_dose"] == 2
    assert manifest["audit"] == {"head_seq": some_records.seq, "head_hash": some_records.hash}
    restored = tmp_path / "restored.sqlite3"
    shutil.copyfile(target, restored)  # the documented SQLite restore: copy the file into place
    with sqlite3.connect(restored) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert sqlite_summary(db) == (live_counts, (some_records.seq, some_records.hash))
    # Every row of the clinical and audit tables, field by field (converted to Python types as Django does).
    with sqlite3.connect(restored, detect_types=sqlite3.PARSE_DECLTYPES) as db, connection.cursor() as cursor:
        for table in ("audit_auditevent", "challenges_dose", "challenges_historicaldose", "patients_patient"):
            cursor.execute(f"SELECT * FROM {table} ORDER BY 1")  # noqa: S608
            assert db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() == cursor.fetchall(), table  # noqa: S608
    result = _verify_in_subprocess(f"sqlite:///{restored}", target.with_suffix(".json"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: ")
    assert f"hash {some_records.hash}" in result.stdout


@pytest.mark.skipif(connection.vendor != "postgresql" or not shutil.which("pg_restore"), reason="PostgreSQL drill")
@pytest.mark.django_db(transaction=True)
def test_pg_dump_restores_into_an_empty_database(tmp_path, some_records):
    live_counts = live_table_counts()
    target, manifest = _backup(tmp_path)
    assert manifest["tables"] == live_counts
    assert manifest["audit"]["head_hash"] == some_records.hash
    settings_dict = connection.settings_dict
    restore_db = f"stepwise_restore_{uuid.uuid4().hex[:8]}"
    psql = [
        shutil.which("psql"),
        "--no-password",
        "-v",
        "ON_ERROR_STOP=1",
        *pg_connection_args(settings_dict, "postgres"),
    ]
    env = pg_env(settings_dict)
    subprocess.run([*psql, "-c", f"CREATE DATABASE {restore_db}"], env=env, check=True, capture_output=True)  # noqa: S603
    try:
        restore = [
            shutil.which("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            *pg_connection_args(settings_dict, restore_db),
            str(target),
        ]
        subprocess.run(restore, env=env, check=True, capture_output=True)  # noqa: S603
        user = settings_dict.get("USER") or ""
        host, port = settings_dict.get("HOST") or "localhost", settings_dict.get("PORT") or 5432
        url = f"postgres://{user}@{host}:{port}/{restore_db}"
        result = _verify_in_subprocess(url, target.with_suffix(".json"))
        assert result.returncode == 0, result.stderr
        assert f"hash {some_records.hash}" in result.stdout
        count = subprocess.run(
            [*psql[:-1], f"--dbname={restore_db}", "-At", "-c", "SELECT COUNT(*) FROM challenges_dose"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )  # noqa: S603
        assert int(count.stdout) == manifest["tables"]["challenges_dose"] == 2
    finally:
        subprocess.run(
            [*psql, "-c", f"DROP DATABASE IF EXISTS {restore_db}"], env=env, check=False, capture_output=True
        )  # noqa: S603


def test_backup_refuses_to_run_inside_a_transaction(tmp_path, db):
    with pytest.raises(CommandError, match="outside a transaction"):
        call_command("backup", str(tmp_path), stdout=StringIO())
