"""server_load's part 2, dose recording: clients posting doses (and the bare-INSERT floor) as fast as answers come,
then every acknowledged dose checked in the database and the audit chain verified."""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench._load_http import MAX_REQUESTS_PER_CLIENT, Browser, _csrf, _latency, _local_now, _refusal
from bench._load_rows import DOSE_CLIENTS, DoseQueue

# --- 2. dose recording ---------------------------------------------------------------------------------------


@dataclass
class DoseTally:
    acknowledged: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


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
