"""Check the standard library and every clinic protocol against the protocol rules; exit non-zero on an error.

The rules are the ones the protocol editor applies before a save (challenges.library.services.protocols.draft_issues:
step validation, big jumps, FPIES caps, kind rules, preparation): this command calls them, it does not repeat them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from challenges.library.models import Protocol
from challenges.library.services.protocols import ProtocolDraft, draft_from_protocol, draft_issues
from challenges.library.services.standard import seed_drafts
from clinical.step_checks import StepIssue


class Command(BaseCommand):
    help = (
        "Check the standard protocol library (as shipped) and every current protocol in the database against the "
        "protocol rules; print the errors and warnings of each, and exit with an error if any protocol has one."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts: list[int] = []
        self.stdout.write("Standard library, as shipped:")
        for draft in seed_drafts():
            counts.append(self._report(f"[standard] {draft.name}", draft_issues(draft)))
        self.stdout.write("Protocols in the database (current versions):")
        for protocol in _current_protocols():
            owner = protocol.clinic.name if protocol.clinic else "standard"
            counts.append(self._report(f"[{owner}] {protocol.name} (v{protocol.version})", _issues(protocol)))
        if any(counts):
            failing = sum(1 for count in counts if count)
            raise CommandError(f"{sum(counts)} error(s) in {failing} protocol(s).")
        self.stdout.write(self.style.SUCCESS("No protocol errors."))

    def _report(self, title: str, issues: Iterable[StepIssue]) -> int:
        """Print one protocol's findings; return its number of errors."""
        found = list(issues)
        errors = sum(issue.level == "error" for issue in found)
        warnings = len(found) - errors
        if not found:
            self.stdout.write(f"  {title}: ok")
            return 0
        self.stdout.write(f"  {title}: {errors} error(s), {warnings} warning(s)")
        for issue in found:
            where = f"step {issue.step_number}" if issue.step_number is not None else "protocol"
            line = f"    {issue.level.upper()} {issue.code} ({where}): {issue.message}"
            self.stdout.write(self.style.ERROR(line) if issue.level == "error" else self.style.WARNING(line))
        return errors


def _current_protocols() -> Iterable[Protocol]:
    return (
        Protocol.objects.current()
        .select_related("clinic", "food")
        .prefetch_related("steps__food", "premedications")
        .order_by("clinic__name", "name")
    )


def _issues(protocol: Protocol) -> list[StepIssue]:
    draft: ProtocolDraft = draft_from_protocol(protocol)
    return draft_issues(draft)
