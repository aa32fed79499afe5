"""How long the clinic outcomes page takes with 50,000 finished challenges, and how many queries it issues.

Run: .venv/bin/python bench/outcomes.py [--challenges 50000] [--runs 7] [--seed 21]
Standalone: the test settings and a throwaway SQLite file (never db.sqlite3), migrated, with the standard library
and one clinic whose challenges, doses, findings, adrenaline and home-plan pauses are written with bulk_create (no
services, no history: bench data, but rows the services could have written). Prints the median time of the page,
unfiltered and filtered, its query count for a small and the large clinic (they must be equal), the target and
PASS/FAIL. Target (issue 21): under 2 s on the 2-core reference machine, with a fixed number of queries.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

TARGET_S = 2.0
BATCH = 2_000
FILTER = "?food=peanut&age_band=12_17&date_from=2019-01-01"
PRACTALL_MG = (3, 10, 30, 100, 300, 1000, 3000)


def _clinic(rng: random.Random, challenges: int, name: str):  # type: ignore[no-untyped-def]
    from challenges.library.services.standard import load_standard_library
    from challenges.models import Challenge, ChallengeEvent, Dose, Observation, Protocol, Treatment
    from clinics.models import Clinic, Role, User
    from patients.models import Patient

    if not Protocol.objects.filter(clinic=None).exists():
        load_standard_library()
    protocols = list(Protocol.objects.filter(clinic=None, is_current=True).select_related("food"))
    clinic = Clinic.objects.create(name=f"Bench Clinic {name}", address="1 Bench Road", phone="+44 113 000 0000")
    allergist = User.objects.create(username=f"bench-allergist-{name}", role=Role.ALLERGIST, clinic=clinic)
    patients = Patient.objects.bulk_create(
        [
            Patient(
                clinic=clinic,
                mrn=f"B-{name}-{n}",
                given_name="Bench",
                family_name=f"Patient {n}",
                date_of_birth=date(2000, 1, 1) + timedelta(days=rng.randrange(9_000)),
            )
            for n in range(2_000)
        ],
        batch_size=BATCH,
    )
    start = datetime(2018, 1, 1, 9, 0, tzinfo=UTC)
    for first in range(0, challenges, 5_000):
        with transaction.atomic():
            rows = []
            for n in range(first, min(first + 5_000, challenges)):
                outcome = rng.choices(["passed", "failed", "equivocal", "dose_not_reached"], [70, 22, 5, 3])[0]
                rows.append(
                    Challenge(
                        clinic=clinic,
                        patient=rng.choice(patients),
                        protocol=rng.choice(protocols),
                        scheduled_at=start + timedelta(hours=n * 1.5),
                        allergist=allergist,
                        status="completed" if outcome == "passed" else "stopped",
                        outcome=outcome,
                        grade=str(rng.randint(1, 3)) if outcome == "failed" else "",
                        grade_scale="practall" if outcome == "failed" else "",
                        setting="home" if n % 7 == 0 else "clinic",
                    )
                )
            Challenge.objects.bulk_create(rows, batch_size=BATCH)
            doses, findings, treatments, events = [], [], [], []
            for c in rows:
                count = 7 if c.outcome == "passed" else rng.randint(1, 6)
                for k in range(count):
                    doses.append(
                        Dose(
                            challenge=c,
                            sequence=k + 1,
                            step_number=k + 1,
                            planned_protein_mg=Decimal(PRACTALL_MG[k]),
                            planned_food_amount=Decimal(1),
                            food_amount=Decimal(1),
                            protein_mg=Decimal(PRACTALL_MG[k]),
                            given_at=c.scheduled_at + timedelta(minutes=20 * k),
                            given_by=allergist,
                        )
                    )
                last = c.scheduled_at + timedelta(minutes=20 * (count - 1))
                if c.outcome == "failed":
                    findings.append(
                        Observation(
                            challenge=c,
                            item_code="urticaria",
                            severity=2,
                            observed_at=last + timedelta(minutes=rng.randint(2, 90)),
                            recorded_by=allergist,
                        )
                    )
                    if rng.random() < 0.1:
                        treatments.append(
                            Treatment(
                                challenge=c,
                                kind="adrenaline",
                                drug="Adrenaline",
                                dose="0.3 mg",
                                route="im",
                                given_at=last + timedelta(minutes=30),
                                recorded_by=allergist,
                            )
                        )
                if c.setting == "home" and rng.random() < 0.2:
                    events.append(ChallengeEvent(challenge=c, kind="status", from_status="dosing", to_status="paused"))
                    events.append(ChallengeEvent(challenge=c, kind="status", from_status="paused", to_status="dosing"))
            Dose.objects.bulk_create(doses, batch_size=BATCH)
            Observation.objects.bulk_create(findings, batch_size=BATCH)
            Treatment.objects.bulk_create(treatments, batch_size=BATCH)
            ChallengeEvent.objects.bulk_create(events, batch_size=BATCH)
    return allergist


def _time(client, url: str, runs: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Median seconds of the page (after one warm-up) and its query count."""
    client.get(url)
    queries: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, url
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - began)
    return statistics.median(times), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--challenges", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    from django.test import Client
    from django.urls import reverse

    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0)
    try:
        rng = random.Random(args.seed)
        client = Client()
        small = _clinic(rng, 40, "small")
        client.force_login(small)
        pages = (
            ("outcomes page (all)", reverse("challenges:outcomes")),
            ("outcomes page (filtered)", reverse("challenges:outcomes") + FILTER),
            ("eliciting-doses page", reverse("challenges:eliciting-doses")),
        )
        small_queries = {label: _time(client, url, 1)[1] for label, url in pages}
        began = time.perf_counter()
        allergist = _clinic(rng, args.challenges, "large")
        print(f"built {args.challenges:,} challenges in {time.perf_counter() - began:.0f} s")
        client.force_login(allergist)
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"{os.cpu_count()} cores, load average {load}")
        failed = False
        for label, url in pages:
            seconds, queries = _time(client, url, args.runs)
            verdict = "PASS" if seconds < TARGET_S and queries == small_queries[label] else "FAIL"
            failed |= verdict == "FAIL"
            print(
                f"{label}, {args.challenges:,} challenges: median {seconds * 1000:.0f} ms, "
                f"{queries} queries (40 challenges: {small_queries[label]}); target < {TARGET_S:.0f} s and fixed "
                f"queries: {verdict}"
            )
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
