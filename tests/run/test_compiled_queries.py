"""The dose post's state and lock, compiled to SQL once per process (challenges/run/services/_compiled.py), give the
very rows the ORM gives: every field of every row, with the same Python types (SQLite's Decimals, UUIDs, aware
datetimes, JSON), the same select_related rows, and the lock and access filter of the ORM's query.

These pin the private Django API the module uses: if Django's internals change, they fail here rather than the
dose rules reading rows that silently differ. Run them on PostgreSQL too (DATABASE_URL=postgres://...).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Count, Model
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from challenges import access
from challenges.models import (
    Challenge,
    Dose,
    Food,
    FoodLot,
    Observation,
    PreChallengeCheck,
    PremedicationItem,
    Protocol,
    ProtocolStep,
    StepRelease,
    StopAlert,
    Treatment,
)
from challenges.run.services import _guards, doses
from challenges.run.services._compiled import Compiled, prefetched

EVERY = doses._STATE + doses._HOME_STATE + doses._PREMEDICATION_STATE
RELATIONS = {path: query for path, query, _order in EVERY}
ORDER = {path: order for path, _query, order in EVERY}


def _fields(row: Model) -> dict[str, str]:
    """Every concrete field's value, with its type: Decimal('1.500') and Decimal('1.5') differ here."""
    return {field.attname: f"{type(value).__name__} {value!r}" for field in row._meta.concrete_fields
            for value in [getattr(row, field.attname)]}  # fmt: skip


def _same_rows(found: list[Model], expected: list[Model]) -> None:
    assert [type(row) for row in found] == [type(row) for row in expected]
    assert [_fields(row) for row in found] == [_fields(row) for row in expected]
    assert all(not row._state.adding and row._state.db == "default" for row in found)


@pytest.fixture
def rich(practall, patient, other_patient, allergist, nurse, clock) -> Challenge:
    """A challenge with two rows of every relation the dose post reads (Decimals with trailing zeros, JSON, UUIDs,
    dates, empty and set foreign keys), and a second challenge on the same protocol whose rows must not show."""
    food = Food.objects.create(name="Egg for the ladder", form="powder", allergen_group="egg",
                               protein_g_per_100=Decimal("48.500"), protein_source="label")  # fmt: skip
    protocol = Protocol.objects.create(
        name="Compiled ladder", kind="ofc", food=practall.food, checklist_items=["urticaria"], stop_rules={}
    )
    ProtocolStep.objects.create(protocol=protocol, number=1, protein_mg=Decimal("3.000"), interval_minutes=20)
    ProtocolStep.objects.create(protocol=protocol, number=2, food_amount=Decimal("0.250"), food=food)
    PremedicationItem.objects.create(protocol=protocol, drug="Cetirizine", dose="10 mg", minutes_before=60)
    PremedicationItem.objects.create(protocol=protocol, drug="Cromolyn", dose="100 mg", minutes_before=30)
    other = ProtocolStep.objects.create(protocol=practall, number=99, protein_mg=Decimal("1"), interval_minutes=5)
    assert other.protocol_id != protocol.pk
    now = timezone.now()
    made = []
    for person in (patient, other_patient):
        challenge = Challenge.objects.create(clinic=person.clinic, patient=person, protocol=protocol,
                                             scheduled_at=now - timedelta(hours=3), allergist=allergist, nurse=nurse,
                                             status="dosing", placebo_steps=[2])  # fmt: skip
        for n in (1, 2):
            at = now - timedelta(minutes=90 - n)
            Dose.objects.create(challenge=challenge, sequence=n, step_number=n, planned_protein_mg=Decimal("3.100"),
                                planned_food_amount=Decimal("0.0120"), food_amount=Decimal("0.012"),
                                protein_mg=Decimal("3"), given_at=at, given_by=nurse, idempotency_key=uuid.uuid4(),
                                mix_volume_ml=Decimal("2.50") if n == 2 else None, checked_by=allergist)  # fmt: skip
            StopAlert.objects.create(challenge=challenge, hits=[{"code": "x", "message": "m", "n": n}], raised_at=at)
            PreChallengeCheck.objects.create(challenge=challenge, no_illness=True, asthma_eczema_controlled=True,
                                             no_recent_exercise=True, washout_confirmed=n == 1, consent_recorded=True,
                                             emergency_ready=True, recorded_by=nurse, recorded_at=at)  # fmt: skip
            FoodLot.objects.create(challenge=challenge, brand="Brand", lot=f"L{n}", expires_on=date(2030, 1, n),
                                   label_protein_g_per_100=Decimal("25.800"),
                                   library_protein_g_per_100=Decimal("25.8"), recorded_by=nurse)  # fmt: skip
            Treatment.objects.create(challenge=challenge, kind="premedication", drug="Cetirizine", dose="10 mg",
                                     given_at=at, recorded_by=nurse)  # fmt: skip
            Observation.objects.create(challenge=challenge, item_code="urticaria", severity=n, observed_at=at,
                                       recorded_by=nurse)  # fmt: skip
            StepRelease.objects.create(challenge=challenge, step_number=n, released_by=allergist, released_at=at)
        made.append(challenge)
    return made[0]


