"""Server overhead, dose-post throughput and a clinic-sized load, under gunicorn on 127.0.0.1.

Run: .venv/bin/python bench/server_load.py --database-url URL [--seconds 10] [--dose-seconds 15] [--clinic-seconds 30]

The database must hold the demo data (a copy of a bench database: this script adds bench users, protocols and
challenges to it). Three parts, all aimed at 127.0.0.1 only, each bounded in time and in count:

1. Overhead (wrk): the challenge page against /health/, both requested with the same signed-in session cookie so
   the same middleware (session load and save, auth, CSP...) runs; latency with one connection, throughput at
   saturation (16 connections).
2. Dose recording: 50 clients (threads), each an allergist session on its own checked-in challenge of a 200-step
   protocol, post doses as fast as they can with the CSRF token, a fresh idempotency key and an override reason
   (an allergist may give a dose before the wait is over). Afterwards every acknowledged dose (HTTP 302) must be in
   the database exactly once, and nothing else.
3. Clinic load: 30 nurses and 20 patients, each acting every 2-5 s: board, patient search, patient detail and the
   challenge page, the occasional dose or finding (nurses, on challenges whose protocol has no wait); the home plan
   and the occasional step (patients). p95 latency per page.
4. `--two-servers` (only this): 50 clients (30 allergists posting doses, 12 patients taking home steps, 8 allergists
   signing finished challenges), each sending its requests to every app server in turn, as fast as answers come:
   first against one gunicorn, then against two (separate process groups and ports, as two machines would be) on
   the same database. Every acknowledged write is checked afterwards, and the audit chain verified.

The gunicorn server runs in its own process group and is always stopped (try/finally).
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
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, bench_env, django_setup, percentile, write_json  # noqa: E402

HOST = "127.0.0.1"
DOSE_CLIENTS = 50
DOSE_STEPS = 12  # steps of each dose client's challenges
DOSE_QUEUE = 8  # challenges per dose client: 96 doses each, more than any run here reaches
MIXED_DOSE_QUEUE = 16  # the two-server run's dose clients: 192 doses each (the fastest gave 200 in a minute)
NURSES, PATIENTS = 30, 20
MAX_REQUESTS_PER_CLIENT = 100_000  # a bound besides the clock
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, '
    .. '"p50_ms": %.3f, "p95_ms": %.3f}\\n', summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


# --- bench rows (ORM; run before the server starts) ----------------------------------------------------------


def _protocol(name: str, *, base: str, steps: int, interval: int, clinic: Any) -> Any:
    from decimal import Decimal

    from challenges.models import Protocol, ProtocolStep

    source = Protocol.objects.get(clinic=None, name=base, is_current=True)
    protocol = Protocol.objects.create(
        name=name,
        kind=source.kind,
        food=source.food,
        clinic=clinic,
        dose_basis=source.dose_basis,
        checklist_items=source.checklist_items,
        stop_rules=source.stop_rules,
        observation_minutes=source.observation_minutes,
        watch_hours=0,
        follow_up_hours=[],
    )
    amount = {"protein_mg": Decimal("1")} if source.dose_basis == "protein" else {"food_amount": Decimal("0.5")}
    ProtocolStep.objects.bulk_create(
        [ProtocolStep(protocol=protocol, number=n, interval_minutes=interval, **amount) for n in range(1, steps + 1)]
    )
    return protocol


def _challenge(patient: Any, protocol: Any, allergist: Any, nurse: Any, *, checked_in: bool) -> Any:
    from django.utils import timezone

    from challenges.models import Challenge, PreChallengeCheck
    from clinical.kinds import KINDS

    challenge = Challenge.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol=protocol,
        setting=KINDS[protocol.kind].setting,
        scheduled_at=timezone.now() - timezone.timedelta(minutes=20),
        allergist=allergist,
        nurse=nurse,
        status="checked_in" if checked_in else "planned",
        indication="[bench-load]",
    )
    if checked_in:
        PreChallengeCheck.objects.create(
            challenge=challenge, recorded_by=nurse or allergist, **dict.fromkeys(PreChallengeCheck.CHECK_FIELDS, True)
        )
    return challenge


def _session(user: Any) -> str:
    from django.test import Client

    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    return client.cookies["sessionid"].value


def _board_url() -> dict[str, str]:
    """The board's auto-refresh fragment (issue 14) if the app has it, else the whole board page."""
    from django.urls import NoReverseMatch, reverse

    try:
        return {"board_url": reverse("challenges:board_fragment"), "board_what": "board fragment"}
    except NoReverseMatch:
        return {"board_url": reverse("challenges:board"), "board_what": "full board page (no board_fragment URL)"}


