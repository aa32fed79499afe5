"""Writes shared by every clinical record: validated saves that keep history, and entered-in-error."""

from __future__ import annotations

from typing import TypeVar

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.models import ClinicalRecord, ClinicalRecordError, User

R = TypeVar("R", bound=ClinicalRecord)


class EditConflictError(ClinicalRecordError):
    """Someone else saved the record after this edit began; nothing was saved."""


@transaction.atomic
def clinical_record_save(*, record: R, by: User | None, expected_version: int | None = None) -> R:
    """Validate and save a clinical record; simple-history keeps who, when and the old value.

    A record with a `version` is saved only if nobody saved it since the editor loaded it (`expected_version`, or
    the version on the instance): optimistic locking. Otherwise EditConflictError names who changed it and when.
    """
    if record.pk and record.entered_in_error:
        raise ClinicalRecordError(_("This record was entered in error and can no longer be changed."), code="in_error")
    record._history_user = by  # type: ignore[attr-defined]  # read by simple-history outside requests
    record.full_clean()
    if record.pk and hasattr(record, "version"):
        _claim_version(record, record.version if expected_version is None else expected_version)
    record.save()
    return record


def _claim_version(record: ClinicalRecord, expected_version: int) -> None:
    """Bump the version only if it is still the one the editor saw (one UPDATE ... WHERE version = ?).

    For any clinical model with a `version` field (Patient, Challenge); ClinicalRecord has none, so the concrete
    model is typed as a model whose fields mypy cannot know.
    """
    model: type[models.Model] = type(record)
    claimed = model._base_manager.filter(pk=record.pk, version=expected_version).update(version=F("version") + 1)
    if not claimed:
        raise EditConflictError(_conflict_message(record), code="conflict")
    record.version = expected_version + 1  # type: ignore[attr-defined]  # on the concrete model, see above


def _conflict_message(record: ClinicalRecord) -> str:
    latest = record.history.select_related("history_user").order_by("-history_date", "-history_id").first()  # type: ignore[attr-defined]
    if latest is None:
        return _("Someone else changed this record after you opened it. Reload to see their change.")
    who = latest.history_user.display_name if latest.history_user else _("the system")
    when = timezone.localtime(latest.history_date).strftime("%d %b %Y %H:%M")
    return _(
        "%(who)s changed this record at %(when)s, after you opened it. Nothing was saved: reload to see "
        "their change, then make yours again."
    ) % {"who": who, "when": when}


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
