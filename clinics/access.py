"""Role checks shared by every app. Denials answer 404, so a record's existence is not revealed."""

from __future__ import annotations

from django.http import Http404

from clinics.models import Clinic, User


def require_clinic_staff(user: User) -> int:
    """Allergists and nurses of a clinic pass, and get their clinic's id; anyone else gets 404."""
    if not (user.is_authenticated and user.is_clinic_staff and user.clinic_id):
        raise Http404
    return user.clinic_id


def require_allergist(user: User) -> int:
    """Only an allergist of a clinic passes, and gets their clinic's id; anyone else gets 404."""
    if not (user.is_authenticated and user.is_allergist and user.clinic_id):
        raise Http404
    return user.clinic_id


def staff_clinic(user: User) -> Clinic:
    """The clinic of a user who passed require_clinic_staff or require_allergist; 404 for a user without one."""
    if user.clinic is None:
        raise Http404
    return user.clinic
