"""Before the first dose: the pre-challenge checklist with the baseline vital signs, and the allergist's override."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from challenges.run.models import (
    Challenge,
    EventKind,
    PreChallengeCheck,
    Status,
    VitalsKind,
)
from challenges.run.services._guards import (
    ChallengeRuleError,
    event,
    locked,
    require_allergist,
    require_open,
    require_reason,
    save,
    save_new,
    transition,
)
from challenges.run.services.findings import vitals_record
from clinics.models import User


@transaction.atomic
def checks_record(
    *, challenge: Challenge, by: User, answers: dict[str, Any], baseline: dict[str, Any]
) -> PreChallengeCheck:
    """Record the pre-challenge checklist and the baseline vital signs (docs/clinical-sources.md §5.2)."""
    challenge = locked(challenge)
    require_open(challenge)
    if challenge.status not in (Status.PLANNED, Status.CHECKED_IN):
        raise ChallengeRuleError(_("The pre-challenge checks are done before the first dose."), code="too_late")
    answers = dict(answers)
    # Asked only when the protocol plans premedication (not asked: None, and the report leaves it out).
    planned = challenge.protocol.premedications.exists()
    answers["premedication_taken"] = bool(answers.get("premedication_taken")) if planned else None
    check = PreChallengeCheck(challenge=challenge, recorded_by=by, **answers)
    save_new(check, by)
    vitals_record(challenge=challenge, by=by, kind=VitalsKind.BASELINE, values=baseline, evaluate=False)
    if challenge.status == Status.PLANNED:
        transition(challenge, Status.CHECKED_IN, by)
    return check


@transaction.atomic
def checks_override(*, challenge: Challenge, by: User, reason: str) -> Challenge:
    """An allergist lets dosing start although a checklist item failed, with a written reason."""
    require_allergist(by)
    challenge = locked(challenge)
    require_open(challenge)
    challenge.checks_override_reason = require_reason(reason)
    challenge.checks_override_by = by
    save(challenge, by)
    event(challenge, EventKind.CHECKS_OVERRIDE, by, reason=challenge.checks_override_reason)
    return challenge
