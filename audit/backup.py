"""Online backups with a manifest: SQLite through its backup API, PostgreSQL through pg_dump.

The manifest (JSON beside the backup) records the time, the row count of every table and the audit chain's head
(seq and hash), all read from the same moment as the backup itself. docs/backup-and-restore.md says how to restore
and check a restore against it (`verify_audit --manifest`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from audit.guards import AUDIT_TABLE

HEAD_SQL = f"SELECT seq, hash FROM {AUDIT_TABLE} WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"  # noqa: S608


class BackupError(Exception):
    pass


def backup(directory: Path) -> tuple[Path, Path]:
    """Back up the default database into `directory`; returns (backup file, manifest)."""
    if connection.in_atomic_block:
        raise BackupError("Run the backup outside a transaction.")
    directory.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    now = dt.datetime.now(dt.UTC)
    stem = directory / f"stepwise-{now:%Y%m%dT%H%M%S%fZ}"
    if connection.vendor == "sqlite":
        target, tables, head = _sqlite_backup(stem.with_suffix(".sqlite3"))
    elif connection.vendor == "postgresql":
        target, tables, head = _postgres_backup(stem.with_suffix(".pgdump"))
    else:
        raise BackupError(f"No backup method for {connection.vendor}.")
    manifest = {
        "format": 1,
        "created_at": now.isoformat().replace("+00:00", "Z"),
        "vendor": connection.vendor,
        "file": target.name,
        "file_sha256": _file_sha256(target),
        "seconds": round(time.monotonic() - started, 3),
        "tables": tables,
        "audit": {"head_seq": head[0], "head_hash": head[1]},
    }
    manifest_path = stem.with_suffix(".json")
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return target, manifest_path


def _sqlite_backup(target: Path) -> tuple[Path, dict[str, int], tuple[int, str]]:
    """A consistent copy of the live database, page by page, while others keep writing (sqlite3 backup API)."""
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("The copy failed SQLite's integrity check.")
        tables, head = sqlite_summary(copy)
    finally:
        copy.close()
    return target, tables, head


def sqlite_summary(db: sqlite3.Connection) -> tuple[dict[str, int], tuple[int, str]]:
    """Row counts of every table and the audit head, read from an SQLite database file (a backup or a restore)."""
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    tables = {name: db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}  # noqa: S608
    head = db.execute(HEAD_SQL).fetchone() if AUDIT_TABLE in tables else None
    return tables, (head[0], head[1]) if head else (0, "")


def _postgres_backup(target: Path) -> tuple[Path, dict[str, int], tuple[int, str]]:
    """pg_dump (custom format) of one exported snapshot; counts and head come from that same snapshot."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("pg_dump is not installed.")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        command = [
            pg_dump,
            "--format=custom",
            f"--snapshot={snapshot}",
            f"--file={target}",
            "--no-password",
            *pg_connection_args(connection.settings_dict),
        ]
        result = subprocess.run(  # noqa: S603 - fixed argv (pg_dump and its options), no shell
            command, env=pg_env(connection.settings_dict), capture_output=True, text=True, check=False
        )  # noqa: S603
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        tables = _counts(cursor, connection.introspection.table_names(cursor))
        cursor.execute(HEAD_SQL)
        head = cursor.fetchone()
    return target, tables, (head[0], head[1]) if head else (0, "")


def pg_connection_args(settings_dict: dict[str, Any], dbname: str | None = None) -> list[str]:
    args = [f"--dbname={dbname or settings_dict['NAME']}"]
    if settings_dict.get("HOST"):
        args.append(f"--host={settings_dict['HOST']}")
    if settings_dict.get("PORT"):
        args.append(f"--port={settings_dict['PORT']}")
    if settings_dict.get("USER"):
        args.append(f"--username={settings_dict['USER']}")
    return args


def pg_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return env


def live_table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        # SQLite's own tables (the planner's statistics, sqlite_stat1) are left out, as sqlite_summary leaves them.
        tables = [name for name in connection.introspection.table_names(cursor) if not name.startswith("sqlite_")]
        return _counts(cursor, tables)


def _counts(cursor: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        counts[table] = cursor.fetchone()[0]
    return counts


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
