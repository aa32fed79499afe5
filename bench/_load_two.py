"""server_load's part 4, `--two-servers`: a mixed write load (doses, home steps, signatures) from 50 clients, on one
gunicorn and then on two sharing the database, every acknowledged write checked afterwards."""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._cgroup import CpuCap
from bench._load_doses import DoseTally, verify_doses
from bench._load_http import MAX_REQUESTS_PER_CLIENT, Browser, _csrf, _latency, _local_now, _refusal
from bench._load_rows import DOSE_STEPS, DoseQueue, _challenge, _protocol, _session
from bench._load_server import Server

# Enough rows that no client runs out within a run, at rates well above the fastest seen (a dose client 1.2 doses a
# second, a signing client 0.6 signatures a second, 29 Nov 2026), and no more: making them is most of a run's time.
DOSE_RATE_BOUND = 2.0  # doses a second per dose client
SIGN_RATE_BOUND = 0.8  # signatures a second per signing client


# --- 4. two app servers on one database ------------------------------------------------------------------------

# 50 clients, as the issue asks: allergists posting doses, patients taking home steps, allergists signing finished
# challenges (signing draws the report PDF: the heaviest write there is).
MIX = {"dose": 30, "home": 12, "sign": 8}


def mixed_rows(seconds: float) -> dict[str, Any]:
    """A clinic of its own (home steps need no release) with the challenges the mixed load writes to, in one
    transaction (about 1,800 rows with their history and audit rows: 30 s of commits one by one, 29 Nov 2026)."""
    from django.db import transaction

    from audit.services import chained_in_transaction

    with transaction.atomic(), chained_in_transaction():
        return _mixed_rows(seconds)


def _mixed_rows(seconds: float) -> dict[str, Any]:
    from datetime import date

    from django.utils import timezone

    from challenges.models import Challenge
    from clinical.text import fold
    from clinics.models import Clinic, Role, User
    from patients.models import Patient

    dose_queue = max(2, math.ceil(seconds * DOSE_RATE_BOUND / DOSE_STEPS))  # challenges per dose client
    signs = math.ceil(seconds * SIGN_RATE_BOUND) + 5  # finished challenges per signing client
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
                        for m in range(dose_queue)], _session(allergist))
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
            for _ in range(signs)
        ]  # fmt: skip
        sign.append({"challenges": queue, "cookie": _session(signer)})
    return {"zone": clinic.time_zone, "dose": dose, "home": home_clients, "sign": sign}


class Balanced:
    """One user behind a load balancer: requests sent to each app server in turn, one set of cookies (the session and
    CSRF cookies made on one server are used on the other), a new connection for each request, as a proxy such as
    nginx opens to gunicorn by default. So whichever worker is free takes the next request: a kept-alive connection
    stays with the worker that accepted it, and which clients happened to share a worker then decided each kind's
    throughput (two runs of the same code measured 1.4x and 2.5x)."""

    def __init__(self, ports: list[int], session: str) -> None:
        self.browsers = [Browser(port, session, keep_alive=False) for port in ports]
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


