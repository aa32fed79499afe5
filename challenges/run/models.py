"""A challenge run from a frozen protocol version, and everything recorded during it.

Every record here is append-only clinical data: never deleted, corrected by marking it entered in error (with a
reason) and recording the right value anew. State changes are rows (ChallengeEvent), so who did what and when is
never lost.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from challenges.library.models import PremedicationItem, Protocol, Route
from clinical import stop_rules
from clinical.outcome import FORM_ADVICE_MAX_LENGTH, KEEP_EATING_MAX_LENGTH, DischargeAdvice
from clinics.models import Clinic, ClinicalRecord, ClinicalRecordError, NoDeleteQuerySet
from patients.models import Medication, Patient

USER = settings.AUTH_USER_MODEL


class Setting(models.TextChoices):
    CLINIC = "clinic", _("Clinic")
    HOME = "home", _("Home")


class Status(models.TextChoices):
    PLANNED = "planned", _("Planned")
    CHECKED_IN = "checked_in", _("Checked in")
    DOSING = "dosing", _("Dosing")
    OBSERVING = "observing", _("Observing")
    PAUSED = "paused", _("Paused")  # home plans: symptoms met a stop rule; waiting for the clinic
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped")
    CANCELLED = "cancelled", _("Cancelled")


class Outcome(models.TextChoices):
    PASSED = "passed", _("Passed (tolerated)")
    FAILED = "failed", _("Failed (not tolerated)")
    EQUIVOCAL = "equivocal", _("Equivocal")
    DOSE_NOT_REACHED = "dose_not_reached", _("Dose not reached")


class Advice(models.TextChoices):
    EAT_REGULARLY = "eat_regularly", _("Eat the food regularly")
    STRICT_AVOIDANCE = "strict_avoidance", _("Strict avoidance")
    RECHALLENGE = "rechallenge", _("Re-challenge")


class StopKind(models.TextChoices):
    """Why dosing was stopped early: a reaction, or a reason that says nothing about tolerance (O2)."""

    REACTION = "reaction", _("Symptoms (possible reaction)")
    REFUSAL = "refusal", _("Patient refused to eat more")
    TIME = "time", _("Ran out of time")
    ILLNESS = "illness", _("Intercurrent illness")
    OTHER = "other", _("Other non-clinical reason")


class ContinuationKind(models.TextChoices):
    """How a challenge continues an earlier one (X5); the values are clinical.continuation.KINDS."""

    DAY_2 = "day_2", _("Day 2 (repeat of the top dose)")
    OPEN_AFTER_DBPCFC = "open_after_dbpcfc", _("Open feeding after a negative DBPCFC")
    HOME_DAYS = "home_days", _("Home days after a negative clinic challenge")
    RECHALLENGE = "rechallenge", _("Re-challenge after an equivocal result")


class Purpose(models.TextChoices):
    """Why the challenge is done (R7; the purposes of an OFC in the AAAAI/EAACI PRACTALL report)."""

    DIAGNOSIS = "diagnosis", _("Diagnosis")
    RESOLUTION = "resolution", _("Resolution / tolerance after avoidance")
    THRESHOLD = "threshold", _("Threshold determination")
    OIT_EXIT = "oit_exit", _("OIT exit / sustained unresponsiveness")
    NEW_FOOD = "new_food", _("Introduction of a new food or form")


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


class Decision(models.TextChoices):
    STOP = "stop", _("Stop the challenge")
    REPEAT = "repeat", _("Hold and repeat the same dose")
    WAIT = "wait", _("Wait longer before the next dose")
    CONTINUE = "continue", _("Continue (with a written justification)")


class EventKind(models.TextChoices):
    """What a ChallengeEvent records; the label is what the challenge page's event log shows."""

    SCHEDULED = "scheduled", _("scheduled")
    STATUS = "status", _("status")
    CHECKS_OVERRIDE = "checks_override", _("pre-challenge checks overridden")
    EARLY_DOSE_OVERRIDE = "early_dose_override", _("dose given early (override)")
    STOP_ALERT = "stop_alert", _("stop rule met")
    DECISION_STOP = "decision_stop", _("decision: stop")
    DECISION_REPEAT = "decision_repeat", _("decision: repeat the dose")
    DECISION_CONTINUE = "decision_continue", _("decision: continue")
    DECISION_WAIT = "decision_wait", _("decision: wait longer")
    OBSERVATION_OVERRIDE = "observation_override", _("observation ended early")
    OUTCOME = "outcome", _("outcome confirmed")
    SIGNED = "signed", _("signed")
    ADDENDUM = "addendum", _("addendum")
    UNBLINDED = "unblinded", _("unblinded")
    BLINDED_VERDICT = "blinded_verdict", _("blinded verdict recorded")
    STEP_RELEASED = "step_released", _("home step released")
    PLAN_CHANGED = "plan_changed", _("plan changed")
    LATE_FINDING = "late_finding", _("late finding")
    WASHOUT_STOP_CONFIRMED = "washout_stop_confirmed", _("wash-out: stop date confirmed")
    WASHOUT_OVERRIDE = "washout_override", _("wash-out overridden")
    MEDICATION_DECISION = "medication_decision", _("medication decision")
    SYMPTOMS_RESOLVED = "symptoms_resolved", _("symptoms resolved")
    DISCHARGED = "discharged", _("discharged")
    PREMEDICATION_FLAG = "premedication_flag", _("premedication not taken as planned")
    ADRENALINE_ABOVE_MAX = "adrenaline_above_max", _("adrenaline above the weight-based maximum")