def _owner(challenge: Challenge, path: str) -> tuple[Model, str]:
    return (challenge.protocol, path.removeprefix("protocol__")) if "__" in path else (challenge, path)


def _orm(challenge: Challenge, path: str) -> list[Model]:
    """What the ORM reads for the relation (the prefetch the module replaces), in the order the facts read it."""
    owner, relation = _owner(Challenge.objects.select_related("protocol").get(pk=challenge.pk), path)
    manager = getattr(owner, relation)
    return sorted(manager.select_related("food") if relation == "steps" else manager.all(), key=ORDER[path])


def _to_home(challenge: Challenge) -> None:
    challenge.setting = "home"
    challenge.save()


@pytest.mark.parametrize("path", sorted(RELATIONS))
def test_each_relation_compiled_gives_the_orms_rows(rich, path):
    owner, _relation = _owner(rich, path)
    expected = _orm(rich, path)
    assert len(expected) == 2  # positive control: two rows of the challenge, none of the other one
    _same_rows(sorted(RELATIONS[path].rows(owner.pk), key=ORDER[path]), expected)
    assert RELATIONS[path].rows(-1) == []


def test_steps_carry_their_food_as_select_related_does(rich):
    steps = sorted(RELATIONS["protocol__steps"].rows(rich.protocol_id), key=lambda step: step.number)
    expected = _orm(rich, "protocol__steps")
    with CaptureQueriesContext(connection) as queries:
        foods = [step.food for step in steps]
    assert len(queries) == 0
    assert foods[0] is None  # positive control: an empty and a set foreign key
    assert foods[1] is not None
    assert _fields(foods[1]) == _fields(expected[1].food)


def test_the_loaded_state_reads_as_a_prefetch_does(rich):
    """After _load_state each relation is read without a query, each row's challenge is the challenge itself, and a
    filter on a relation still queries only this challenge's rows. At home, so that every relation is read."""
    _to_home(rich)
    with transaction.atomic():
        challenge = _guards.locked(rich)
        doses._load_state(challenge)
        with CaptureQueriesContext(connection) as queries:
            loaded = {path: list(getattr(*_owner(challenge, path)).all()) for path in RELATIONS}
            assert all(row.challenge is challenge for path in RELATIONS if "__" not in path for row in loaded[path])
            assert all(row.protocol is challenge.protocol for row in loaded["protocol__steps"])
        assert len(queries) == 0
        for path in RELATIONS:
            _same_rows(loaded[path], _orm(rich, path))
        assert challenge.doses.filter(sequence=2).count() == 1
        assert [dose.pk for dose in challenge.doses.order_by("-sequence")] == [d.pk for d in loaded["doses"]][::-1]


def test_the_home_state_and_treatments_are_read_only_when_needed(rich, nurse):
    """Treatments only against a premedication plan, observations and releases only at home: as before."""
    with transaction.atomic():
        challenge = _guards.locked(rich)
        with CaptureQueriesContext(connection) as queries:
            doses._load_state(challenge)
        assert len(queries) == 7  # six relations and the treatments (the protocol plans premedication)
        assert "observations" not in challenge._prefetched_objects_cache
        _to_home(rich)
        home = _guards.locked(rich)
        with CaptureQueriesContext(connection) as queries:
            doses._load_state(home)
        assert len(queries) == 9


