"""Chain every audit row still waiting to be sealed (the app does this right after each commit; docs/audit-chain.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit.services import audit_seal


class Command(BaseCommand):
    help = "Seal the audit rows written unsealed (after a crash between a commit and its seal, for instance)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Sealed {audit_seal()} audit row(s).")
