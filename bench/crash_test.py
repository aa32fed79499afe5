"""Kill test (reliability plan test 18): SIGKILL the server while it records doses; nothing acknowledged is lost.

Serves Stepwise with gunicorn on 127.0.0.1 from a throwaway file SQLite database (WAL, synchronous=FULL, as in
production settings). An allergist client (two threads) posts numbered doses to one long clinic challenge (the
override reason lets each dose skip the 15-minute wait) and keeps the idempotency key of every dose answered with
HTTP 302. At random moments the whole server process group is killed with SIGKILL, then restarted; requests that
were in flight are re-posted with the same key afterwards. At the end: every acknowledged dose is in the database,
`PRAGMA integrity_check` is ok, every dose has its history row, and `verify_audit` passes.

Run: .venv/bin/python bench/crash_test.py [--cycles 5] [--seconds 60] [--seed N] [--keep]
Bounded: stops after --cycles kills or --seconds, whichever comes first; talks only to 127.0.0.1.
This simulates a process crash, not a power cut (see the plan).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PASSWORD = "crash-test-password-1"  # noqa: S105 - a throwaway bench database
STEPS = 800
KEYS = uuid.UUID("6f1d8a52-5c33-4d0e-9a3b-2b7f5d0c9e11")  # namespace: dose n has key uuid5(KEYS, "n")


# --- setup (runs in a child process with Django set up) -------------------------------------------------------


def setup_data() -> dict[str, int]:
    """A clinic, an allergist, a patient and a checked-in clinic challenge on an 800-step, 15-minute protocol."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from challenges.library.services.protocols import ProtocolDraft, draft_from_protocol, protocol_create
    from challenges.library.services.standard import load_standard_library
    from challenges.models import Protocol
    from challenges.run import services as runs
    from clinical.plan import PlannedStep
    from clinics.models import Clinic, Role, User
    from patients.models import Patient

    load_standard_library()
    clinic = Clinic.objects.create(name="Crash Test Clinic", time_zone="Europe/London")
    allergist = User.objects.create_user("crash-allergist", password=PASSWORD, role=Role.ALLERGIST, clinic=clinic)
    patient = Patient.objects.create(
        clinic=clinic, mrn="CRASH-1", given_name="Kill", family_name="Test", date_of_birth="1990-01-01"
    )
    base = draft_from_protocol(Protocol.objects.get(name="PRACTALL 7-step peanut OFC"), name="Crash test")
    steps = tuple(PlannedStep(n, Decimal("3"), None, "", 15) for n in range(1, STEPS + 1))
    protocol = protocol_create(clinic=clinic, by=allergist, draft=ProtocolDraft(**{**base.__dict__, "steps": steps}))
    challenge = runs.challenge_schedule(
        patient=patient,
        protocol=protocol,
        scheduled_at=timezone.now() - timedelta(hours=1),
        allergist=allergist,
        nurse=None,
        by=allergist,
    )
    runs.challenge_check_in(challenge=challenge, by=allergist)
    checks = (
        "no_illness",
        "asthma_eczema_controlled",
        "no_recent_exercise",
        "washout_confirmed",
        "premedication_taken",
        "consent_recorded",
        "emergency_ready",
    )
    runs.checks_record(
        challenge=challenge, by=allergist, answers=dict.fromkeys(checks, True), baseline={"heart_rate": 80}
    )
    return {"challenge": challenge.pk}


# --- a tiny cookie-keeping HTTP client ------------------------------------------------------------------------


class Client:
    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.lock = threading.Lock()

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        from urllib.parse import urlencode

        connection = http.client.HTTPConnection(HOST, self.port, timeout=15)
        try:
            with self.lock:
                headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            body = urlencode(form) if form is not None else None
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie(header)
                with self.lock:
                    self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
            return response.status, text
        finally:
            connection.close()

    def sign_in(self) -> None:
        _status, page = self.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        status, _ = self.request(
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "username": "crash-allergist", "password": PASSWORD},
        )
        if status != 302:
            raise RuntimeError(f"sign-in failed: HTTP {status}")


