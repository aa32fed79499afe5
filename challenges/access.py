"""The one place that decides which foods, protocols and challenges a user may reach (404 otherwise)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from challenges.library.models import ProtocolQuerySet
from challenges.models import Challenge, Food, Protocol
from clinics.access import require_allergist, require_clinic_staff
from clinics.models import User


def foods_for(user: User) -> QuerySet[Food]:
    """Staff see the standard foods and their clinic's own."""
    if not (user.is_authenticated and user.is_clinic_staff):
        return Food.objects.none()
    return Food.objects.for_clinic(user.clinic_id)


def get_food_for_staff(user: User, pk: int) -> Food:
    require_clinic_staff(user)
    return get_object_or_404(foods_for(user), pk=pk)


def get_food_for_allergist(user: User, pk: int) -> Food:
    """A food the allergist may change: their own clinic's (standard foods are read-only)."""
    require_allergist(user)
    food = get_food_for_staff(user, pk)
    if food.clinic_id != user.clinic_id:
        raise Http404
    return food


def protocols_for(user: User) -> ProtocolQuerySet:
    """Staff see the standard library and their clinic's protocols (every version)."""
    if not (user.is_authenticated and user.is_clinic_staff):
        return Protocol.objects.none()
    return Protocol.objects.for_clinic(user.clinic_id)


def get_protocol_for_staff(user: User, pk: int) -> Protocol:
    require_clinic_staff(user)
    return get_object_or_404(protocols_for(user).select_related("food", "clinic"), pk=pk)


def get_protocol_for_allergist(user: User, pk: int) -> Protocol:
    """A protocol the allergist may change: their own clinic's (standard ones are cloned, not edited)."""
    require_allergist(user)
    protocol = get_protocol_for_staff(user, pk)
    if protocol.clinic_id != user.clinic_id:
        raise Http404
    return protocol


@dataclass(frozen=True)
class OfClinic:
    """Every challenge of one clinic and no other: what the clinic's staff reach. Said without a queryset so that a
    write can run its lock query compiled once per process (runs.locked); `challenges()` is the same reach as a
    queryset."""

    clinic_id: int

    def challenges(self) -> QuerySet[Challenge]:
        return Challenge.objects.filter(clinic_id=self.clinic_id)


def reach(user: User) -> OfClinic | QuerySet[Challenge]:
    """The challenges `user` may reach (`challenges_for`): staff their clinic's, a patient only their own."""
    if not user.is_authenticated or not user.is_active:
        return Challenge.objects.none()
    if user.is_clinic_staff and user.clinic_id:
        return OfClinic(user.clinic_id)
    if user.is_patient:
        return Challenge.objects.filter(patient__user=user).for_reader(user)
    return Challenge.objects.none()


def challenges_for(user: User) -> QuerySet[Challenge]:
    """Staff see their clinic's challenges; a patient sees only their own."""
    reached = reach(user)
    return reached.challenges() if isinstance(reached, OfClinic) else reached


def get_challenge_for(user: User, pk: int) -> Challenge:
    return get_object_or_404(
        challenges_for(user).select_related("patient", "protocol", "protocol__food", "clinic", "allergist", "nurse"),
        pk=pk,
    )


def get_challenge_for_staff(user: User, pk: int) -> Challenge:
    require_clinic_staff(user)
    return get_challenge_for(user, pk)


def sees_placebo_key(user: User, challenge: Challenge) -> bool:
    """Whether this user may see which doses are placebo: anyone once unblinded (or on an open challenge); before
    unblinding only staff of the clinic marked as preparers of blinded doses (clinical.blinding)."""
    if not challenge.blinded or challenge.unblinded_at is not None:
        return True
    return bool(user.is_authenticated and user.can_prepare_blinded and user.clinic_id == challenge.clinic_id)


def prints_blinded_key(user: User, challenge: Challenge) -> bool:
    """Whether this user may print the blinded key and placebo preparation sheet: a preparer of blinded doses of the
    challenge's clinic who is not one of its observers. The challenge's own nurse and allergist judge the symptoms
    and record the blinded verdict, so they stay blind even if they prepare doses for other challenges
    (docs/clinical-sources.md §1.8)."""
    if not (user.is_authenticated and user.can_prepare_blinded and user.clinic_id == challenge.clinic_id):
        return False
    return user.pk not in (challenge.nurse_id, challenge.allergist_id)
