"""Load the standard foods and protocols; safe in production and idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from challenges.library.services.standard import load_standard_library


class Command(BaseCommand):
    help = "Create the standard challenge foods and protocols that are missing (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        foods, protocols = load_standard_library()
        self.stdout.write(
            self.style.SUCCESS(f"Standard library ready ({foods} foods and {protocols} protocols added).")
        )
