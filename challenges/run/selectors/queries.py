"""What each page of a challenge loads with it, in a fixed number of queries (with_run_data, with_report_data,
with_board_data, the challenge it continues), and the small reads beside them: the bedside page's version and
the staff who may prepare or check a dose.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from challenges.library.models import PremedicationItem, ProtocolStep
from challenges.run.models import (
    Challenge,
    Discharge,
    Dose,
    FollowUp,
    FoodLot,
    Observation,
    StopAlert,
    Treatment,
    VitalSigns,
    WashoutDecision,
)
from clinics.models import Role, User

# The rows every view of a challenge reads with it: its patient, protocol, food and clinic.
_CHALLENGE_ROWS = ("patient", "patient__clinic", "protocol", "protocol__food", "clinic")


def with_run_data(queryset: QuerySet[Challenge]) -> QuerySet[Challenge]:
    """Everything the challenge page reads, in a fixed number of queries (the report: with_report_data)."""
    return queryset.select_related(
        *_CHALLENGE_ROWS,
        "allergist",
        "nurse",
        "signed_by",
        "grade_confirmed_by",
        "checks_override_by",
        "unblinded_by",
        "symptoms_resolved_by",
        "continues__protocol__food",
    ).prefetch_related(
        "protocol__steps__food",
        Prefetch("continuations", queryset=Challenge.objects.select_related("protocol__food")),
        "protocol__premedications",
        "patient__medications",
        "patient__triggers",
        Prefetch(
            "doses",
            queryset=Dose.objects.select_related(
                "given_by", "prepared_by", "checked_by", "entered_in_error_by"
            ).order_by("sequence"),
        ),
        Prefetch(
            "observations", queryset=Observation.objects.select_related("recorded_by").order_by("observed_at", "pk")
        ),
        Prefetch("vitals", queryset=VitalSigns.objects.select_related("recorded_by").order_by("taken_at", "pk")),
        "treatments",
        "checks",
        "events__by",
        "releases__released_by",
        Prefetch("food_lots", queryset=FoodLot.objects.select_related("recorded_by").order_by("recorded_at", "pk")),
        "follow_ups__done_by",
        Prefetch("alerts", queryset=StopAlert.objects.select_related("decided_by").order_by("raised_at", "pk")),
        Prefetch(
            "washout_decisions",
            queryset=WashoutDecision.objects.select_related("decided_by", "entered_in_error_by").order_by(
                "decided_at", "pk"
            ),
        ),
        Prefetch("discharges", queryset=Discharge.objects.select_related("vitals", "discharged_by")),
    )


def with_report_data(queryset: QuerySet[Challenge]) -> QuerySet[Challenge]:
    """What the challenge report reads (report_state and challenges.reports.build_challenge), in a fixed number of
    queries: with_run_data's rows without the people joined to them (the report reads everyone it names in one
    query afterwards, challenges.reports.history.people) and without the step releases (the next home step, which
    a report does not show). Each prefetch is ordered by its own columns, as the models order them: a model ordered
    by its parent first ("challenge", "protocol") would join the parent to every prefetch to sort by a value that is
    the same on every row."""
    return queryset.select_related(*_CHALLENGE_ROWS).prefetch_related(
        Prefetch("protocol__steps", queryset=ProtocolStep.objects.order_by("number")),
        "protocol__steps__food",
        # The challenges that continue this one: the report prints their food, day, status and outcome (X5).
        Prefetch("continuations", queryset=_linked().only(*LINKED_FIELDS, "continues_id")),
        Prefetch("protocol__premedications", queryset=PremedicationItem.objects.order_by("minutes_before", "drug")),
        "patient__medications",
        "patient__triggers",
        Prefetch("doses", queryset=Dose.objects.order_by("sequence")),
        Prefetch("observations", queryset=Observation.objects.order_by("observed_at", "pk")),
        Prefetch("vitals", queryset=VitalSigns.objects.order_by("taken_at", "pk")),
        Prefetch("treatments", queryset=Treatment.objects.order_by("given_at", "pk")),
        "checks",
        "events",
        Prefetch("food_lots", queryset=FoodLot.objects.order_by("recorded_at", "pk")),
        Prefetch("follow_ups", queryset=FollowUp.objects.order_by("due_at", "pk")),
        Prefetch("alerts", queryset=StopAlert.objects.order_by("raised_at", "pk")),
        Prefetch("washout_decisions", queryset=WashoutDecision.objects.order_by("decided_at", "pk")),
        Prefetch("discharges", queryset=Discharge.objects.select_related("vitals").order_by("discharged_at", "pk")),
    )


# What the report prints of a linked challenge (challenges.reports.challenge_sections.overview._links).
LINKED_FIELDS = ("continuation_kind", "scheduled_at", "status", "outcome", "protocol__food__name")


def _linked() -> QuerySet[Challenge]:
    return Challenge.objects.select_related("protocol__food")


def with_continued(challenge: Challenge) -> Challenge:
    """The challenge with the one it continues read (X5), in one query when there is one and none when not: joined
    to every report's query instead, the earlier challenge and its protocol and food cost more than this query."""
    if challenge.continues_id is not None:
        prefetch_related_objects([challenge], Prefetch("continues", queryset=_linked().only(*LINKED_FIELDS)))
    return challenge


def with_board_data(queryset: QuerySet[Challenge]) -> QuerySet[Challenge]:
    """What a row of today's board reads (the patient, the plan, doses, alerts, and what the end of the observation
    rests on: findings, vital signs, treatments, events and the discharge), in a fixed number of queries."""
    return queryset.select_related("patient", "patient__clinic", "clinic", "protocol").prefetch_related(
        "protocol__steps",
        "checks",  # a failed pre-challenge check waits for the allergist's override
        # the medication check before the first dose: "override needed" while a wash-out waits for the allergist
        "protocol__premedications",
        "patient__medications",
        Prefetch("washout_decisions", queryset=WashoutDecision.objects.select_related("decided_by")),
        Prefetch("doses", queryset=Dose.objects.order_by("sequence")),
        Prefetch("alerts", queryset=StopAlert.objects.order_by("raised_at", "pk")),
        Prefetch("observations", queryset=Observation.objects.order_by("observed_at", "pk")),
        Prefetch("vitals", queryset=VitalSigns.objects.order_by("taken_at", "pk")),
        "treatments",
        "events",
        "discharges",
    )


def dose_staff(clinic_id: int) -> list[User]:
    """The clinic's staff who may prepare or check a dose (one query)."""
    return list(
        User.objects.filter(clinic_id=clinic_id, is_active=True, role__in=(Role.NURSE, Role.ALLERGIST)).order_by(
            "last_name", "first_name", "pk"
        )
    )


@dataclass(frozen=True)
class PageVersion:
    version: int
    patient_id: int
    clinic_id: int  # the patient's clinic (the chart-read audit row's)


def page_version(challenges: QuerySet[Challenge], pk: int) -> PageVersion | None:
    """The bedside page's version of an accessible challenge (None: not found or not accessible), in one query."""
    row = challenges.filter(pk=pk).values_list("page_version", "patient_id", "patient__clinic_id").first()
    return PageVersion(*row) if row else None
