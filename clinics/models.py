"""Clinics, the people who use Stepwise, and what every clinical record shares."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Self, TypeVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinical.errors import DomainError


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone (e.g. Europe/London)."), params={"value": value})


ABSOLUTE_URI = re.compile(
    r"^(https?://[^\s/]+(/\S*)?|urn:oid:[0-2](\.(0|[1-9][0-9]*))+|urn:uuid:[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})$"
)


def validate_absolute_uri(value: str) -> None:
    """An identifier system a receiving system can trust to be global: an http(s) URL, urn:oid: or urn:uuid:."""
    if not ABSOLUTE_URI.match(value):
        raise ValidationError(
            _("Enter an absolute URI: https://…, urn:oid:1.2.3… or urn:uuid:… (lower case), without spaces.")
        )


def new_mrn_system() -> str:
    """A globally unique default until the hospital's own MRN namespace is entered."""
    return f"urn:uuid:{uuid.uuid4()}"


class PageSize(models.TextChoices):
    A4 = "A4", _("A4")
    LETTER = "letter", _("US Letter")


class Clinic(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    address = models.TextField(_("address"), blank=True, max_length=500)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # Told when a patient's home plan pauses (clinics: challenges.run.notify); blank: nobody is emailed.
    email = models.EmailField(_("email for home-plan alerts"), blank=True)
    report_page_size = models.CharField(_("report page size"), max_length=10, choices=PageSize, default=PageSize.A4)
    # When on, a home reintroduction step is released only by an allergist.
    home_steps_need_release = models.BooleanField(_("home steps need an allergist's release"), default=False)
    # FHIR export (interop review defects 9, 10): the hospital's MRN namespace, and the clinic's own namespace from
    # which every exported resource's id is derived (so a second export updates rather than duplicates).
    mrn_system = models.CharField(
        _("MRN identifier system (FHIR)"),
        max_length=200,
        default=new_mrn_system,
        validators=[validate_absolute_uri],
        help_text=_(
            "The hospital's URI for its medical record numbers (an https URL or urn:oid:…), used in FHIR exports so "
            "the receiving system matches the patient. The default is a unique urn:uuid of this clinic."
        ),
    )
    fhir_namespace = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Role(models.TextChoices):
    ALLERGIST = "allergist", _("Allergist")
    NURSE = "nurse", _("Nurse")
    PATIENT = "patient", _("Patient")


class User(AbstractUser):
    """A person who signs in: clinic staff (allergist, nurse) or a patient.

    Staff belong to exactly one clinic. A patient account is linked to exactly one patient record
    (Patient.user), whose clinic is the account's clinic.
    """

    role = models.CharField(_("role"), max_length=20, choices=Role, blank=True)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    # A clinician's professional registration (e.g. "GMC 1234567"), printed beside their signature on a report.
    registration_number = models.CharField(_("professional registration number"), max_length=40, blank=True)
    # Raised to end every other session of the account (a second factor turned on: security review L8). Part of
    # the session hash Django checks on each request, as a password change is.
    sessions_epoch = models.PositiveIntegerField(default=0, editable=False)
    # Prepares the doses of blinded challenges: the only staff who see which doses are placebo before unblinding.
    can_prepare_blinded = models.BooleanField(_("prepares blinded doses (sees the placebo key)"), default=False)

    # Not a field: django_otp's OTPMiddleware sets it on each request's user (True once the session passed a token).
    is_verified: Callable[[], bool]

    # Who may do what is in the hash-chained trail (security review M8): role, clinic, staff and superuser flags,
    # active, name and the password hash keep a history row per change, so a raw UPDATE shows in verify_audit.
    # The sign-in time is not history (clinics.auth.stamp_last_login saves it without a row).
    history = HistoricalRecords(excluded_fields=["last_login"])

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="") | models.Q(clinic__isnull=False),
                name="clinics_user_role_needs_clinic",
                violation_error_message=_("A user with a role must belong to a clinic."),
            ),
        ]

    @property
    def is_allergist(self) -> bool:
        return self.role == Role.ALLERGIST

    @property
    def is_nurse(self) -> bool:
        return self.role == Role.NURSE

    @property
    def is_clinic_staff(self) -> bool:
        return self.role in (Role.ALLERGIST, Role.NURSE)

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's HMAC of the password hash, with the sessions epoch once it has been raised (so sessions made
        before this field existed stay valid until then)."""
        if not self.sessions_epoch:
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        key_salt = "clinics.models.User.session_auth_hash"
        value = f"{self.password}|{self.sessions_epoch}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class ClinicalRecordError(DomainError):
    """A rule about clinical records was broken."""


_M = TypeVar("_M", bound=models.Model, covariant=True)  # as QuerySet's own model parameter


class HistoryKeepingQuerySet(models.QuerySet[_M]):
    """Rows whose every change leaves a history row. `update()` and `bulk_update()` write no history, so they raise.

    `Model.save()` is unaffected: it updates through the base manager's private `_update()`.
    """

    def update(self, **kwargs: Any) -> int:
        raise ClinicalRecordError(
            "Bulk updates write no history; change records one by one through their service.", code="no_bulk_update"
        )

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise ClinicalRecordError(
            "Bulk updates write no history; change records one by one through their service.", code="no_bulk_update"
        )


class NoDeleteQuerySet(HistoryKeepingQuerySet[_M]):
    """Rows that are never deleted (a database trigger refuses DELETE too; see audit.guards)."""

    def delete(self) -> Any:
        raise ClinicalRecordError("Clinical records are never deleted; mark them entered in error.", code="no_delete")


class ClinicalQuerySet(NoDeleteQuerySet[_M]):
    """Clinical rows are never deleted: they are marked entered in error, with a reason."""

    def current(self) -> Self:
        return self.filter(entered_in_error=False)

    def for_reader(self, user: Any) -> Self:
        """Staff see rows entered in error (marked as such); a patient sees only current rows."""
        return self if getattr(user, "is_clinic_staff", False) else self.current()


class ClinicalRecord(models.Model):
    """Fields and rules every clinical record shares: never deleted, only marked entered in error."""

    entered_in_error = models.BooleanField(_("entered in error"), default=False)
    entered_in_error_reason = models.TextField(_("reason it was entered in error"), blank=True, max_length=2000)
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ClinicalQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Decimals are rounded here, half up, to their column's places: left to the database, SQLite (through
        Django) rounds half to even and PostgreSQL half up, so 138.8125 mg would be stored as two values."""
        for field in self._meta.concrete_fields:
            value = getattr(self, field.attname)
            if isinstance(field, models.DecimalField) and isinstance(value, Decimal) and value.is_finite():
                setattr(self, field.attname, value.quantize(Decimal(1).scaleb(-field.decimal_places), ROUND_HALF_UP))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ClinicalRecordError("Clinical records are never deleted; mark them entered in error.", code="no_delete")


class SubmissionKey(models.Model):
    """A form's one-time key (security review M4, L3): the first request that brings it writes; a repeat (double
    tap, retry after a slow answer, Back and send again) is told it was already recorded and shown the result.

    Keys are kept (a few bytes each) so a form resent days later is still recognised.
    """

    key = models.UUIDField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    result_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, null=True, related_name="+")
    result_id = models.PositiveBigIntegerField(null=True)

    def __str__(self) -> str:
        return str(self.key)

    def result(self) -> models.Model | None:
        if self.result_type is None or self.result_id is None:
            return None
        model = self.result_type.model_class()
        return None if model is None else model._base_manager.filter(pk=self.result_id).first()
