"""Load the standard foods and protocols and bring existing standard protocols up to this release; safe in
production and idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from challenges.library.services.standard import load_standard_library, refresh_standard_protocols


class Command(BaseCommand):
    help = (
        "Create the standard challenge foods and protocols that are missing, and give each standard protocol that "
        "differs from this release's a new version (the old one stays for the challenges booked on it). Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        foods, protocols = load_standard_library()
        changed = refresh_standard_protocols()
        for name in changed:
            self.stdout.write(f"  updated to this release: {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Standard library ready ({foods} foods and {protocols} protocols added, {len(changed)} updated)."
            )
        )
