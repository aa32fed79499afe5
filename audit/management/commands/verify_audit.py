"""Recompute the audit hash chain and the history rows it vouches for; exit non-zero on any problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import backup, verify

MAX_LISTED = 200


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and history rows. With --manifest, also check against a backup."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--manifest", type=Path, help="A backup manifest: its head must still be in the chain.")

    def handle(self, *args: Any, manifest: Path | None = None, **options: Any) -> None:
        report = verify.verify_all()
        if manifest is not None:
            data = json.loads(manifest.read_text())
            report.problems += verify.manifest_problems(report, data, backup.live_table_counts())
        if not report.ok:
            problems = report.sorted_problems()
            for problem in problems[:MAX_LISTED]:
                self.stderr.write(f"PROBLEM {problem}")
            if len(problems) > MAX_LISTED:
                self.stderr.write(f"... and {len(problems) - MAX_LISTED} more")
            raise CommandError(f"FAILED: {len(problems)} problem(s); the first is at {problems[0]}")
        waiting = f"; {report.unsealed} waiting to be sealed" if report.unsealed else ""
        self.stdout.write(
            f"OK: {report.events} audit events, {report.history_rows} history rows; "
            f"head seq {report.head_seq} hash {report.head_hash}{waiting}"
        )
