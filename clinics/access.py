"""Role checks shared by every app. Denials answer 404, so a record's existence is not revealed."""

from __future__ import annotations

from django.http import Http404

from clinics.models import User


def require_clinic_staff(user: User) -> None:
    """Allergists and nurses of a clinic pass; anyone else gets 404."""
    if not (user.is_authenticated and user.is_clinic_staff and user.clinic_id):
        raise Http404


def require_allergist(user: User) -> None:
    """Only an allergist of a clinic passes; anyone else gets 404."""
    if not (user.is_authenticated and user.is_allergist and user.clinic_id):
        raise Http404