DECISION_EVENTS = {
    Decision.STOP: EventKind.DECISION_STOP,
    Decision.REPEAT: EventKind.DECISION_REPEAT,
    Decision.CONTINUE: EventKind.DECISION_CONTINUE,
    Decision.WAIT: EventKind.DECISION_WAIT,
}


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


class PreChallengeCheck(ClinicalRecord):
    """The safety checks before the first dose (docs/clinical-sources.md §5.2)."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="checks")
    no_illness = models.BooleanField(_("no current illness or fever"))
    asthma_eczema_controlled = models.BooleanField(_("asthma and eczema controlled"))
    no_recent_exercise = models.BooleanField(_("no strenuous exercise in the last 2 h"))
    washout_confirmed = models.BooleanField(_("wash-out confirmed"))
    # None: the protocol plans no premedication, so the question was not asked (and the report does not print it).
    premedication_taken = models.BooleanField(_("premedication taken as planned"), null=True, blank=True)
    consent_recorded = models.BooleanField(_("consent recorded"))
    emergency_ready = models.BooleanField(_("emergency medication ready"))
    # FPIES (docs/clinical-sources.md §1.5): IV access in place and fluids ready; required before an FPIES first dose.
    iv_access_ready = models.BooleanField(_("IV access in place and fluids ready (FPIES)"), null=True, blank=True)
    baseline_skin = models.CharField(_("baseline skin"), max_length=300, blank=True)
    baseline_mouth = models.CharField(_("baseline mouth/oropharynx"), max_length=300, blank=True)
    baseline_chest = models.CharField(_("baseline chest"), max_length=300, blank=True)
    notes = models.TextField(blank=True, max_length=2000)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    CHECK_FIELDS = (
        "no_illness",
        "asthma_eczema_controlled",
        "no_recent_exercise",
        "washout_confirmed",
        "premedication_taken",
        "consent_recorded",
        "emergency_ready",
    )

    class Meta:
        ordering = ["recorded_at"]

    @classmethod
    def check_label(cls, name: str) -> str:
        """The label of one of CHECK_FIELDS (its field's verbose name)."""
        field = cls._meta.get_field(name)
        if not isinstance(field, models.Field):
            raise TypeError(f"{name} is not a field of PreChallengeCheck")
        return str(field.verbose_name)

    def failed_items(self) -> list[str]:
        failed = [self.check_label(name) for name in self.asked_fields() if not getattr(self, name)]
        if self.challenge.protocol.kind == "fpies" and not self.iv_access_ready:
            failed.append(self.check_label("iv_access_ready"))
        return failed

    def asked_fields(self) -> list[str]:
        """CHECK_FIELDS without the questions not asked (premedication when none is planned)."""
        return [name for name in self.CHECK_FIELDS if getattr(self, name) is not None]


class WashoutAction(models.TextChoices):
    """What was decided about one medication conflict before the first dose (clinical.washout.ACTION_LABELS)."""

    STOP_CONFIRMED = "stop_confirmed", _("Stop date confirmed")
    OVERRIDDEN = "overridden", _("Overridden")
    PROCEED = "proceed", _("Proceed with precautions")
    DEFER = "defer", _("Defer the challenge")
    SWITCH = "switch", _("Switch the medication (with the prescriber)")
    ACCEPT_LIMITATION = "accept_limitation", _("Accept and document the limitation")


class WashoutDecision(ClinicalRecord):
    """A decision about one medication conflict of a challenge (docs/clinical-sources.md §5.1).

    The nurse confirms the day of the last dose, or the allergist overrides with a reason, or records a risk review
    (proceed with precautions, defer, switch) or a steroid decision (accept the limitation, defer). The conflicts
    themselves are computed from the current medication rows, never stored; a later decision about the same
    medication supersedes an earlier one, and a wrong one is marked entered in error, never deleted.
    """

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="washout_decisions")
    medication = models.ForeignKey(Medication, on_delete=models.PROTECT, related_name="+")
    medication_text = models.CharField(_("medication"), max_length=320)  # as it read when decided
    conflict_kind = models.CharField(max_length=30)  # clinical.washout conflict kind it answered
    action = models.CharField(_("decision"), max_length=20, choices=WashoutAction)
    stopped_on = models.DateField(_("last dose taken on"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True, max_length=2000)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "decided_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action="stop_confirmed") | Q(stopped_on__isnull=False),
                name="challenges_washout_stop_has_date",
            ),
            models.CheckConstraint(
                condition=Q(action="stop_confirmed") | ~Q(reason=""),
                name="challenges_washout_decision_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.medication_text} (challenge {self.challenge_id})"


class Source(models.TextChoices):
    CLINICIAN = "clinician", _("Clinician")
    PATIENT = "patient", _("Patient")


class Dose(ClinicalRecord):
    """A dose actually given. Cumulative totals are computed from these rows, never from the plan."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="doses")
    sequence = models.PositiveSmallIntegerField()  # order given (a repeated step gets its own sequence)
    step_number = models.PositiveSmallIntegerField()  # the planned step it gives
    planned_protein_mg = models.DecimalField(max_digits=12, decimal_places=3)
    planned_food_amount = models.DecimalField(max_digits=10, decimal_places=3)
    food_amount = models.DecimalField(_("amount eaten"), max_digits=10, decimal_places=3)
    protein_mg = models.DecimalField(max_digits=12, decimal_places=3)
    given_at = models.DateTimeField(_("given at"))
    given_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, choices=Source, default=Source.CLINICIAN)
    is_placebo = models.BooleanField(default=False)
    early_override_reason = models.TextField(blank=True, max_length=2000)
    notes = models.CharField(max_length=500, blank=True)
    idempotency_key = models.UUIDField(unique=True, default=uuid.uuid4)
    # Who prepared the dose and who checked it (two-person check, docs/clinical-sources.md §12): required for a
    # diluted dose in clinic, optional otherwise; the checker is never the preparer.
    prepared_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("prepared by")
    )
    checked_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("checked by")
    )
    # A diluted dose: the volume of the mix given and the mix's protein concentration; protein_mg is then what that
    # volume delivered (volume × concentration), not the target, and food_amount the food it held.
    mix_volume_ml = models.DecimalField(
        _("volume of the mix given (mL)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    planned_mix_volume_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    mix_protein_mg_per_ml = models.DecimalField(max_digits=16, decimal_places=8, null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "sequence"], name="challenges_dose_unique_sequence"),
            models.CheckConstraint(
                condition=Q(food_amount__gte=0) & Q(protein_mg__gte=0), name="challenges_dose_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(checked_by__isnull=True) | ~Q(checked_by=models.F("prepared_by")),
                name="challenges_dose_checker_not_preparer",
                violation_error_message=_("The checker must be someone other than the preparer."),
            ),
            models.CheckConstraint(
                condition=Q(mix_volume_ml__isnull=True, mix_protein_mg_per_ml__isnull=True)
                | Q(mix_volume_ml__gt=0, mix_protein_mg_per_ml__gt=0)
                | Q(mix_volume_ml__gt=0, mix_protein_mg_per_ml=0, is_placebo=True),  # a placebo mix holds no food
                name="challenges_dose_mix_volume_and_concentration",
            ),
        ]

    @property
    def is_diluted(self) -> bool:
        return self.mix_volume_ml is not None

    @property
    def is_partial(self) -> bool:
        """Less than planned was given: less of the mix (a diluted dose), or less of the food."""
        if self.mix_volume_ml is not None and self.planned_mix_volume_ml is not None:
            return self.mix_volume_ml < self.planned_mix_volume_ml
        return self.food_amount < self.planned_food_amount


class FoodLot(ClinicalRecord):
    """The pack of food used for a challenge: brand, lot or batch, expiry, and its label's protein per 100 g.

    Recorded before the first dose (services.food.food_lot_record); the latest one not entered in error counts.
    The library figure it was compared with is kept as it was, so the record reads the same if the library changes.
    """

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="food_lots")
    brand = models.CharField(_("brand or product"), max_length=120)
    lot = models.CharField(_("lot or batch"), max_length=60)
    expires_on = models.DateField(_("expiry date"))
    label_protein_g_per_100 = models.DecimalField(
        _("protein on the label (g per 100 g)"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("100"))],
    )
    library_protein_g_per_100 = models.DecimalField(max_digits=6, decimal_places=3)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(label_protein_g_per_100__isnull=True)
                | Q(label_protein_g_per_100__gt=0, label_protein_g_per_100__lte=100),
                name="challenges_foodlot_label_protein_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand}, lot {self.lot} (challenge {self.challenge_id})"


class Observation(ClinicalRecord):
    """A checklist finding: item, severity 0-3 (PRACTALL, docs/clinical-sources.md §3.1), when, and a note."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="observations")
    item_code = models.CharField(_("finding"), max_length=40)
    severity = models.PositiveSmallIntegerField(_("severity"), validators=[MaxValueValidator(3)])
    observed_at = models.DateTimeField(_("observed at"))
    note = models.CharField(_("note"), max_length=1000, blank=True)
    source = models.CharField(max_length=10, choices=Source, default=Source.CLINICIAN)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "observed_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(severity__lte=3), name="challenges_observation_severity_0_3"),
        ]
        # Symptoms of the last 72 h, for the home-plan attention page, out of millions of findings.
        indexes = [models.Index(fields=["observed_at"], name="challenges_observation_at_idx")]


