"""generate_data's sizes and batches, its row buffers, and the generator's base: the clinic, the current standard
protocols as plans, a clinic-sized staff, and the patients with their triggers and medications."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench._gen_pools import CONDITIONS, FAMILY, GIVEN, MEDICINES, SUBSTANCES

FULL = {"patients": 20_000, "challenges": 50_000, "observations": 1_000_000}
BATCH = 2_000  # rows per bulk_create call (Django splits further to the backend's parameter limit)
CHUNK = 2_500  # challenges per transaction
YEARS = 8  # past challenges spread over this many years (about 17 a day at full scale)


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


class GeneratorBase:
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
