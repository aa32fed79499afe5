"""CPU per dose post against the bare-INSERT post, in one process, with the test client (every middleware, CSRF
checked): where a dose post's time goes, without a server's scheduling noise.

Run: .venv/bin/python bench/dose_post_cpu.py --database-url postgres://postgres@127.0.0.1:5432/h20_dose
[--posts 60] [--rounds 3] [--profile FILE]

The database must hold the demo data (`manage.py load_demo --force`); the script adds its own clinic, protocols and
challenges (as server_load.setup_rows does). Posts alternate between the kinds measured, so a change of machine load
falls on each alike:
- `on time`: the next dose once its wait is over (a protocol without waits), the post a nurse makes at every step;
- `early`: the next dose before its wait is over, on the allergist's override (a second event is recorded);
- `bare INSERT`: the bench's write floor (bench/floor_views.py).
CPU is `time.process_time()` of the whole process, so the background audit sealer's work is counted. With
--profile, the on-time posts run under cProfile and the statistics are written to FILE (read with pstats).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import django_setup  # noqa: E402

STEPS = 12


def _setup(posts: int) -> dict[str, Any]:
    from django.test import Client

    from bench import _load_rows
    from bench._load_http import HOST, _csrf
    from clinics.models import Clinic, Role, User

    northside = Clinic.objects.get(name="Northside Allergy Clinic")
    tag = uuid.uuid4().hex[:6]
    clinic = Clinic.objects.create(name=f"Bench CPU clinic {tag}", time_zone=northside.time_zone)
    allergist = User.objects.create(username=f"bench-cpu-{tag}", role=Role.ALLERGIST, clinic=clinic, password="!")
    protocols = {
        "on time": _load_rows._protocol(
            f"Bench CPU no wait {tag}", base="PRACTALL 7-step peanut OFC", steps=STEPS, interval=0, clinic=clinic
        ),
        "early": _load_rows._protocol(
            f"Bench CPU waits {tag}", base="PRACTALL 7-step peanut OFC", steps=STEPS, interval=30, clinic=clinic
        ),
    }
    challenges: dict[str, list[int]] = {}
    for kind, protocol in protocols.items():
        challenges[kind] = []
        for n in range(posts // STEPS + 2):
            patient = _patient(clinic, f"{kind[0]}{n}{tag}")
            challenges[kind].append(_load_rows._challenge(patient, protocol, allergist, None, checked_in=True).pk)
    client = Client(enforce_csrf_checks=True, HTTP_HOST=HOST)
    client.force_login(allergist)
    page = client.get(f"/challenges/{challenges['on time'][0]}/").content.decode()
    return {"client": client, "token": _csrf(page), "challenges": challenges, "zone": clinic.time_zone}


def _patient(clinic: Any, n: str) -> Any:
    from datetime import date

    from clinical.text import fold
    from patients.models import Patient

    return Patient.objects.create(
        clinic=clinic, mrn=f"CPU-{n}", given_name="Bench", family_name=f"Cpu{n}", date_of_birth=date(1990, 1, 1),
        search_text=fold(f"Bench Cpu{n} CPU-{n}"),
    )  # fmt: skip


def _dose(rows: dict[str, Any], kind: str, index: int) -> Any:
    from bench._load_http import _local_now

    pk = rows["challenges"][kind][index // STEPS]
    form = {"csrfmiddlewaretoken": rows["token"], "ate_all": "on", "given_at": _local_now(rows["zone"]),
            "idempotency_key": str(uuid.uuid4()), "notes": ""}  # fmt: skip
    if kind == "early":
        form["override_reason"] = "Bench: allergist allows the next dose now"
    response = rows["client"].post(f"/challenges/{pk}/dose/", form)
    if response.status_code != 302 or not response["Location"].rstrip("/").endswith(f"/challenges/{pk}"):
        raise SystemExit(f"{kind} dose post {index} refused: {response.status_code} {response.content[:300]!r}")
    return response


def _insert(rows: dict[str, Any], _index: int) -> Any:
    response = rows["client"].post("/bench/insert/", {"csrfmiddlewaretoken": rows["token"], "note": "floor"})
    if response.status_code != 302:
        raise SystemExit(f"bare INSERT refused: {response.status_code}")
    return response


def _backend_ticks() -> int:
    """CPU clock ticks of this connection's PostgreSQL backend process so far (it runs on this machine); 0 on SQLite."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0
    if not hasattr(_backend_ticks, "pid"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            _backend_ticks.pid = cursor.fetchone()[0]  # type: ignore[attr-defined]
    fields = Path(f"/proc/{_backend_ticks.pid}/stat").read_text().rsplit(")", 1)[1].split()  # type: ignore[attr-defined]
    return int(fields[11]) + int(fields[12])  # utime + stime


def _cpu_ms(call: Any, database: list[float]) -> float:
    """The app's CPU for one call, in ms; the database backend's CPU for it is appended to `database`."""
    ticks, began = _backend_ticks(), time.process_time()
    call()
    spent = (time.process_time() - began) * 1000
    database.append((_backend_ticks() - ticks) * 1000 / os.sysconf("SC_CLK_TCK"))
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--posts", type=int, default=60, help="timed posts of each kind per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="profile the on-time posts into this file")
    args = parser.parse_args()
    django_setup(args.database_url)
    from django.db import connection

    from bench.floor_views import ensure_floor_table

    ensure_floor_table()
    for round_ in range(1, args.rounds + 1):
        rows = _setup(args.posts + 1)
        _dose(rows, "on time", 0), _dose(rows, "early", 0), _insert(rows, 0)  # warm: first doses, templates, caches
        times: dict[str, list[float]] = {"on time": [], "early": [], "bare INSERT": []}
        database: dict[str, list[float]] = {kind: [] for kind in times}
        profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not wall clock
        for i in range(1, args.posts + 1):
            if profiler:
                profiler.enable()
            times["on time"].append(_cpu_ms(lambda i=i, rows=rows: _dose(rows, "on time", i), database["on time"]))
            if profiler:
                profiler.disable()
            times["early"].append(_cpu_ms(lambda i=i, rows=rows: _dose(rows, "early", i), database["early"]))
            times["bare INSERT"].append(_cpu_ms(lambda i=i, rows=rows: _insert(rows, i), database["bare INSERT"]))
        time.sleep(0.5)  # let the background sealer finish before the next round
        floor = statistics.median(times["bare INSERT"])
        medians = {kind: statistics.median(ms) for kind, ms in times.items()}
        figures = ", ".join(f"{kind} {ms:.1f} ms ({ms / floor:.2f}x)" for kind, ms in medians.items())
        print(f"{connection.vendor} round {round_}: median CPU per post over {args.posts}: {figures}", flush=True)
        if connection.vendor == "postgresql":  # ticks are 10 ms: the mean, not the median
            spent = ", ".join(f"{kind} {statistics.mean(ms):.1f} ms" for kind, ms in database.items())
            print(f"    PostgreSQL backend CPU per post (mean): {spent}", flush=True)
        if profiler and args.profile:
            profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main()
