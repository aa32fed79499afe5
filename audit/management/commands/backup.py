"""Take an online backup of the database with a manifest (row counts, audit head hash, time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database into DIRECTORY (SQLite backup API or pg_dump) and write a manifest beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, directory: Path, **options: Any) -> None:
        try:
            target, manifest = backup(directory)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Backup: {target}\nManifest: {manifest}")
