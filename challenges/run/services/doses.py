"""Recording a dose actually given: the checks before it, the amount eaten, and what it starts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any, NamedTuple, cast

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges.library.facts import food_spec
from challenges.library.models import PremedicationItem, ProtocolStep, StepRole
from challenges.run import facts
from challenges.run.models import (
    Challenge,
    Dose,
    EventKind,
    FoodLot,
    Observation,
    PreChallengeCheck,
    Setting,
    Source,
    Status,
    StopAlert,
    Treatment,
)
from challenges.run.services._compiled import Compiled, prefetched
from challenges.run.services._guards import (
    ChallengeRuleError,
    Reachable,
    check_time,
    event,
    locked,
    require_open,
    transition,
)
from challenges.run.services.ending import schedule_follow_ups
from clinical import blinding, dose_preparation, dosing, premedication, run_rules
from clinical import food_lot as food_lot_rules
from clinical.dates import format_clock, format_when
from clinical.plan import PlannedStep, step_lines
from clinical.units import format_quantity
from clinics.models import User

OVERFILL = Decimal("1.05")  # up to 5 % over the planned amount is a weighing tolerance, not a bigger dose


@dataclass(frozen=True)
class DoseRecorded:
    dose: Dose
    created: bool  # False: this form (its idempotency key) was already recorded, and nothing was added
    flags: tuple[str, ...] = ()  # premedication not taken as planned, on items that flag rather than refuse


def dose_record(
    *,
    challenge: Challenge | Reachable,
    by: User,
    food_amount: Decimal | None,
    given_at: datetime,
    idempotency_key: uuid.UUID,
    override_reason: str = "",
    source: str = Source.CLINICIAN,
    notes: str = "",
    mix_volume_ml: Decimal | None = None,
    prepared_by: User | None = None,
    checked_by: User | None = None,
) -> DoseRecorded:
    """Record a dose actually given (`food_amount` None: the whole planned dose). Same key twice: one dose.

    A diluted dose is recorded as the volume of the mix given (`mix_volume_ml`, None: the planned volume) and the
    protein that volume delivered. Who prepared it (default: the giver) and who checked it are recorded; a diluted
    dose in clinic needs a checker other than the preparer (docs/clinical-sources.md §12).

    `challenge` may be a Reachable one, read here once, locked and access-checked (Challenge.DoesNotExist: not
    reachable).
    """
    try:
        return _dose_record(
            challenge,
            by=by,
            food_amount=food_amount,
            given_at=given_at,
            idempotency_key=idempotency_key,
            override_reason=override_reason,
            source=source,
            notes=notes,
            mix_volume_ml=mix_volume_ml,
            prepared_by=prepared_by,
            checked_by=checked_by,
        )
    except IntegrityError:
        # The key is not one of this challenge's doses (checked under its lock) but the INSERT met it: this form was
        # used for another challenge. The transaction rolled back; nothing was added.
        owner = Dose.objects.filter(idempotency_key=idempotency_key).values_list("challenge_id", flat=True).first()
        if owner is None:
            raise  # some other constraint: not ours to explain
        if owner != challenge.pk:
            raise ChallengeRuleError(
                _("This form was already used for another challenge."), code="key_reused"
            ) from None
        return DoseRecorded(Dose.objects.get(idempotency_key=idempotency_key), created=False)


@transaction.atomic
def _dose_record(
    target: Challenge | Reachable,
    *,
    by: User,
    food_amount: Decimal | None,
    given_at: datetime,
    idempotency_key: uuid.UUID,
    override_reason: str,
    source: str,
    notes: str,
    mix_volume_ml: Decimal | None,
    prepared_by: User | None,
    checked_by: User | None,
) -> DoseRecorded:
    challenge = locked(target)
    _load_state(challenge)
    # Under the challenge's lock, so a resubmission racing the first post finds the dose it made. The same key on
    # another challenge is refused by the key's unique index at the INSERT below (dose_record): no query for it here.
    key = idempotency_key if isinstance(idempotency_key, uuid.UUID) else uuid.UUID(str(idempotency_key))
    existing = next((dose for dose in challenge.doses.all() if dose.idempotency_key == key), None)
    if existing is not None:
        return DoseRecorded(existing, created=False)
    require_open(challenge)
    _check_can_dose(challenge)
    step = facts.upcoming_step(challenge)
    if step.number is None:
        raise ChallengeRuleError(_("Every planned dose has been given."), code="no_more_steps")
    if facts.needs_release(challenge, step):
        raise ChallengeRuleError(
            _("Step %(n)s is waiting for your allergist to release it.") % {"n": step.number}, code="not_released"
        )
    check_time(given_at, challenge, _("The dose time"))
    pause = facts.symptom_pause(challenge)
    if pause is not None and given_at < pause[1]:
        raise ChallengeRuleError(
            _(
                "A symptom at %(at)s pauses the next step until %(until)s (the watch window), unless your clinic "
                "releases it."
            )
            % {
                "at": format_when(timezone.localtime(pause[0])),
                "until": format_when(timezone.localtime(pause[1])),
            },
            code="symptom_pause",
        )
    override_reason = override_reason.strip()
    _check_wait(step, given_at, by, override_reason)
    flags = _check_premedication(challenge, given_at)
    amounts, diluted, placebo = _given(challenge, step.number, food_amount, mix_volume_ml)
    prepared_by = prepared_by or by
    _check_people(challenge, prepared_by, checked_by, diluted=diluted, source=source)
    dose = Dose(
        challenge=challenge,
        sequence=len(challenge.doses.all()) + 1,  # every dose, those entered in error too
        step_number=step.number,
        planned_protein_mg=amounts.planned_protein_mg,
        planned_food_amount=amounts.planned_food_amount,
        food_amount=amounts.food_amount,
        protein_mg=amounts.protein_mg,
        given_at=given_at,
        given_by=by,
        source=source,
        is_placebo=placebo,
        early_override_reason=override_reason,
        notes=notes,
        idempotency_key=idempotency_key,
        prepared_by=prepared_by,
        checked_by=checked_by,
        mix_volume_ml=amounts.mix_volume_ml,
        planned_mix_volume_ml=amounts.planned_mix_volume_ml,
        mix_protein_mg_per_ml=amounts.mix_protein_mg_per_ml,
    )
    dose._history_user = by  # type: ignore[attr-defined]  # for writes outside a request (commands, scripts)
    dose.save()  # no savepoint: a key used by another challenge fails the whole transaction (see dose_record)
    _remember(challenge, dose)
    if override_reason:
        event(challenge, EventKind.EARLY_DOSE_OVERRIDE, by, reason=override_reason)
    for flag in flags:
        event(
            challenge,
            EventKind.PREMEDICATION_FLAG,
            by,
            reason=_("Step %(n)s: %(flag)s") % {"n": step.number, "flag": flag},
        )
    _after_dose(challenge, by)
    return DoseRecorded(dose, created=True, flags=flags)


# What the dose rules read of a challenge, loaded once under its lock (perf-review §3: `upcoming_step` was computed
# two or three times per post, each time loading doses, steps and alerts again): each relation, the order the facts
# read it in. The rows are put in that order here, in Python, and the queries carry no ORDER BY: a challenge has a
# few rows of each, and compiling an ORDER BY cost Django more than the sort (bench/README.md, "Dose posts, sixth
# pass"); the models' own orderings would also join the challenge, or the protocol, to sort by it. Each query is
# compiled to SQL once per process (`_compiled`: the compilation was most of a prefetch's cost, "seventh pass").
_Relation = tuple[str, Compiled[Any], Callable[[Any], Any]]  # the path from the challenge, its rows, their order


def _of_challenge(model: type[Model]) -> Compiled[Any]:
    return Compiled(lambda pk: model._default_manager.order_by().filter(challenge_id=pk))


_STATE: tuple[_Relation, ...] = (
    ("doses", _of_challenge(Dose), attrgetter("sequence")),
    ("alerts", _of_challenge(StopAlert), attrgetter("raised_at", "pk")),
    ("checks", _of_challenge(PreChallengeCheck), attrgetter("recorded_at", "pk")),
    ("food_lots", _of_challenge(FoodLot), attrgetter("recorded_at", "pk")),
    (
        "protocol__steps",
        Compiled(lambda pk: ProtocolStep.objects.select_related("food").order_by().filter(protocol_id=pk)),
        attrgetter("number"),
    ),
    (
        "protocol__premedications",
        Compiled(lambda pk: PremedicationItem.objects.order_by().filter(protocol_id=pk)),
        attrgetter("minutes_before", "drug", "pk"),
    ),
)
_BY_RELEASE = attrgetter("released_at", "pk")
# Read only by the home rules (the symptom pause, the allergist's release of a step).
_HOME_STATE: tuple[_Relation, ...] = (
    ("observations", _of_challenge(Observation), attrgetter("observed_at", "pk")),
    # The home slice's model, reached through the relation: the run slice does not import the home slice.
    ("releases", _of_challenge(cast("type[Model]", Challenge.releases.rel.related_model)), _BY_RELEASE),
)
# Read only against a premedication plan (facts.premedication_taken): most protocols have none.
_PREMEDICATION_STATE: tuple[_Relation, ...] = (("treatments", _of_challenge(Treatment), attrgetter("given_at", "pk")),)


def _load_state(challenge: Challenge) -> None:
    """Everything the checks before a dose and the step after it read, in one query per relation, each in order."""
    _prefetch(challenge, _STATE + (_HOME_STATE if challenge.setting == Setting.HOME else ()))
    if challenge.protocol.premedications.all():
        _prefetch(challenge, _PREMEDICATION_STATE)


def _prefetch(challenge: Challenge, state: tuple[_Relation, ...]) -> None:
    for path, query, order in state:
        owner, relation = (challenge.protocol, path.removeprefix("protocol__")) if "__" in path else (challenge, path)
        prefetched(owner, relation, sorted(query.rows(owner.pk), key=order))


def _remember(challenge: Challenge, dose: Dose) -> None:
    """Add the dose just saved to the doses loaded under the lock, so the step after it is computed without a reload."""
    loaded = challenge.doses.all()
    if loaded._result_cache is None:  # not loaded after all (no prefetch): the next read queries, as it should
        return
    loaded._result_cache.append(dose)


def _given(
    challenge: Challenge, number: int, food_amount: Decimal | None, mix_volume_ml: Decimal | None
) -> tuple[_Amounts, bool, bool]:
    """What dose `number` gave (amounts), whether it was a mix, and whether it was a placebo.

    Blinded challenges: the dose's place in the blinded schedule gives its protocol step and whether it is placebo.
    A placebo is prepared and recorded as its active twin is (a mix stays a mix), so the form gives nothing away.
    """
    slot = blinding.slot(facts.blind_schedule(challenge), number)
    # Rows booked under the old substitution model (placebo_steps) keep their placebo steps.
    placebo = slot.placebo or number in challenge.placebo_steps
    # ladders (X4): a rung of its own food is counted in that food; the label correction (docs §12) applies only to
    # the protocol's own food.
    planned = {s.number: s for s in challenge.protocol.steps.all()}[slot.step]
    if planned.food is not None and planned.food_id != challenge.protocol.food_id:
        spec = food_spec(planned.food)
    else:
        spec = facts.challenge_food_spec(challenge)
    preparation = _preparation(planned, spec)
    if preparation is not None:
        if food_amount is not None:
            raise ChallengeRuleError(
                _("This dose is given as a mix: record the volume of the mix given (mL), not the amount of food."),
                code="volume_required",
            )
        amounts = _mix_amounts(preparation, mix_volume_ml, spec)
    else:
        if mix_volume_ml is not None:
            raise ChallengeRuleError(
                _("This dose is not diluted: record the amount of food eaten, not a volume of mix."),
                code="not_a_dilution",
            )
        amounts = _amounts(planned, food_amount, spec)
    return (_placebo(amounts) if placebo else amounts), preparation is not None, placebo


def _check_can_dose(challenge: Challenge) -> None:
    home = challenge.setting == Setting.HOME
    allowed = (Status.PLANNED, Status.DOSING) if home else (Status.CHECKED_IN, Status.DOSING)
    if challenge.status not in allowed:
        raise ChallengeRuleError(
            _("No dose can be given while the challenge is %(status)s.")
            % {"status": challenge.get_status_display().lower()},
            code="not_dosing",
        )
    if not home and not facts.checks_passed(challenge):
        raise ChallengeRuleError(
            _("Complete the pre-challenge checks first (or an allergist overrides a failed item)."), code="checks"
        )
    alert = facts.open_alert(challenge)
    if alert is not None and alert.is_hold:
        raise ChallengeRuleError(
            _(
                "%(reason)s. No further dose until a clinician decides: continue, repeat the same dose, "
                "wait longer or stop."
            )
            % {"reason": "; ".join(hit["message"] for hit in alert.hits)},
            code="hold_open",
        )
    if alert is not None:
        raise ChallengeRuleError(
            _("A stop rule was met: no further dose until the allergist decides."), code="stop_alert_open"
        )
    # A masking drug not washed out, or a risk factor without the allergist's review, holds back the first dose
    # (clinical.washout_decisions.first_dose_refusal; docs/clinical-sources.md §5.1).
    refusal = facts.first_dose_refusal(challenge)
    if refusal is not None:
        raise ChallengeRuleError(refusal.message, code=refusal.code)


def _check_premedication(challenge: Challenge, given_at: datetime) -> tuple[str, ...]:
    """Refuse a step the premedication plan refuses; the problems of items that only flag, to record with the dose.

    clinical.premedication.step_problems: a required timed item not taken since the last step, or taken less than
    its lead time before this one (docs/clinical-sources.md §5.5).
    """
    problems = facts.premedication_problems(challenge, given_at)
    refusal = premedication.first_refusal(problems)
    if refusal is not None:
        if refusal.ready_at is None:
            then = _("Record when it was taken first.")
        else:
            then = _("The step can be taken from %(time)s.") % {
                "time": format_clock(timezone.localtime(refusal.ready_at))
            }
        raise ChallengeRuleError(f"{refusal.message} {then}", code=refusal.code)
    return tuple(p.message for p in problems)


def _check_wait(step: run_rules.NextStep, given_at: datetime, by: User, override_reason: str) -> None:
    remaining = run_rules.wait_remaining(step.due_at, given_at)
    if not remaining or (by.is_allergist and override_reason):
        return
    raise ChallengeRuleError(
        _("Too early: the next dose is due at %(due)s, in %(left)s.")
        % {"due": format_clock(timezone.localtime(step.due_at)), "left": run_rules.describe_wait(remaining)},
        code="too_early",
    )


def _check_people(
    challenge: Challenge, prepared_by: User, checked_by: User | None, *, diluted: bool, source: str
) -> None:
    """The two-person check (clinical.food_lot): a diluted dose in clinic is checked by someone else of the clinic."""
    in_clinic = challenge.setting == Setting.CLINIC and source == Source.CLINICIAN
    for person in (prepared_by, checked_by):
        if person is not None and person.pk != challenge.patient.user_id and not _clinic_staff(person, challenge):
            raise ChallengeRuleError(
                _("Who prepared and who checked a dose must be staff of this clinic."), code="not_clinic_staff"
            )
    if checked_by is None and food_lot_rules.needs_second_check(diluted=diluted, in_clinic=in_clinic):
        raise ChallengeRuleError(
            _("A diluted dose is checked by a second person before it is given: choose who checked it."),
            code="check_required",
        )
    problem = food_lot_rules.checker_problem(prepared_by.pk, checked_by.pk if checked_by else None)
    if problem:
        raise ChallengeRuleError(problem, code="checker_is_preparer")


def _clinic_staff(person: User, challenge: Challenge) -> bool:
    return person.is_clinic_staff and person.clinic_id == challenge.clinic_id and person.is_active


def _preparation(planned: ProtocolStep, spec: dosing.FoodSpec) -> dose_preparation.Preparation | None:
    """The step's preparation when it is a dilution (the same one the page and the preparation sheet show)."""
    line = step_lines(spec, _planned(planned))[0]
    if line.preparation is not None and line.preparation.method == "dilution":
        return line.preparation
    return None


