"""The append-only audit trail: who read or changed what, and when, in one hash chain."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.models import Clinic, ClinicalRecordError


class Action(models.TextChoices):
    CHART_VIEW = "chart.view", _("Chart opened")
    CHART_HISTORY = "chart.history", _("Chart history opened")
    PDF_DOWNLOAD = "pdf.download", _("PDF downloaded")
    EXPORT_DOWNLOAD = "export.download", _("Data exported")
    LOGIN = "login", _("Signed in")
    LOGOUT = "logout", _("Signed out")
    LOGIN_FAILED = "login.failed", _("Sign-in failed")
    LOCKOUT = "lockout", _("Locked out")
    RECORD_CHANGE = "record.change", _("Record changed")
    ACCESS_CHANGE = "access.change", _("Access rights changed (admin)")
    SETTINGS_CHANGE = "settings.change", _("Clinic settings changed (admin)")


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise ClinicalRecordError("Audit events are never changed or deleted.", code="append_only")


class AuditEventQuerySet(models.QuerySet):
    update = _refuse
    bulk_update = _refuse
    delete = _refuse

    def for_clinic(self, clinic_id: int | None) -> AuditEventQuerySet:
        return self.filter(clinic_id=clinic_id) if clinic_id else self.none()


class AuditEvent(models.Model):
    """One line of the access and change log. Written only by audit.services; its content never changes.

    `seq` numbers the chain 1, 2, 3... and `previous_hash` is the `hash` of row `seq - 1`; both are unique, so the
    chain cannot fork. A row is chained in its writer's transaction or, on PostgreSQL, inserted unsealed (seq and
    the hashes empty) and sealed by `audit_seal` right after that transaction commits (docs/audit-chain.md).
    Database triggers refuse DELETE, and every UPDATE but that one seal of an unsealed row (audit.guards).
    """

    seq = models.PositiveBigIntegerField(unique=True, null=True, editable=False)
    at = models.DateTimeField(default=timezone.now, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)  # as it was then, and for failed sign-ins
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=40, choices=Action)
    object_type = models.CharField(max_length=100, blank=True)  # app_label.model
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)
    # Empty (NULL, not "") until sealed: unique, so many unsealed rows may wait at once.
    previous_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001
    hash = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001
    sealed_at = models.DateTimeField(null=True, editable=False)  # set when sealed after its writer's commit

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["clinic", "-seq"], name="audit_event_clinic_seq"),
            models.Index(fields=["patient", "-seq"], name="audit_event_patient_seq"),
            models.Index(fields=["id"], condition=models.Q(hash__isnull=True), name="audit_event_unsealed"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.username}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            _refuse()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        _refuse()
