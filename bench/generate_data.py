"""Bench data: a clinic with 20,000 patients, 50,000 challenges and 1,000,000 observations, by bulk inserts.

Run: .venv/bin/python bench/generate_data.py --database-url URL [--scale 1.0] [--seed 7] [--patients-only]
     [--json out.json]

The database must be migrated and hold the demo data (`manage.py load_demo --force`): the rows are added to the demo's
first clinic (Northside), so the demo logins see them and the same pages can be timed with and without them.
This is bench data, not clinical data: it bypasses the services and history (`bulk_create` in batches), but every
row is one the services could have written: doses follow their protocol's steps and waits, in order, only on
challenges that started; observations are items of the protocol's checklist, timed between the first dose and the
end of the observation period; a stopped challenge has its decided stop alert and treatment; statuses, outcomes
and signatures follow the run rules. Today has a clinic day's list (planned, checked in, dosing, observing) and a
few home plans are under way, some paused for symptoms.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import django_setup, write_json  # noqa: E402

FULL = {"patients": 20_000, "challenges": 50_000, "observations": 1_000_000}
BATCH = 2_000  # rows per bulk_create call (Django splits further to the backend's parameter limit)
CHUNK = 2_500  # challenges per transaction
YEARS = 8  # past challenges spread over this many years (about 17 a day at full scale)

GIVEN = (
    "Oliver",
    "Amelia",
    "Noah",
    "Isla",
    "Mohammed",
    "Ava",
    "Leo",
    "Mia",
    "Arthur",
    "Ivy",
    "Jacob",
    "Freya",
    "Aisha",
    "Zoë",
    "Mateo",
    "Lucía",
    "Kōji",
    "Priya",
    "Samuel",
    "Grace",
    "Ethan",
    "Chloe",
    "Yusuf",
    "Hannah",
    "Omar",
    "Ella",
    "Liam",
    "Sofia",
    "Arjun",
    "Maya",
    "Daniel",
    "Emily",
    "Tomás",
    "Nadia",
    "Ben",
    "Ruby",
    "Finn",
    "Aoife",
    "Wei",
    "Lina",
    "Sami",
    "Elena",
    "Jonah",
    "Farah",
    "Luca",
    "Niamh",
    "Ibrahim",
    "Erin",
    "Oscar",
    "Layla",
)
FAMILY = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Khan",
    "Ali",
    "Hussain",
    "Rahman",
    "Begum",
    "Nguyễn",
    "Ångström",
    "O'Sullivan",
    "García López",
    "Watanabe",
    "Kowalski",
    "Murphy",
    "Kelly",
    "Singh",
    "Kaur",
    "Chen",
    "Wang",
    "Okafor",
    "Adeyemi",
    "Bennett",
    "Lewis",
    "Harris",
    "Martin",
    "Cooper",
    "King",
    "Lee",
    "Ward",
    "Turner",
    "Hill",
    "Moore",
    "Clark",
    "Baker",
    "Young",
    "Allen",
    "Mitchell",
    "Scott",
    "Morris",
    "Carter",
    "Phillips",
    "Campbell",
    "Anderson",
    "Parker",
    "Price",
    "Bell",
    "Richardson",
    "Cox",
    "Hughes",
    "Edwards",
    "Shaw",
    "Lloyd",
    "Ellis",
    "Marshall",
    "Owen",
    "Fox",
    "Mills",
    "Graham",
    "Kennedy",
    "Reid",
    "Ferreira",
    "Raman",
    "Papadopoulou",
    "Nowak",
    "Novák",
    "Müller",
    "Schmidt",
    "Rossi",
    "Russo",
    "Dubois",
    "Moreau",
    "Jensen",
    "Hansen",
    "Larsen",
    "Berg",
    "Lindqvist",
    "Ivanova",
    "Popescu",
    "Horvat",
    "Kovač",
    "Yilmaz",
    "Demir",
    "Haddad",
    "Mansour",
    "Cohen",
    "Levi",
    "Tanaka",
    "Suzuki",
    "Kim",
    "Park",
    "Tran",
    "Pham",
    "Santos",
    "Silva",
    "Costa",
    "Pereira",
    "Mendes",
    "Byrne",
    "Walsh",
    "Doyle",
    "Quinn",
    "Foster",
)
SUBSTANCES = ("Peanut", "Cashew", "Hen's egg", "Cow's milk", "Sesame", "Wheat", "Soy", "Cod", "Prawn", "Hazelnut")
MEDICINES = (
    ("Cetirizine", "10 mg", "h1_antihistamine"),
    ("Montelukast", "5 mg", "leukotriene_antagonist"),
    ("Famotidine", "20 mg", "h2_blocker"),
    ("Salbutamol inhaler", "100 mcg", "other"),
    ("Bisoprolol", "2.5 mg", "beta_blocker"),
    ("Omeprazole", "20 mg", "ppi"),
)
CONDITIONS = ("asthma", "atopic_dermatitis", "allergic_rhinitis", "eoe", "mcas")


@dataclass
class Plan:
    """A protocol as the generator needs it: planned amounts, waits and checklist."""

    pk: int
    setting: str
    steps: list[tuple[int, Decimal, Decimal, int]]  # (number, protein mg, food amount, wait after it in minutes)
    checklist: list[str]
    objective: list[str]
    observation_minutes: int
    follow_up_hours: list[int]


@dataclass
class Buffers:
    rows: dict[str, list[Any]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, model: Any, obj: Any) -> None:
        self.rows.setdefault(model.__name__, []).append(obj)

    def flush(self) -> None:
        from django.apps import apps

        for name, objs in self.rows.items():
            if objs:
                app = "patients" if name in ("Trigger", "Medication") else "challenges"
                apps.get_model(app, name).objects.bulk_create(objs, batch_size=BATCH)
                self.counts[name] = self.counts.get(name, 0) + len(objs)
        self.rows.clear()


class Generator:
    def __init__(self, *, scale: float, seed: int, clinic_name: str) -> None:
        from clinics.models import Clinic, Role, User

        self.rng = random.Random(seed)
        self.patients = max(1, round(FULL["patients"] * scale))
        self.challenges = max(1, round(FULL["challenges"] * scale))
        self.observations = round(FULL["observations"] * scale)
        self.clinic = Clinic.objects.get(name=clinic_name)
        self.allergists = list(
            User.objects.filter(clinic=self.clinic, role=Role.ALLERGIST).values_list("pk", flat=True)
        )
        self.nurses = list(User.objects.filter(clinic=self.clinic, role=Role.NURSE).values_list("pk", flat=True))
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.zone = self.clinic.tzinfo
        self.plans = self._plans()
        self.buffers = Buffers()

    # --- reference data -----------------------------------------------------------------------------------

    def _plans(self) -> list[Plan]:
        from challenges.library.facts import food_spec, protocol_steps
        from challenges.models import Protocol
        from clinical.checklist import ITEMS
        from clinical.kinds import KINDS
        from clinical.plan import step_lines

        plans = []
        for protocol in (
            Protocol.objects.filter(clinic=None, is_current=True).select_related("food").prefetch_related("steps")
        ):
            lines = step_lines(food_spec(protocol.food), protocol_steps(protocol))
            waits = {s.number: s.interval_minutes for s in protocol.steps.all()}
            setting = KINDS[protocol.kind].setting
            watch = protocol.watch_hours * 60 if setting == "home" else 0
            checklist = [code for code in protocol.checklist_items if code in ITEMS]
            plans.append(
                Plan(
                    pk=protocol.pk,
                    setting=setting,
                    steps=[
                        (line.number, line.protein_mg, line.food_amount, max(waits[line.number], watch))
                        for line in lines
                    ],
                    checklist=checklist,
                    objective=[c for c in checklist if ITEMS[c].objective] or checklist,
                    observation_minutes=protocol.observation_minutes,
                    follow_up_hours=list(protocol.follow_up_hours),
                )
            )
        return plans

    def staff(self) -> None:
        """A clinic-sized team besides the demo logins (no usable password: nobody signs in as them)."""
        from clinics.models import Role, User

        users = [
            User(
                username=f"gen-allergist-{n}",
                role=Role.ALLERGIST,
                clinic=self.clinic,
                first_name="Gen",
                last_name=f"Allergist {n}",
                password="!",
            )
            for n in range(1, 5)
        ]
        users += [
            User(
                username=f"gen-nurse-{n}",
                role=Role.NURSE,
                clinic=self.clinic,
                first_name="Gen",
                last_name=f"Nurse {n}",
                password="!",
            )
            for n in range(1, 13)
        ]
        User.objects.bulk_create(users, ignore_conflicts=True)
        self.allergists = list(
            User.objects.filter(clinic=self.clinic, role=Role.ALLERGIST).values_list("pk", flat=True)
        )
        self.nurses = list(User.objects.filter(clinic=self.clinic, role=Role.NURSE).values_list("pk", flat=True))

    # --- patients -----------------------------------------------------------------------------------------

    def patients_create(self) -> list[tuple[int, date]]:
        from django.db import transaction

        from clinical.text import fold
        from patients.models import Medication, Patient, Trigger

        rng, made = self.rng, []
        for start in range(0, self.patients, CHUNK * 4):
            rows = []
            for n in range(start, min(start + CHUNK * 4, self.patients)):
                given, family = rng.choice(GIVEN), rng.choice(FAMILY)
                born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 84 * 365))
                age = (self.now.date() - born).days / 365.25
                weight = Decimal(min(95, 3.5 + 2.6 * age) if age < 18 else rng.uniform(48, 110)).quantize(
                    Decimal("0.1")
                )
                mrn = f"GEN-{n + 1:06d}"
                rows.append(
                    Patient(
                        clinic=self.clinic,
                        mrn=mrn,
                        given_name=given,
                        family_name=family,
                        date_of_birth=born,
                        sex=rng.choice(("female", "male")),
                        weight_kg=weight,
                        weight_measured_on=self.now.date() - timedelta(days=rng.randrange(400)),
                        conditions=rng.sample(CONDITIONS, rng.choice((0, 0, 1, 1, 2))),
                        autoinjector_dose=rng.choice(("", "0.15", "0.3", "0.3")),
                        emergency_contact_name=f"{rng.choice(GIVEN)} {family}",
                        emergency_contact_phone="+44 7700 900000",
                        search_text=fold(f"{given} {family} {mrn}"),
                        created_at=self.now - timedelta(days=rng.randrange(YEARS * 365)),
                    )
                )
            with transaction.atomic():
                created = Patient.objects.bulk_create(rows, batch_size=BATCH)
                for patient in created:
                    self.buffers.add(
                        Trigger,
                        Trigger(
                            patient_id=patient.pk,
                            substance=rng.choice(SUBSTANCES),
                            reaction_type="ige",
                            worst_reaction_severity=rng.choice(("mild", "moderate", "severe")),
                            notes="Hives and vomiting.",
                        ),
                    )
                    for name, dose, med_class in rng.sample(MEDICINES, rng.choice((0, 1, 1, 2))):
                        self.buffers.add(
                            Medication,
                            Medication(
                                patient_id=patient.pk, name=name, dose=dose, med_class=med_class, schedule="once daily"
                            ),
                        )
                    made.append((patient.pk, patient.date_of_birth))
                self.buffers.flush()
        self.buffers.counts["Patient"] = len(made)
        return made

    # --- challenges ---------------------------------------------------------------------------------------

    def schedule(self) -> list[tuple[str, datetime, Plan]]:
        """(kind of day, when, protocol) for every challenge: past, today's list, home plans under way, future."""
        rng = self.rng
        clinic_plans = [p for p in self.plans if p.setting == "clinic"]
        home_plans = [p for p in self.plans if p.setting == "home"] or clinic_plans
        today = max(4, min(20, self.challenges // 2500))
        active_home = max(2, self.challenges // 2000)
        future = max(4, self.challenges // 50)
        past = max(0, self.challenges - today - active_home - future)
        items: list[tuple[str, datetime, Plan]] = []
        for _ in range(past):
            day = self.now - timedelta(days=rng.randrange(2, YEARS * 365))
            when = self._clinic_time(day, rng.randrange(8 * 60, 15 * 60, 15))
            items.append(("past", when, rng.choice(home_plans if rng.random() < 0.15 else clinic_plans)))
        for _ in range(today):
            items.append(("today", self.now, rng.choice(clinic_plans)))  # the time is set with the status
        for _ in range(active_home):
            items.append(
                (
                    "home",
                    self.now - timedelta(days=rng.randrange(1, 20), minutes=rng.randrange(600)),
                    rng.choice(home_plans),
                )
            )
        for _ in range(future):
            day = self.now + timedelta(days=rng.randrange(1, 60))
            items.append(
                ("future", self._clinic_time(day, rng.randrange(8 * 60, 15 * 60, 15)), rng.choice(clinic_plans))
            )
        rng.shuffle(items)
        return items

    def _clinic_time(self, day: datetime, minutes: int) -> datetime:
        local = day.astimezone(self.zone).replace(hour=minutes // 60, minute=minutes % 60, second=0)
        return local.astimezone(UTC)

    def challenges_create(self, patients: list[tuple[int, date]]) -> None:
        from django.db import transaction

        from challenges.models import Challenge

        rows = [self._challenge(kind, when, plan, self.rng.choice(patients)[0]) for kind, when, plan in self.schedule()]
        self._share_observations(rows)
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            with transaction.atomic():
                Challenge.objects.bulk_create(chunk, batch_size=BATCH)
                for challenge in chunk:
                    self._records(challenge)
                self.buffers.flush()
        self.buffers.counts["Challenge"] = len(rows)

    def _share_observations(self, rows: list[Any]) -> None:
        """Share the observations out among the challenges that gave a dose, so they add up exactly."""
        dosed = [c for c in rows if c._bench_doses]
        weights = [self.rng.uniform(0.4, 1.6) * len(c._bench_doses) for c in dosed]
        total = sum(weights) or 1.0
        counts = [int(w / total * self.observations) for w in weights]
        for n in range(self.observations - sum(counts)):
            counts[n % len(counts)] += 1
        for challenge, count in zip(dosed, counts, strict=True):
            challenge._bench_observations = count

    def _challenge(self, kind: str, when: datetime, plan: Plan, patient_pk: int) -> Any:
        """The challenge row, with when each dose was given (kept on the instance until its rows are made)."""
        from challenges.models import Challenge

        rng = self.rng
        status = self._status(kind)
        count = self._dose_count(status, plan)
        if kind in ("today", "home") and count:
            # Under way: the last dose was given a little while ago (at home: hours ago), the earlier ones before it.
            back = timedelta(minutes=rng.randrange(5, 25) if plan.setting == "clinic" else rng.randrange(60, 2000))
            when = self.now - back - timedelta(minutes=sum(s[3] for s in plan.steps[: count - 1]) + 15)
        elif kind == "today":  # booked for later today, or checked in a few minutes ago
            when = (
                self.now + timedelta(minutes=rng.randrange(10, 240))
                if status == "planned"
                else self.now - timedelta(minutes=10)
            )
        times = list(self._dose_times(plan, when + timedelta(minutes=15), count))
        c = Challenge(
            clinic=self.clinic,
            patient_id=patient_pk,
            protocol_id=plan.pk,
            setting=plan.setting,
            scheduled_at=when,
            allergist_id=rng.choice(self.allergists),
            nurse_id=rng.choice(self.nurses) if plan.setting == "clinic" else None,
            status=status,
            indication="Bench: diagnostic challenge.",
            created_at=when - timedelta(days=rng.randrange(1, 60)),
        )
        c._bench_plan, c._bench_doses, c._bench_observations = plan, times, 0
        if times and status in ("completed", "stopped", "observing"):
            self._outcome(c, times[-1], times[-1] + timedelta(minutes=plan.observation_minutes))
        return c

    def _status(self, kind: str) -> str:
        roll = self.rng.random()
        if kind == "future":
            return "planned"
        if kind == "today":
            return "planned" if roll < 0.3 else "checked_in" if roll < 0.45 else "dosing" if roll < 0.8 else "observing"
        if kind == "home":
            return "paused" if roll < 0.3 else "dosing"
        return "cancelled" if roll < 0.08 else "stopped" if roll < 0.24 else "completed"

    def _dose_count(self, status: str, plan: Plan) -> int:
        if status in ("planned", "checked_in", "cancelled"):
            return 0
        if status in ("completed", "observing"):
            return len(plan.steps)
        return self.rng.randrange(1, max(2, len(plan.steps)))  # stopped, dosing, paused: part of the plan

    @staticmethod
    def _dose_times(plan: Plan, first_at: datetime, count: int) -> list[datetime]:
        times, at = [], first_at
        for _number, _protein, _food, wait in plan.steps[:count]:
            times.append(at)
            at = at + timedelta(minutes=wait)
        return times

    def _outcome(self, c: Any, last_at: datetime, ends_at: datetime) -> None:
        c.observation_started_at = last_at
        if c.status == "observing":
            return
        failed = c.status == "stopped"
        c.outcome, c.outcome_reason = ("failed" if failed else "passed"), "Bench outcome."
        c.grade_scale, c.grade, c.grade_confirmed_by_id = "wao_2010", "2" if failed else "", c.allergist_id
        c.advice = "strict_avoidance" if failed else "eat_regularly"
        c.new_adrenaline_prescription = failed
        if ends_at + timedelta(days=2) < self.now:
            c.signed_at, c.signed_by_id = ends_at + timedelta(hours=1), c.allergist_id

    # --- what happened during a challenge -----------------------------------------------------------------

    def _records(self, c: Any) -> None:
        from challenges.models import PreChallengeCheck, VitalSigns

        plan, times = c._bench_plan, c._bench_doses
        if plan.setting == "clinic" and c.status not in ("planned", "cancelled"):
            start = c.scheduled_at + timedelta(minutes=5)
            self.buffers.add(
                PreChallengeCheck,
                PreChallengeCheck(
                    challenge_id=c.pk,
                    no_illness=True,
                    asthma_eczema_controlled=True,
                    no_recent_exercise=True,
                    washout_confirmed=True,
                    premedication_taken=True,
                    consent_recorded=True,
                    emergency_ready=True,
                    baseline_skin="clear",
                    baseline_mouth="normal",
                    baseline_chest="clear",
                    recorded_by_id=c.nurse_id,
                    recorded_at=start,
                    created_at=start,
                ),
            )
            self.buffers.add(
                VitalSigns,
                VitalSigns(
                    challenge_id=c.pk,
                    kind="baseline",
                    taken_at=start,
                    heart_rate=self.rng.randrange(70, 100),
                    systolic=self.rng.randrange(105, 130),
                    diastolic=self.rng.randrange(60, 80),
                    spo2=98,
                    recorded_by_id=c.nurse_id,
                    created_at=start,
                ),
            )
        if not times:
            return
        self._doses(c, plan, times)
        ends_at = times[-1] + timedelta(minutes=plan.observation_minutes)
        reaction_at = min(times[-1] + timedelta(minutes=12), self.now) if c.status in ("stopped", "paused") else None
        self._observations(c, plan, times[0], min(ends_at, self.now), reaction_at=reaction_at)
        if reaction_at is not None:
            self._reaction(c, reaction_at)
        if c.status in ("completed", "stopped", "observing"):
            self._follow_ups(c, plan, times[-1])

    def _doses(self, c: Any, plan: Plan, times: list[datetime]) -> None:
        from challenges.models import Dose

        for (number, protein, food, _wait), at in zip(plan.steps, times, strict=False):
            self.buffers.add(
                Dose,
                Dose(
                    challenge_id=c.pk,
                    sequence=number,
                    step_number=number,
                    planned_protein_mg=protein,
                    planned_food_amount=food,
                    food_amount=food,
                    protein_mg=protein,
                    given_at=at,
                    given_by_id=c.nurse_id or c.allergist_id,
                    source="clinician" if plan.setting == "clinic" else "patient",
                    idempotency_key=uuid.UUID(int=self.rng.getrandbits(128), version=4),
                    created_at=at,
                ),
            )

    def _observations(
        self, c: Any, plan: Plan, first_at: datetime, until: datetime, *, reaction_at: datetime | None
    ) -> None:
        from challenges.models import Observation

        rng, count = self.rng, c._bench_observations
        span = max(60.0, (until - first_at).total_seconds())
        by = c.nurse_id or c.allergist_id
        source = "clinician" if plan.setting == "clinic" else "patient"
        for n in range(count):
            at = min(first_at + timedelta(seconds=int(rng.random() * span)), self.now)
            severity = 0 if rng.random() < 0.85 else 1
            item = rng.choice(plan.checklist)
            if reaction_at is not None and n >= count - 2:  # the findings that met the stop rule
                at, severity, item = reaction_at, rng.choice((2, 3)), rng.choice(plan.objective)
            self.buffers.add(
                Observation,
                Observation(
                    challenge_id=c.pk,
                    item_code=item,
                    severity=severity,
                    observed_at=at,
                    source=source,
                    recorded_by_id=by,
                    created_at=at,
                ),
            )

    def _reaction(self, c: Any, at: datetime) -> None:
        """The stop alert the findings raised (decided `stop`, or still open on a paused home plan), vitals,
        treatment."""
        from challenges.models import StopAlert, Treatment, VitalSigns

        decided = c.status == "stopped"
        self.buffers.add(
            StopAlert,
            StopAlert(
                challenge_id=c.pk,
                raised_at=at,
                hits=[
                    {"code": "objective_sign", "message": "Objective sign graded moderate or worse.", "evidence": []}
                ],
                decision="stop" if decided else "",
                reason="Objective signs." if decided else "",
                decided_by_id=c.allergist_id if decided else None,
                decided_at=at + timedelta(minutes=3) if decided else None,
            ),
        )
        if c.setting == "clinic":
            self.buffers.add(
                VitalSigns,
                VitalSigns(
                    challenge_id=c.pk,
                    kind="during",
                    taken_at=at,
                    heart_rate=112,
                    systolic=110,
                    diastolic=70,
                    spo2=95,
                    recorded_by_id=c.nurse_id,
                    created_at=at,
                ),
            )
            self.buffers.add(
                Treatment,
                Treatment(
                    challenge_id=c.pk,
                    kind="antihistamine",
                    drug="Cetirizine",
                    dose="10 mg",
                    route="oral",
                    given_at=at,
                    recorded_by_id=c.nurse_id,
                    created_at=at,
                ),
            )

    def _follow_ups(self, c: Any, plan: Plan, last_at: datetime) -> None:
        from challenges.models import FollowUp

        for hours in plan.follow_up_hours:
            due = last_at + timedelta(hours=hours)
            done = c.status != "observing" and due < self.now
            self.buffers.add(
                FollowUp,
                FollowUp(
                    challenge_id=c.pk,
                    due_at=due,
                    hours_after=hours,
                    method="phone" if done else "",
                    done_at=due + timedelta(minutes=20) if done else None,
                    done_by_id=(c.nurse_id or c.allergist_id) if done else None,
                    symptoms=False if done else None,
                    findings="No delayed symptoms." if done else "",
                    source="clinician" if done else "",
                    created_at=last_at,
                ),
            )


def finish_database() -> None:
    """PostgreSQL: VACUUM ANALYZE, as autovacuum would soon after a bulk load. SQLite: left as Django leaves it."""
    from django.db import connection

    if connection.vendor == "postgresql":
        connection.ensure_connection()
        old = connection.connection.autocommit
        connection.connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        connection.connection.autocommit = old


def generate(*, scale: float, seed: int, clinic: str, patients_only: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    gen = Generator(scale=scale, seed=seed, clinic_name=clinic)
    gen.staff()
    patients = gen.patients_create()
    patients_s = time.perf_counter() - started
    if not patients_only:
        gen.challenges_create(patients)
    finish_database()
    return {
        "seconds": time.perf_counter() - started,
        "patients_seconds": patients_s,
        "scale": scale,
        "rows": gen.buffers.counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="bench database (default: DATABASE_URL)")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1.0 = 20,000 patients, 50,000 challenges, 1M observations"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clinic", default="Northside Allergy Clinic", help="the demo clinic that gets the rows")
    parser.add_argument(
        "--patients-only",
        action="store_true",
        help="only the patients with their triggers and medications (enough for the patient search line)",
    )
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    django_setup(args.database_url)
    result = generate(scale=args.scale, seed=args.seed, clinic=args.clinic, patients_only=args.patients_only)
    from django.db import connection

    result["vendor"] = connection.vendor
    rows = ", ".join(f"{name} {count:,}" for name, count in sorted(result["rows"].items()))
    print(
        f"generated on {connection.vendor} in {result['seconds']:.0f} s (patients {result['patients_seconds']:.0f} "
        f"s): {rows}"
    )
    write_json(args.json, result)


if __name__ == "__main__":
    main()