# --- the run --------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    acked: dict[int, uuid.UUID] = field(default_factory=dict)  # dose number -> key, answered 302
    in_flight_at_kill: set[int] = field(default_factory=set)  # no answer: the server died mid-request
    retried_ok: int = 0
    refused: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0

    def next_number(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter


def post_dose(client: Client, challenge: int, number: int) -> int:
    now = datetime.now(ZoneInfo("Europe/London")).strftime("%Y-%m-%dT%H:%M")
    form = {
        "csrfmiddlewaretoken": client.cookies.get("csrftoken", ""),
        "given_at": now,
        "ate_all": "on",
        "idempotency_key": str(uuid.uuid5(KEYS, str(number))),
        "notes": f"crash-{number}",
        "override_reason": "crash test: no wait",
    }
    status, _ = client.request("POST", f"/challenges/{challenge}/dose/", form)
    return status


def writer(client: Client, challenge: int, tally: Tally, up: threading.Event, stop: threading.Event) -> None:
    while not stop.is_set():
        if not up.wait(0.2):
            continue
        number = tally.next_number()
        started = time.monotonic()
        try:
            status = post_dose(client, challenge, number)
        except (OSError, http.client.HTTPException):
            with tally.lock:
                tally.in_flight_at_kill.add(number)
            up.clear()
            continue
        with tally.lock:
            if status == 302:
                tally.acked[number] = uuid.uuid5(KEYS, str(number))
                tally.latencies.append(time.monotonic() - started)
            else:
                tally.refused.append(f"dose {number}: HTTP {status}")
                stop.set()


def start_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        "2",
        "--timeout",
        "30",
        "--log-level",
        "warning",
    ]
    with log.open("ab") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True)  # noqa: S603
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=1)
            connection.request("GET", "/health/")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.1)
    kill(server)
    raise RuntimeError(f"gunicorn did not start; see {log}")


def kill(server: subprocess.Popen) -> None:
    """SIGKILL the server's own process group (gunicorn master and workers), started by us above."""
    try:
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    server.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def run(cycles: int, seconds: float, seed: int, workdir: Path) -> dict[str, object]:
    """Set up, then kill and restart until `cycles` kills or the time budget (which includes the set-up) is spent."""
    deadline = time.monotonic() + seconds - 12  # keep time for the last restart and the checks
    rng = random.Random(seed)  # noqa: S311 - kill timing, not security
    db = workdir / "crash.sqlite3"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings", "DATABASE_URL": f"sqlite:///{db}"}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    setup = subprocess.run(
        [sys.executable, __file__, "--setup"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )  # noqa: S603
    challenge = json.loads(setup.stdout.strip().splitlines()[-1])["challenge"]

    port, log, tally = free_port(), workdir / "gunicorn.log", Tally()
    client, up, stop = Client(port), threading.Event(), threading.Event()
    threads = [
        threading.Thread(target=writer, args=(client, challenge, tally, up, stop), daemon=True) for _ in range(2)
    ]
    started, kills = time.monotonic(), 0
    for thread in threads:
        thread.start()
    while kills < cycles and time.monotonic() < deadline - 3 and not stop.is_set():
        server = start_server(port, env, log)
        if not client.cookies.get("sessionid"):
            client.sign_in()
        _retry_in_flight(client, challenge, tally)
        up.set()
        time.sleep(min(rng.uniform(0.5, 4.0), max(0.5, deadline - time.monotonic())))
        kill(server)
        kills += 1
    stop.set()
    up.set()
    for thread in threads:
        thread.join(timeout=20)
    server = start_server(port, env, log)  # one last restart: re-post what was in flight at the last kill
    _retry_in_flight(client, challenge, tally)
    kill(server)
    return {"kills": kills, "elapsed": time.monotonic() - started, **check(db, env, tally)}


