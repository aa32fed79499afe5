"""A challenge, run from a frozen protocol version, and its event log: every state change, override, unblinding
and signature is a ChallengeEvent row, so who did what and when is never lost.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from challenges.library.models import Protocol
from challenges.run.models.choices import (
    Advice,
    ContinuationKind,
    EventKind,
    Outcome,
    Purpose,
    Setting,
    Status,
    StopKind,
)
from clinical.outcome import FORM_ADVICE_MAX_LENGTH, KEEP_EATING_MAX_LENGTH, DischargeAdvice
from clinics.models import Clinic, ClinicalRecord, ClinicalRecordError, NoDeleteQuerySet
from patients.models import Patient

USER = settings.AUTH_USER_MODEL


class Challenge(ClinicalRecord):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="challenges")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="challenges")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="challenges")
    setting = models.CharField(_("setting"), max_length=10, choices=Setting, default=Setting.CLINIC)
    scheduled_at = models.DateTimeField(_("scheduled for"))
    allergist = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("supervising allergist")
    )
    nurse = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.PLANNED)
    indication = models.TextField(_("indication"), blank=True, max_length=2000)
    # Blank only on challenges booked before it was asked; the booking form requires it.
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose, blank=True)

    # Blinded challenges (clinical.blinding): the blinded schedule, drawn at booking, as signed step numbers (+n
    # active step n, -n a placebo mirroring step n); doses are numbered by their place in it. Only a preparer sees it
    # before unblinding. `placebo_steps` is the old substitution model (review X1), kept only for rows made with it.
    blinded = models.BooleanField(_("blinded"), default=False)
    placebo_steps = models.JSONField(default=list, blank=True)
    blind_order = models.JSONField(default=list, blank=True)
    # The observer's verdict, recorded blind before unblinding: a reaction after dose n, or none.
    verdict_reaction = models.BooleanField(_("reaction observed (blinded verdict)"), null=True, blank=True)
    verdict_after_dose = models.PositiveSmallIntegerField(
        _("reaction after dose (blinded verdict)"), null=True, blank=True
    )
    verdict_at = models.DateTimeField(null=True, blank=True)
    verdict_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    unblinded_at = models.DateTimeField(null=True, blank=True)
    unblinded_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    # Home plans: the first step is taken in clinic (from the protocol at booking, docs/clinical-sources.md §11.1).
    first_step_in_clinic = models.BooleanField(_("first step taken in clinic"), default=False)
    # A continuation of an earlier challenge of the same patient (X5): day 2, the open feeding after a negative
    # DBPCFC, ASCIA days 2-7 at home, a re-challenge after an equivocal result.
    continues = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="continuations",
        verbose_name=_("continues challenge"),
    )
    continuation_kind = models.CharField(_("continuation"), max_length=20, choices=ContinuationKind, blank=True)
    # Weight-based doses (FPIES): the weight and its date the doses were generated from at booking (§11.2).
    dose_weight_kg = models.DecimalField(_("dosing weight (kg)"), max_digits=5, decimal_places=2, null=True, blank=True)
    dose_weight_measured_on = models.DateField(_("dosing weight measured on"), null=True, blank=True)
    # FPIES laboratory values (docs/clinical-sources.md §1.5): neutrophils at baseline and about 6 h after the food.
    neutrophils_baseline_per_ul = models.PositiveIntegerField(
        _("neutrophils at baseline (cells/µL)"), null=True, blank=True
    )
    neutrophils_6h_per_ul = models.PositiveIntegerField(_("neutrophils at about 6 h (cells/µL)"), null=True, blank=True)

    # Pre-challenge checklist override (a failed item blocks the first dose unless an allergist overrides).
    checks_override_reason = models.TextField(blank=True, max_length=2000)
    checks_override_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    # The end: confirmed by the allergist; the computed figures live in clinical.outcome, never typed in.
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome, blank=True)
    outcome_reason = models.TextField(_("reason"), blank=True, max_length=2000)
    grade_scale = models.CharField(_("grading scale"), max_length=20, blank=True)
    grade_suggested = models.CharField(max_length=10, blank=True)
    grade = models.CharField(_("reaction grade"), max_length=10, blank=True)
    grade_confirmed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    observation_started_at = models.DateTimeField(null=True, blank=True)  # dosing ended (last dose, or the stop)
    # After a reaction, observation starts when the symptoms resolved; its length follows the reaction
    # (clinical.observation, Resuscitation Council UK 2021). Recorded by services.observation.symptoms_resolved_record.
    symptoms_resolved_at = models.DateTimeField(_("symptoms resolved at"), null=True, blank=True)
    symptoms_resolved_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    adrenaline_good_response = models.BooleanField(
        _("good response to a single dose of adrenaline"), null=True, blank=True
    )
    severe_respiratory_compromise = models.BooleanField(_("severe respiratory compromise"), default=False)
    advice = models.CharField(_("advice"), max_length=20, choices=Advice, blank=True)
    new_adrenaline_prescription = models.BooleanField(_("new adrenaline prescription"), null=True, blank=True)
    discharge_notes = models.TextField(_("discharge notes"), blank=True, max_length=2000)
    # Structured discharge advice (clinical review R6; clinical.outcome.DischargeAdvice): unticked and empty until
    # the clinician records them.
    discharge_rest_of_day = models.BooleanField(_("avoid exercise and the food for the rest of the day"), default=False)
    discharge_keep_eating = models.CharField(
        _("how much and how often to keep eating"), max_length=KEEP_EATING_MAX_LENGTH, blank=True
    )
    discharge_form_advice = models.TextField(_("form-specific advice"), max_length=FORM_ADVICE_MAX_LENGTH, blank=True)
    discharge_action_plan_given = models.BooleanField(_("written allergy action plan given"), default=False)
    discharge_autoinjector_trained = models.BooleanField(_("adrenaline auto-injector use trained"), default=False)
    follow_up_on = models.DateField(_("follow-up or re-challenge date"), null=True, blank=True)
    outcome_under_review = models.BooleanField(default=False)  # a late finding re-opened it for the allergist
    stop_kind = models.CharField(_("why dosing stopped"), max_length=10, choices=StopKind, blank=True)
    # Home plan (MCAS): "my usual symptoms", item code -> usual grade 1-3; judged as baseline (clinical.home_plan).
    usual_symptoms = models.JSONField(_("usual symptoms"), default=dict, blank=True)

    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    signed_pdf = models.BinaryField(null=True, blank=True, editable=False)
    signed_snapshot = models.JSONField(null=True, blank=True, editable=False)
    # The signed PDF is kept out of the history (its size); its SHA-256 is in it, so the hash chain covers the PDF:
    # audit.verify checks every model's AUDIT_FILE_DIGESTS, and the download refuses a PDF that does not match.
    signed_pdf_sha256 = models.CharField(max_length=64, blank=True, editable=False)

    version = models.PositiveIntegerField(default=1, editable=False)  # optimistic lock for edits of this row
    # What the bedside page shows, as of: a new random value on every write to anything the page reads
    # (challenges.page_version), so a page rendered for one value is never served for another
    # (clinics.page_cache). Not a clinical fact: kept out of the history.
    page_version = models.BigIntegerField(default=0, editable=False)

    history = HistoricalRecords(excluded_fields=["signed_pdf", "page_version"])
    AUDIT_FILE_DIGESTS = {"signed_pdf": "signed_pdf_sha256"}  # file field -> its SHA-256 field (kept in history)

    class Meta:
        ordering = ["-scheduled_at"]
        indexes = [
            models.Index(fields=["clinic", "scheduled_at"]),
            models.Index(fields=["patient", "scheduled_at"]),
            # Today's board: the challenges running now, whatever day they were booked for (bench/README.md).
            models.Index(fields=["clinic", "status"], name="challenges_clinic_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(continues__isnull=True, continuation_kind="")
                | (Q(continues__isnull=False) & ~Q(continuation_kind="")),
                name="challenges_challenge_continuation_has_kind",
                violation_error_message=_("A continuation names the challenge it continues and how."),
            ),
            models.CheckConstraint(
                condition=~Q(continues=models.F("pk")), name="challenges_challenge_not_own_continuation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol.food.name} challenge for {self.patient.full_name}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def is_home(self) -> bool:
        return self.setting == Setting.HOME

    @property
    def discharge_advice(self) -> DischargeAdvice:
        """The structured discharge items as recorded (R6)."""
        return DischargeAdvice(
            rest_of_day=self.discharge_rest_of_day,
            keep_eating=self.discharge_keep_eating,
            form_advice=self.discharge_form_advice,
            action_plan_given=self.discharge_action_plan_given,
            autoinjector_trained=self.discharge_autoinjector_trained,
            follow_up_on=self.follow_up_on,
        )


class ChallengeEvent(models.Model):
    """An append-only log line: a state change, an override, an unblinding, a signature."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=30, choices=EventKind)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    reason = models.TextField(blank=True, max_length=4000)  # a typed reason (2,000) with what it changed
    by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    objects = NoDeleteQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.challenge_id})"

    def delete(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        raise ClinicalRecordError("Challenge events are never deleted.", code="no_delete")
