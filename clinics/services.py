"""Writes shared by every clinical record: validated saves that keep history, and entered-in-error."""

from __future__ import annotations

from typing import TypeVar

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.models import ClinicalRecord, ClinicalRecordError, User

R = TypeVar("R", bound=ClinicalRecord)


@transaction.atomic
def clinical_record_save(*, record: R, by: User | None) -> R:
    """Validate and save a clinical record; simple-history keeps who, when and the old value."""
    if record.pk and record.entered_in_error:
        raise ClinicalRecordError(_("This record was entered in error and can no longer be changed."), code="in_error")
    record._history_user = by  # type: ignore[attr-defined]  # read by simple-history outside requests
    record.full_clean()
    record.save()
    return record


@transaction.atomic
def clinical_record_mark_entered_in_error(*, record: R, by: User, reason: str) -> R:
    """Hide a record from default lists without deleting it; the reason, who and when are kept."""
    reason = reason.strip()
    if not reason:
        raise ClinicalRecordError(_("Give the reason this record was entered in error."), code="reason_required")
    if record.entered_in_error:
        raise ClinicalRecordError(_("This record is already marked as entered in error."), code="already_in_error")
    record.entered_in_error = True
    record.entered_in_error_reason = reason
    record.entered_in_error_by = by
    record.entered_in_error_at = timezone.now()
    record._history_user = by  # type: ignore[attr-defined]
    record._change_reason = reason  # type: ignore[attr-defined]
    record.save()
    return record
