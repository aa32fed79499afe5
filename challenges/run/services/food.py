"""Before the first dose: the pack of food used (brand, lot or batch, expiry, the label's protein per 100 g)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges.run import facts
from challenges.run.models import Challenge, FoodLot, Status
from challenges.run.services._guards import ChallengeRuleError, locked, require_open, save_new
from clinical import food_lot as food_lot_rules
from clinics.models import User


@transaction.atomic
def food_lot_record(
    *,
    challenge: Challenge,
    by: User,
    brand: str,
    lot: str,
    expires_on: date,
    label_protein_g_per_100: Decimal | None,
) -> FoodLot:
    """Record the food used for the challenge, before its first dose; a later record replaces an earlier one.

    An expired lot is refused. The label's protein is compared with the library's (clinical.food_lot): above a 10 %
    difference the doses are worked out from the label (challenges.run.facts.challenge_food_spec).
    """
    challenge = locked(challenge)
    require_open(challenge)
    if not by.is_clinic_staff or by.clinic_id != challenge.clinic_id:
        raise ChallengeRuleError(_("Only the clinic's staff record the food used."), code="staff_only")
    if challenge.status == Status.CANCELLED:
        raise ChallengeRuleError(_("This challenge was cancelled."), code="cancelled")
    if facts.valid_doses(challenge):
        raise ChallengeRuleError(
            _(
                "The food used is recorded before the first dose; doses were already given from it. "
                "If a new pack was opened, write an addendum."
            ),
            code="food_after_first_dose",
        )
    challenge_day = timezone.localtime(challenge.scheduled_at, challenge.clinic.tzinfo).date()
    expired = food_lot_rules.expiry_problem(expires_on, challenge_day)
    if expired:
        raise ChallengeRuleError(expired, code="lot_expired")
    row = FoodLot(
        challenge=challenge,
        brand=brand.strip(),
        lot=lot.strip(),
        expires_on=expires_on,
        label_protein_g_per_100=label_protein_g_per_100,
        library_protein_g_per_100=challenge.protocol.food.protein_g_per_100,
        recorded_by=by,
    )
    save_new(row, by)
    return row