def mixed_load(
    ports: list[int],
    rows: dict[str, Any],
    seconds: float,
    warmup: float = 0.0,
    servers: list[Server] | None = None,
    ready: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """The 50 clients for `warmup` + `seconds`, each spread over every port. Only the last `seconds` are measured
    (writes answered in that window, the machine's and the servers' CPU over it): the warm-up lets every worker load
    what it loads on first use (templates, fonts, compiled queries), which a server running for hours has done.
    Every acknowledged write, warm-up included, is checked afterwards. `ready` runs once every client holds its CSRF
    token, just before the load starts."""
    tally = {kind: DoseTally() for kind in MIX}
    signed: list[int] = []
    done_at: dict[str, list[float]] = {kind: [] for kind in MIX}  # when each acknowledged write was answered
    window: list[float] = []  # the measured window's start and end, set when the gate opens
    clients = [(kind, spec) for kind in MIX for spec in rows[kind]]

    def start() -> None:
        ready()
        window.extend([time.monotonic() + warmup, time.monotonic() + warmup + seconds])

    start_gate = threading.Barrier(len(clients) + 1, action=start)

    def post(kind: str, user: Balanced, path: str, form: dict[str, str], acknowledged: str, pk: int, key: str) -> bool:
        began = time.perf_counter()
        status, location, body = user.request("POST", path, form)
        mine = tally[kind]
        with mine.lock:
            if time.monotonic() >= window[0]:
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
                if time.monotonic() >= window[1] or (kind == "sign" and not queue):
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

    servers = servers or []
    cpu: dict[str, float] = {}

    def sample(at: float, name: str) -> None:
        """The machine's and the servers' CPU at the window's start and end."""
        time.sleep(max(0.0, at - time.monotonic()))
        cpu[f"machine_{name}"] = _machine_cpu()
        cpu[f"servers_{name}"] = sum(server.cpu_seconds() for server in servers)
        cpu[f"throttled_{name}"] = sum(server.cap.throttled_s() for server in servers if server.cap)

    threads = [threading.Thread(target=client, args=pair, daemon=True) for pair in clients]
    for thread in threads:
        thread.start()
    start_gate.wait(timeout=300)

    def sample_window() -> None:
        sample(window[0], "start")
        sample(window[1], "end")

    sampler = threading.Thread(target=sample_window, daemon=True)
    sampler.start()
    began = time.monotonic()
    for thread in threads:
        thread.join(timeout=warmup + seconds + 300)
    sampler.join(timeout=60)
    elapsed = time.monotonic() - began
    busy = cpu["machine_end"] - cpu["machine_start"]
    out: dict[str, Any] = {"seconds": seconds, "warmup_s": warmup, "drained_s": elapsed, "clients": len(clients),
                           "ports": len(ports)}  # fmt: skip
    for kind, mine in tally.items():
        acked = sum(len(keys) for keys in mine.acknowledged.values())
        in_window = sum(1 for at in done_at[kind] if window[0] <= at <= window[1])
        out[kind] = {"acknowledged": acked, "in_window": in_window, "rps": in_window / seconds,
                     "errors": len(mine.errors), "error_samples": mine.errors[:3], **_latency(mine.times)}  # fmt: skip
    writes = {k: v for kind in ("dose", "home") for k, v in tally[kind].acknowledged.items()}
    challenges = [pk for s in rows["dose"] for pk in s["challenges"]] + [s["challenge"] for s in rows["home"]]
    out["verified"] = verify_doses(writes, challenges)
    out["signs_verified"] = verify_signs(signed, [pk for spec in rows["sign"] for pk in spec["challenges"]])
    in_window = sum(out[kind]["in_window"] for kind in MIX)
    out["writes_per_s"] = in_window / seconds
    out["errors"] = sum(out[kind]["errors"] for kind in MIX)
    out["machine_cpu_busy"] = busy / seconds  # cores busy on average over the window (2.0 = both, all the time)
    # What a write costs the machine (app servers, PostgreSQL, clients) and the app servers alone, whatever the number
    # of instances: if a second instance only queued on something shared, this would stay and the cores would idle.
    out["machine_cpu_ms_per_write"] = busy * 1000 / in_window if in_window else 0.0
    servers_cpu = cpu["servers_end"] - cpu["servers_start"]
    out["servers_cpu_busy"] = servers_cpu / seconds
    out["servers_cpu_ms_per_write"] = servers_cpu * 1000 / in_window if in_window else 0.0
    out["throttled_s"] = cpu["throttled_end"] - cpu["throttled_start"]
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


def two_servers(
    database_url: str, workers: int, threads: int, seconds: float, warmup: float, cap: float, uncapped: bool
) -> dict[str, Any]:
    """The mixed load on one gunicorn, then on two (separate process groups and ports) on the same database.

    With `cap` (cores), each instance runs in a cgroup of its own holding it to that much CPU (bench/_cgroup.py), as
    two machines of that size would; PostgreSQL and the clients are not capped. That pair is the one that says
    whether a second instance adds throughput. With `uncapped` (or no writable cgroup), the pair without caps too,
    where both instances share the machine's cores. Each run gets fresh challenges, so all start at step 1 with
    full signing queues. Afterwards one audit chain must verify. The instances share sessions, throttling and the
    cache through the database (docs/scaling.md).
    """
    from django.db import connection

    why_not = CpuCap.available() if cap else "no cap asked for"
    pairs = [("capped", cap)] if not why_not else []
    if uncapped or why_not:
        pairs.append(("uncapped", 0.0))
    runs: dict[str, Any] = {"cap_cores": cap, "cap_unavailable": why_not, "pairs": {}}
    for pair, cores in pairs:
        measured: dict[str, Any] = {}
        for label, instances in (("one", 1), ("two", 2)):
            rows = mixed_rows(warmup + seconds + 10)  # and the drain
            connection.close()
            servers = [Server(database_url, workers, threads) for _ in range(instances)]
            caps = [CpuCap(cores) for _ in servers] if cores else []

            def capped(servers: list[Server] = servers, caps: list[CpuCap] = caps) -> None:
                for server, cap in zip(servers, caps, strict=False):
                    server.adopt(cap)

            try:
                for server in servers:
                    server.__enter__()
                # Every worker started, and every client's first page drawn, at full speed: the caps hold for the load.
                ports = [server.port for server in servers]
                measured[label] = mixed_load(ports, rows, seconds, warmup, servers, ready=capped)
            finally:
                for server in servers:
                    server.stop()
                for cap in caps:
                    cap.remove()
            shown = {k: round(v, 2) for k, v in measured[label].items() if k in ("writes_per_s", "errors",
                     "machine_cpu_busy", "servers_cpu_busy")}  # fmt: skip
            print(pair, label, json.dumps(shown), file=sys.stderr, flush=True)
        one, two = measured["one"]["writes_per_s"], measured["two"]["writes_per_s"]
        measured["ratio"] = two / one if one else 0.0
        runs["pairs"][pair] = measured
    runs["instances"] = f"{workers} workers x {threads} threads (gthread) each"
    runs["cores"] = os.cpu_count()
    return runs
