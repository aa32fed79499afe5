"""What every write of a challenge does first: lock the row, refuse a signed or wrong-role change, log the event."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges import access
from challenges.run.models import Challenge, ChallengeEvent, EventKind, Status
from challenges.run.services._compiled import Compiled
from clinical import run_rules
from clinical.errors import DomainError
from clinics.models import User

GRACE = timedelta(hours=12)  # a challenge may start a little earlier than booked


class ChallengeRuleError(DomainError):
    """A rule of the challenge run was broken."""


class Reachable(NamedTuple):
    """A challenge a request names, not read yet: its pk and the challenges the user may reach (`access.reach`).

    A write given one reads the row once, locked and access-checked in the same SELECT (`locked`), instead of the
    view's access-checked read and then the service's locked one (bench/README.md, "Dose posts, sixth pass").
    """

    pk: int
    among: QuerySet[Challenge] | access.OfClinic


def lock_query(pk: int, among: QuerySet[Challenge] | None = None) -> QuerySet[Challenge]:
    """The query that locks one challenge row (of `among`, when given), with the protocol, food, patient and clinic
    it reads.

    `of=("self",)`: PostgreSQL would otherwise lock the joined protocol, food, patient and clinic rows too, and the
    standard protocols and foods are shared by every clinic, so one clinic's doses would wait on another's
    (perf-review, "the row lock is wider than meant"). SQLite ignores FOR UPDATE and serialises writers instead.
    """
    return (
        (Challenge.objects.all() if among is None else among)
        .select_for_update(of=("self",))
        .select_related("protocol", "protocol__food", "patient", "clinic")
        .filter(pk=pk)
    )


# The lock queries of a challenge (any; one of a clinic's, for its staff), compiled to SQL once per process
# (`_compiled`; bench/README.md, "Dose posts, seventh pass"). A patient's reach is a queryset: compiled per request.
_LOCK = Compiled(lambda pk: lock_query(pk))
_LOCK_IN_CLINIC = Compiled(lambda clinic, pk: lock_query(pk, access.OfClinic(clinic).challenges()), keys=2)


def locked(challenge: Challenge | Reachable) -> Challenge:
    """The challenge row, fresh and locked for this transaction.

    Raises Challenge.DoesNotExist when a Reachable one is not among those the user may reach (the view's 404).
    """
    if not isinstance(challenge, Reachable):
        return _one(_LOCK.rows(challenge.pk))
    if isinstance(challenge.among, access.OfClinic):
        return _one(_LOCK_IN_CLINIC.rows(challenge.among.clinic_id, challenge.pk))
    return lock_query(challenge.pk, challenge.among).get()


def _one(rows: list[Challenge]) -> Challenge:
    if not rows:
        raise Challenge.DoesNotExist(f"{Challenge._meta.object_name} matching query does not exist.")
    (row,) = rows  # a pk names one row
    return row


def require_open(challenge: Challenge) -> None:
    if challenge.is_signed:
        raise ChallengeRuleError(_("This challenge is signed and locked; add an addendum instead."), code="signed")
    if challenge.entered_in_error:
        raise ChallengeRuleError(_("This challenge was entered in error."), code="in_error")


def require_allergist(user: User) -> None:
    if not user.is_allergist:
        raise ChallengeRuleError(_("Only an allergist can do this."), code="allergist_only")


def require_reason(reason: str) -> str:
    """The reason, stripped; a blank one is refused (the forms refuse it first, this guards every other caller)."""
    reason = (reason or "").strip()
    if not reason:
        raise ChallengeRuleError(_("Give a written reason."), code="reason_required")
    return reason


def check_time(moment: datetime, challenge: Challenge, what: str) -> None:
    """A recorded time may not be in the future, nor before the challenge was booked (less a grace period)."""
    if moment > timezone.now() + run_rules.FUTURE_TOLERANCE:
        raise ChallengeRuleError(_("%(what)s cannot be in the future.") % {"what": what}, code="future_time")
    if moment < min(challenge.scheduled_at, challenge.created_at) - GRACE:
        raise ChallengeRuleError(
            _("%(what)s cannot be before the challenge was scheduled.") % {"what": what}, code="time_before_start"
        )


def event(challenge: Challenge, kind: EventKind, by: User | None, *, reason: str = "", to: str = "") -> ChallengeEvent:
    """Append a line to the challenge's event log (a status change names where it came from and went to)."""
    return ChallengeEvent.objects.create(
        challenge=challenge, kind=kind, from_status=challenge.status if to else "", to_status=to, reason=reason, by=by
    )


def transition(challenge: Challenge, to: str, by: User | None, *, reason: str = "") -> None:
    """Move the challenge to another status, if the run rules allow it; the change is logged as an event."""
    if not run_rules.can_transition(challenge.status, to):
        raise ChallengeRuleError(
            _("A challenge that is %(current)s cannot become %(target)s.")
            % {"current": Status(challenge.status).label.lower(), "target": Status(to).label.lower()},
            code="bad_transition",
        )
    event(challenge, EventKind.STATUS, by, reason=reason, to=to)
    challenge.status = to
    save(challenge, by)


def save(row: models.Model, by: User | None) -> None:
    """Save a changed row, naming who changed it for its history (simple-history, also outside a request)."""
    row._history_user = by  # type: ignore[attr-defined]
    row.save()


def save_new(row: models.Model, by: User | None) -> None:
    """Validate and save a new row, naming who recorded it for its history."""
    row._history_user = by  # type: ignore[attr-defined]
    row.full_clean()
    row.save()