class VitalsKind(models.TextChoices):
    BASELINE = "baseline", _("Baseline")
    DURING = "during", _("During")
    DISCHARGE = "discharge", _("Discharge")


class VitalSigns(ClinicalRecord):
    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="vitals")
    kind = models.CharField(max_length=10, choices=VitalsKind, default=VitalsKind.DURING)
    taken_at = models.DateTimeField(_("taken at"))
    heart_rate = models.PositiveSmallIntegerField(
        _("heart rate (/min)"), null=True, blank=True, validators=[MinValueValidator(20), MaxValueValidator(300)]
    )
    systolic = models.PositiveSmallIntegerField(
        _("systolic BP (mmHg)"), null=True, blank=True, validators=[MinValueValidator(30), MaxValueValidator(300)]
    )
    diastolic = models.PositiveSmallIntegerField(
        _("diastolic BP (mmHg)"), null=True, blank=True, validators=[MinValueValidator(10), MaxValueValidator(200)]
    )
    resp_rate = models.PositiveSmallIntegerField(
        _("respiratory rate (/min)"), null=True, blank=True, validators=[MinValueValidator(4), MaxValueValidator(120)]
    )
    spo2 = models.PositiveSmallIntegerField(
        _("SpO₂ (%)"), null=True, blank=True, validators=[MinValueValidator(50), MaxValueValidator(100)]
    )
    temperature_c = models.DecimalField(
        _("temperature (°C)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("30")), MaxValueValidator(Decimal("44"))],
    )
    pef = models.PositiveSmallIntegerField(
        _("PEF (L/min)"), null=True, blank=True, validators=[MinValueValidator(30), MaxValueValidator(900)]
    )
    fev1_ml = models.PositiveSmallIntegerField(
        _("FEV1 (mL)"), null=True, blank=True, validators=[MinValueValidator(100), MaxValueValidator(8000)]
    )
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "taken_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(systolic__isnull=True) | Q(diastolic__isnull=True) | Q(systolic__gt=models.F("diastolic")),
                name="challenges_vitals_systolic_above_diastolic",
                violation_error_message=_("Systolic pressure must be higher than diastolic."),
            ),
        ]


