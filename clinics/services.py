"""Writes shared by every clinical record: validated saves that keep history, and entered-in-error."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clinical.errors import DomainError
from clinics.models import ClinicalRecord, ClinicalRecordError, SubmissionKey, User

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
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as exc:
        # A unique row saved by a parallel request after our full_clean (the same MRN twice at once, security
        # review L2): validating again names the field, as it would have a moment later.
        if record._state.adding:
            record.pk = None
        record.full_clean()
        raise ClinicalRecordError(
            _("This conflicts with a record saved at the same moment. Reload the page and check."), code="integrity"
        ) from exc
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
@transaction.atomic
def clinical_record_mark_entered_in_error(*, record: R, by: User, reason: str) -> R:
    """Hide a record from default lists without deleting it; the reason, who and when are kept.

    The row is read again under a lock, so a second click, a second nurse or a retried request finds it already
    marked and gets a clear refusal instead of a second marking (security review M4, M5).
    """
    reason = reason.strip()
    if not reason:
        raise ClinicalRecordError(_("Give the reason this record was entered in error."), code="reason_required")
    current = type(record)._base_manager.select_for_update().get(pk=record.pk)
    if current.entered_in_error:
        raise ClinicalRecordError(_("This record is already marked as entered in error."), code="already_in_error")
    for target in (current, record):  # the caller's copy shows the marking too
        target.entered_in_error = True
        target.entered_in_error_reason = reason
        target.entered_in_error_by = by
        target.entered_in_error_at = timezone.now()
    current._history_user = by  # type: ignore[attr-defined]
    current._change_reason = reason  # type: ignore[attr-defined]
    current.save()
    return record


# --- one-time form keys ----------------------------------------------------------------------------------------


class AlreadySubmitted(DomainError):
    """The form's one-time key was used before: the write was done once, by that earlier request."""

    def __init__(self, message: str, *, code: str, result: models.Model | None) -> None:
        super().__init__(message, code=code)
        self.result = result


W = TypeVar("W", bound=models.Model)


@transaction.atomic
def once(key: uuid.UUID | None, by: User, write: Callable[[], W]) -> W:
    """Run `write` at most once for this form key (security review M4, L3); a form without a key writes as before.

    The key is claimed in the same transaction as the write: a repeat waits for the first (PostgreSQL) or queues
    behind it (SQLite's IMMEDIATE transactions), then finds the key and raises AlreadySubmitted with what the first
    request made, when it was the same user's. A write that fails releases the key with its rollback.
    """
    if key is None:
        return write()
    try:
        with transaction.atomic():
            claim = SubmissionKey.objects.create(key=key, user=by)
    except IntegrityError:
        earlier = SubmissionKey.objects.filter(key=key).first()
        result = earlier.result() if earlier is not None and earlier.user_id == by.pk else None
        raise AlreadySubmitted(
            _("This was already recorded: the form was sent more than once."), code="already_recorded", result=result
        ) from None
    result = write()
    claim.result_type = ContentType.objects.get_for_model(result)
    claim.result_id = result.pk
    claim.save(update_fields=["result_type", "result_id"])
    return result
