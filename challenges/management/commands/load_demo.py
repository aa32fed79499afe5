"""Load demo clinics, logins (password `stepwise-demo`), patients and, later, protocols and challenges."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from audit.services import chained_in_transaction
from challenges import demo as challenge_demo
from challenges.library.services.standard import load_standard_library, refresh_standard_protocols
from patients import demo


class Command(BaseCommand):
    help = "Load demo data (idempotent). Refuses to run with DEBUG off unless --force."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Load even though DEBUG is off.")

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: refusing to load demo logins with a published password into what may be a "
                "production database. Use --force if you really mean it."
            )
        # One long transaction: its audit rows are chained in place, not sealed after a commit that may come minutes
        # after the first of them was written (verify_audit's "sealed late"; docs/audit-chain.md).
        with chained_in_transaction(), transaction.atomic():
            load_standard_library()
            refresh_standard_protocols()  # a database from an earlier release gets this release's protocols
            users = demo.load_people()
            challenge_demo.load_clinic_challenges(users)
            challenge_demo.load_home_plans(users)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready: {len(users)} logins, password '{settings.STEPWISE_DEMO_PASSWORD}'.")
        )