class TreatmentKind(models.TextChoices):
    PREMEDICATION = "premedication", _("Premedication")
    ADRENALINE = "adrenaline", _("Adrenaline")
    ANTIHISTAMINE = "antihistamine", _("Antihistamine")
    STEROID = "steroid", _("Steroid")
    SALBUTAMOL = "salbutamol", _("Salbutamol")
    FLUIDS = "fluids", _("IV fluids")
    ONDANSETRON = "ondansetron", _("Ondansetron")
    OTHER = "other", _("Other")


class Treatment(ClinicalRecord):
    """A medicine given: premedication actually taken, or treatment of a reaction."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="treatments")
    kind = models.CharField(_("kind"), max_length=15, choices=TreatmentKind)
    drug = models.CharField(_("drug"), max_length=120)
    dose = models.CharField(_("dose"), max_length=60)
    route = models.CharField(_("route"), max_length=10, choices=Route, default=Route.ORAL)
    given_at = models.DateTimeField(_("given at"))
    site = models.CharField(_("site"), max_length=60, blank=True)  # e.g. "anterolateral thigh" for IM adrenaline
    response = models.CharField(_("response"), max_length=200, blank=True)
    # The one-tap adrenaline form's key: a double tap records one dose, not two.
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # The protocol's premedication item this dose answers (a premedication taken as planned), when known.
    premedication_item = models.ForeignKey(
        PremedicationItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=10, choices=Source, default=Source.CLINICIAN)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    notes = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "given_at", "pk"]


class StopAlert(models.Model):
    """Stop rules were met; the next dose is blocked until an allergist decides."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="alerts")
    raised_at = models.DateTimeField(default=timezone.now)
    hits = models.JSONField()  # [{"code", "message", "evidence": [...]}] from clinical.stopping
    decision = models.CharField(max_length=10, choices=Decision, blank=True)
    reason = models.TextField(blank=True, max_length=2000)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    wait_until = models.DateTimeField(null=True, blank=True)  # "wait longer": no next dose before this

    objects = NoDeleteQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "raised_at", "pk"]

    def __str__(self) -> str:
        return f"Stop alert {self.pk} on challenge {self.challenge_id} ({self.decision or 'undecided'})"

    def delete(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        raise ClinicalRecordError("Stop alerts are never deleted.", code="no_delete")

    @property
    def is_open(self) -> bool:
        return not self.decision

    @property
    def tier(self) -> str:
        """'stop' or 'hold' (clinical.stop_rules tiers): the most urgent of its hits (stored before tiers: 'stop')."""
        return stop_rules.worst_tier([hit.get("tier", stop_rules.STOP) for hit in self.hits]) or stop_rules.STOP

    @property
    def is_hold(self) -> bool:
        return self.tier == stop_rules.HOLD


class FollowUpMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    PATIENT = "patient", _("Patient check-in")
    VISIT = "visit", _("Clinic visit")


class FollowUp(ClinicalRecord):
    """A check-in for delayed reactions at a protocol-defined time after the last dose (e.g. +2 h, +24 h, +72 h).

    Scheduled when dosing ends, in clinic or at home (services.ending.schedule_follow_ups).
    """

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="follow_ups")
    due_at = models.DateTimeField(_("due"))
    hours_after = models.PositiveIntegerField()
    method = models.CharField(_("how"), max_length=10, choices=FollowUpMethod, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    symptoms = models.BooleanField(_("new symptoms"), null=True, blank=True)
    findings = models.TextField(_("what was found"), blank=True, max_length=2000)
    source = models.CharField(max_length=10, choices=Source, blank=True)
    # A biphasic or late reaction (clinical review X6) and a post-reaction tryptase (X10).
    recurrence_at = models.DateTimeField(_("symptoms came back at"), null=True, blank=True)
    home_treatment = models.CharField(_("treatment taken at home"), max_length=200, blank=True)
    emergency_attendance = models.BooleanField(_("went to an emergency department"), null=True, blank=True)
    tryptase_ug_l = models.DecimalField(
        _("tryptase (µg/L)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("1000"))],
    )
    tryptase_taken_at = models.DateTimeField(_("tryptase taken at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "hours_after"], name="challenges_followup_unique_time"),
        ]
        # Overdue check-ins (not done, due before now) on the attention page, without reading every one ever done.
        indexes = [models.Index(fields=["done_at", "due_at"], name="challenges_followup_due_idx")]

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class DischargeCondition(models.TextChoices):
    WELL = "well", _("Well, no symptoms")
    RESIDUAL = "residual", _("Mild residual symptoms, improving")
    TRANSFERRED = "transferred", _("Transferred for further care (ward or emergency department)")


class Discharge(ClinicalRecord):
    """The patient leaves the clinic's care after the challenge: when, in what condition, with which vital signs
    (a VitalSigns row of kind "discharge"), and who discharged them (clinical review R5). Append-only: a wrong one
    is marked entered in error and recorded anew (services.observation.discharge_record)."""

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="discharges")
    discharged_at = models.DateTimeField(_("discharged at"))
    condition = models.CharField(_("condition at discharge"), max_length=12, choices=DischargeCondition)
    vitals = models.ForeignKey(
        VitalSigns, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("vital signs")
    )
    discharged_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    notes = models.CharField(_("notes"), max_length=1000, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["challenge", "discharged_at", "pk"]

    def __str__(self) -> str:
        return f"Discharge from challenge {self.challenge_id} at {self.discharged_at:%Y-%m-%d %H:%M}"