def test_the_lock_compiled_is_the_orms_query(rich):
    """The same SQL as lock_query's for every key (so its FOR UPDATE OF and access filter), and the same rows."""
    reach = access.OfClinic(rich.clinic_id)
    for compiled, queryset, keys in (
        (_guards._LOCK, _guards.lock_query(rich.pk), (rich.pk,)),
        (_guards._LOCK_IN_CLINIC, _guards.lock_query(rich.pk, reach.challenges()), (rich.clinic_id, rich.pk)),
    ):
        with transaction.atomic():
            sql, params = queryset.query.sql_with_params()
            assert compiled.sql() == sql
            assert params == (rich.clinic_id, rich.pk)[-len(keys) :]
            if connection.vendor == "postgresql":
                assert sql.endswith(' FOR UPDATE OF "challenges_challenge"'), sql
            (row,) = compiled.rows(*keys)
            expected = queryset.get()
            _same_rows([row], [expected])
            with CaptureQueriesContext(connection) as queries:
                related = [row.protocol, row.protocol.food, row.patient, row.clinic]
            assert len(queries) == 0
            expected_related = [expected.protocol, expected.protocol.food, expected.patient, expected.clinic]
            for found, orm in zip(related, expected_related, strict=True):
                _same_rows([found], [orm])


def test_the_lock_in_a_clinic_finds_only_that_clinics_challenges(rich, other_clinic):
    with transaction.atomic():
        assert _guards.locked(_guards.Reachable(rich.pk, access.OfClinic(rich.clinic_id))).pk == rich.pk
        with pytest.raises(Challenge.DoesNotExist):
            _guards.locked(_guards.Reachable(rich.pk, access.OfClinic(other_clinic.pk)))
        with pytest.raises(Challenge.DoesNotExist):
            _guards.locked(Challenge(pk=-5))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no FOR UPDATE (it serialises writers)")
def test_the_compiled_lock_is_refused_outside_a_transaction(rich, monkeypatch):
    """As the ORM refuses select_for_update in autocommit (the test itself runs in a transaction: pretend not)."""
    assert len(_guards._LOCK.rows(rich.pk)) == 1
    monkeypatch.setattr(connection, "get_autocommit", lambda: True)
    with pytest.raises(TransactionManagementError):
        _guards._LOCK.rows(rich.pk)


def test_staff_reach_their_clinic_as_the_queryset_says(nurse, allergist, patient_user, other_clinic_nurse):
    """access.reach and access.challenges_for are one rule: OfClinic for staff, the same rows as the queryset."""
    for user in (nurse, allergist, other_clinic_nurse):
        reached = access.reach(user)
        assert reached == access.OfClinic(user.clinic_id)
        assert str(access.challenges_for(user).query) == str(Challenge.objects.filter(clinic_id=user.clinic_id).query)
    assert not isinstance(access.reach(patient_user), access.OfClinic)
    nurse.is_active = False
    assert not isinstance(access.reach(nurse), access.OfClinic)
    assert not access.challenges_for(nurse).exists()


@pytest.mark.parametrize(
    "build",
    [
        lambda pk: Dose.objects.filter(challenge_id=pk, sequence=3),  # a value that is not a key
        lambda pk: Dose.objects.filter(challenge_id=pk).annotate(n=Count("pk")),  # not a plain field
        lambda pk: Dose.objects.filter(challenge_id=pk).only("pk", "sequence"),  # deferred fields
        lambda pk: Dose.objects.filter(challenge_id=pk).values("pk"),  # not model rows
        lambda pk: Dose.objects.all(),  # the key is not used
    ],
    ids=["inlined value", "annotation", "deferred", "values", "no key"],
)
def test_a_query_the_module_cannot_rebuild_is_refused(build, db):
    with pytest.raises(ValueError, match="run it through the ORM"):
        Compiled(build).rows(1)


def test_prefetched_rows_are_what_the_relation_returns(rich):
    challenge = Challenge.objects.get(pk=rich.pk)
    rows = list(Dose.objects.filter(challenge=challenge).order_by("-sequence"))
    prefetched(challenge, "doses", rows)
    with CaptureQueriesContext(connection) as queries:
        assert list(challenge.doses.all()) == rows
        assert all(dose.challenge is challenge for dose in rows)
    assert len(queries) == 0