def _planned(planned: ProtocolStep) -> list[PlannedStep]:
    return [
        PlannedStep(
            planned.number,
            planned.protein_mg,
            planned.food_amount,
            planned.household_measure,
            planned.interval_minutes,
            planned.role,
        )
    ]


class _Amounts(NamedTuple):
    planned_protein_mg: Decimal
    planned_food_amount: Decimal
    food_amount: Decimal  # eaten (for a mix: the food the volume given held)
    protein_mg: Decimal  # eaten (for a mix: what the volume given delivered)
    mix_volume_ml: Decimal | None = None
    planned_mix_volume_ml: Decimal | None = None
    mix_protein_mg_per_ml: Decimal | None = None


def _mix_amounts(
    preparation: dose_preparation.Preparation,
    volume_ml: Decimal | None,
    spec: dosing.FoodSpec,
) -> _Amounts:
    """A diluted dose: the volume of mix given (None: the planned volume) and the protein it delivered."""
    if preparation.give_ml is None or preparation.mix_ml is None:
        raise ValueError("A dilution always has its mix and the volume to give")
    given = preparation.give_ml if volume_ml is None else volume_ml
    if given <= 0:
        raise ChallengeRuleError(_("The volume of the mix given must be more than 0 mL."), code="amount_not_positive")
    if given > preparation.give_ml * OVERFILL:
        raise ChallengeRuleError(
            _("More than the planned volume (%(planned)s) cannot be recorded; check the volume.")
            % {"planned": format_quantity(preparation.give_ml, "mL")},
            code="more_than_planned",
        )
    concentration = food_lot_rules.mix_concentration_mg_per_ml(
        dosing.protein_for_food_amount(preparation.food_amount, spec), preparation.mix_ml
    )
    delivered = food_lot_rules.delivered_protein_mg(given, concentration)
    return _Amounts(
        planned_protein_mg=preparation.target_protein_mg,
        planned_food_amount=dosing.food_amount_for_protein(preparation.target_protein_mg, spec),
        food_amount=dosing.food_amount_for_protein(delivered, spec),
        protein_mg=delivered,
        mix_volume_ml=given,
        planned_mix_volume_ml=preparation.give_ml,
        mix_protein_mg_per_ml=concentration,
    )


