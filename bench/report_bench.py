"""How long the challenge report takes to build (snapshot from the database + PDF), typical and large.

Run: .venv/bin/python bench/report_bench.py [--runs N]
Standalone: uses the test settings and a throwaway in-memory SQLite database (never db.sqlite3). Needs the dev
requirements (`make test` installs them): the challenges are driven by tests/reports/scenarios.py.
Targets on the 2-core reference machine: typical (7 steps) < 150 ms, large (30 steps, 200 findings) < 1 s.
Then text size (security review M1: 200 KB of addenda once took 53 s, doubling the text took 5x the time): the
typical report with 25, 50, 100 and 200 KB of addenda (2,000-character addenda, the form's cap), and the time per
KB at each size; linear means the time per KB does not grow with the size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

TARGETS_MS = {"typical": 150, "large": 1000}


def _cast():  # type: ignore[no-untyped-def]
    from clinics.models import Clinic, Role, User
    from patients.models import Patient

    clinic = Clinic.objects.create(name="Bench Clinic", address="1 Bench Road", phone="+44 113 000 0000")
    allergist = User.objects.create(
        username="bench-allergist", role=Role.ALLERGIST, clinic=clinic, first_name="Amira", last_name="Okafor"
    )
    nurse = User.objects.create(
        username="bench-nurse", role=Role.NURSE, clinic=clinic, first_name="Sam", last_name="Lee"
    )
    patients = [
        Patient.objects.create(
            clinic=clinic,
            mrn=f"B-{n}",
            given_name="Zoë",
            family_name="Ångström-Nguyễn",
            date_of_birth=date(1990, 5, 1),
            weight_kg=Decimal("60"),
        )
        for n in (1, 2)
    ]
    return patients, nurse, allergist


def _challenges():  # type: ignore[no-untyped-def]
    from challenges.library.services.standard import load_standard_library
    from challenges.models import Protocol
    from tests.reports import scenarios

    load_standard_library()
    practall = Protocol.objects.get(name="PRACTALL 7-step peanut OFC")
    (first, second), nurse, allergist = _cast()
    typical = scenarios.practall_failed_at_dose_5(first, practall, nurse, allergist)
    large = scenarios.long_challenge(second, scenarios.long_protocol(practall.food), nurse, allergist, observations=200)
    return typical, large


def _median_ms(action: Callable[[], object], runs: int, clock: Callable[[], float] = time.perf_counter) -> float:
    action()  # warm-up: font registration, first queries
    times = []
    for _run in range(runs):
        start = clock()
        action()
        times.append((clock() - start) * 1000)
    return statistics.median(times)


def _case(name: str, challenge: object, runs: int) -> float:
    """Print one case's figures; return its wall-clock median in ms."""
    from pypdf import PdfReader

    from challenges.reports.build_challenge import challenge_report
    from challenges.reports.render_challenge import render_challenge_report

    def build() -> bytes:
        return render_challenge_report(challenge_report(challenge))  # type: ignore[arg-type]

    total = _median_ms(build, runs)
    cpu = _median_ms(build, runs, clock=time.process_time)
    snapshot = _median_ms(lambda: challenge_report(challenge), runs)  # type: ignore[arg-type]
    pages = len(PdfReader(BytesIO(build())).pages)
    verdict = "ok" if total < TARGETS_MS[name] else "OVER TARGET"
    steps, findings = challenge.protocol.steps.count(), challenge.observations.count()  # type: ignore[attr-defined]
    print(
        f"{name:8} {steps:2} steps, {findings:3} findings, {pages} pages: median {total:6.1f} ms "
        f"(CPU {cpu:6.1f} ms; snapshot {snapshot:5.1f} ms + render {total - snapshot:6.1f} ms); "
        f"target < {TARGETS_MS[name]} ms: {verdict}"
    )
    return total


ADDENDUM = ("Phoned the next day: the rash settled overnight and the child ate normally at breakfast. " * 30)[:2000]


def _text_series(challenge: object, runs: int) -> None:
    """Report time against the size of the addenda: the PDF must grow linearly with its text."""
    from challenges.reports.build_challenge import challenge_report
    from challenges.reports.render_challenge import render_challenge_report
    from challenges.run import services as runs_services

    allergist = challenge.allergist  # type: ignore[attr-defined]
    per_kb = []
    added = 0
    for kilobytes in (25, 50, 100, 200):
        while added * len(ADDENDUM) < kilobytes * 1000:
            runs_services.addendum_add(challenge=challenge, by=allergist, text=ADDENDUM)  # type: ignore[arg-type]
            added += 1

        def build() -> bytes:
            return render_challenge_report(challenge_report(challenge))  # type: ignore[arg-type]

        total = _median_ms(build, runs)
        per_kb.append(total / kilobytes)
        size = f"{kilobytes:3} KB of addenda ({added:3} addenda)"
        print(f"text    {size}: median {total:7.1f} ms, {per_kb[-1]:5.1f} ms/KB")
    growth = per_kb[-1] / per_kb[0]
    verdict = "linear" if growth <= 1.5 else "GROWS FASTER THAN THE TEXT"
    print(f"time per KB at 200 KB / at 25 KB: {growth:.2f} ({verdict}; 1.0 is exactly linear)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per case (median reported)")
    args = parser.parse_args()
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)  # in-memory SQLite for the SQLite test settings

    typical, large = _challenges()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load} (wall-clock times suffer when other work shares the cores)")
    results = {name: _case(name, challenge, args.runs) for name, challenge in (("typical", typical), ("large", large))}
    print(f"ratio large / typical: {results['large'] / results['typical']:.1f}x")
    _text_series(typical, max(3, args.runs // 5))


if __name__ == "__main__":
    main()