def setup_rows() -> dict[str, Any]:
    """Users, sessions and challenges for the three parts; returns what the clients need (ids, cookies, URLs)."""
    from datetime import date

    from django.urls import reverse

    from challenges.models import Challenge
    from clinical.text import fold
    from clinics.models import Clinic, Role, User
    from patients.models import Patient

    clinic = Clinic.objects.get(name="Northside Allergy Clinic")
    tag = uuid.uuid4().hex[:6]
    # The dose run has a clinic of its own: 50 challenges dosing at once would not be Northside's board.
    dose_clinic = Clinic.objects.create(name=f"Bench dose clinic {tag}", time_zone=clinic.time_zone)
    dose_allergist = User.objects.create(
        username=f"bench-allergist-d{tag}", role=Role.ALLERGIST, clinic=dose_clinic, password="!"
    )
    allergist = User.objects.create(username=f"bench-allergist-{tag}", role=Role.ALLERGIST, clinic=clinic, password="!")
    # A protocol of a usual length (the standard library's longest has 10 steps), with waits, so every dose after
    # the first is given early on the allergist's override. Each client works through a queue of such challenges,
    # moving to the next when all its steps are given (until 29 Nov 2026 it was one 200-step challenge per client:
    # every post then loaded 200 steps and up to 200 earlier doses, which no real challenge has).
    waits = _protocol(
        f"Bench {DOSE_STEPS} steps {tag}",
        base="PRACTALL 7-step peanut OFC",
        steps=DOSE_STEPS,
        interval=30,
        clinic=dose_clinic,
    )
    no_wait = _protocol(f"Bench no wait {tag}", base="PRACTALL 7-step peanut OFC", steps=12, interval=0, clinic=clinic)
    home = _protocol(
        f"Bench home {tag}", base="MCAS slow home reintroduction: cheesecake", steps=12, interval=0, clinic=clinic
    )

    def patient(n: int, kind: str, user: Any = None, where: Any = clinic) -> Any:
        given, family, mrn = "Bench", f"Load{kind}{n}", f"BENCH-{tag}-{kind}-{n}"
        return Patient.objects.create(
            clinic=where,
            mrn=mrn,
            given_name=given,
            family_name=family,
            user=user,
            date_of_birth=date(1990, 1, 1),
            search_text=fold(f"{given} {family} {mrn}"),
        )

    dose_clients = []
    for n in range(DOSE_CLIENTS):
        queue = [
            _challenge(patient(n * 100 + m, "d", where=dose_clinic), waits, dose_allergist, None, checked_in=True).pk
            for m in range(DOSE_QUEUE)
        ]
        dose_clients.append(DoseQueue.make(queue, _session(dose_allergist)))
    nurses = []
    for n in range(NURSES):
        nurse = User.objects.create(username=f"bench-nurse-{tag}-{n}", role=Role.NURSE, clinic=clinic, password="!")
        person = patient(n, "n")
        challenge = _challenge(person, no_wait, allergist, nurse, checked_in=True)
        nurses.append({"challenge": challenge.pk, "patient": person.pk, "cookie": _session(nurse)})
    patients = []
    for n in range(PATIENTS):
        user = User.objects.create(username=f"bench-patient-{tag}-{n}", role=Role.PATIENT, clinic=clinic, password="!")
        challenge = _challenge(patient(n, "p", user), home, allergist, None, checked_in=False)
        patients.append({"challenge": challenge.pk, "cookie": _session(user)})
    nurse = User.objects.get(username="nurse")
    demo = Challenge.objects.get(indication__startswith="[demo-dosing]")
    return {
        "zone": clinic.time_zone,
        "dose_clients": dose_clients,
        "nurses": nurses,
        "patients": patients,
        "overhead_cookie": _session(nurse),
        "challenge_url": reverse("challenges:detail", args=[demo.pk]),
        "patient_url": reverse("patients:detail", args=[demo.patient_id]),
        **_board_url(),
        "checklist": no_wait.checklist_items,
        "search_words": ["rahman", "smith", "bench", "okafor", "ngu"],
    }


# --- the server -------------------------------------------------------------------------------------------


@dataclass
class Server:
    database_url: str
    workers: int
    threads: int
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--worker-class",
            "gthread",
            "--keep-alive",
            "5",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ]
        self.proc = subprocess.Popen(command, cwd=ROOT, env=bench_env(self.database_url), start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _get(self.port, "/health/")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer /health/ within 60 s")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def cpu_seconds(self) -> float:
        """User + system CPU of every gunicorn process (its own process group), from /proc; not PostgreSQL's."""
        assert self.proc is not None
        total_ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.proc.pid:  # pgrp
                total_ticks += int(fields[11]) + int(fields[12])
        return total_ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=15)


def _get(port: int, path: str, cookie: str = "") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --- 1. overhead with wrk -------------------------------------------------------------------------------------