def _step_amount(amount: Decimal | None, step: ProtocolStep) -> Decimal:
    """The step's other amount, when one is missing: a check constraint keeps at least one of the two set."""
    if amount is None:
        raise ValueError(f"Protocol step {step.pk} has neither a protein nor a food amount")
    return amount


def _amounts(planned: ProtocolStep, food_amount: Decimal | None, spec: dosing.FoodSpec) -> _Amounts:
    """The planned dose in protein and food, and what was eaten (None: all of it); more than planned is refused.

    A lip smear (docs/clinical-sources.md §1.3) is recorded like any step, with no quantity and no protein.
    """
    if planned.role == StepRole.LIP_SMEAR:
        if food_amount:
            raise ChallengeRuleError(_("A lip smear has no quantity to record."), code="lip_smear_quantity")
        return _Amounts(Decimal(0), Decimal(0), Decimal(0), Decimal(0))
    planned_protein = planned.protein_mg or dosing.protein_for_food_amount(
        _step_amount(planned.food_amount, planned), spec
    )
    planned_food = planned.food_amount or dosing.food_amount_for_protein(
        _step_amount(planned.protein_mg, planned), spec
    )
    eaten = planned_food if food_amount is None else food_amount
    if eaten <= 0:
        raise ChallengeRuleError(_("The amount eaten must be more than 0."), code="amount_not_positive")
    if eaten > planned_food * OVERFILL:
        raise ChallengeRuleError(
            _("More than the planned amount (%(planned)s %(unit)s) cannot be recorded; check the amount.")
            % {"planned": dosing.format_decimal(planned_food.quantize(Decimal("0.001"))), "unit": spec.unit},
            code="more_than_planned",
        )
    protein = planned_protein if eaten == planned_food else dosing.protein_for_food_amount(eaten, spec)
    return _Amounts(planned_protein, planned_food, eaten, protein)


def _placebo(amounts: _Amounts) -> _Amounts:
    """A placebo dose: the same amount of vehicle as its active twin, and no protein of the food (review O6)."""
    concentration = None if amounts.mix_protein_mg_per_ml is None else Decimal(0)
    return amounts._replace(planned_protein_mg=Decimal(0), protein_mg=Decimal(0), mix_protein_mg_per_ml=concentration)


def _after_dose(challenge: Challenge, by: User) -> None:
    """The first dose starts dosing; the last one starts the observation period and the follow-up check-ins."""
    if challenge.status in (Status.PLANNED, Status.CHECKED_IN):
        transition(challenge, Status.DOSING, by)
    if facts.upcoming_step(challenge).number is None:
        challenge.observation_started_at = facts.valid_doses(challenge)[-1].given_at
        transition(challenge, Status.OBSERVING, by)
        schedule_follow_ups(challenge)
