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

The generator lives beside this script: _gen_base.py (sizes, buffers, protocols, staff, patients), _gen_challenges.py
(challenges and their records), _gen_pools.py (names and the like).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._gen_challenges import Generator  # noqa: E402
from bench.common import django_setup, write_json  # noqa: E402


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