def wrk(port: int, path: str, cookie: str, *, connections: int, seconds: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        threads = min(2, connections)
        result = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                "-H",
                f"Cookie: {cookie}",
                f"http://{HOST}:{port}{path}",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    finally:
        os.unlink(script.name)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


FLOOR_PAGES = ("health", "plain")


def overhead(port: int, rows: dict[str, Any], seconds: int, server: Server) -> dict[str, Any]:
    """wrk on the two floors and the three pages, interleaved per round so load on the machine falls on all alike."""
    cookie = f"sessionid={rows['overhead_cookie']}"
    paths = {
        "health": "/health/",
        "plain": "/bench/plain/",
        "challenge": rows["challenge_url"],
        "board": rows["board_url"],
        "patient": rows["patient_url"],
    }
    for path in paths.values():
        status, _body = _get(port, path, cookie)
        assert status == 200, (path, status)
        wrk(port, path, cookie, connections=2, seconds=1)  # warm-up
    out: dict[str, Any] = {name: {"latency": [], "saturation": []} for name in paths}
    for _round in range(2):
        for name, path in paths.items():
            # CPU per request from the one-connection run: at most one request is in flight at either end.
            cpu_before = server.cpu_seconds()
            figures = wrk(port, path, cookie, connections=1, seconds=max(3, seconds // 2))
            figures["cpu_s_per_request"] = (server.cpu_seconds() - cpu_before) / max(figures["requests"], 1)
            out[name]["latency"].append(figures)
            out[name]["saturation"].append(wrk(port, path, cookie, connections=16, seconds=max(4, seconds)))
    return {name: _median_runs(runs) for name, runs in out.items()}


def _median_runs(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Each figure as the median over the rounds (two rounds: their mean); errors summed."""
    merged: dict[str, Any] = {}
    for kind, figures in runs.items():
        keys = [k for k in figures[0] if isinstance(figures[0][k], int | float)]
        merged[kind] = {k: sorted(f[k] for f in figures)[len(figures) // 2] for k in keys}
        if len(figures) == 2:
            merged[kind].update({k: (figures[0][k] + figures[1][k]) / 2 for k in keys})
        for k in ("status_errors", "socket_errors"):
            merged[kind][k] = sum(f[k] for f in figures)
    return merged


# --- HTTP clients ---------------------------------------------------------------------------------------------


class Browser:
    """One signed-in user: a keep-alive connection, the session and CSRF cookies, reconnecting when needed."""

    def __init__(self, port: int, session: str) -> None:
        self.port, self.cookies = port, {"sessionid": session}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        body = "&".join(f"{k}={_quote(v)}" for k, v in (form or {}).items()) if form is not None else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection before this request was read: send it again
                # on a new one (a dose carries its idempotency key, so a repeat could never record it twice).
                self.close()
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _eq, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.headers.get("Location", ""), text

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _quote(value: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(value)


REFUSAL = re.compile(r'<div[^>]*class="[^"]*alert-danger[^"]*"[^>]*>(.*?)</div>', re.S)


def _refusal(body: str) -> str:
    """What a refused post said (the page's error message), else the start of the answer."""
    match = REFUSAL.search(body)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()[:300] if match else repr(body[:200])


def _csrf(page: str) -> str:
    match = CSRF_FIELD.search(page)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def _local_now(zone: str) -> str:
    return datetime.now(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


# --- 2. dose recording ---------------------------------------------------------------------------------------


@dataclass
class DoseTally:
    acknowledged: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class DoseQueue:
    """One dose client's challenges, all of DOSE_STEPS steps, taken in turn: the next once every step of the current
    one is acknowledged. Kept on the client's spec, so a later run (the 50-client run after the 16-client one) goes on
    where the last one stopped instead of posting to a finished challenge."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        spec.setdefault("given", {})

    @staticmethod
    def make(challenges: list[int], cookie: str) -> dict[str, Any]:
        return {"challenge": challenges[0], "queue": list(challenges), "challenges": list(challenges), "cookie": cookie}

    def current(self) -> int | None:
        """The challenge to dose now, or None when every challenge of the queue is done."""
        queue, given = self.spec["queue"], self.spec["given"]
        while queue and given.get(queue[0], 0) >= DOSE_STEPS:
            queue.pop(0)
        return queue[0] if queue else None

    def acknowledged(self, pk: int) -> None:
        self.spec["given"][pk] = self.spec["given"].get(pk, 0) + 1


def doses_before(specs: list[dict[str, Any]]) -> int:
    """The doses the clients' challenges hold already (from an earlier run), so a run counts only its own."""
    from django.db import connection

    from challenges.models import Dose

    connection.close()
    return Dose.objects.filter(challenge_id__in=[pk for spec in specs for pk in spec["challenges"]]).count()


def dose_blast(port: int, rows: dict[str, Any], seconds: float, clients: int = DOSE_CLIENTS) -> dict[str, Any]:
    specs = rows["dose_clients"][:clients]
    before = doses_before(specs)
    tally = DoseTally()
    deadline: list[float] = []  # set when every client holds its CSRF token and the run starts
    start_gate = threading.Barrier(len(specs) + 1, action=lambda: deadline.append(time.monotonic() + seconds))

    def client(spec: dict[str, Any]) -> None:
        browser, queue = Browser(port, spec["cookie"]), DoseQueue(spec)
        try:
            status, _loc, page = browser.request("GET", f"/challenges/{spec['challenge']}/")
            token = _csrf(page)
            start_gate.wait(timeout=120)
            for _ in range(MAX_REQUESTS_PER_CLIENT):
                pk = queue.current()
                if time.monotonic() >= deadline[0] or pk is None:
                    break
                key = str(uuid.uuid4())
                form = {
                    "csrfmiddlewaretoken": token,
                    "ate_all": "on",
                    "given_at": _local_now(rows["zone"]),
                    "idempotency_key": key,
                    "override_reason": "Bench: allergist allows the next dose now",
                    "notes": "",
                }
                began = time.perf_counter()
                status, location, body = browser.request("POST", f"/challenges/{pk}/dose/", form)
                elapsed = time.perf_counter() - began
                with tally.lock:
                    tally.times.append(elapsed)
                    if status == 302 and location.rstrip("/").endswith(f"/challenges/{pk}"):
                        tally.acknowledged[pk].append(key)
                        queue.acknowledged(pk)
                    else:
                        tally.errors.append(f"{status} {location} {_refusal(body)}")
        except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the others
            with tally.lock:
                tally.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            browser.close()

    elapsed, acked = _run_clients(client, specs, start_gate, seconds, tally)
    return {
        "clients": len(specs),
        "seconds": elapsed,
        "acknowledged": acked,
        "errors": len(tally.errors),
        "error_samples": tally.errors[:5],
        "rps": acked / elapsed,
        **_latency(tally.times),
        "verified": verify_doses(tally.acknowledged, [pk for spec in specs for pk in spec["challenges"]], before),
    }


def _run_clients(
    client: Callable[[dict[str, Any]], None],
    specs: list[dict[str, Any]],
    start_gate: threading.Barrier,
    seconds: float,
    tally: DoseTally,
) -> tuple[float, int]:
    """One thread per client, released together by the gate; the run's length and the requests acknowledged."""
    threads = [threading.Thread(target=client, args=(spec,), daemon=True) for spec in specs]
    for thread in threads:
        thread.start()
    start_gate.wait(timeout=120)
    began = time.monotonic()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return time.monotonic() - began, sum(len(keys) for keys in tally.acknowledged.values())


def insert_blast(port: int, rows: dict[str, Any], seconds: float, clients: int) -> dict[str, Any]:
    """The write floor: the same clients POST the bare-INSERT view (bench/floor_views.py) as fast as answers come."""
    specs = rows["dose_clients"][:clients]
    tally = DoseTally()
    deadline: list[float] = []
    start_gate = threading.Barrier(len(specs) + 1, action=lambda: deadline.append(time.monotonic() + seconds))

    def client(spec: dict[str, Any]) -> None:
        browser = Browser(port, spec["cookie"])
        try:
            _status, _loc, page = browser.request("GET", f"/challenges/{spec['challenge']}/")
            token = _csrf(page)
            start_gate.wait(timeout=120)
            while time.monotonic() < deadline[0]:
                began = time.perf_counter()
                status, _location, body = browser.request(
                    "POST", "/bench/insert/", {"csrfmiddlewaretoken": token, "note": "floor"}
                )
                with tally.lock:
                    tally.times.append(time.perf_counter() - began)
                    if status == 302:
                        tally.acknowledged[spec["challenge"]].append("")
                    else:
                        tally.errors.append(f"{status} {body[:200]!r}")
        except Exception as exc:  # noqa: BLE001 - counted, as in dose_blast
            with tally.lock:
                tally.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            browser.close()

    elapsed, acked = _run_clients(client, specs, start_gate, seconds, tally)
    return {"clients": len(specs), "seconds": elapsed, "acknowledged": acked, "errors": len(tally.errors),
            "rps": acked / elapsed, **_latency(tally.times)}  # fmt: skip


CHAIN_KINDS = {"altered", "removed", "broken link", "out of order", "unsealed", "sealed late"}


def audit_chain_check() -> dict[str, Any]:
    """verify_audit's chain problems after the runs (the bench's own rows, made with objects.create, have no
    history, so history-kind problems are left out: they say nothing about the chain)."""
    from django.db import connection

    from audit import verify

    connection.close()
    report = verify.verify_all()
    problems = [str(p) for p in report.problems if p.kind in CHAIN_KINDS]
    return {"events": report.events, "unsealed": report.unsealed, "problems": len(problems), "samples": problems[:3]}


def verify_doses(acknowledged: dict[int, list[str]], challenges: list[int], before: int = 0) -> dict[str, Any]:
    """Every acknowledged key is one dose row of its challenge; the challenges hold no other dose than those and the
    `before` an earlier run left."""
    from django.db import connection
    from django.db.models import Count

    from challenges.models import Dose

    connection.close()  # a fresh connection: the server wrote these rows
    keys = [uuid.UUID(key) for keys in acknowledged.values() for key in keys]
    found: dict[uuid.UUID, int] = {}
    for start in range(0, len(keys), 500):
        batch = keys[start : start + 500]
        found.update(Dose.objects.filter(idempotency_key__in=batch).values_list("idempotency_key", "challenge_id"))
    wrong_challenge = sum(1 for pk, ks in acknowledged.items() for k in ks if found.get(uuid.UUID(k)) not in (pk, None))
    rows = dict(
        Dose.objects.filter(challenge_id__in=challenges).values_list("challenge_id").annotate(n=Count("id")).order_by()
    )
    in_db = sum(rows.values()) - before
    missing = sum(1 for key in keys if key not in found)
    ok = missing == 0 and wrong_challenge == 0 and len(set(keys)) == len(keys) and in_db >= len(keys)
    # A post whose answer never came (an error) may or may not have recorded its dose: counted, not a failure.
    return {
        "ok": ok,
        "acknowledged": len(keys),
        "in_database": in_db,
        "missing": missing,
        "wrong_challenge": wrong_challenge,
        "unacknowledged_in_database": in_db - len(keys),
    }


# --- 4. two app servers on one database ------------------------------------------------------------------------

# 50 clients, as the issue asks: allergists posting doses, patients taking home steps, allergists signing finished
# challenges (signing draws the report PDF: the heaviest write there is).
MIX = {"dose": 30, "home": 12, "sign": 8}
SIGNS_PER_CLIENT = 40


def mixed_rows() -> dict[str, Any]:
    """A clinic of its own (home steps need no release) with the challenges the mixed load writes to."""
    from datetime import date

    from django.utils import timezone

    from challenges.models import Challenge
    from clinical.text import fold
    from clinics.models import Clinic, Role, User
    from patients.models import Patient

    north = Clinic.objects.get(name="Northside Allergy Clinic")
    tag = uuid.uuid4().hex[:6]
    clinic = Clinic.objects.create(name=f"Bench two servers {tag}", time_zone=north.time_zone)
    allergist = User.objects.create(username=f"bench-2s-allergist-{tag}", role=Role.ALLERGIST, clinic=clinic)
    waits = _protocol(f"Bench 2s {DOSE_STEPS} steps {tag}", base="PRACTALL 7-step peanut OFC", steps=DOSE_STEPS,
                      interval=30, clinic=clinic)  # fmt: skip
    home = _protocol(f"Bench 2s home {tag}", base="MCAS slow home reintroduction: cheesecake", steps=200,
                     interval=0, clinic=clinic)  # fmt: skip

    def patient(n: int, kind: str, user: Any = None) -> Any:
        given, family, mrn = "Bench", f"Two{kind}{n}", f"BENCH2S-{tag}-{kind}-{n}"
        return Patient.objects.create(clinic=clinic, mrn=mrn, given_name=given, family_name=family, user=user,
                                      date_of_birth=date(1990, 1, 1),
                                      search_text=fold(f"{given} {family} {mrn}"))  # fmt: skip

    dose = [
        DoseQueue.make([_challenge(patient(n * 100 + m, "d"), waits, allergist, None, checked_in=True).pk
                        for m in range(MIXED_DOSE_QUEUE)], _session(allergist))
        for n in range(MIX["dose"])
    ]  # fmt: skip
    home_clients = []
    for n in range(MIX["home"]):
        user = User.objects.create(username=f"bench-2s-patient-{tag}-{n}", role=Role.PATIENT, clinic=clinic)
        challenge = _challenge(patient(n, "h", user), home, allergist, None, checked_in=False)
        home_clients.append({"challenge": challenge.pk, "cookie": _session(user)})
    finished = timezone.now() - timezone.timedelta(days=1)
    sign = []
    for n in range(MIX["sign"]):
        signer = User.objects.create(username=f"bench-2s-signer-{tag}-{n}", role=Role.ALLERGIST, clinic=clinic)
        person = patient(n, "s")
        queue = [
            Challenge.objects.create(clinic=clinic, patient=person, protocol=waits, setting="clinic",
                                     scheduled_at=finished, allergist=signer, status="completed", outcome="passed",
                                     observation_started_at=finished, indication="[bench-2s]").pk
            for _ in range(SIGNS_PER_CLIENT)
        ]  # fmt: skip
        sign.append({"challenges": queue, "cookie": _session(signer)})
    return {"zone": clinic.time_zone, "dose": dose, "home": home_clients, "sign": sign}


class Balanced:
    """One user behind a load balancer: one connection per app server, requests sent to each in turn, one set of
    cookies (the session and CSRF cookies made on one server are used on the other)."""

    def __init__(self, ports: list[int], session: str) -> None:
        self.browsers = [Browser(port, session) for port in ports]
        self.turn = 0

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        browser = self.browsers[self.turn % len(self.browsers)]
        self.turn += 1
        answer = browser.request(method, path, form)
        for other in self.browsers:
            other.cookies.update(browser.cookies)
        return answer

    def close(self) -> None:
        for browser in self.browsers:
            browser.close()


def mixed_load(ports: list[int], rows: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The 50 clients for `seconds`, each spread over every port; acknowledged writes per kind, checked afterwards."""
    tally = {kind: DoseTally() for kind in MIX}
    signed: list[int] = []
    done_at: dict[str, list[float]] = {kind: [] for kind in MIX}  # when each acknowledged write was answered
    deadline: list[float] = []
    clients = [(kind, spec) for kind in MIX for spec in rows[kind]]
    start_gate = threading.Barrier(len(clients) + 1, action=lambda: deadline.append(time.monotonic() + seconds))

    def post(kind: str, user: Balanced, path: str, form: dict[str, str], acknowledged: str, pk: int, key: str) -> bool:
        began = time.perf_counter()
        status, location, body = user.request("POST", path, form)
        mine = tally[kind]
        with mine.lock:
            mine.times.append(time.perf_counter() - began)
            if status == 302 and location.rstrip("/").endswith(acknowledged.rstrip("/")):
                mine.acknowledged[pk].append(key)
                done_at[kind].append(time.monotonic())
                if kind == "sign":
                    signed.append(pk)
                return True
            mine.errors.append(f"{kind} {status} {location} {_refusal(body)}")
            return False

    def client(kind: str, spec: dict[str, Any]) -> None:
        user = Balanced(ports, spec["cookie"])
        try:
            first = spec["challenges"][0] if kind in ("sign", "dose") else spec["challenge"]
            page = f"/challenges/{first}/plan/" if kind == "home" else f"/challenges/{first}/"
            token = _csrf(user.request("GET", page)[2])
            start_gate.wait(timeout=300)
            queue = list(spec.get("challenges", []))
            doses = DoseQueue(spec) if kind == "dose" else None
            for _ in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() >= deadline[0] or (kind == "sign" and not queue):
                    break
                key = str(uuid.uuid4())
                now = _local_now(rows["zone"])
                if doses is not None:
                    current = doses.current()
                    if current is None:
                        break
                    pk = current
                    form = {"csrfmiddlewaretoken": token, "ate_all": "on", "given_at": now, "idempotency_key": key,
                            "override_reason": "Bench: allergist allows the next dose now", "notes": ""}  # fmt: skip
                    if post(kind, user, f"/challenges/{pk}/dose/", form, f"/challenges/{pk}", pk, key):
                        doses.acknowledged(pk)
                elif kind == "home":
                    pk = spec["challenge"]
                    form = {"csrfmiddlewaretoken": token, "ate_all": "on", "given_at": now, "idempotency_key": key}
                    post(kind, user, f"/challenges/{pk}/plan/step/", form, f"/challenges/{pk}/plan", pk, key)
                else:
                    pk = queue.pop(0)
                    form = {"csrfmiddlewaretoken": token, "observation_override_reason": ""}
                    post(kind, user, f"/challenges/{pk}/sign/", form, f"/challenges/{pk}", pk, "")
        except Exception as exc:  # noqa: BLE001 - counted, as in dose_blast
            with tally[kind].lock:
                tally[kind].errors.append(f"{kind} {type(exc).__name__}: {exc}")
        finally:
            user.close()

    threads = [threading.Thread(target=client, args=pair, daemon=True) for pair in clients]
    for thread in threads:
        thread.start()
    start_gate.wait(timeout=300)
    began, cpu_before = time.monotonic(), _machine_cpu()
    for thread in threads:
        thread.join(timeout=seconds + 300)
    elapsed = time.monotonic() - began
    busy = _machine_cpu() - cpu_before
    # Throughput over the run's window: writes answered before the deadline, over its length (the requests still in
    # flight at the deadline, a few seconds of signing at this load, are checked but not counted).
    out: dict[str, Any] = {"seconds": seconds, "drained_s": elapsed, "clients": len(clients), "ports": len(ports)}
    for kind, mine in tally.items():
        acked = sum(len(keys) for keys in mine.acknowledged.values())
        in_window = sum(1 for at in done_at[kind] if at <= deadline[0])
        out[kind] = {"acknowledged": acked, "in_window": in_window, "rps": in_window / seconds,
                     "errors": len(mine.errors), "error_samples": mine.errors[:3], **_latency(mine.times)}  # fmt: skip
    writes = {k: v for kind in ("dose", "home") for k, v in tally[kind].acknowledged.items()}
    challenges = [pk for s in rows["dose"] for pk in s["challenges"]] + [s["challenge"] for s in rows["home"]]
    out["verified"] = verify_doses(writes, challenges)
    out["signs_verified"] = verify_signs(signed, [pk for spec in rows["sign"] for pk in spec["challenges"]])
    out["writes_per_s"] = sum(out[kind]["in_window"] for kind in MIX) / seconds
    out["errors"] = sum(out[kind]["errors"] for kind in MIX)
    out["machine_cpu_busy"] = busy / elapsed  # cores busy on average (2.0 = both cores busy all the time)
    # What a write costs the machine (app servers, PostgreSQL, clients), whatever the number of instances: if a second
    # instance only queued on something shared, this would stay and the cores would idle; if the cores are the
    # limit, it stays and they are busy.
    acked = sum(out[kind]["acknowledged"] for kind in MIX)
    out["machine_cpu_ms_per_write"] = busy * 1000 / acked if acked else 0.0
    return out


def verify_signs(acknowledged: list[int], challenges: list[int]) -> dict[str, Any]:
    """Every acknowledged signature is stored (with its PDF), once; no challenge was signed unacknowledged."""
    from django.db import connection

    from challenges.models import Challenge

    connection.close()
    stored = set(
        Challenge.objects.filter(pk__in=challenges, signed_at__isnull=False, signed_pdf__isnull=False).values_list(
            "pk", flat=True
        )
    )
    wanted = set(acknowledged)
    return {"ok": wanted <= stored and len(wanted) == len(acknowledged), "acknowledged": len(acknowledged),
            "signed_in_database": len(stored), "missing": len(wanted - stored)}  # fmt: skip


def _machine_cpu() -> float:
    """CPU seconds the whole machine has been busy (every process: both app servers, PostgreSQL, these clients)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(value) for value in fields]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def two_servers(database_url: str, workers: int, threads: int, seconds: float) -> dict[str, Any]:
    """The mixed load on one gunicorn, then on two gunicorns (separate process groups, ports) on the same database.

    Each run gets fresh challenges, so both start at step 1 with full signing queues. Afterwards one audit chain
    must verify. The instances share sessions, throttling and the cache through the database (docs/scaling.md).
    """
    from django.db import connection

    runs: dict[str, Any] = {}
    for label, instances in (("one", 1), ("two", 2)):
        rows = mixed_rows()
        connection.close()
        servers = [Server(database_url, workers, threads) for _ in range(instances)]
        try:
            for server in servers:
                server.__enter__()
            cpu_before = [server.cpu_seconds() for server in servers]
            runs[label] = mixed_load([server.port for server in servers], rows, seconds)
            runs[label]["gunicorn_cpu_s"] = sum(s.cpu_seconds() - c for s, c in zip(servers, cpu_before, strict=True))
        finally:
            for server in servers:
                server.stop()
        print(label, json.dumps({k: v for k, v in runs[label].items() if k in ("writes_per_s", "errors",
              "machine_cpu_busy")}), file=sys.stderr, flush=True)  # fmt: skip
    runs["ratio"] = runs["two"]["writes_per_s"] / runs["one"]["writes_per_s"] if runs["one"]["writes_per_s"] else 0.0
    runs["instances"] = f"{workers} workers x {threads} threads (gthread) each"
    runs["cores"] = os.cpu_count()
    return runs


# --- 3. clinic-sized load --------------------------------------------------------------------------------------


def clinic_load(port: int, rows: dict[str, Any], seconds: float, seed: int = 11) -> dict[str, Any]:
    times: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def timed(browser: Browser, page: str, method: str, path: str, form: dict[str, str] | None = None) -> str:
        began = time.perf_counter()
        status, location, body = browser.request(method, path, form)
        elapsed = time.perf_counter() - began
        with lock:
            times[page].append(elapsed)
            if status not in (200, 302) or (status == 302 and "/login" in location):
                errors.append(f"{page} {status} {location}")
        return location if status == 302 else body

    def nurse(spec: dict[str, Any], rng: random.Random) -> None:
        browser, pk = Browser(port, spec["cookie"]), spec["challenge"]
        page = f"/challenges/{pk}/"
        try:
            token = _csrf(timed(browser, "challenge page", "GET", page))
            for _ in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() + 2 >= deadline:
                    break
                time.sleep(rng.uniform(2, 5))
                roll = rng.random()
                if roll < 0.25:
                    timed(browser, "today's board", "GET", "/challenges/board/")
                elif roll < 0.40:
                    timed(browser, "patient search", "GET", f"/patients/?q={rng.choice(rows['search_words'])}")
                elif roll < 0.55:
                    timed(browser, "patient detail", "GET", f"/patients/{spec['patient']}/")
                elif roll < 0.85:
                    token = _csrf(timed(browser, "challenge page", "GET", page))
                elif roll < 0.93:
                    form = {
                        "csrfmiddlewaretoken": token,
                        "ate_all": "on",
                        "given_at": _local_now(rows["zone"]),
                        "idempotency_key": str(uuid.uuid4()),
                        "notes": "",
                    }
                    timed(browser, "dose post", "POST", f"/challenges/{pk}/dose/", form)
                    token = _csrf(
                        timed(browser, "challenge page", "GET", page)
                    )  # the redirect, as a browser follows it
                else:
                    form = {
                        "csrfmiddlewaretoken": token,
                        "item_code": rng.choice(rows["checklist"]),
                        "severity": "0",
                        "observed_at": _local_now(rows["zone"]),
                        "note": "",
                    }
                    timed(browser, "observation post", "POST", f"/challenges/{pk}/observation/", form)
                    token = _csrf(timed(browser, "challenge page", "GET", page))
        except Exception as exc:  # noqa: BLE001
            with lock:
                errors.append(f"nurse {type(exc).__name__}: {exc}")
        finally:
            browser.close()

    def patient(spec: dict[str, Any], rng: random.Random) -> None:
        browser, pk = Browser(port, spec["cookie"]), spec["challenge"]
        page = f"/challenges/{pk}/plan/"
        try:
            token = _csrf(timed(browser, "home plan", "GET", page))
            for _ in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() + 2 >= deadline:
                    break
                time.sleep(rng.uniform(2, 5))
                if rng.random() < 0.85:
                    token = _csrf(timed(browser, "home plan", "GET", page))
                else:
                    form = {
                        "csrfmiddlewaretoken": token,
                        "ate_all": "on",
                        "given_at": _local_now(rows["zone"]),
                        "idempotency_key": str(uuid.uuid4()),
                    }
                    timed(browser, "home step post", "POST", f"/challenges/{pk}/plan/step/", form)
                    token = _csrf(timed(browser, "home plan", "GET", page))
        except Exception as exc:  # noqa: BLE001
            with lock:
                errors.append(f"patient {type(exc).__name__}: {exc}")
        finally:
            browser.close()

    master = random.Random(seed)
    threads = [
        threading.Thread(target=nurse, args=(s, random.Random(master.random())), daemon=True) for s in rows["nurses"]
    ]
    threads += [
        threading.Thread(target=patient, args=(s, random.Random(master.random())), daemon=True)
        for s in rows["patients"]
    ]
    for thread in threads:
        thread.start()
        time.sleep(0.05)  # staggered arrivals
    for thread in threads:
        thread.join(timeout=seconds + 120)
    pages = {name: _latency(values) for name, values in sorted(times.items())}
    return {
        "users": len(threads),
        "seconds": seconds,
        "pages": pages,
        "errors": len(errors),
        "error_samples": errors[:5],
    }


def _latency(samples: list[float]) -> dict[str, Any]:
    if not samples:
        return {"n": 0}
    ms = [s * 1000 for s in samples]
    return {"n": len(ms), "median_ms": sorted(ms)[len(ms) // 2], "p95_ms": percentile(ms, 0.95), "max_ms": max(ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", required=True, help="a bench database holding the demo data (it is written to)"
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (gthread)")
    parser.add_argument("--seconds", type=int, default=8, help="each wrk run (overhead)")
    parser.add_argument("--dose-seconds", type=float, default=15, help="the 50-client dose run (60 for the full run)")
    parser.add_argument("--clinic-seconds", type=float, default=30, help="the clinic-sized load (60 for the full run)")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--pages-only", action="store_true", help="only the page floors and ratios (wrk)")
    parser.add_argument(
        "--two-servers", action="store_true", help="only the mixed load on one, then two gunicorn instances"
    )
    parser.add_argument("--two-seconds", type=float, default=20, help="each run of the mixed load")
    parser.add_argument(
        "--doses-only", action="store_true", help="only the bare-INSERT floor and the dose posts at 16 clients"
    )
    args = parser.parse_args()
    django_setup(args.database_url)
    from django.db import connection

    if args.two_servers:
        result = {"two_servers": two_servers(args.database_url, args.workers, args.threads, args.two_seconds)}
        result["audit_chain"] = audit_chain_check()
        print(json.dumps(result, indent=2))
        write_json(args.json, result)
        return

    rows = setup_rows()
    from bench.floor_views import ensure_floor_table

    ensure_floor_table()
    connection.close()
    result: dict[str, Any] = {
        "gunicorn": f"{args.workers} workers x {args.threads} threads (gthread)",
        "vendor": connection.vendor,
        "board_what": rows["board_what"],
    }
    with Server(args.database_url, args.workers, args.threads) as server:
        if shutil.which("wrk") and not args.doses_only:
            result["overhead"] = overhead(server.port, rows, args.seconds, server)
        else:
            print("wrk is missing (Debian package wrk): overhead not measured", file=sys.stderr)
        if args.pages_only:
            print(json.dumps(result, indent=2))
            write_json(args.json, result)
            return
        if args.doses_only:
            result["floor_insert16"] = insert_blast(server.port, rows, args.dose_seconds / 2, 16)
            result["doses16"] = dose_blast(server.port, rows, args.dose_seconds / 2, 16)
            result["audit_chain"] = audit_chain_check()
            print(json.dumps(result, indent=2))
            write_json(args.json, result)
            return
        # Dose posts against the write floor at 16 clients, side by side, then the 50-client run.
        result["floor_insert16"] = insert_blast(server.port, rows, args.dose_seconds / 2, 16)
        result["doses16"] = dose_blast(server.port, rows, args.dose_seconds / 2, 16)
        result["doses"] = dose_blast(server.port, rows, args.dose_seconds)
        result["clinic"] = clinic_load(server.port, rows, args.clinic_seconds)
    result["audit_chain"] = audit_chain_check()
    result["board_what"] = rows["board_what"]
    print(json.dumps(result, indent=2))
    write_json(args.json, result)


if __name__ == "__main__":
    main()