def _retry_in_flight(client: Client, challenge: int, tally: Tally) -> None:
    """Re-post each unanswered dose with its key: the app stores it once, whether or not it had committed."""
    for number in sorted(tally.in_flight_at_kill):
        if post_dose(client, challenge, number) == 302:
            tally.acked[number] = uuid.uuid5(KEYS, str(number))
            tally.retried_ok += 1
    tally.in_flight_at_kill.clear()


def check(db: Path, env: dict[str, str], tally: Tally) -> dict[str, object]:
    with sqlite3.connect(db) as connection:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        stored = {row[0] for row in connection.execute("SELECT idempotency_key FROM challenges_dose")}
        without_history = connection.execute(
            "SELECT COUNT(*) FROM challenges_dose d WHERE NOT EXISTS "
            "(SELECT 1 FROM challenges_historicaldose h WHERE h.id = d.id AND h.history_type = '+')"
        ).fetchone()[0]
        events = connection.execute("SELECT COUNT(*) FROM audit_auditevent").fetchone()[0]
    keys = {key.hex for key in tally.acked.values()} | {str(key) for key in tally.acked.values()}
    lost = [n for n, key in tally.acked.items() if key.hex not in stored and str(key) not in stored]
    verify = subprocess.run(
        [sys.executable, "manage.py", "verify_audit"], cwd=ROOT, env=env, capture_output=True, text=True
    )  # noqa: S603
    return {
        "attempted": tally.counter,
        "acknowledged": len(tally.acked),
        "retried_ok": tally.retried_ok,
        "stored": len(stored),
        "lost": lost,
        "unacked_but_stored": len(stored) - len(stored & keys),
        "without_history": without_history,
        "audit_events": events,
        "integrity": integrity,
        "verify_rc": verify.returncode,
        "verify": (verify.stdout or verify.stderr).strip().splitlines()[-1:],
        "refused": tally.refused,
        "latencies": tally.latencies,
    }


def report(figures: dict[str, object]) -> bool:
    latencies = sorted(figures["latencies"]) or [0.0]  # type: ignore[arg-type]
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    ok = (
        not figures["lost"]
        and figures["integrity"] == "ok"
        and figures["verify_rc"] == 0
        and not figures["without_history"]
    )
    rows = [
        ("server kills (SIGKILL)", figures["kills"]),
        ("kill-and-restart phase (s)", f"{figures['elapsed']:.1f}"),
        ("doses attempted", figures["attempted"]),
        ("acknowledged (HTTP 302)", figures["acknowledged"]),
        ("  of which re-posted after a kill", figures["retried_ok"]),
        ("doses in the database", figures["stored"]),
        ("stored but never acknowledged", figures["unacked_but_stored"]),
        ("ACKNOWLEDGED BUT LOST", len(figures["lost"])),  # type: ignore[arg-type]
        ("doses without their history row", figures["without_history"]),
        ("audit events", figures["audit_events"]),
        ("PRAGMA integrity_check", figures["integrity"]),
        ("verify_audit", " ".join(figures["verify"]) or "-"),  # type: ignore[arg-type]
        ("dose POST p50 / p95 (ms)", f"{statistics.median(latencies) * 1000:.0f} / {p95 * 1000:.0f}"),
        ("refused posts", "; ".join(figures["refused"][:3]) or "none"),  # type: ignore[index]
        ("RESULT", "PASS" if ok else "FAIL"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--keep", action="store_true", help="keep the database and gunicorn log")
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        print(json.dumps(setup_data()))
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="stepwise-crash-"))
    print(f"seed {args.seed}; work directory {workdir}")
    started = time.monotonic()
    try:
        ok = report(run(args.cycles, args.seconds, args.seed, workdir))
        print(f"total time (s), set-up and checks included: {time.monotonic() - started:.1f}")
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
